package sqlite

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-cspm/rampart"
)

// This file is the read side the API, the dashboard and the CLI share:
// filtered, sorted, keyset-paginated finding lists, counts and aggregates.
// Every value reaches SQL as a bound parameter; the only literal SQL is the
// fixed text of the open state, which the partial indexes of migration 0003
// are declared over (SQLite uses a partial index only when the query's
// WHERE repeats the index's WHERE term for term).

// MaxPageSize is the largest page QueryFindings returns.
const MaxPageSize = 500

// DefaultPageSize is the page size when the query gives none.
const DefaultPageSize = 50

// openSQL is the open state, written exactly as the partial indexes' WHERE.
const openSQL = `status = 'FAIL' AND resolved_at IS NULL`

// sortSpec is one order: its columns and the direction of the first ones
// (desc); asc lists the trailing columns that go the other way. Each order
// follows an index: findings_open_order for severity, findings_risk (0004)
// for risk, findings_open_first_seen for first seen.
type sortSpec struct {
	cols []string
	desc bool
	asc  int // the last asc columns go in the opposite direction
}

// colDesc reports whether column i of the spec sorts descending.
func (s sortSpec) colDesc(i int) bool {
	if i >= len(s.cols)-s.asc {
		return !s.desc
	}
	return s.desc
}

// after returns the keyset condition "row comes after key" in the spec's
// order, and its arguments.
func (s sortSpec) after(key []any) (string, []any) {
	if s.asc == 0 {
		cmp := "<"
		if !s.desc {
			cmp = ">"
		}
		return "(" + strings.Join(s.cols, ", ") + ") " + cmp + " (" + placeholders(len(key)) + ")", key
	}
	// Mixed directions: (a < ?) OR (a = ? AND ((b > ?) OR (b = ? AND ...))).
	var build func(i int) (string, []any)
	build = func(i int) (string, []any) {
		cmp := ">"
		if s.colDesc(i) {
			cmp = "<"
		}
		if i == len(s.cols)-1 {
			return s.cols[i] + " " + cmp + " ?", []any{key[i]}
		}
		rest, restArgs := build(i + 1)
		return "(" + s.cols[i] + " " + cmp + " ? OR (" + s.cols[i] + " = ? AND " + rest + "))",
			append([]any{key[i], key[i]}, restArgs...)
	}
	return build(0)
}

var sorts = map[rampart.FindingSort]sortSpec{
	rampart.SortSeverity:  {[]string{"severity_rank", "risk_score", "first_seen_at", "finding_id"}, true, 2},
	rampart.SortRisk:      {[]string{"risk_score", "first_seen_at", "finding_id"}, true, 2},
	rampart.SortFirstSeen: {[]string{"first_seen_at", "finding_id"}, false, 0},
	rampart.SortLastSeen:  {[]string{"last_seen_at", "finding_id"}, true, 0},
	// ff_rank is the number of fix-first clauses met (fixFirstRank).
	rampart.SortFixFirst: {[]string{"ff_rank", "risk_score", "first_seen_at", "finding_id"}, true, 2},
}

// withAt sets q.At to the store's clock when a filter of q depends on time
// (overdue, a view) and the caller gave none. Other queries keep a zero At
// so that the summary tables still answer them.
func (s *Store) withAt(q rampart.FindingQuery) rampart.FindingQuery {
	if q.At.IsZero() && (q.Overdue != nil || q.View != "" || q.Sort == rampart.SortFixFirst) {
		q.At = s.now().UTC()
	}
	return q
}

// fixFirstRank returns the SQL expression counting the fix-first clauses a
// row meets at q.At, and its arguments.
func fixFirstRank(at time.Time) (string, []any, error) {
	_, clauses := rampart.FixFirstView(at)
	var parts []string
	var args []any
	for _, c := range clauses {
		w, a, err := where(c.Query)
		if err != nil {
			return "", nil, fmt.Errorf("sqlite: fix-first clause %q: %w", c.Name, err)
		}
		parts = append(parts, "(CASE WHEN "+w+" THEN 1 ELSE 0 END)")
		args = append(args, a...)
	}
	return "(" + strings.Join(parts, " + ") + ")", args, nil
}

// fixFirstCount is fixFirstRank evaluated in memory, for the cursor key.
func fixFirstCount(f *rampart.Finding, at time.Time) int {
	_, clauses := rampart.FixFirstView(at)
	n := 0
	for _, c := range clauses {
		if c.Query.Match(f, at) {
			n++
		}
	}
	return n
}

// groupColumns maps group fields to SQL expressions over findings.
var groupColumns = map[rampart.GroupField]string{
	rampart.GroupLandingZone:  "landing_zone_id",
	rampart.GroupAccount:      "account_id",
	rampart.GroupRegion:       "region",
	rampart.GroupService:      "service",
	rampart.GroupSeverity:     "CASE severity_rank WHEN 5 THEN 'critical' WHEN 4 THEN 'high' WHEN 3 THEN 'medium' WHEN 2 THEN 'low' WHEN 1 THEN 'informational' ELSE '' END",
	rampart.GroupRiskBand:     "CASE WHEN risk_score >= 80 THEN 'critical' WHEN risk_score >= 60 THEN 'high' WHEN risk_score >= 40 THEN 'medium' WHEN risk_score >= 20 THEN 'low' ELSE 'minimal' END",
	rampart.GroupFramework:    "framework",
	rampart.GroupRequirement:  "requirement_id",
	rampart.GroupOwner:        "owner_team",
	rampart.GroupEnvironment:  "environment",
	rampart.GroupStatus:       "status",
	rampart.GroupResourceType: "resource_type",
	rampart.GroupControl:      "control_id",
}

// where builds the WHERE clause (without the keyword) of q, or "" when it
// selects everything.
func where(q rampart.FindingQuery) (string, []any, error) { return whereFor(q, false) }

// whereFor is where; ordered is set for a page in a sort order, where the
// overdue term must not lead the plan: overdue findings are a large share
// of the open set, and reading them all from findings_due to sort them
// (584 ms at 200,000 findings, EXPLAIN) loses to walking the order's index
// and checking due_at on the way (3 ms). A unary plus keeps SQLite from
// using an index for that term. Counts keep findings_due (1 ms).
func whereFor(q rampart.FindingQuery, ordered bool) (string, []any, error) {
	var terms []string
	var args []any
	in := func(col string, vals []string) {
		switch len(vals) {
		case 0:
		case 1:
			terms = append(terms, col+" = ?")
			args = append(args, vals[0])
		default:
			terms = append(terms, col+" IN ("+placeholders(len(vals))+")")
			for _, v := range vals {
				args = append(args, v)
			}
		}
	}
	switch q.State {
	case rampart.StateOpen:
		terms = append(terms, openSQL)
	case rampart.StateResolved:
		terms = append(terms, "resolved_at IS NOT NULL")
	case rampart.StateAll, "":
	default:
		return "", nil, rampart.Errorf(rampart.EINVALID, "unknown state %q (want open, resolved or all)", q.State)
	}
	in("landing_zone_id", q.LandingZones)
	in("account_id", q.AccountIDs)
	in("account_name", q.AccountNames)
	in("region", q.Regions)
	in("service", q.Services)
	in("resource_type", q.ResourceTypes)
	in("framework", q.Frameworks)
	in("requirement_id", q.Requirements)
	in("control_id", q.ControlIDs)
	owners := q.OwnerTeams
	if q.NoOwner {
		owners = append(append([]string(nil), owners...), "")
	}
	in("owner_team", owners)
	in("environment", q.Environments)
	if len(q.Severities) > 0 {
		// severity_rank is what the indexes hold.
		ranks := make([]string, len(q.Severities))
		for i, s := range q.Severities {
			if s.Rank() == 0 {
				return "", nil, rampart.Errorf(rampart.EINVALID, "unknown severity %q", s)
			}
			ranks[i] = strconv.Itoa(s.Rank())
		}
		if len(ranks) == 1 {
			terms = append(terms, "severity_rank = ?")
			args = append(args, q.Severities[0].Rank())
		} else {
			terms = append(terms, "severity_rank IN ("+placeholders(len(ranks))+")")
			for _, s := range q.Severities {
				args = append(args, s.Rank())
			}
		}
	}
	if len(q.Statuses) > 0 {
		st := make([]string, len(q.Statuses))
		for i, s := range q.Statuses {
			st[i] = string(s)
		}
		in("status", st)
	}
	if q.RiskMin != nil {
		terms = append(terms, "risk_score >= ?")
		args = append(args, *q.RiskMin)
	}
	if q.RiskMax != nil {
		terms = append(terms, "risk_score <= ?")
		args = append(args, *q.RiskMax)
	}
	tr := func(col, op string, t time.Time) {
		if !t.IsZero() {
			terms = append(terms, col+" "+op+" ?")
			args = append(args, formatTime(t))
		}
	}
	tr("first_seen_at", ">=", q.FirstSeenFrom)
	tr("first_seen_at", "<", q.FirstSeenTo)
	tr("last_seen_at", ">=", q.LastSeenFrom)
	tr("last_seen_at", "<", q.LastSeenTo)
	in("risk_level", q.RiskLevels)
	in("data_sensitivity", q.DataSensitivity)
	in("owner_source", q.OwnerSources)
	flag := func(col string, v *bool) {
		if v != nil {
			terms = append(terms, col+" = ?")
			args = append(args, *v)
		}
	}
	flag("public", q.Public)
	flag("privileged", q.Privileged)
	flag("muted", q.Muted)
	if q.Overdue != nil {
		// Finding.Overdue: open, with a due date before At. The open state
		// is repeated so that the partial index findings_due (0004) applies.
		due := "due_at"
		if ordered {
			due = "+due_at"
		}
		t := "(" + openSQL + " AND " + due + " IS NOT NULL AND " + due + " < ?)"
		if !*q.Overdue {
			t = "NOT " + t
		}
		terms = append(terms, t)
		args = append(args, formatTime(q.At))
	}
	switch q.View {
	case "":
	case rampart.ViewFixFirst:
		required, clauses := rampart.FixFirstView(q.At)
		w, a, err := where(required)
		if err != nil {
			return "", nil, fmt.Errorf("sqlite: fix-first view: %w", err)
		}
		terms = append(terms, w)
		args = append(args, a...)
		var any []string
		for _, c := range clauses {
			w, a, err := where(c.Query)
			if err != nil {
				return "", nil, fmt.Errorf("sqlite: fix-first clause %q: %w", c.Name, err)
			}
			any = append(any, "("+w+")")
			args = append(args, a...)
		}
		terms = append(terms, "("+strings.Join(any, " OR ")+")")
	default:
		return "", nil, rampart.Errorf(rampart.EINVALID, "unknown view %q (want %s)", q.View, rampart.ViewFixFirst)
	}
	return strings.Join(terms, " AND "), args, nil
}

// cursor is what a page's Next encodes: the order, the last row's sort key
// and a hash of the filter, so that a cursor cannot continue another query.
type cursor struct {
	Sort rampart.FindingSort `json:"s"`
	// Cols are the order's columns: a cursor made when the sort had other
	// columns (before migration 0008, severity ended on last_seen_at) is
	// refused rather than read as a key of these.
	Cols   string `json:"o"`
	Key    []any  `json:"k"`
	Filter string `json:"f"`
	// At is the evaluation time of the first page, which later pages keep.
	At string `json:"a,omitempty"`
}

// filterHash hashes every field of q that selects rows.
func filterHash(q rampart.FindingQuery) string {
	q.Cursor, q.Limit, q.Sort, q.At = "", 0, "", time.Time{}
	b, _ := json.Marshal(q)
	h := fnv.New64a()
	h.Write(b)
	return strconv.FormatUint(h.Sum64(), 36)
}

func encodeCursor(c cursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor validates a cursor against the query's order and filter and
// returns its key in the SQL types of the order's columns.
func decodeCursor(s string, sort rampart.FindingSort, spec sortSpec, q rampart.FindingQuery) ([]any, time.Time, error) {
	bad := func(why string) error {
		return rampart.Errorf(rampart.EINVALID, "malformed cursor: %s (start again without a cursor)", why)
	}
	if len(s) > 1024 {
		return nil, time.Time{}, bad("too long")
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, time.Time{}, bad("not base64url")
	}
	var c cursor
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.UseNumber()
	if err := d.Decode(&c); err != nil {
		return nil, time.Time{}, bad("not a cursor")
	}
	if c.Sort != sort {
		return nil, time.Time{}, bad(fmt.Sprintf("it continues sort %q, not %q", c.Sort, sort))
	}
	if c.Cols != strings.Join(spec.cols, ",") {
		return nil, time.Time{}, bad("it was made for another version of this sort")
	}
	if c.Filter != filterHash(q) {
		return nil, time.Time{}, bad("it belongs to a query with other filters")
	}
	if len(c.Key) != len(spec.cols) {
		return nil, time.Time{}, bad("wrong key length")
	}
	var at time.Time
	if c.At != "" {
		if at, err = time.Parse(time.RFC3339Nano, c.At); err != nil {
			return nil, time.Time{}, bad("its evaluation time is not a time")
		}
	}
	key := make([]any, len(c.Key))
	for i, col := range spec.cols {
		switch col {
		case "severity_rank", "risk_score", "ff_rank":
			n, ok := c.Key[i].(json.Number)
			if !ok {
				return nil, time.Time{}, bad(col + " is not a number")
			}
			v, err := strconv.ParseInt(string(n), 10, 32)
			if err != nil {
				return nil, time.Time{}, bad(col + " is not an integer")
			}
			key[i] = v
		default:
			v, ok := c.Key[i].(string)
			if !ok || len(v) > 256 {
				return nil, time.Time{}, bad(col + " is not a string")
			}
			key[i] = v
		}
	}
	return key, at, nil
}

func sortKey(f *rampart.Finding, spec sortSpec, at time.Time) []any {
	key := make([]any, len(spec.cols))
	for i, col := range spec.cols {
		switch col {
		case "ff_rank":
			key[i] = fixFirstCount(f, at)
		case "severity_rank":
			key[i] = f.Severity.Rank()
		case "risk_score":
			key[i] = f.RiskScore
		case "last_seen_at":
			key[i] = formatTime(f.LastSeenAt)
		case "first_seen_at":
			key[i] = formatTime(f.FirstSeenAt)
		case "finding_id":
			key[i] = f.FindingID
		}
	}
	return key
}

// QueryFindings returns one page of the findings q selects, in q's order.
// It returns EINVALID for an unknown order or state, a page size over
// MaxPageSize, or a cursor that is malformed or belongs to another query.
func (s *Store) QueryFindings(ctx context.Context, q rampart.FindingQuery) (rampart.FindingPage, error) {
	sort := q.Sort
	if sort == "" {
		sort = rampart.SortSeverity
	}
	spec, ok := sorts[sort]
	if !ok {
		return rampart.FindingPage{}, rampart.Errorf(rampart.EINVALID, "unknown sort %q (want severity, risk, first_seen, last_seen or fix_first)", q.Sort)
	}
	limit := q.Limit
	if limit < 0 || limit > MaxPageSize {
		return rampart.FindingPage{}, rampart.Errorf(rampart.EINVALID, "page size %d out of range 1..%d", limit, MaxPageSize)
	}
	if limit == 0 {
		limit = DefaultPageSize
	}
	var key []any
	if q.Cursor != "" {
		k, at, err := decodeCursor(q.Cursor, sort, spec, q)
		if err != nil {
			return rampart.FindingPage{}, err
		}
		key = k
		if !at.IsZero() {
			q.At = at
		}
	}
	q = s.withAt(q)
	w, args, err := whereFor(q, true)
	if err != nil {
		return rampart.FindingPage{}, err
	}
	if sort == rampart.SortFixFirst {
		return s.queryFixFirst(ctx, q, spec, w, args, key, limit)
	}
	from := "findings"
	if key != nil {
		t, targs := spec.after(key)
		if w != "" {
			w += " AND "
		}
		w += t
		args = append(args, targs...)
	}
	sqlText := `SELECT ` + findingColumns + ` FROM ` + from
	if w != "" {
		sqlText += ` WHERE ` + w
	}
	order := make([]string, len(spec.cols))
	for i, c := range spec.cols {
		order[i] = c + " ASC"
		if spec.colDesc(i) {
			order[i] = c + " DESC"
		}
	}
	sqlText += ` ORDER BY ` + strings.Join(order, ", ") + ` LIMIT ?`
	args = append(args, limit+1)
	rows, err := s.db.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return rampart.FindingPage{}, fmt.Errorf("sqlite: query findings: %w", err)
	}
	defer rows.Close()
	page := rampart.FindingPage{Findings: []rampart.Finding{}}
	for rows.Next() {
		f, err := scanFinding(rows)
		if err != nil {
			return rampart.FindingPage{}, fmt.Errorf("sqlite: query findings: %w", err)
		}
		page.Findings = append(page.Findings, f)
	}
	if err := rows.Err(); err != nil {
		return rampart.FindingPage{}, fmt.Errorf("sqlite: query findings: %w", err)
	}
	if len(page.Findings) > limit {
		page.Findings = page.Findings[:limit]
		last := &page.Findings[limit-1]
		c := cursor{Sort: sort, Cols: strings.Join(spec.cols, ","), Key: sortKey(last, spec, q.At), Filter: filterHash(q)}
		if !q.At.IsZero() {
			c.At = q.At.UTC().Format(time.RFC3339Nano)
		}
		page.Next = encodeCursor(c)
	}
	return page, nil
}

// queryFixFirst returns one page in the fix-first order. The rank is a
// computed column, so the page is chosen in two steps: the keys (ID, rank,
// risk, first seen) of the selected rows, read from the covering partial
// index findings_open_context (migration 0006) when the fix-first view
// applies, are sorted and cut to the page; only the page's rows are then
// read from the table.
func (s *Store) queryFixFirst(ctx context.Context, q rampart.FindingQuery, spec sortSpec, w string, args []any, key []any, limit int) (rampart.FindingPage, error) {
	rank, rargs, err := fixFirstRank(q.At)
	if err != nil {
		return rampart.FindingPage{}, err
	}
	inner := `SELECT finding_id, risk_score, first_seen_at, ` + rank + ` AS ff_rank FROM findings` + whereSQL(w)
	all := append(rargs, args...)
	keyset := ""
	if key != nil {
		t, targs := spec.after(key)
		keyset = ` WHERE ` + t
		all = append(all, targs...)
	}
	order := make([]string, len(spec.cols))
	outer := make([]string, len(spec.cols))
	alias := map[string]string{"ff_rank": "ff_rank", "risk_score": "ff_risk", "first_seen_at": "ff_first", "finding_id": "ff_id"}
	for i, c := range spec.cols {
		dir := " ASC"
		if spec.colDesc(i) {
			dir = " DESC"
		}
		order[i], outer[i] = c+dir, alias[c]+dir
	}
	sqlText := `SELECT ` + findingColumns + ` FROM findings JOIN (
		SELECT finding_id AS ff_id, ff_rank, risk_score AS ff_risk, first_seen_at AS ff_first FROM (` + inner + `)` + keyset + `
		ORDER BY ` + strings.Join(order, ", ") + ` LIMIT ?) ON finding_id = ff_id
		ORDER BY ` + strings.Join(outer, ", ")
	all = append(all, limit+1)
	rows, err := s.db.QueryContext(ctx, sqlText, all...)
	if err != nil {
		return rampart.FindingPage{}, fmt.Errorf("sqlite: query findings in fix-first order: %w", err)
	}
	defer rows.Close()
	page := rampart.FindingPage{Findings: []rampart.Finding{}}
	for rows.Next() {
		f, err := scanFinding(rows)
		if err != nil {
			return rampart.FindingPage{}, fmt.Errorf("sqlite: query findings in fix-first order: %w", err)
		}
		page.Findings = append(page.Findings, f)
	}
	if err := rows.Err(); err != nil {
		return rampart.FindingPage{}, fmt.Errorf("sqlite: query findings in fix-first order: %w", err)
	}
	if len(page.Findings) > limit {
		page.Findings = page.Findings[:limit]
		c := cursor{Sort: rampart.SortFixFirst, Cols: strings.Join(spec.cols, ","), Key: sortKey(&page.Findings[limit-1], spec, q.At), Filter: filterHash(q),
			At: q.At.UTC().Format(time.RFC3339Nano)}
		page.Next = encodeCursor(c)
	}
	return page, nil
}

// CountFindings returns how many findings q selects (cursor and limit
// ignored).
func (s *Store) CountFindings(ctx context.Context, q rampart.FindingQuery) (int, error) {
	q = s.withAt(q)
	if table, ok := summaryFor(q, nil); ok {
		w, args, err := where(summaryQuery(q))
		if err != nil {
			return 0, err
		}
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(n), 0) FROM `+table+whereSQL(w), args...).Scan(&n); err != nil {
			return 0, fmt.Errorf("sqlite: count findings: %w", err)
		}
		return n, nil
	}
	w, args, err := where(q)
	if err != nil {
		return 0, err
	}
	sqlText := `SELECT COUNT(*) FROM findings`
	if w != "" {
		sqlText += ` WHERE ` + w
	}
	var n int
	if err := s.db.QueryRowContext(ctx, sqlText, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count findings: %w", err)
	}
	return n, nil
}

// AggregateFindings counts the findings q selects grouped by the given
// fields, largest groups first.
func (s *Store) AggregateFindings(ctx context.Context, q rampart.FindingQuery, by ...rampart.GroupField) ([]rampart.Group, error) {
	q = s.withAt(q)
	if len(by) == 0 || len(by) > 3 {
		return nil, rampart.Errorf(rampart.EINVALID, "aggregate: group by 1 to 3 fields, got %d", len(by))
	}
	cols := make([]string, len(by))
	for i, g := range by {
		c, ok := groupColumns[g]
		if !ok {
			return nil, rampart.Errorf(rampart.EINVALID, "aggregate: unknown group field %q", g)
		}
		cols[i] = c
	}
	table, summary := summaryFor(q, by)
	from, count := "findings", "COUNT(*)"
	if summary {
		q = summaryQuery(q)
		from, count = table, "SUM(n)"
		for i, g := range by {
			if g == rampart.GroupRiskBand {
				cols[i] = "risk_band"
			}
		}
	}
	w, args, err := where(q)
	if err != nil {
		return nil, err
	}
	sqlText := `SELECT ` + strings.Join(cols, ", ") + `, ` + count + ` FROM ` + from + whereSQL(w)
	if summary {
		sqlText += ` AND n > 0`
	}
	groupBy := make([]string, len(by))
	for i := range by {
		groupBy[i] = strconv.Itoa(i + 1)
	}
	sqlText += ` GROUP BY ` + strings.Join(groupBy, ", ") + ` ORDER BY ` + strconv.Itoa(len(by)+1) + ` DESC, ` + strings.Join(groupBy, ", ")
	rows, err := s.db.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: aggregate findings by %v: %w", by, err)
	}
	defer rows.Close()
	out := []rampart.Group{}
	for rows.Next() {
		keys := make([]string, len(by))
		dest := make([]any, len(by)+1)
		for i := range keys {
			dest[i] = &keys[i]
		}
		var n int
		dest[len(by)] = &n
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("sqlite: aggregate findings by %v: %w", by, err)
		}
		out = append(out, rampart.Group{Keys: keys, Count: n})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: aggregate findings by %v: %w", by, err)
	}
	return out, nil
}

// ResolveTimes returns, per severity, how many of the findings q selects
// were resolved and their mean time from first seen to resolved.
func (s *Store) ResolveTimes(ctx context.Context, q rampart.FindingQuery) ([]rampart.ResolveTime, error) {
	q.State = rampart.StateResolved
	q = s.withAt(q)
	w, args, err := where(q)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT severity, COUNT(*),
		AVG((julianday(resolved_at) - julianday(first_seen_at)) * 24.0)
		FROM findings WHERE `+w+` GROUP BY severity_rank ORDER BY severity_rank DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: resolve times: %w", err)
	}
	defer rows.Close()
	out := []rampart.ResolveTime{}
	for rows.Next() {
		var r rampart.ResolveTime
		var sev string
		var mean sql.NullFloat64
		if err := rows.Scan(&sev, &r.Resolved, &mean); err != nil {
			return nil, fmt.Errorf("sqlite: resolve times: %w", err)
		}
		r.Severity, r.MeanHours = rampart.Severity(sev), mean.Float64
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: resolve times: %w", err)
	}
	return out, nil
}

// RecordPosture stores the open findings of a scan's landing zone by
// severity, as they stand now, as that scan's point of the trend. Call it
// when a scan finishes; recording a scan twice replaces its point.
func (s *Store) RecordPosture(ctx context.Context, scanID string) error {
	sc, err := s.GetScan(ctx, scanID)
	if err != nil {
		return err
	}
	at := sc.FinishedAt
	if at.IsZero() {
		at = s.now()
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM posture_points WHERE scan_id = ?`, scanID); err != nil {
			return fmt.Errorf("sqlite: record posture of scan %s: %w", scanID, err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO posture_points (scan_id, landing_zone_id, at, severity, open)
			SELECT ?, ?, ?, severity, COUNT(*) FROM findings
			WHERE landing_zone_id = ? AND `+openSQL+` GROUP BY severity`,
			scanID, sc.LandingZoneID, formatTime(at), sc.LandingZoneID)
		if err != nil {
			return fmt.Errorf("sqlite: record posture of scan %s: %w", scanID, err)
		}
		// A scan with nothing open still gets its point.
		_, err = tx.ExecContext(ctx, `INSERT INTO posture_points (scan_id, landing_zone_id, at, severity, open)
			SELECT ?, ?, ?, '', 0 WHERE NOT EXISTS (SELECT 1 FROM posture_points WHERE scan_id = ?)`,
			scanID, sc.LandingZoneID, formatTime(at), scanID)
		if err != nil {
			return fmt.Errorf("sqlite: record posture of scan %s: %w", scanID, err)
		}
		return nil
	})
}

// PostureTrend returns the last n recorded posture points of a landing zone
// ("" for every landing zone), oldest first.
func (s *Store) PostureTrend(ctx context.Context, lzID string, n int) ([]rampart.PosturePoint, error) {
	if n <= 0 || n > 200 {
		return nil, rampart.Errorf(rampart.EINVALID, "trend: %d points out of range 1..200", n)
	}
	rows, err := s.db.QueryContext(ctx, `
		WITH last AS (SELECT DISTINCT scan_id, at FROM posture_points
			WHERE (? = '' OR landing_zone_id = ?) ORDER BY at DESC, scan_id DESC LIMIT ?)
		SELECT p.scan_id, p.landing_zone_id, p.at, p.severity, p.open
		FROM posture_points p JOIN last USING (scan_id) ORDER BY p.at, p.scan_id`, lzID, lzID, n)
	if err != nil {
		return nil, fmt.Errorf("sqlite: posture trend of %q: %w", lzID, err)
	}
	defer rows.Close()
	out := []rampart.PosturePoint{}
	for rows.Next() {
		var scanID, lz, at, sev string
		var open int
		if err := rows.Scan(&scanID, &lz, &at, &sev, &open); err != nil {
			return nil, fmt.Errorf("sqlite: posture trend of %q: %w", lzID, err)
		}
		if len(out) == 0 || out[len(out)-1].ScanID != scanID {
			t, err := parseTime(at)
			if err != nil {
				return nil, fmt.Errorf("sqlite: posture trend of %q: %w", lzID, err)
			}
			out = append(out, rampart.PosturePoint{ScanID: scanID, LandingZoneID: lz, At: t, BySeverity: map[rampart.Severity]int{}})
		}
		p := &out[len(out)-1]
		if sev != "" {
			p.BySeverity[rampart.Severity(sev)] += open
			p.Open += open
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: posture trend of %q: %w", lzID, err)
	}
	return out, nil
}

// ListLandingZones returns every landing zone, ordered by ID. Only the
// descriptive fields are filled (no credentials or account source).
func (s *Store) ListLandingZones(ctx context.Context) ([]rampart.LandingZone, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, cloud, regions, owner_team, business_unit,
		environment, scan_enabled, schedule, sla_days FROM landing_zones ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list landing zones: %w", err)
	}
	defer rows.Close()
	out := []rampart.LandingZone{}
	for rows.Next() {
		var lz rampart.LandingZone
		var regions, sla string
		if err := rows.Scan(&lz.ID, &lz.Name, &lz.Cloud, &regions, &lz.OwnerTeam, &lz.BusinessUnit,
			&lz.Environment, &lz.ScanEnabled, &lz.Schedule, &sla); err != nil {
			return nil, fmt.Errorf("sqlite: list landing zones: %w", err)
		}
		if err := json.Unmarshal([]byte(regions), &lz.Regions); err != nil {
			return nil, fmt.Errorf("sqlite: list landing zones: %s regions: %w", lz.ID, err)
		}
		if err := json.Unmarshal([]byte(sla), &lz.SLADays); err != nil {
			return nil, fmt.Errorf("sqlite: list landing zones: %s SLA days: %w", lz.ID, err)
		}
		out = append(out, lz)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list landing zones: %w", err)
	}
	return out, nil
}

// facetFields are the fields whose known values Facets lists.
var facetFields = []rampart.GroupField{rampart.GroupLandingZone, rampart.GroupRegion, rampart.GroupService,
	rampart.GroupResourceType, rampart.GroupFramework, rampart.GroupOwner, rampart.GroupEnvironment}

// Facets returns the stored values of the low-cardinality finding fields
// (landing zone, region, service, resource type, framework, owner,
// environment), used to reject unknown filter values. They come from the
// trigger-kept facet_counts table (migration 0003), so they are current
// and cost one small index read.
func (s *Store) Facets(ctx context.Context) (map[rampart.GroupField][]string, error) {
	field := map[string]rampart.GroupField{}
	out := map[rampart.GroupField][]string{}
	for _, g := range facetFields {
		field[groupColumns[g]] = g
		out[g] = []string{}
	}
	rows, err := s.db.QueryContext(ctx, `SELECT field, value FROM facet_counts WHERE n > 0 ORDER BY field, value`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: facets: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var f, v string
		if err := rows.Scan(&f, &v); err != nil {
			return nil, fmt.Errorf("sqlite: facets: %w", err)
		}
		if g, ok := field[f]; ok {
			out[g] = append(out[g], v)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: facets: %w", err)
	}
	return out, nil
}

// SaveView stores a named view, replacing one of the same name.
func (s *Store) SaveView(ctx context.Context, v rampart.SavedView) error {
	if strings.TrimSpace(v.Name) == "" || len(v.Name) > 100 {
		return rampart.Errorf(rampart.EINVALID, "saved view: name must be 1 to 100 characters")
	}
	if len(v.Query) > 4000 || len(v.Description) > 1000 {
		return rampart.Errorf(rampart.EINVALID, "saved view %q: query or description too long", v.Name)
	}
	at := v.CreatedAt
	if at.IsZero() {
		at = s.now()
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO saved_views (name, description, query, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET description = excluded.description, query = excluded.query`,
		v.Name, v.Description, v.Query, formatTime(at))
	if err != nil {
		return fmt.Errorf("sqlite: save view %q: %w", v.Name, err)
	}
	return nil
}

// ListViews returns the saved views by name.
func (s *Store) ListViews(ctx context.Context) ([]rampart.SavedView, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, description, query, created_at FROM saved_views ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list views: %w", err)
	}
	defer rows.Close()
	out := []rampart.SavedView{}
	for rows.Next() {
		var v rampart.SavedView
		var at string
		if err := rows.Scan(&v.Name, &v.Description, &v.Query, &at); err != nil {
			return nil, fmt.Errorf("sqlite: list views: %w", err)
		}
		if v.CreatedAt, err = parseTime(at); err != nil {
			return nil, fmt.Errorf("sqlite: list views: %q: %w", v.Name, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list views: %w", err)
	}
	return out, nil
}

// DeleteView removes a saved view, or returns ENOTFOUND.
func (s *Store) DeleteView(ctx context.Context, name string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM saved_views WHERE name = ?`, name)
	if err != nil {
		return fmt.Errorf("sqlite: delete view %q: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return rampart.Errorf(rampart.ENOTFOUND, "saved view %q not found", name)
	}
	return nil
}

// UnitArtifacts returns the artifact pointers of one scan unit.
func (s *Store) UnitArtifacts(ctx context.Context, unitID string) ([]rampart.Artifact, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, scan_id, unit_id, kind, uri, sha256, size, content_type, created_at
		FROM artifacts WHERE unit_id = ? ORDER BY created_at, id`, unitID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: artifacts of unit %s: %w", unitID, err)
	}
	defer rows.Close()
	out := []rampart.Artifact{}
	for rows.Next() {
		var a rampart.Artifact
		var created string
		if err := rows.Scan(&a.ID, &a.ScanID, &a.UnitID, &a.Kind, &a.URI, &a.SHA256, &a.Size, &a.ContentType, &created); err != nil {
			return nil, fmt.Errorf("sqlite: artifacts of unit %s: %w", unitID, err)
		}
		if a.CreatedAt, err = parseTime(created); err != nil {
			return nil, fmt.Errorf("sqlite: artifacts of unit %s: %w", unitID, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: artifacts of unit %s: %w", unitID, err)
	}
	return out, nil
}

// whereSQL returns " WHERE w", or " WHERE 1" for an empty w (so that
// callers can append " AND ...").
func whereSQL(w string) string {
	if w == "" {
		return " WHERE 1"
	}
	return " WHERE " + w
}

// summaryFor reports which summary table (migration 0003) answers q grouped
// by the given fields exactly: open_counts for the open state filtered and
// grouped by landing zone, account, severity and risk band; status_counts
// for every state filtered and grouped by landing zone, framework,
// requirement and status.
func summaryFor(q rampart.FindingQuery, by []rampart.GroupField) (string, bool) {
	rest := q
	rest.Cursor, rest.Limit, rest.Sort = "", 0, ""
	switch q.State {
	case rampart.StateOpen:
		rest.State, rest.LandingZones, rest.AccountIDs, rest.Severities = "", nil, nil, nil
		if !isZeroQuery(rest) {
			return "", false
		}
		for _, g := range by {
			if g != rampart.GroupLandingZone && g != rampart.GroupAccount && g != rampart.GroupSeverity && g != rampart.GroupRiskBand {
				return "", false
			}
		}
		return "open_counts", true
	case rampart.StateAll, "":
		rest.State, rest.LandingZones, rest.Frameworks, rest.Requirements, rest.Statuses = "", nil, nil, nil, nil
		if !isZeroQuery(rest) {
			return "", false
		}
		for _, g := range by {
			if g != rampart.GroupLandingZone && g != rampart.GroupFramework && g != rampart.GroupRequirement && g != rampart.GroupStatus {
				return "", false
			}
		}
		return "status_counts", true
	}
	return "", false
}

// summaryQuery drops the state, which a summary table has already applied.
func summaryQuery(q rampart.FindingQuery) rampart.FindingQuery {
	q.State = rampart.StateAll
	return q
}

func isZeroQuery(q rampart.FindingQuery) bool {
	b, _ := json.Marshal(q)
	z, _ := json.Marshal(rampart.FindingQuery{})
	return string(b) == string(z)
}

// FindingEvents returns the events of one finding in replay order, read
// through the finding_events_finding index.
func (s *Store) FindingEvents(ctx context.Context, findingID string) ([]rampart.FindingEvent, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+eventColumns+` FROM finding_events WHERE finding_id = ? ORDER BY id`, findingID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: events of finding %s: %w", findingID, err)
	}
	defer rows.Close()
	out := []rampart.FindingEvent{}
	for rows.Next() {
		ev, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: events of finding %s: %w", findingID, err)
		}
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: events of finding %s: %w", findingID, err)
	}
	return out, nil
}
