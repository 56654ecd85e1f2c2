package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rampart-cspm/rampart"
)

// Ingest writes one external scan (a Prowler file) in a single transaction:
// the scan, a unit per (account, region) met in the stream, every
// observation through rampart.Observe as it arrives, and, at Finish, the
// absence resolutions (rampart.Vanish) of each unit, the units' final
// state and the artifact pointer. Nothing is visible until Finish commits;
// Rollback (or any error) leaves the store as it was.
//
// It is the bulk path of CommitUnit: the same lifecycle functions, events
// and read-model rows, with memory bounded by the number of units and
// checks rather than by the number of findings, because findings of one
// unit may be spread over the whole file.
type Ingest struct {
	// unlock gives back the bulk connection and the store's write turn,
	// held for the whole ingest.
	unlock func()
	ctx    context.Context
	// ectx is ctx without its cancellation, for the per-row statements:
	// the driver watches a cancellable context with a goroutine per
	// statement, which costs more than the insert. Observe checks ctx.
	ectx  context.Context
	seen  int
	tx    *sql.Tx
	scan  rampart.Scan
	units map[[2]string]*ingestUnit
	order [][2]string
	stats rampart.CommitStats
	// The summary tables are kept in bulk (summaries.go): triggers holds
	// the dropped triggers' SQL, sums what they would have counted.
	triggers []string
	sums     *summaryDelta
	// events are appended in order, eventBatch rows per INSERT.
	events   []any
	nEvents  int
	snapBuf  []byte // encodeSnapshotRow's buffer
	insBatch *sql.Stmt

	getRow, insEvent, upsert, insert, touch, insUnit, anyRow, getRows *sql.Stmt

	// prefetched holds the rows Prefetch read for the findings the caller
	// is about to observe (nil: no row), until the next Prefetch. A row
	// this ingest writes is dropped from it, so load reads it back.
	prefetched map[string]*rampart.Finding
	idArgs     []any

	// Bulk loads defer the read model's indexes (considerDeferring).
	existing int64    // findings rows when the ingest began (an estimate)
	inserted int      // rows this ingest inserted
	nextLook int      // inserted count at which to consider deferring next
	deferred []string // CREATE INDEX statements to re-run at Finish

	// phases times Finish's parts (Phases).
	phases []phase
}

type phase struct {
	name string
	d    time.Duration
}

// Phases reports how long the parts of Finish took, in order: "vanish"
// (absence resolutions and units), "events" (the last events),
// "index_build" (re-creating deferred indexes), "summaries" and "commit".
func (in *Ingest) Phases(yield func(name string, d time.Duration)) {
	for _, p := range in.phases {
		yield(p.name, p.d)
	}
}

// lap records the time since mark as phase name and returns now.
func (in *Ingest) lap(name string, mark time.Time) time.Time {
	now := time.Now()
	in.phases = append(in.phases, phase{name, now.Sub(mark)})
	return now
}

type ingestUnit struct {
	*rampart.IngestUnit
	// fresh: the store held no row of this unit's scope when the ingest
	// met it, so a finding of the unit has a row only if this ingest wrote
	// it. Its findings are inserted without a lookup; the insert's unique
	// violation tells the rare repeat within the file.
	fresh bool
}

// BeginIngest starts an ingest of scan (its ID, landing zone and scanner
// set; a zero StartedAt is the store's clock). It returns ENOTFOUND for an
// unknown landing zone and ECONFLICT if the scan exists.
func (s *Store) BeginIngest(ctx context.Context, scan rampart.Scan) (*Ingest, error) {
	if scan.ID == "" || scan.LandingZoneID == "" {
		return nil, rampart.Errorf(rampart.EINVALID, "sqlite: ingest: scan needs an ID and a landing zone")
	}
	if scan.StartedAt.IsZero() {
		scan.StartedAt = s.now()
	}
	scan.Status = rampart.UnitRunning
	tx, unlock, err := s.beginBulk(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: ingest %s: %w", scan.ID, err)
	}
	in := &Ingest{unlock: unlock, ctx: ctx, ectx: context.WithoutCancel(ctx), tx: tx, scan: scan, units: map[[2]string]*ingestUnit{}, sums: newSummaryDelta()}
	fail := func(err error) (*Ingest, error) {
		in.Rollback()
		return nil, fmt.Errorf("sqlite: ingest %s: %w", scan.ID, err)
	}
	if err := requireLZ(ctx, tx, scan.LandingZoneID); err != nil {
		return fail(err)
	}
	if in.triggers, err = dropSummaryTriggers(ctx, tx); err != nil {
		return fail(err)
	}
	// The largest rowid bounds the rows (findings is a rowid table): a
	// cheap stand-in for count(*) on a large table.
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(rowid), 0) FROM findings`).Scan(&in.existing); err != nil {
		return fail(err)
	}
	in.nextLook = deferFirst
	_, err = tx.ExecContext(ctx, `INSERT INTO scans (id, landing_zone_id, scanner, status, started_at, finished_at, error)
		VALUES (?, ?, ?, ?, ?, NULL, '')`, scan.ID, scan.LandingZoneID, scan.Scanner, string(scan.Status), formatTime(scan.StartedAt))
	if isUniqueViolation(err) {
		return fail(rampart.Errorf(rampart.ECONFLICT, "scan %s already exists", scan.ID))
	} else if err != nil {
		return fail(err)
	}
	for _, p := range []struct {
		st **sql.Stmt
		q  string
	}{
		{&in.getRow, `SELECT ` + findingColumns + ` FROM findings WHERE finding_id = ?`},
		{&in.insEvent, `INSERT INTO finding_events (finding_id, type, at, scan_id, unit_id, snapshot) VALUES (?, ?, ?, ?, ?, ?)`},
		{&in.insBatch, `INSERT INTO finding_events (finding_id, type, at, scan_id, unit_id, snapshot) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?), ", eventBatch), ", ")},
		{&in.upsert, upsertFindingSQL},
		{&in.insert, insertFindingSQL},
		{&in.touch, touchFindingSQL},
		{&in.anyRow, `SELECT 1 FROM findings WHERE landing_zone_id = ? AND account_id = ? AND scope = ? LIMIT 1`},
		{&in.getRows, `SELECT ` + findingColumns + ` FROM findings WHERE finding_id IN (` + placeholders(prefetchChunk) + `)`},
		{&in.insUnit, `INSERT INTO scan_units (id, scan_id, landing_zone_id, account_id, region, state, error_class,
			error, attempts, started_at, finished_at, services, findings, seq)
			VALUES (?, ?, ?, ?, ?, ?, '', '', 1, ?, NULL, '[]', 0, ?)`},
	} {
		if *p.st, err = tx.PrepareContext(ctx, p.q); err != nil {
			return fail(err)
		}
	}
	return in, nil
}

// Rollback abandons the ingest. It is safe after Finish.
func (in *Ingest) Rollback() {
	for _, st := range []*sql.Stmt{in.getRow, in.insEvent, in.insBatch, in.upsert, in.insert, in.touch, in.insUnit, in.anyRow, in.getRows} {
		if st != nil {
			st.Close()
		}
	}
	_ = in.tx.Rollback()
	in.release()
}

// release gives back the write turn once.
func (in *Ingest) release() {
	if in.unlock != nil {
		in.unlock()
		in.unlock = nil
	}
}

// Observe applies one observation at time at. Its unit is (f.AccountID,
// f.Scope, or f.Region when Scope is empty), created on first sight. Of
// several observations with the same FindingID in one ingest the first
// counts, unless a later one fails where the first did not (a failure is
// never hidden by a duplicate); the others are counted as Ignored.
func (in *Ingest) Observe(f rampart.Finding, at time.Time) error {
	if err := in.observe(f, at.UTC()); err != nil {
		return fmt.Errorf("sqlite: ingest %s: finding %s (%s %s): %w", in.scan.ID, f.FindingID, f.ControlID, f.ResourceID, err)
	}
	return nil
}

func (in *Ingest) observe(f rampart.Finding, at time.Time) error {
	if in.seen++; in.seen%256 == 0 {
		if err := in.ctx.Err(); err != nil {
			return err
		}
	}
	if err := rampart.IngestObservation(&f, in.scan); err != nil {
		return err
	}
	u, err := in.unit(f.AccountID, f.Scope, at)
	if err != nil {
		return err
	}
	var cur *rampart.Finding
	if !u.fresh {
		if cur, err = in.load(f.FindingID); err != nil {
			return err
		}
	}
	for {
		if rampart.RepeatIgnored(cur, f, in.scan.ID) {
			in.stats.Ignored++
			return nil
		}
		next, evs := rampart.Observe(cur, f, u.Unit.ID, at)
		if next == nil {
			in.stats.Ignored++
			return nil
		}
		err := in.write(cur, next, evs, u.fresh)
		if errors.Is(err, errRepeat) {
			// A fresh unit's finding met twice in the file: decide again
			// against the row this ingest wrote.
			if cur, err = in.load(f.FindingID); err != nil {
				return err
			}
			if cur == nil {
				return fmt.Errorf("finding %s: insert conflicted but no row found", f.FindingID)
			}
			continue
		}
		if err != nil {
			return err
		}
		u.Applied(f.Service, f.ControlID, at, cur == nil || cur.ScanID != in.scan.ID)
		return nil
	}
}

// errRepeat is an insert into a fresh unit that found the row there.
var errRepeat = errors.New("finding already written by this ingest")

// prefetchChunk is how many finding IDs one prefetch query looks up.
const prefetchChunk = 256

// Prefetch reads, a chunk of IDs per query, the rows of the findings in fs
// that Observe will look up: those of a unit already met that is not fresh,
// or of a unit not met yet. It replaces what the previous call read.
// Observe gives the same result with or without it; with it, a batch of
// findings of known scopes (a daily rescan) costs a few queries, whose
// IN lists SQLite probes in key order, instead of one query per finding.
func (in *Ingest) Prefetch(fs []rampart.Finding) error {
	if err := in.prefetch(fs); err != nil {
		// Its IDs are in the map before their rows: none of it holds.
		clear(in.prefetched)
		return err
	}
	return nil
}

func (in *Ingest) prefetch(fs []rampart.Finding) error {
	clear(in.prefetched)
	if in.prefetched == nil {
		in.prefetched = map[string]*rampart.Finding{}
	}
	in.idArgs = in.idArgs[:0]
	for i := range fs {
		f := &fs[i]
		if u, ok := in.units[[2]string{f.AccountID, f.IngestScope()}]; (ok && u.fresh) || f.FindingID == "" {
			continue
		}
		if _, dup := in.prefetched[f.FindingID]; dup {
			continue
		}
		in.prefetched[f.FindingID] = nil
		in.idArgs = append(in.idArgs, f.FindingID)
		if len(in.idArgs) == prefetchChunk {
			if err := in.prefetchChunk(); err != nil {
				return err
			}
		}
	}
	if len(in.idArgs) > 0 {
		for len(in.idArgs) < prefetchChunk {
			in.idArgs = append(in.idArgs, "") // no finding has an empty ID
		}
		return in.prefetchChunk()
	}
	return nil
}

func (in *Ingest) prefetchChunk() error {
	rows, err := in.getRows.QueryContext(in.ectx, in.idArgs...)
	in.idArgs = in.idArgs[:0]
	if err != nil {
		return fmt.Errorf("sqlite: ingest %s: prefetch rows: %w", in.scan.ID, err)
	}
	defer rows.Close()
	for rows.Next() {
		f, err := scanFinding(rows)
		if err != nil {
			return fmt.Errorf("sqlite: ingest %s: prefetch rows: %w", in.scan.ID, err)
		}
		in.prefetched[f.FindingID] = &f
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: ingest %s: prefetch rows: %w", in.scan.ID, err)
	}
	return nil
}

// load reads the finding's row, nil when there is none.
func (in *Ingest) load(id string) (*rampart.Finding, error) {
	if row, ok := in.prefetched[id]; ok {
		if row == nil {
			return nil, nil
		}
		c := *row
		return &c, nil
	}
	row, err := scanFinding(in.getRow.QueryRowContext(in.ectx, id))
	switch {
	case err == nil:
		return &row, nil
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	default:
		return nil, fmt.Errorf("load row: %w", err)
	}
}

// write writes row over old (nil for a new row) and appends evs, as
// CommitUnit does, and counts the change for the summary tables. A new
// row of a fresh unit is inserted without an upsert and returns errRepeat
// if the row exists; a seen event only moves scan_id and last_seen_at, so
// it updates those two columns (and the few indexes that hold them).
func (in *Ingest) write(old, row *rampart.Finding, evs []rampart.FindingEvent, fresh bool) error {
	// Observe yields one event; the array keeps this hot path free of an
	// allocation per finding.
	var buf [2]any
	snaps := buf[:0]
	if len(evs) > len(buf) {
		snaps = make([]any, 0, len(evs))
	}
	for _, ev := range evs {
		if ev.Snapshot == nil {
			snaps = append(snaps, nil)
			continue
		}
		// The row Reindex will read back from this event.
		snap, r, err := encodeSnapshotRow(&in.snapBuf, ev.Snapshot)
		if err != nil {
			return err
		}
		snaps, row = append(snaps, snap), r
	}
	if old == nil {
		if in.inserted++; in.inserted >= in.nextLook {
			if err := in.considerDeferring(); err != nil {
				return err
			}
		}
	}
	// The row changes: Prefetch's copy, if any, is no longer it.
	delete(in.prefetched, row.FindingID)
	var err error
	switch {
	case old == nil && fresh:
		_, err = in.insert.ExecContext(in.ectx, findingArgs(row)...)
		if isUniqueViolation(err) {
			in.inserted--
			return errRepeat
		}
	case old != nil && len(evs) == 1 && evs[0].Type == rampart.EventSeen:
		_, err = in.touch.ExecContext(in.ectx, row.ScanID, formatTime(row.LastSeenAt), row.FindingID)
	default:
		_, err = in.upsert.ExecContext(in.ectx, findingArgs(row)...)
	}
	if err != nil {
		return fmt.Errorf("write finding: %w", err)
	}
	for i, ev := range evs {
		in.events = append(in.events, ev.FindingID, string(ev.Type), formatTime(ev.At), ev.ScanID, ev.UnitID, snaps[i])
		if in.nEvents++; in.nEvents == eventBatch {
			if err := in.flushEvents(); err != nil {
				return err
			}
		}
		in.stats.Count(ev.Type)
	}
	in.sums.add(old, -1)
	in.sums.add(row, 1)
	return nil
}

// Deferring the read model's indexes. Inserting a row puts an entry in
// every index of findings at a place all over the index (findings are keyed
// by a hash), which makes a bulk load of hundreds of thousands of rows
// mostly index maintenance; building an index afterwards sorts its entries
// once. So once an ingest has inserted deferFirst rows, and again each time
// it doubles them, if the rows it inserted reach deferShare of the rows
// the table held, it drops the indexes nothing in the ingest reads (every
// index of findings but the primary key and findings_scope, and
// finding_events' index) and Finish re-creates them before the commit.
// All of it is one transaction: readers see the indexes throughout, and a
// failed ingest leaves them as they were.
var (
	deferFirst = 10_000 // a variable for tests
	deferShare = 0.25
)

// dropIndexes drops, in tx, the indexes of tables (those SQLite made for a
// PRIMARY KEY or UNIQUE constraint have no SQL and stay) but those named in
// keep, and returns the statements that re-create them.
func dropIndexes(ctx context.Context, tx *sql.Tx, tables []string, keep map[string]bool) ([]string, error) {
	var names, defs []string
	for _, t := range tables {
		rows, err := tx.QueryContext(ctx, `SELECT name, sql FROM sqlite_master
			WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name`, t)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var name, def string
			if err := rows.Scan(&name, &def); err != nil {
				rows.Close()
				return nil, err
			}
			if !keep[name] {
				names, defs = append(names, name), append(defs, def)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	for _, n := range names {
		if _, err := tx.ExecContext(ctx, `DROP INDEX "`+n+`"`); err != nil {
			return nil, fmt.Errorf("drop index %s: %w", n, err)
		}
	}
	return defs, nil
}

// rebuildIndexes re-creates what dropIndexes dropped, with the page cache
// (and so the in-memory sort) shrunk to rebuildCacheKiB: an index build
// sorts its entries in memory up to the cache's size before it spills to
// temporary files, on top of the cache itself, and writes its index in
// order, needing little cache. The caller restores the cache.
func rebuildIndexes(ctx context.Context, tx *sql.Tx, defs []string) error {
	if len(defs) == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA cache_size = -%d`, rebuildCacheKiB)); err != nil {
		return fmt.Errorf("shrink the page cache: %w", err)
	}
	for _, q := range defs {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("(%s): %w", q, err)
		}
	}
	return nil
}

// rebuildCacheKiB is the page cache, and so the in-memory sort, while
// deferred indexes are rebuilt.
const rebuildCacheKiB = 32768

// keptIndexes are indexes the ingest's own statements use.
var keptIndexes = map[string]bool{"findings_scope": true}

func (in *Ingest) considerDeferring() error {
	in.nextLook = max(in.nextLook*2, deferFirst)
	if in.deferred != nil || float64(in.inserted) < deferShare*float64(in.existing) {
		return nil
	}
	defs, err := dropIndexes(in.ctx, in.tx, []string{"findings", "finding_events"}, keptIndexes)
	if err != nil {
		return fmt.Errorf("defer indexes: %w", err)
	}
	if defs == nil {
		defs = []string{} // deferred (nothing to defer): do not look again
	}
	in.deferred = defs
	if len(defs) > 0 {
		// The bulk cache is for index pages touched all over the file;
		// what remains (the primary key, findings_scope, rows and events
		// appended in order) does with the default cache. At 1 GB
		// (rampart bench ingest) the default cache was as fast as the bulk
		// one and peaked about 60 MB lower.
		if _, err := in.tx.ExecContext(in.ctx, `PRAGMA cache_size = -`+defaultCacheKiB); err != nil {
			return fmt.Errorf("defer indexes: shrink the page cache: %w", err)
		}
	}
	return nil
}

// eventBatch is how many events one INSERT appends.
const eventBatch = 64

// flushEvents appends the buffered events in the order they came.
func (in *Ingest) flushEvents() error {
	var err error
	if in.nEvents == eventBatch {
		_, err = in.insBatch.ExecContext(in.ectx, in.events...)
	} else {
		for i := 0; i < len(in.events) && err == nil; i += 6 {
			_, err = in.insEvent.ExecContext(in.ectx, in.events[i:i+6]...)
		}
	}
	if err != nil {
		return fmt.Errorf("append events: %w", err)
	}
	in.events, in.nEvents = in.events[:0], 0
	return nil
}

func (in *Ingest) unit(account, region string, at time.Time) (*ingestUnit, error) {
	key := [2]string{account, region}
	if u, ok := in.units[key]; ok {
		return u, nil
	}
	u := &ingestUnit{IngestUnit: rampart.NewIngestUnit(in.scan, account, region, at)}
	if _, err := in.insUnit.ExecContext(in.ectx, u.Unit.ID, in.scan.ID, in.scan.LandingZoneID, account, region,
		string(rampart.UnitRunning), formatTime(at), len(in.order)); err != nil {
		return nil, fmt.Errorf("create unit %s: %w", u.Unit.ID, err)
	}
	var one int
	switch err := in.anyRow.QueryRowContext(in.ectx, in.scan.LandingZoneID, account, region).Scan(&one); {
	case errors.Is(err, sql.ErrNoRows):
		u.fresh = true
	case err != nil:
		return nil, fmt.Errorf("create unit %s: %w", u.Unit.ID, err)
	}
	in.units[key] = u
	in.order = append(in.order, key)
	return u, nil
}

// Finish resolves, in each unit, the unresolved rows of its scope that the
// ingest did not observe and whose service and control it covered (a
// unit covers the checks it saw per service), records every unit as
// succeeded, the scan as finished at finished, and arts as the scan's
// artifact pointers (an empty UnitID points at the scan as a whole), then
// commits. It returns the lifecycle counts and the units.
func (in *Ingest) Finish(arts []rampart.Artifact, finished time.Time) (rampart.CommitStats, []rampart.ScanUnit, error) {
	defer in.Rollback()
	finished = finished.UTC()
	units, err := in.finish(arts, finished)
	if err != nil {
		return rampart.CommitStats{}, nil, fmt.Errorf("sqlite: ingest %s: %w", in.scan.ID, err)
	}
	return in.stats, units, nil
}

func (in *Ingest) finish(arts []rampart.Artifact, finished time.Time) ([]rampart.ScanUnit, error) {
	ctx := in.ctx
	mark := time.Now()
	var out []rampart.ScanUnit
	for _, key := range in.order {
		u := in.units[key]
		if err := in.vanish(u, u.Done(finished)); err != nil {
			return nil, err
		}
		sj, err := json.Marshal(u.Unit.Services)
		if err != nil {
			return nil, err
		}
		if _, err := in.tx.ExecContext(ctx, `UPDATE scan_units SET state = ?, finished_at = ?, services = ?, findings = ? WHERE id = ?`,
			string(u.Unit.State), formatTime(finished), string(sj), u.Unit.Findings, u.Unit.ID); err != nil {
			return nil, fmt.Errorf("finish unit %s: %w", u.Unit.ID, err)
		}
		out = append(out, u.Unit)
	}
	for _, a := range arts {
		if a.ID == "" || a.URI == "" {
			return nil, rampart.Errorf(rampart.EINVALID, "artifact needs an ID and a URI")
		}
		if a.CreatedAt.IsZero() {
			a.CreatedAt = finished
		}
		_, err := in.tx.ExecContext(ctx, `INSERT INTO artifacts (id, scan_id, unit_id, kind, uri, sha256, size, content_type, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, a.ID, in.scan.ID, a.UnitID, a.Kind, a.URI, a.SHA256, a.Size, a.ContentType, formatTime(a.CreatedAt))
		if isUniqueViolation(err) {
			return nil, rampart.Errorf(rampart.ECONFLICT, "artifact %s already exists", a.ID)
		} else if err != nil {
			return nil, fmt.Errorf("artifact %s: %w", a.ID, err)
		}
	}
	if _, err := in.tx.ExecContext(ctx, `UPDATE scans SET status = ?, finished_at = ? WHERE id = ?`,
		string(rampart.UnitSucceeded), formatTime(finished), in.scan.ID); err != nil {
		return nil, fmt.Errorf("finish scan: %w", err)
	}
	mark = in.lap("vanish", mark)
	if err := in.flushEvents(); err != nil {
		return nil, err
	}
	mark = in.lap("events", mark)
	if err := rebuildIndexes(ctx, in.tx, in.deferred); err != nil {
		return nil, fmt.Errorf("rebuild deferred indexes: %w", err)
	}
	mark = in.lap("index_build", mark)
	if err := in.sums.apply(ctx, in.tx, in.triggers); err != nil {
		return nil, err
	}
	mark = in.lap("summaries", mark)
	err := in.tx.Commit()
	in.release()
	if err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	in.lap("commit", mark)
	return out, nil
}

// vanish resolves the unit's unobserved, covered, unresolved rows. A fresh
// unit has none: every row of its scope was written by this ingest.
func (in *Ingest) vanish(u *ingestUnit, at time.Time) error {
	if u.fresh {
		return nil
	}
	rows, err := in.tx.QueryContext(in.ctx, `SELECT `+findingColumns+` FROM findings
		WHERE landing_zone_id = ? AND account_id = ? AND scope = ? AND resolved_at IS NULL AND scan_id <> ?
		ORDER BY finding_id`, in.scan.LandingZoneID, u.Unit.AccountID, u.Unit.Region, in.scan.ID)
	if err != nil {
		return fmt.Errorf("load scope of unit %s: %w", u.Unit.ID, err)
	}
	var absent []rampart.Finding
	for rows.Next() {
		f, err := scanFinding(rows)
		if err != nil {
			rows.Close()
			return err
		}
		if u.Unit.Covers(f.Service, f.ControlID) {
			absent = append(absent, f)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for i := range absent {
		next, evs := rampart.Vanish(&absent[i], in.scan.ID, u.Unit.ID, at)
		if next == nil {
			continue
		}
		if err := in.write(&absent[i], next, evs, false); err != nil {
			return err
		}
	}
	return nil
}

// ArtifactBySHA256 returns the newest artifact pointer of a scan of
// landing zone lzID with this sha256 and a kind starting with kindPrefix,
// and whether there is one.
func (s *Store) ArtifactBySHA256(ctx context.Context, lzID, kindPrefix, sha string) (rampart.Artifact, bool, error) {
	var a rampart.Artifact
	var created string
	err := s.db.QueryRowContext(ctx, `SELECT a.id, a.scan_id, a.unit_id, a.kind, a.uri, a.sha256, a.size, a.content_type, a.created_at
		FROM artifacts a JOIN scans s ON s.id = a.scan_id
		WHERE a.sha256 = ? AND s.landing_zone_id = ? AND substr(a.kind, 1, length(?)) = ?
		ORDER BY a.created_at DESC LIMIT 1`, sha, lzID, kindPrefix, kindPrefix).
		Scan(&a.ID, &a.ScanID, &a.UnitID, &a.Kind, &a.URI, &a.SHA256, &a.Size, &a.ContentType, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return a, false, nil
	} else if err != nil {
		return a, false, fmt.Errorf("sqlite: artifact by sha256 %s: %w", sha, err)
	}
	if a.CreatedAt, err = parseTime(created); err != nil {
		return a, false, fmt.Errorf("sqlite: artifact %s: %w", a.ID, err)
	}
	return a, true, nil
}

// BareInsert writes rows, which must be new, straight into the findings
// table in one transaction (a BareWriter): no lifecycle, no events.
func (s *Store) BareInsert(ctx context.Context, rows []rampart.Finding) error {
	b, err := s.BeginBare(ctx, BareRowIndexed)
	if err != nil {
		return err
	}
	defer b.Rollback()
	if err := b.Insert(rows); err != nil {
		return err
	}
	return b.Commit()
}

// BareWriter inserts new rows straight into the findings table in one
// transaction with a prepared INSERT: no lookups, no lifecycle, no events;
// the summary tables are kept in bulk as a bulk ingest keeps them. It is
// the storage limit that `rampart bench ingest` compares the ingest path
// with, not a way to record findings.
type BareWriter struct {
	ctx      context.Context
	ectx     context.Context
	tx       *sql.Tx
	done     func()
	st       *sql.Stmt
	triggers []string
	sums     *summaryDelta
	deferred []string // indexes to re-create at Commit (BareDeferred)
}

// BareMode is how a BareWriter treats the findings table's secondary
// indexes.
type BareMode int

const (
	// BareRowIndexed maintains every index row by row.
	BareRowIndexed BareMode = iota
	// BareDeferred drops the indexes a bulk ingest defers and re-creates
	// them at Commit (timed with it): the bulk-load strategy of Ingest.
	BareDeferred
	// BareNoIndex drops every secondary index and does NOT re-create it,
	// so that Commit leaves the store without them: only for a throwaway
	// store that measures what the indexes cost.
	BareNoIndex
)

// BeginBare starts a BareWriter on the bulk connection.
func (s *Store) BeginBare(ctx context.Context, mode BareMode) (*BareWriter, error) {
	tx, done, err := s.beginBulk(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: bare insert: %w", err)
	}
	b := &BareWriter{ctx: ctx, ectx: context.WithoutCancel(ctx), tx: tx, done: done, sums: newSummaryDelta()}
	fail := func(err error) (*BareWriter, error) {
		b.Rollback()
		return nil, fmt.Errorf("sqlite: bare insert: %w", err)
	}
	if b.triggers, err = dropSummaryTriggers(ctx, tx); err != nil {
		return fail(err)
	}
	switch mode {
	case BareDeferred:
		if b.deferred, err = dropIndexes(ctx, tx, []string{"findings"}, keptIndexes); err != nil {
			return fail(err)
		}
		// As Ingest does once it defers: the default cache.
		if _, err := tx.ExecContext(ctx, `PRAGMA cache_size = -`+defaultCacheKiB); err != nil {
			return fail(err)
		}
	case BareNoIndex:
		if _, err = dropIndexes(ctx, tx, []string{"findings"}, nil); err != nil {
			return fail(err)
		}
	}
	if b.st, err = tx.PrepareContext(ctx, insertFindingSQL); err != nil {
		return fail(err)
	}
	return b, nil
}

// Insert writes rows.
func (b *BareWriter) Insert(rows []rampart.Finding) error {
	for i := range rows {
		if _, err := b.st.ExecContext(b.ectx, findingArgs(&rows[i])...); err != nil {
			return fmt.Errorf("sqlite: bare insert %s: %w", rows[i].FindingID, err)
		}
		b.sums.add(&rows[i], 1)
	}
	return nil
}

// Commit re-creates deferred indexes, writes the summary counts and
// commits.
func (b *BareWriter) Commit() error {
	defer b.Rollback()
	if err := rebuildIndexes(b.ctx, b.tx, b.deferred); err != nil {
		return fmt.Errorf("sqlite: bare insert: rebuild deferred indexes: %w", err)
	}
	if err := b.sums.apply(b.ctx, b.tx, b.triggers); err != nil {
		return fmt.Errorf("sqlite: bare insert: %w", err)
	}
	b.st.Close()
	b.st = nil
	if err := b.tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: bare insert: commit: %w", err)
	}
	return nil
}

// Rollback abandons the insert; it is safe after Commit.
func (b *BareWriter) Rollback() {
	if b.st != nil {
		b.st.Close()
		b.st = nil
	}
	_ = b.tx.Rollback()
	if b.done != nil {
		b.done()
		b.done = nil
	}
}
