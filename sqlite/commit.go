package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rampart-cspm/rampart"
)

// CommitUnit applies a unit's result in one transaction: the findings'
// lifecycle (rampart.Observe for every observation, rampart.Vanish for the
// unresolved rows of the unit's scope that the result covers but did not
// observe), the events, the unit's final state and the artifact pointers.
//
// It returns ECONFLICT, writing nothing, if the unit is unknown or already
// terminal, and EINVALID if the result does not match the unit or is not
// terminal. Of several observations with the same FindingID the last one
// counts and the others are counted as Ignored, as are observations
// rampart.Observe ignores.
func (s *Store) CommitUnit(ctx context.Context, res rampart.UnitResult) (rampart.CommitStats, error) {
	stats, err := s.commitUnit(ctx, res)
	if err != nil {
		return rampart.CommitStats{}, fmt.Errorf("sqlite: commit unit %s: %w", res.Unit.ID, err)
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
	at = at.UTC()

	err := s.inTx(ctx, func(tx *sql.Tx) error {
		stored, err := scanUnit(tx.QueryRowContext(ctx, `SELECT `+unitColumns+` FROM scan_units WHERE id = ?`, u.ID))
		if errors.Is(err, sql.ErrNoRows) {
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

		insEvent, err := tx.PrepareContext(ctx, `INSERT INTO finding_events (finding_id, type, at, scan_id, unit_id, snapshot)
			VALUES (?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer insEvent.Close()
		upsert, err := tx.PrepareContext(ctx, upsertFindingSQL)
		if err != nil {
			return err
		}
		defer upsert.Close()
		touch, err := tx.PrepareContext(ctx, touchFindingSQL)
		if err != nil {
			return err
		}
		defer touch.Close()
		var snapBuf []byte
		for _, c := range changes {
			row := c.Row
			if len(c.Events) == 1 && c.Events[0].Type == rampart.EventSeen && cur[row.FindingID] != nil {
				// Seen moves scan_id and last_seen_at only: two columns
				// (and the few indexes holding them), not the whole row.
				if _, err := insEvent.ExecContext(ctx, row.FindingID, string(rampart.EventSeen), formatTime(c.Events[0].At),
					c.Events[0].ScanID, c.Events[0].UnitID, nil); err != nil {
					return fmt.Errorf("append seen event of finding %s: %w", row.FindingID, err)
				}
				stats.Count(rampart.EventSeen)
				if _, err := touch.ExecContext(ctx, row.ScanID, formatTime(row.LastSeenAt), row.FindingID); err != nil {
					return fmt.Errorf("write finding %s: %w", row.FindingID, err)
				}
				continue
			}
			for _, ev := range c.Events {
				var snap any
				if ev.Snapshot != nil {
					// Write exactly what Reindex will read back from the
					// event, so that both paths give identical rows.
					enc, r, err := encodeSnapshotRow(&snapBuf, ev.Snapshot)
					if err != nil {
						return err
					}
					snap, row = enc, r
				}
				if _, err := insEvent.ExecContext(ctx, ev.FindingID, string(ev.Type), formatTime(ev.At),
					ev.ScanID, ev.UnitID, snap); err != nil {
					return fmt.Errorf("append %s event of finding %s: %w", ev.Type, ev.FindingID, err)
				}
				stats.Count(ev.Type)
			}
			if _, err := upsert.ExecContext(ctx, findingArgs(row)...); err != nil {
				return fmt.Errorf("write finding %s: %w", row.FindingID, err)
			}
		}

		if err := finishUnit(ctx, tx, u, stored, at, len(obs)); err != nil {
			return err
		}
		return insertArtifacts(ctx, tx, res.Artifacts, stored, at)
	})
	if err != nil {
		return rampart.CommitStats{}, err
	}
	return stats, nil
}

// loadRows reads, in one query, the rows of the unit's scope and the rows
// of the observed findings (which may live in another scope). It returns
// them by ID, and the IDs of the scope's rows in ID order.
func loadRows(ctx context.Context, tx *sql.Tx, unit rampart.ScanUnit, obs []rampart.Finding) (map[string]*rampart.Finding, []string, error) {
	ids := make([]string, len(obs))
	for i, o := range obs {
		ids[i] = o.FindingID
	}
	idJSON, err := json.Marshal(ids)
	if err != nil {
		return nil, nil, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+findingColumns+` FROM findings
		WHERE (landing_zone_id = ? AND account_id = ? AND scope = ?)
		   OR finding_id IN (SELECT value FROM json_each(?))
		ORDER BY finding_id`, unit.LandingZoneID, unit.AccountID, unit.Region, string(idJSON))
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

// finishUnit writes the unit's final state. Attempts keep the larger of
// the stored count (MarkUnitRunning) and the result's; StartedAt keeps the
// stored first start; a zero FinishedAt is the observation time.
func finishUnit(ctx context.Context, tx *sql.Tx, u, stored rampart.ScanUnit, at time.Time, findings int) error {
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
	_, err = tx.ExecContext(ctx, `UPDATE scan_units SET state = ?, error_class = ?, error = ?, attempts = ?,
		started_at = ?, finished_at = ?, services = ?, findings = ? WHERE id = ?`,
		string(u.State), string(u.ErrorClass), u.Error, attempts, nullTime(started), formatTime(finished),
		string(services), findings, u.ID)
	if err != nil {
		return fmt.Errorf("update unit: %w", err)
	}
	return nil
}

// insertArtifacts records the unit's artifact pointers. Pointers without a
// scan or unit ID get the unit's; a zero CreatedAt is the observation time.
// An ID that already exists is ECONFLICT, which aborts the whole commit.
func insertArtifacts(ctx context.Context, tx *sql.Tx, arts []rampart.Artifact, unit rampart.ScanUnit, at time.Time) error {
	if len(arts) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO artifacts (id, scan_id, unit_id, kind, uri, sha256, size, content_type, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
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
		_, err := stmt.ExecContext(ctx, a.ID, a.ScanID, a.UnitID, a.Kind, a.URI, a.SHA256, a.Size, a.ContentType, formatTime(a.CreatedAt))
		if isUniqueViolation(err) {
			return rampart.Errorf(rampart.ECONFLICT, "unit %s: artifact %s already exists", unit.ID, a.ID)
		} else if err != nil {
			return fmt.Errorf("artifact %s: %w", a.ID, err)
		}
	}
	return nil
}

// Reindex rebuilds the findings table in one transaction by replaying
// finding_events through rampart.ApplyEvent, and returns the number of rows.
// Events are read per finding in id order: ApplyEvent only ever combines a
// finding's own events, so this is the same as replaying all events by id,
// and needs only one row in memory at a time.
func (s *Store) Reindex(ctx context.Context) (int, error) {
	n := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM findings`); err != nil {
			return fmt.Errorf("clear findings: %w", err)
		}
		ins, err := tx.PrepareContext(ctx, upsertFindingSQL)
		if err != nil {
			return err
		}
		defer ins.Close()
		rows, err := tx.QueryContext(ctx, `SELECT `+eventColumns+` FROM finding_events ORDER BY finding_id, id`)
		if err != nil {
			return fmt.Errorf("read events: %w", err)
		}
		defer rows.Close()
		var cur *rampart.Finding
		flush := func() error {
			if cur == nil {
				return nil
			}
			if _, err := ins.ExecContext(ctx, findingArgs(cur)...); err != nil {
				return fmt.Errorf("write finding %s: %w", cur.FindingID, err)
			}
			n++
			return nil
		}
		curID := ""
		for rows.Next() {
			ev, err := scanEvent(rows)
			if err != nil {
				return fmt.Errorf("read events: %w", err)
			}
			if ev.FindingID != curID {
				if err := flush(); err != nil {
					return err
				}
				cur, curID = nil, ev.FindingID
			}
			cur = rampart.ApplyEvent(cur, ev)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read events: %w", err)
		}
		return flush()
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: reindex: %w", err)
	}
	return n, nil
}
