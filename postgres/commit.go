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

// CommitUnit applies a unit's result in one transaction: the findings'
// lifecycle (rampart.Observe for every observation, rampart.Vanish for the
// unresolved rows of the unit's scope that the result covers but did not
// observe), the events (COPY), the unit's final state and the artifact
// pointers.
//
// It returns ECONFLICT, writing nothing, if the unit is unknown or already
// terminal (a redelivered unit that another worker committed), and EINVALID
// if the result does not match the unit or is not terminal. Of several
// observations with the same FindingID the last one counts and the others
// are counted as Ignored, as are observations rampart.Observe ignores.
func (s *Store) CommitUnit(ctx context.Context, res rampart.UnitResult) (rampart.CommitStats, error) {
	stats, err := s.commitUnit(ctx, res)
	if err != nil {
		return rampart.CommitStats{}, fmt.Errorf("postgres: commit unit %s: %w", res.Unit.ID, err)
	}
	return stats, nil
}

func (s *Store) commitUnit(ctx context.Context, res rampart.UnitResult) (rampart.CommitStats, error) {
	var stats rampart.CommitStats
	u := res.Unit
	if err := res.Validate(); err != nil {
		return stats, err
	}
	at := res.At
	if at.IsZero() {
		at = s.now()
	}
	at = micro(at)

	err := s.inTx(ctx, func(tx pgx.Tx) error {
		stored, err := scanUnit(tx.QueryRow(ctx, `SELECT `+unitColumns+` FROM scan_units WHERE id = $1 FOR UPDATE`, u.ID))
		if errors.Is(err, pgx.ErrNoRows) {
			return rampart.Errorf(rampart.ECONFLICT, "scan unit %q is unknown", u.ID)
		} else if err != nil {
			return fmt.Errorf("load unit: %w", err)
		}
		if stored.State.Terminal() {
			return rampart.Errorf(rampart.ECONFLICT, "scan unit %q was already committed (%s)", u.ID, stored.State)
		}
		if err := u.Matches(stored); err != nil {
			return err
		}
		// Commits deciding the lifecycle of the same scope take turns.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`,
			"scope/"+stored.LandingZoneID+"/"+stored.AccountID+"/"+stored.Region); err != nil {
			return fmt.Errorf("lock scope: %w", err)
		}
		obs, ignored, err := rampart.Observations(res.Findings, stored)
		if err != nil {
			return err
		}
		stats.Ignored += ignored

		cur, scope, err := loadRows(ctx, tx, stored, obs)
		if err != nil {
			return err
		}

		changes, ignoredObs := rampart.PlanCommit(&u, stored.ScanID, obs, cur, scope, at)
		stats.Ignored += ignoredObs

		var events [][]any
		batch := &pgx.Batch{}
		for _, c := range changes {
			row := c.Row
			for _, ev := range c.Events {
				snapArg, r, err := snapshotArg(ev, row)
				if err != nil {
					return err
				}
				row = r
				events = append(events, []any{ev.FindingID, string(ev.Type), micro(ev.At), ev.ScanID, ev.UnitID, snapArg})
				stats.Count(ev.Type)
			}
			batch.Queue(upsertFindingSQL, findingArgs(row)...)
		}
		if len(events) > 0 {
			// COPY keeps the slice's order, so event ids follow it.
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"finding_events"},
				[]string{"finding_id", "type", "at", "scan_id", "unit_id", "snapshot"}, pgx.CopyFromRows(events)); err != nil {
				return fmt.Errorf("append events: %w", err)
			}
		}
		if err := queueFinishUnit(batch, u, stored, at, len(obs)); err != nil {
			return err
		}
		if err := queueArtifacts(batch, res.Artifacts, stored, at); err != nil {
			return err
		}
		if err := tx.SendBatch(ctx, batch).Close(); err != nil {
			if isUniqueViolation(err) {
				return rampart.Errorf(rampart.ECONFLICT, "unit %s: an artifact already exists: %v", u.ID, err)
			}
			return fmt.Errorf("write findings, unit and artifacts: %w", err)
		}
		return nil
	})
	if err != nil {
		return rampart.CommitStats{}, err
	}
	return stats, nil
}

// loadRows reads, locking them, the rows of the unit's scope and the rows
// of the observed findings (which may live in another scope). It returns
// them by ID, and the IDs of the scope's rows in ID order.
func loadRows(ctx context.Context, tx pgx.Tx, unit rampart.ScanUnit, obs []rampart.Finding) (map[string]*rampart.Finding, []string, error) {
	ids := make([]string, len(obs))
	for i, o := range obs {
		ids[i] = o.FindingID
	}
	rows, err := tx.Query(ctx, `SELECT `+findingColumns+` FROM findings
		WHERE (landing_zone_id = $1 AND account_id = $2 AND scope = $3) OR finding_id = ANY($4)
		ORDER BY finding_id FOR UPDATE`, unit.LandingZoneID, unit.AccountID, unit.Region, ids)
	if err != nil {
		return nil, nil, fmt.Errorf("load findings of scope %s/%s/%s: %w", unit.LandingZoneID, unit.AccountID, unit.Region, err)
	}
	defer rows.Close()
	cur := map[string]*rampart.Finding{}
	var scope []string
	for rows.Next() {
		f, err := scanFinding(rows)
		if err != nil {
			return nil, nil, fmt.Errorf("load findings: %w", err)
		}
		cur[f.FindingID] = &f
		if f.LandingZoneID == unit.LandingZoneID && f.AccountID == unit.AccountID && f.Scope == unit.Region {
			scope = append(scope, f.FindingID)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("load findings: %w", err)
	}
	return cur, scope, nil
}

// queueFinishUnit queues the unit's final state. Attempts keep the larger
// of the stored count (MarkUnitRunning) and the result's; StartedAt keeps the
// stored first start; a zero FinishedAt is the observation time.
func queueFinishUnit(b *pgx.Batch, u, stored rampart.ScanUnit, at time.Time, findings int) error {
	attempts := max(stored.Attempts, u.Attempts)
	started := stored.StartedAt
	if started.IsZero() {
		started = u.StartedAt
	}
	finished := u.FinishedAt
	if finished.IsZero() {
		finished = at
	}
	services, err := json.Marshal(servicesOrEmpty(u.Services))
	if err != nil {
		return fmt.Errorf("encode services: %w", err)
	}
	b.Queue(`UPDATE scan_units SET state = $1, error_class = $2, error = $3, attempts = $4,
		started_at = $5, finished_at = $6, services = $7, findings = $8 WHERE id = $9`,
		string(u.State), string(u.ErrorClass), u.Error, attempts, nullTime(started), finished.UTC(),
		string(services), findings, u.ID)
	return nil
}

// queueArtifacts queues the unit's artifact pointers. Pointers without a
// scan or unit ID get the unit's; a zero CreatedAt is the observation time.
func queueArtifacts(b *pgx.Batch, arts []rampart.Artifact, unit rampart.ScanUnit, at time.Time) error {
	for i, a := range arts {
		if a.ID == "" || a.URI == "" {
			return rampart.Errorf(rampart.EINVALID, "unit %s: artifact %d needs an ID and a URI", unit.ID, i)
		}
		if a.ScanID == "" {
			a.ScanID = unit.ScanID
		}
		if a.UnitID == "" {
			a.UnitID = unit.ID
		}
		if a.ScanID != unit.ScanID || a.UnitID != unit.ID {
			return rampart.Errorf(rampart.EINVALID, "unit %s: artifact %s belongs to scan %q unit %q", unit.ID, a.ID, a.ScanID, a.UnitID)
		}
		if a.CreatedAt.IsZero() {
			a.CreatedAt = at
		}
		b.Queue(`INSERT INTO artifacts (id, scan_id, unit_id, kind, uri, sha256, size, content_type, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			a.ID, a.ScanID, a.UnitID, a.Kind, a.URI, a.SHA256, a.Size, a.ContentType, a.CreatedAt.UTC())
	}
	return nil
}

// Reindex rebuilds the findings table in one transaction by replaying
// finding_events through rampart.ApplyEvent (events read per finding in id
// order), writing the rebuilt rows with COPY, and returns the number of
// rows.
func (s *Store) Reindex(ctx context.Context) (int, error) {
	n := 0
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE findings IN EXCLUSIVE MODE`); err != nil {
			return fmt.Errorf("lock findings: %w", err)
		}
		rows, err := tx.Query(ctx, `SELECT `+eventColumns+` FROM finding_events ORDER BY finding_id, id`)
		if err != nil {
			return fmt.Errorf("read events: %w", err)
		}
		var out [][]any
		var cur *rampart.Finding
		curID := ""
		flush := func() {
			if cur != nil {
				out = append(out, findingArgs(cur))
			}
		}
		for rows.Next() {
			ev, err := scanEvent(rows)
			if err != nil {
				rows.Close()
				return fmt.Errorf("read events: %w", err)
			}
			if ev.FindingID != curID {
				flush()
				cur, curID = nil, ev.FindingID
			}
			cur = rampart.ApplyEvent(cur, ev)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read events: %w", err)
		}
		flush()
		if _, err := tx.Exec(ctx, `DELETE FROM findings`); err != nil {
			return fmt.Errorf("clear findings: %w", err)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"findings"}, findingColumnList, pgx.CopyFromRows(out)); err != nil {
			return fmt.Errorf("write findings: %w", err)
		}
		n = len(out)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: reindex: %w", err)
	}
	return n, nil
}
