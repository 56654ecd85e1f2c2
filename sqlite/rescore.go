package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"time"

	"github.com/rampart-cspm/rampart"
)

// RescoreID is the scan_id of the changed events a rescore at t writes.
func RescoreID(t time.Time) string { return "rescore-" + t.UTC().Format("20060102T150405Z") }

// Rescore recomputes rows without a scan: in one transaction it passes a
// copy of every findings row to update, and for every row update changed
// appends a "changed" event whose snapshot is the new row (scan_id
// RescoreID(at), unit_id "rescore") and writes the row. Reindex therefore
// reproduces rescored rows. It returns how many rows changed; an error
// from update aborts the whole rescore and writes nothing.
func (s *Store) Rescore(ctx context.Context, at time.Time, update func(f *rampart.Finding) error) (int, error) {
	n := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+findingColumns+` FROM findings ORDER BY finding_id`)
		if err != nil {
			return fmt.Errorf("read findings: %w", err)
		}
		var all []rampart.Finding
		for rows.Next() {
			f, err := scanFinding(rows)
			if err != nil {
				rows.Close()
				return fmt.Errorf("read findings: %w", err)
			}
			all = append(all, f)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read findings: %w", err)
		}
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
		for i := range all {
			cur := all[i]
			next := cur
			if err := update(&next); err != nil {
				return fmt.Errorf("finding %s: %w", cur.FindingID, err)
			}
			snap, err := encodeSnapshot(&next)
			if err != nil {
				return err
			}
			row, err := decodeSnapshot(sql.NullString{String: snap.(string), Valid: true})
			if err != nil {
				return err
			}
			if reflect.DeepEqual(*row, cur) {
				continue
			}
			if _, err := insEvent.ExecContext(ctx, cur.FindingID, string(rampart.EventChanged), formatTime(at),
				RescoreID(at), "rescore", snap); err != nil {
				return fmt.Errorf("append changed event of finding %s: %w", cur.FindingID, err)
			}
			if _, err := upsert.ExecContext(ctx, findingArgs(row)...); err != nil {
				return fmt.Errorf("write finding %s: %w", cur.FindingID, err)
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: rescore: %w", err)
	}
	return n, nil
}
