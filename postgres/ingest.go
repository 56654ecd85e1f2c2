package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rampart-cspm/rampart"
)

// Ingest writes one external scan (a Prowler file) in a single
// transaction, with the same lifecycle as sqlite.Ingest: the scan, a unit
// per (account, region) met in the stream, every observation through
// rampart.Observe as it arrives, and, at Finish, the absence resolutions
// (rampart.Vanish) of each unit, the units' final state and the artifact
// pointers. Nothing is visible until Finish commits; Rollback (or any
// error) leaves the store as it was.
//
// Writes are buffered and sent flushRows findings at a time: new rows and
// every event by COPY, changed rows as one pipelined batch. Memory is
// bounded by the units, the checks and one buffer, not by the findings.
//
// Concurrency: an ingest takes, for its whole transaction, the advisory
// lock of each scope it meets (the lock CommitUnit takes), so a worker
// committing a unit of that scope waits for it. Ingests take turns (one
// lock for the store, as SQLite's single writer does): two of them never
// wait on each other's scopes, and the artifact an ingest copies under the
// file's hash is not another one's to take back.
type Ingest struct {
	ctx   context.Context
	tx    pgx.Tx
	scan  rampart.Scan
	seen  int
	units map[[2]string]*rampart.IngestUnit
	order [][2]string
	stats rampart.CommitStats

	// locked holds the scopes whose advisory lock the transaction holds.
	locked map[[2]string]bool
	// pending holds the rows decided since the last flush, in order, so
	// that a finding met again reads what this ingest decided.
	pending   map[string]*pendingRow
	pendOrder []string
	events    [][]any
	// prefetched holds the rows Prefetch read (nil: no row).
	prefetched map[string]*rampart.Finding
	// vanishTime and commitTime time Finish's parts (Phases).
	vanishTime, commitTime time.Duration
}

// Phases reports how long the parts of Finish took: "vanish" (absence
// resolutions, units, the last writes) and "commit".
func (in *Ingest) Phases(yield func(name string, d time.Duration)) {
	yield("vanish", in.vanishTime)
	yield("commit", in.commitTime)
}

// pendingRow is a row to write at the next flush: inserted when the store
// had none (by COPY), its last-seen columns only when every change since
// the stored row was a seen event, else upserted whole.
type pendingRow struct {
	row   *rampart.Finding
	isNew bool
	touch bool
}

// flushRows is how many decided rows wait before they are written (a
// variable for tests).
var flushRows = 1024

// BeginIngest starts an ingest of scan (its ID, landing zone and scanner
// set; a zero StartedAt is the store's clock). It returns ENOTFOUND for an
// unknown landing zone and ECONFLICT if the scan exists.
func (s *Store) BeginIngest(ctx context.Context, scan rampart.Scan) (*Ingest, error) {
	if scan.ID == "" || scan.LandingZoneID == "" {
		return nil, rampart.Errorf(rampart.EINVALID, "postgres: ingest: scan needs an ID and a landing zone")
	}
	if scan.StartedAt.IsZero() {
		scan.StartedAt = s.now()
	}
	scan.StartedAt = micro(scan.StartedAt)
	scan.Status = rampart.UnitRunning
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: ingest %s: %w", scan.ID, err)
	}
	in := &Ingest{ctx: ctx, tx: tx, scan: scan, units: map[[2]string]*rampart.IngestUnit{}, locked: map[[2]string]bool{},
		pending: map[string]*pendingRow{}, prefetched: map[string]*rampart.Finding{}}
	fail := func(err error) (*Ingest, error) {
		in.Rollback()
		return nil, fmt.Errorf("postgres: ingest %s: %w", scan.ID, err)
	}
	if err := requireLZ(ctx, tx, scan.LandingZoneID); err != nil {
		return fail(err)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('ingest', 0))`); err != nil {
		return fail(fmt.Errorf("wait for the ingest turn: %w", err))
	}
	_, err = tx.Exec(ctx, `INSERT INTO scans (id, landing_zone_id, scanner, status, started_at, finished_at, error)
		VALUES ($1, $2, $3, $4, $5, NULL, '')`, scan.ID, scan.LandingZoneID, scan.Scanner, string(scan.Status), scan.StartedAt)
	if isUniqueViolation(err) {
		return fail(rampart.Errorf(rampart.ECONFLICT, "scan %s already exists", scan.ID))
	} else if err != nil {
		return fail(err)
	}
	return in, nil
}

// Rollback abandons the ingest. It is safe after Finish.
func (in *Ingest) Rollback() {
	_ = in.tx.Rollback(context.WithoutCancel(in.ctx))
}

// Observe applies one observation at time at. Its unit is (f.AccountID,
// f.Scope, or f.Region when Scope is empty), created on first sight. Of
// several observations with the same FindingID in one ingest the first
// counts, unless a later one fails where the first did not; the others
// are counted as Ignored.
func (in *Ingest) Observe(f rampart.Finding, at time.Time) error {
	if err := in.observe(f, micro(at)); err != nil {
		return fmt.Errorf("postgres: ingest %s: finding %s (%s %s): %w", in.scan.ID, f.FindingID, f.ControlID, f.ResourceID, err)
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
	cur, err := in.load(f.FindingID)
	if err != nil {
		return err
	}
	if rampart.RepeatIgnored(cur, f, in.scan.ID) {
		in.stats.Ignored++
		return nil
	}
	next, evs := rampart.Observe(cur, f, u.Unit.ID, at)
	if next == nil {
		in.stats.Ignored++
		return nil
	}
	if err := in.write(cur, next, evs); err != nil {
		return err
	}
	u.Applied(f.Service, f.ControlID, at, cur == nil || cur.ScanID != in.scan.ID)
	return nil
}

// unit returns the unit of (account, region), creating it, and taking its
// scope's lock, on first sight.
func (in *Ingest) unit(account, region string, at time.Time) (*rampart.IngestUnit, error) {
	key := [2]string{account, region}
	if u, ok := in.units[key]; ok {
		return u, nil
	}
	if err := in.lock(key); err != nil {
		return nil, err
	}
	u := rampart.NewIngestUnit(in.scan, account, region, at)
	if _, err := in.tx.Exec(in.ctx, `INSERT INTO scan_units (id, scan_id, landing_zone_id, account_id, region, state,
		error_class, error, attempts, started_at, finished_at, services, findings, seq)
		VALUES ($1, $2, $3, $4, $5, $6, '', '', 1, $7, NULL, '[]', 0, $8)`,
		u.Unit.ID, in.scan.ID, in.scan.LandingZoneID, account, region, string(rampart.UnitRunning), at, len(in.order)); err != nil {
		return nil, fmt.Errorf("create unit %s: %w", u.Unit.ID, err)
	}
	in.units[key] = u
	in.order = append(in.order, key)
	return u, nil
}

// lock takes the advisory lock of the scope (account, region), the one
// CommitUnit takes, once per transaction.
func (in *Ingest) lock(key [2]string) error {
	if in.locked[key] {
		return nil
	}
	if _, err := in.tx.Exec(in.ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`,
		"scope/"+in.scan.LandingZoneID+"/"+key[0]+"/"+key[1]); err != nil {
		return fmt.Errorf("lock scope %s/%s: %w", key[0], key[1], err)
	}
	in.locked[key] = true
	return nil
}

// Prefetch reads, in one query, the stored rows of the findings in fs that
// this ingest has not decided yet, having taken the locks of their scopes.
// It replaces what the previous call read. Observe gives the same result
// with or without it; with it, a batch costs one round trip instead of one
// per finding.
func (in *Ingest) Prefetch(fs []rampart.Finding) error {
	clear(in.prefetched)
	var ids []string
	for i := range fs {
		f := &fs[i]
		scope := f.IngestScope()
		if f.FindingID == "" || f.LandingZoneID != in.scan.LandingZoneID || f.AccountID == "" || scope == "" {
			continue // Observe refuses it
		}
		if _, ok := in.pending[f.FindingID]; ok {
			continue
		}
		if _, ok := in.prefetched[f.FindingID]; ok {
			continue
		}
		if err := in.lock([2]string{f.AccountID, scope}); err != nil {
			return fmt.Errorf("postgres: ingest %s: prefetch: %w", in.scan.ID, err)
		}
		in.prefetched[f.FindingID] = nil
		ids = append(ids, f.FindingID)
	}
	if len(ids) == 0 {
		return nil
	}
	if err := in.readRows(ids); err != nil {
		clear(in.prefetched)
		return fmt.Errorf("postgres: ingest %s: prefetch rows: %w", in.scan.ID, err)
	}
	return nil
}

func (in *Ingest) readRows(ids []string) error {
	rows, err := in.tx.Query(in.ctx, `SELECT `+findingColumns+` FROM findings WHERE finding_id = ANY($1)`, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		f, err := scanFinding(rows)
		if err != nil {
			return err
		}
		in.prefetched[f.FindingID] = &f
	}
	return rows.Err()
}

// load returns a copy of the finding's current row: the one this ingest
// decided, or the one Prefetch read, or the stored one; nil when none.
func (in *Ingest) load(id string) (*rampart.Finding, error) {
	if p, ok := in.pending[id]; ok {
		c := *p.row
		return &c, nil
	}
	if row, ok := in.prefetched[id]; ok {
		if row == nil {
			return nil, nil
		}
		c := *row
		return &c, nil
	}
	row, err := scanFinding(in.tx.QueryRow(in.ctx, `SELECT `+findingColumns+` FROM findings WHERE finding_id = $1`, id))
	switch {
	case err == nil:
		return &row, nil
	case errors.Is(err, pgx.ErrNoRows):
		return nil, nil
	default:
		return nil, fmt.Errorf("load row: %w", err)
	}
}

// write records row over old (nil for none) and evs, to be written at the
// next flush.
func (in *Ingest) write(old, row *rampart.Finding, evs []rampart.FindingEvent) error {
	touch := old != nil
	for _, ev := range evs {
		snapArg, r, err := snapshotArg(ev, row)
		if err != nil {
			return err
		}
		row = r
		if ev.Type != rampart.EventSeen {
			touch = false
		}
		in.events = append(in.events, []any{ev.FindingID, string(ev.Type), micro(ev.At), ev.ScanID, ev.UnitID, snapArg})
		in.stats.Count(ev.Type)
	}
	delete(in.prefetched, row.FindingID)
	if p, ok := in.pending[row.FindingID]; ok {
		p.row, p.touch = row, p.touch && touch
	} else {
		in.pending[row.FindingID] = &pendingRow{row: row, isNew: old == nil, touch: touch}
		in.pendOrder = append(in.pendOrder, row.FindingID)
	}
	if len(in.pending) >= flushRows {
		return in.flush()
	}
	return nil
}

// flush writes the pending rows and events: new rows by COPY (the scope's
// lock guarantees nobody else inserted them), rows that were only seen by
// a two-column update, other rows by upsert, then the events by COPY in
// the order they were decided (event ids follow it).
func (in *Ingest) flush() error {
	var fresh [][]any
	var seenIDs, seenScans []string
	var seenAt []time.Time
	batch := &pgx.Batch{}
	for _, id := range in.pendOrder {
		p := in.pending[id]
		switch {
		case p.isNew:
			fresh = append(fresh, findingArgs(p.row))
		case p.touch:
			seenIDs, seenScans = append(seenIDs, p.row.FindingID), append(seenScans, p.row.ScanID)
			seenAt = append(seenAt, p.row.LastSeenAt.UTC())
		default:
			batch.Queue(upsertFindingSQL, findingArgs(p.row)...)
		}
	}
	if len(seenIDs) > 0 {
		// One statement for the batch's seen rows: a daily rescan is
		// mostly these, and one UPDATE per row cost a round of parsing
		// and planning each.
		batch.Queue(`UPDATE findings f SET scan_id = v.scan_id, last_seen_at = v.at
			FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS v(id, scan_id, at) WHERE f.finding_id = v.id`,
			seenIDs, seenScans, seenAt)
	}
	if len(fresh) > 0 {
		if _, err := in.tx.CopyFrom(in.ctx, pgx.Identifier{"findings"}, findingColumnList, pgx.CopyFromRows(fresh)); err != nil {
			return fmt.Errorf("insert findings: %w", err)
		}
	}
	if batch.Len() > 0 {
		if err := in.tx.SendBatch(in.ctx, batch).Close(); err != nil {
			return fmt.Errorf("update findings: %w", err)
		}
	}
	if len(in.events) > 0 {
		if _, err := in.tx.CopyFrom(in.ctx, pgx.Identifier{"finding_events"},
			[]string{"finding_id", "type", "at", "scan_id", "unit_id", "snapshot"}, pgx.CopyFromRows(in.events)); err != nil {
			return fmt.Errorf("append events: %w", err)
		}
	}
	clear(in.pending)
	in.pendOrder, in.events = in.pendOrder[:0], in.events[:0]
	return nil
}

// Finish resolves, in each unit, the unresolved rows of its scope that the
// ingest did not observe and whose service and control it covered (a unit
// covers the checks it saw per service), records every unit as succeeded,
// the scan as finished at finished, and arts as the scan's artifact
// pointers (an empty UnitID points at the scan as a whole), then commits.
// It returns the lifecycle counts and the units.
func (in *Ingest) Finish(arts []rampart.Artifact, finished time.Time) (rampart.CommitStats, []rampart.ScanUnit, error) {
	defer in.Rollback()
	units, err := in.finish(arts, micro(finished))
	if err != nil {
		return rampart.CommitStats{}, nil, fmt.Errorf("postgres: ingest %s: %w", in.scan.ID, err)
	}
	return in.stats, units, nil
}

func (in *Ingest) finish(arts []rampart.Artifact, finished time.Time) ([]rampart.ScanUnit, error) {
	ctx := in.ctx
	start := time.Now()
	if err := in.flush(); err != nil {
		return nil, err
	}
	var out []rampart.ScanUnit
	for _, key := range in.order {
		u := in.units[key]
		if err := in.vanish(u, u.Done(finished)); err != nil {
			return nil, err
		}
		sj, err := json.Marshal(servicesOrEmpty(u.Unit.Services))
		if err != nil {
			return nil, err
		}
		if _, err := in.tx.Exec(ctx, `UPDATE scan_units SET state = $1, finished_at = $2, services = $3, findings = $4 WHERE id = $5`,
			string(u.Unit.State), finished, string(sj), u.Unit.Findings, u.Unit.ID); err != nil {
			return nil, fmt.Errorf("finish unit %s: %w", u.Unit.ID, err)
		}
		out = append(out, u.Unit)
	}
	if err := in.flush(); err != nil {
		return nil, err
	}
	for _, a := range arts {
		if a.ID == "" || a.URI == "" {
			return nil, rampart.Errorf(rampart.EINVALID, "artifact needs an ID and a URI")
		}
		if a.CreatedAt.IsZero() {
			a.CreatedAt = finished
		}
		_, err := in.tx.Exec(ctx, `INSERT INTO artifacts (id, scan_id, unit_id, kind, uri, sha256, size, content_type, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, a.ID, in.scan.ID, a.UnitID, a.Kind, a.URI, a.SHA256, a.Size,
			a.ContentType, a.CreatedAt.UTC())
		if isUniqueViolation(err) {
			return nil, rampart.Errorf(rampart.ECONFLICT, "artifact %s already exists", a.ID)
		} else if err != nil {
			return nil, fmt.Errorf("artifact %s: %w", a.ID, err)
		}
	}
	if _, err := in.tx.Exec(ctx, `UPDATE scans SET status = $1, finished_at = $2 WHERE id = $3`,
		string(rampart.UnitSucceeded), finished, in.scan.ID); err != nil {
		return nil, fmt.Errorf("finish scan: %w", err)
	}
	committing := time.Now()
	in.vanishTime = committing.Sub(start)
	if err := in.tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	in.commitTime = time.Since(committing)
	return out, nil
}

// vanish resolves the unit's unobserved, covered, unresolved rows (pending
// rows are flushed: every row the ingest observed carries its scan ID).
func (in *Ingest) vanish(u *rampart.IngestUnit, at time.Time) error {
	rows, err := in.tx.Query(in.ctx, `SELECT `+findingColumns+` FROM findings
		WHERE landing_zone_id = $1 AND account_id = $2 AND scope = $3 AND resolved_at IS NULL AND scan_id <> $4
		ORDER BY finding_id`, in.scan.LandingZoneID, u.Unit.AccountID, u.Unit.Region, in.scan.ID)
	if err != nil {
		return fmt.Errorf("load scope of unit %s: %w", u.Unit.ID, err)
	}
	var absent []rampart.Finding
	for rows.Next() {
		f, err := scanFinding(rows)
		if err != nil {
			rows.Close()
			return fmt.Errorf("load scope of unit %s: %w", u.Unit.ID, err)
		}
		if u.Unit.Covers(f.Service, f.ControlID) {
			absent = append(absent, f)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load scope of unit %s: %w", u.Unit.ID, err)
	}
	for i := range absent {
		next, evs := rampart.Vanish(&absent[i], in.scan.ID, u.Unit.ID, at)
		if next == nil {
			continue
		}
		if err := in.write(&absent[i], next, evs); err != nil {
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
	var created time.Time
	err := s.pool.QueryRow(ctx, `SELECT a.id, a.scan_id, a.unit_id, a.kind, a.uri, a.sha256, a.size, a.content_type, a.created_at
		FROM artifacts a JOIN scans s ON s.id = a.scan_id
		WHERE a.sha256 = $1 AND s.landing_zone_id = $2 AND starts_with(a.kind, $3)
		ORDER BY a.created_at DESC LIMIT 1`, sha, lzID, kindPrefix).
		Scan(&a.ID, &a.ScanID, &a.UnitID, &a.Kind, &a.URI, &a.SHA256, &a.Size, &a.ContentType, &created)
	if errors.Is(err, pgx.ErrNoRows) {
		return a, false, nil
	} else if err != nil {
		return a, false, fmt.Errorf("postgres: artifact by sha256 %s: %w", sha, err)
	}
	a.CreatedAt = created.UTC()
	return a, true, nil
}
