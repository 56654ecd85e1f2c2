package httpapi

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-cspm/rampart"
)

// Store is the query layer the API and the dashboard read through. No
// handler writes SQL: sqlite.Store implements it (sqlite/query.go).
type Store interface {
	QueryFindings(ctx context.Context, q rampart.FindingQuery) (rampart.FindingPage, error)
	CountFindings(ctx context.Context, q rampart.FindingQuery) (int, error)
	AggregateFindings(ctx context.Context, q rampart.FindingQuery, by ...rampart.GroupField) ([]rampart.Group, error)
	ResolveTimes(ctx context.Context, q rampart.FindingQuery) ([]rampart.ResolveTime, error)
	PostureTrend(ctx context.Context, lzID string, n int) ([]rampart.PosturePoint, error)
	Facets(ctx context.Context) (map[rampart.GroupField][]string, error)

	ListLandingZones(ctx context.Context) ([]rampart.LandingZone, error)
	ListAccounts(ctx context.Context, lzID string) ([]rampart.Account, error)
	ListScans(ctx context.Context, lzID string, limit int) ([]rampart.Scan, error)
	GetScan(ctx context.Context, id string) (rampart.Scan, error)
	ListUnits(ctx context.Context, scanID string) ([]rampart.ScanUnit, error)

	GetFinding(ctx context.Context, id string) (rampart.Finding, error)
	FindingEvents(ctx context.Context, findingID string) ([]rampart.FindingEvent, error)
	UnitArtifacts(ctx context.Context, unitID string) ([]rampart.Artifact, error)

	SaveView(ctx context.Context, v rampart.SavedView) error
	ListViews(ctx context.Context) ([]rampart.SavedView, error)
	DeleteView(ctx context.Context, name string) error
}

// MaxPageSize is the largest page size a list call accepts.
const MaxPageSize = 500

// FilterParams lists the URL parameters of a finding query, in the order
// forms show them. Every filter lives in the URL, so a view is a link.
var FilterParams = []string{"lz", "account", "account_name", "region", "service", "resource_type",
	"framework", "requirement", "control", "owner", "environment", "severity", "status", "state",
	"risk_min", "risk_max", "first_seen_from", "first_seen_to", "last_seen_from", "last_seen_to",
	"open_days_min", "risk_level", "public", "data_sensitivity", "privileged", "owner_source", "overdue",
	"muted", "view", "at"}

// pageParams are the parameters of ordering and paging.
var pageParams = []string{"sort", "cursor", "limit"}

// NoOwner is the owner filter value that selects findings with no owner.
const NoOwner = "none"

var (
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	// textRE is the shape of free identifiers (control, requirement, names).
	textRE = regexp.MustCompile(`^[A-Za-z0-9 _.:/@+\-]{1,200}$`)
)

// facetOf maps parameters checked against stored values to their facet.
var facetOf = map[string]rampart.GroupField{
	"lz": rampart.GroupLandingZone, "region": rampart.GroupRegion, "service": rampart.GroupService,
	"resource_type": rampart.GroupResourceType, "framework": rampart.GroupFramework,
	"owner": rampart.GroupOwner, "environment": rampart.GroupEnvironment,
}

// ParseQuery turns URL parameters into a finding query. It rejects, with
// an EINVALID error naming the parameter and value: unknown parameters,
// values of landing zone, region, service, resource type, framework,
// owner and environment that no stored finding has (facets), malformed
// account IDs, dates and numbers, unknown severities, statuses, states
// and sorts, and page sizes over MaxPageSize. The state defaults to open.
// extra names further parameters the caller handles itself.
func ParseQuery(v url.Values, facets map[rampart.GroupField][]string, now time.Time, extra ...string) (rampart.FindingQuery, error) {
	q := rampart.FindingQuery{State: rampart.StateOpen}
	for k := range v {
		if !slices.Contains(FilterParams, k) && !slices.Contains(pageParams, k) && !slices.Contains(extra, k) {
			return q, rampart.Errorf(rampart.EINVALID, "unknown parameter %q", clip(k))
		}
	}
	list := func(name string) ([]string, error) {
		var out []string
		for _, raw := range v[name] {
			for _, s := range strings.Split(raw, ",") {
				s = strings.TrimSpace(s)
				if s == "" {
					continue
				}
				if len(s) > 200 {
					return nil, rampart.Errorf(rampart.EINVALID, "parameter %s: value longer than 200 characters", name)
				}
				if !slices.Contains(out, s) {
					out = append(out, s)
				}
			}
		}
		if len(out) > 50 {
			return nil, rampart.Errorf(rampart.EINVALID, "parameter %s: more than 50 values", name)
		}
		if f, ok := facetOf[name]; ok && facets != nil {
			for _, s := range out {
				if name == "owner" && s == NoOwner {
					continue
				}
				if !slices.Contains(facets[f], s) {
					return nil, rampart.Errorf(rampart.EINVALID, "parameter %s: unknown value %q (no finding has it)", name, clip(s))
				}
			}
		}
		return out, nil
	}
	var err error
	str := func(dst *[]string, name string, re *regexp.Regexp) {
		if err != nil {
			return
		}
		var vals []string
		if vals, err = list(name); err != nil {
			return
		}
		for _, s := range vals {
			if re != nil && !re.MatchString(s) {
				err = rampart.Errorf(rampart.EINVALID, "parameter %s: malformed value %q", name, clip(s))
				return
			}
		}
		*dst = vals
	}
	str(&q.LandingZones, "lz", textRE)
	str(&q.AccountIDs, "account", accountRE)
	str(&q.AccountNames, "account_name", textRE)
	str(&q.Regions, "region", textRE)
	str(&q.Services, "service", textRE)
	str(&q.ResourceTypes, "resource_type", textRE)
	str(&q.Frameworks, "framework", textRE)
	str(&q.Requirements, "requirement", textRE)
	str(&q.ControlIDs, "control", textRE)
	str(&q.Environments, "environment", textRE)
	var owners []string
	str(&owners, "owner", textRE)
	if err != nil {
		return q, err
	}
	for _, o := range owners {
		if o == NoOwner {
			q.NoOwner = true
		} else {
			q.OwnerTeams = append(q.OwnerTeams, o)
		}
	}
	sevs, err := list("severity")
	if err != nil {
		return q, err
	}
	for _, s := range sevs {
		sev, err := rampart.ParseSeverity(s)
		if err != nil {
			return q, rampart.Errorf(rampart.EINVALID, "parameter severity: unknown value %q (want critical, high, medium, low or informational)", clip(s))
		}
		q.Severities = append(q.Severities, sev)
	}
	sts, err := list("status")
	if err != nil {
		return q, err
	}
	for _, s := range sts {
		st, err := rampart.ParseStatus(s)
		if err != nil {
			return q, rampart.Errorf(rampart.EINVALID, "parameter status: unknown value %q (want PASS, FAIL, MANUAL or NOT_EVALUATED)", clip(s))
		}
		q.Statuses = append(q.Statuses, st)
	}
	if s := v.Get("state"); s != "" {
		switch st := rampart.FindingState(s); st {
		case rampart.StateOpen, rampart.StateResolved, rampart.StateAll:
			q.State = st
		default:
			return q, rampart.Errorf(rampart.EINVALID, "parameter state: unknown value %q (want open, resolved or all)", clip(s))
		}
	}
	intParam := func(name string, lo, hi int) (*int, error) {
		s := v.Get(name)
		if s == "" {
			return nil, nil
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < lo || n > hi {
			return nil, rampart.Errorf(rampart.EINVALID, "parameter %s: %q is not an integer in %d..%d", name, clip(s), lo, hi)
		}
		return &n, nil
	}
	if q.RiskMin, err = intParam("risk_min", 0, 100); err != nil {
		return q, err
	}
	if q.RiskMax, err = intParam("risk_max", 0, 100); err != nil {
		return q, err
	}
	timeParam := func(dst *time.Time, name string) {
		if err != nil {
			return
		}
		s := v.Get(name)
		if s == "" {
			return
		}
		t, perr := time.Parse(time.RFC3339, s)
		if perr != nil {
			if t, perr = time.Parse("2006-01-02", s); perr != nil {
				err = rampart.Errorf(rampart.EINVALID, "parameter %s: %q is not a date (YYYY-MM-DD) or an RFC 3339 time", name, clip(s))
				return
			}
		}
		*dst = t.UTC()
	}
	timeParam(&q.FirstSeenFrom, "first_seen_from")
	timeParam(&q.FirstSeenTo, "first_seen_to")
	timeParam(&q.LastSeenFrom, "last_seen_from")
	timeParam(&q.LastSeenTo, "last_seen_to")
	if err != nil {
		return q, err
	}
	days, err := intParam("open_days_min", 0, 3650)
	if err != nil {
		return q, err
	}
	if days != nil {
		// Open for at least N days: first seen N days ago or earlier. Rounded
		// down to the hour so the URL selects the same rows for an hour.
		to := now.UTC().Truncate(time.Hour).Add(-time.Duration(*days) * 24 * time.Hour)
		if q.FirstSeenTo.IsZero() || to.Before(q.FirstSeenTo) {
			q.FirstSeenTo = to
		}
	}
	if err := parseContext(v, &q, list); err != nil {
		return q, err
	}
	if s := v.Get("sort"); s != "" {
		if !slices.Contains(rampart.FindingSorts, rampart.FindingSort(s)) {
			return q, rampart.Errorf(rampart.EINVALID, "parameter sort: unknown value %q (want severity, risk, first_seen, last_seen or fix_first)", clip(s))
		}
		q.Sort = rampart.FindingSort(s)
	} else if q.View == rampart.ViewFixFirst {
		q.Sort = rampart.SortFixFirst
	}
	if q.At.IsZero() && (q.Overdue != nil || q.View != "" || q.Sort == rampart.SortFixFirst) {
		// Time-dependent filters are evaluated at the request time; a
		// cursor keeps the first page's.
		q.At = now.UTC()
	}
	limit, err := intParam("limit", 1, 1<<30)
	if err != nil {
		return q, err
	}
	if limit != nil {
		if *limit > MaxPageSize {
			return q, rampart.Errorf(rampart.EINVALID, "parameter limit: %d is over the maximum page size %d", *limit, MaxPageSize)
		}
		q.Limit = *limit
	}
	q.Cursor = v.Get("cursor")
	return q, nil
}

// Allowed values of the business-context filters ("none": unset;
// "unassigned": owner source none or landing_zone).
var (
	RiskLevels        = []string{"critical", "high", "medium", "low"}
	DataSensitivities = []string{"pii", "confidential", "internal", "public", "none"}
	OwnerSources      = []string{"tag", "account_override", "account", "landing_zone", "none", "unassigned"}
)

// parseContext reads the business-context filters (risk_level, public,
// data_sensitivity, privileged, owner_source, overdue), the view and its
// evaluation time into q.
func parseContext(v url.Values, q *rampart.FindingQuery, list func(string) ([]string, error)) error {
	enum := func(name string, allowed []string) ([]string, error) {
		vals, err := list(name)
		if err != nil {
			return nil, err
		}
		var out []string
		for _, s := range vals {
			s = strings.ToLower(s)
			if !slices.Contains(allowed, s) {
				return nil, rampart.Errorf(rampart.EINVALID, "parameter %s: unknown value %q (want %s)", name, clip(s), strings.Join(allowed, ", "))
			}
			switch s {
			case "none":
				out = append(out, "")
			case "unassigned":
				// The fix-first view's "no owner".
				out = append(out, "", "landing_zone")
			default:
				out = append(out, s)
			}
		}
		slices.Sort(out)
		return slices.Compact(out), nil
	}
	var err error
	if q.RiskLevels, err = enum("risk_level", RiskLevels); err != nil {
		return err
	}
	if q.DataSensitivity, err = enum("data_sensitivity", DataSensitivities); err != nil {
		return err
	}
	if q.OwnerSources, err = enum("owner_source", OwnerSources); err != nil {
		return err
	}
	flag := func(name string) (*bool, error) {
		s := v.Get(name)
		if s == "" {
			return nil, nil
		}
		switch strings.ToLower(s) {
		case "true":
			b := true
			return &b, nil
		case "false":
			b := false
			return &b, nil
		}
		return nil, rampart.Errorf(rampart.EINVALID, "parameter %s: %q is not true or false", name, clip(s))
	}
	if q.Public, err = flag("public"); err != nil {
		return err
	}
	if q.Privileged, err = flag("privileged"); err != nil {
		return err
	}
	if q.Overdue, err = flag("overdue"); err != nil {
		return err
	}
	if q.Muted, err = flag("muted"); err != nil {
		return err
	}
	switch s := v.Get("view"); s {
	case "":
	case rampart.ViewFixFirst:
		q.View = s
	default:
		return rampart.Errorf(rampart.EINVALID, "parameter view: unknown value %q (want %s)", clip(s), rampart.ViewFixFirst)
	}
	if s := v.Get("at"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return rampart.Errorf(rampart.EINVALID, "parameter at: %q is not an RFC 3339 time", clip(s))
		}
		q.At = t.UTC()
	}
	return nil
}

// Values is the inverse of ParseQuery for the filters a form shows: the
// URL parameters of v with one of them replaced (value "" removes it).
func Values(v url.Values, key, value string) url.Values {
	out := url.Values{}
	for k, vals := range v {
		if k == "cursor" {
			continue
		}
		out[k] = append([]string(nil), vals...)
	}
	if value == "" {
		out.Del(key)
	} else {
		out.Set(key, value)
	}
	return out
}

// clip shortens a value echoed in an error message.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// BuiltInViews are the views every installation has. "Most useful" is the
// seed's view for deciding what to fix first.
func BuiltInViews() []rampart.SavedView {
	return []rampart.SavedView{
		{Name: "Fix first", BuiltIn: true, Query: "view=fix-first&state=open",
			Description: "The seed's most useful view, the same as rampart findings --view fix-first: open findings of critical or high risk " +
				"in production that are public-facing, hold PII or confidential data, are open more than 7 days or have no owner " +
				"(at least one), those meeting the most of these first, then by risk score and age."},
		{Name: "Most useful", BuiltIn: true, Query: "view=fix-first&state=open",
			Description: "Another name for Fix first (rampart findings --view fix-first)."},
		{Name: "Critical open", BuiltIn: true, Query: "severity=critical&state=open", Description: "Every open critical finding."},
		{Name: "Highest risk", BuiltIn: true, Query: "risk_min=80&state=open&sort=risk", Description: "Open findings with a risk score of 80 or more."},
		{Name: "Not evaluated", BuiltIn: true, Query: "status=NOT_EVALUATED&state=all", Description: "Checks that could not run, with their error class."},
		{Name: "Recently resolved", BuiltIn: true, Query: "state=resolved&sort=last_seen", Description: "Resolved findings, most recent first."},
	}
}

// ViewQuery parses a saved view's query string against the current facets.
func ViewQuery(v rampart.SavedView) (url.Values, error) {
	vals, err := url.ParseQuery(v.Query)
	if err != nil {
		return nil, rampart.Errorf(rampart.EINVALID, "view %q: malformed query: %v", v.Name, err)
	}
	for k := range vals {
		if !slices.Contains(FilterParams, k) && k != "sort" {
			return nil, rampart.Errorf(rampart.EINVALID, "view %q: unknown parameter %q", v.Name, clip(k))
		}
	}
	return vals, nil
}

func errorf(format string, args ...any) error {
	return rampart.Errorf(rampart.EINVALID, "%s", fmt.Sprintf(format, args...))
}
