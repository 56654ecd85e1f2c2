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

// CreateScan records a scan and its units. A scan with no Status is
// running; a zero StartedAt is the store's clock. Units get the scan's ID
// and landing zone, the deterministic rampart.UnitID when their ID is empty,
// and state pending when theirs is empty. It returns ENOTFOUND for an unknown
// landing zone and ECONFLICT if the scan or a unit already exists.
func (s *Store) CreateScan(ctx context.Context, scan rampart.Scan, units []rampart.ScanUnit) error {
	if scan.ID == "" {
		return rampart.Errorf(rampart.EINVALID, "scan: empty ID")
	}
	if scan.Status == "" {
		scan.Status = rampart.UnitRunning
	}
	if scan.StartedAt.IsZero() {
		scan.StartedAt = s.now()
	}
	for i := range units {
		u := &units[i]
		if u.ScanID == "" {
			u.ScanID = scan.ID
		}
		if u.LandingZoneID == "" {
			u.LandingZoneID = scan.LandingZoneID
		}
		if u.ScanID != scan.ID || u.LandingZoneID != scan.LandingZoneID {
			return rampart.Errorf(rampart.EINVALID, "scan %s: unit %d (%s) belongs to scan %q of landing zone %q",
				scan.ID, i, u.ID, u.ScanID, u.LandingZoneID)
		}
		if u.AccountID == "" || u.Region == "" {
			return rampart.Errorf(rampart.EINVALID, "scan %s: unit %d (%s) needs an account and a region", scan.ID, i, u.ID)
		}
		if u.ID == "" {
			u.ID = rampart.UnitID(scan.ID, u.AccountID, u.Region)
		}
		if u.State == "" {
			u.State = rampart.UnitPending
		}
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := requireLZ(ctx, tx, scan.LandingZoneID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `
			INSERT INTO scans (id, landing_zone_id, scanner, status, started_at, finished_at, error)
			VALUES (?, ?, ?, ?, ?, ?, ?)`,
			scan.ID, scan.LandingZoneID, scan.Scanner, string(scan.Status),
			formatTime(scan.StartedAt), nullTime(scan.FinishedAt), scan.Error)
		if isUniqueViolation(err) {
			return rampart.Errorf(rampart.ECONFLICT, "scan %s already exists", scan.ID)
		} else if err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, `
			INSERT INTO scan_units (id, scan_id, landing_zone_id, account_id, region, state, error_class,
				error, attempts, started_at, finished_at, services, findings, seq)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for i, u := range units {
			services, err := json.Marshal(servicesOrEmpty(u.Services))
			if err != nil {
				return fmt.Errorf("unit %s: encode services: %w", u.ID, err)
			}
			_, err = stmt.ExecContext(ctx, u.ID, u.ScanID, u.LandingZoneID, u.AccountID, u.Region,
				string(u.State), string(u.ErrorClass), u.Error, u.Attempts,
				nullTime(u.StartedAt), nullTime(u.FinishedAt), string(services), u.Findings, i)
			if isUniqueViolation(err) {
				return rampart.Errorf(rampart.ECONFLICT, "scan unit %s already exists", u.ID)
			} else if err != nil {
				return fmt.Errorf("unit %s: %w", u.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: create scan %s: %w", scan.ID, err)
	}
	return nil
}

func servicesOrEmpty(s []rampart.ServiceResult) []rampart.ServiceResult {
	if s == nil {
		return []rampart.ServiceResult{}
	}
	return s
}

// FinishScan records a scan's final status, finish time (the store's clock
// when zero) and error. The status must be terminal. It returns ENOTFOUND if
// the scan is unknown.
func (s *Store) FinishScan(ctx context.Context, scan rampart.Scan) error {
	if !scan.Status.Terminal() {
		return rampart.Errorf(rampart.EINVALID, "finish scan %s: status %q is not terminal", scan.ID, scan.Status)
	}
	if scan.FinishedAt.IsZero() {
		scan.FinishedAt = s.now()
	}
	res, err := s.execWrite(ctx, `UPDATE scans SET status = ?, finished_at = ?, error = ? WHERE id = ?`,
		string(scan.Status), formatTime(scan.FinishedAt), scan.Error, scan.ID)
	if err != nil {
		return fmt.Errorf("sqlite: finish scan %s: %w", scan.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlite: finish scan %s: %w", scan.ID, err)
	} else if n == 0 {
		return rampart.Errorf(rampart.ENOTFOUND, "scan %q not found", scan.ID)
	}
	return nil
}

const scanColumns = `id, landing_zone_id, scanner, status, started_at, finished_at, error`

func scanScan(r interface{ Scan(...any) error }) (rampart.Scan, error) {
	var sc rampart.Scan
	var status, started string
	var finished sql.NullString
	if err := r.Scan(&sc.ID, &sc.LandingZoneID, &sc.Scanner, &status, &started, &finished, &sc.Error); err != nil {
		return sc, err
	}
	sc.Status = rampart.UnitState(status)
	var err error
	if sc.StartedAt, err = parseTime(started); err != nil {
		return sc, fmt.Errorf("scan %s: started_at: %w", sc.ID, err)
	}
	if sc.FinishedAt, err = parseNullTime(finished); err != nil {
		return sc, fmt.Errorf("scan %s: finished_at: %w", sc.ID, err)
	}
	return sc, nil
}

// GetScan returns the scan with the given ID, or ENOTFOUND.
func (s *Store) GetScan(ctx context.Context, id string) (rampart.Scan, error) {
	sc, err := scanScan(s.db.QueryRowContext(ctx, `SELECT `+scanColumns+` FROM scans WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return rampart.Scan{}, rampart.Errorf(rampart.ENOTFOUND, "scan %q not found", id)
	} else if err != nil {
		return rampart.Scan{}, fmt.Errorf("sqlite: get scan %s: %w", id, err)
	}
	return sc, nil
}

// ListScans returns the scans of landing zone lzID ("" for all), newest
// first, at most limit of them (limit <= 0: all).
func (s *Store) ListScans(ctx context.Context, lzID string, limit int) ([]rampart.Scan, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+scanColumns+` FROM scans
		WHERE (? = '' OR landing_zone_id = ?) ORDER BY started_at DESC, id DESC LIMIT ?`, lzID, lzID, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list scans of landing zone %q: %w", lzID, err)
	}
	defer rows.Close()
	var out []rampart.Scan
	for rows.Next() {
		sc, err := scanScan(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list scans of landing zone %q: %w", lzID, err)
		}
		out = append(out, sc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list scans of landing zone %q: %w", lzID, err)
	}
	return out, nil
}

const unitColumns = `id, scan_id, landing_zone_id, account_id, region, state, error_class, error,
	attempts, started_at, finished_at, services, findings`

func scanUnit(r interface{ Scan(...any) error }) (rampart.ScanUnit, error) {
	var u rampart.ScanUnit
	var state, class, services string
	var started, finished sql.NullString
	if err := r.Scan(&u.ID, &u.ScanID, &u.LandingZoneID, &u.AccountID, &u.Region, &state, &class, &u.Error,
		&u.Attempts, &started, &finished, &services, &u.Findings); err != nil {
		return u, err
	}
	u.State, u.ErrorClass = rampart.UnitState(state), rampart.ErrorClass(class)
	var err error
	if u.StartedAt, err = parseNullTime(started); err != nil {
		return u, fmt.Errorf("unit %s: started_at: %w", u.ID, err)
	}
	if u.FinishedAt, err = parseNullTime(finished); err != nil {
		return u, fmt.Errorf("unit %s: finished_at: %w", u.ID, err)
	}
	if err := json.Unmarshal([]byte(services), &u.Services); err != nil {
		return u, fmt.Errorf("unit %s: services: %w", u.ID, err)
	}
	if len(u.Services) == 0 {
		u.Services = nil
	}
	return u, nil
}

// ListUnits returns the units of a scan in the order they were created. It
// returns ENOTFOUND if the scan is unknown.
func (s *Store) ListUnits(ctx context.Context, scanID string) ([]rampart.ScanUnit, error) {
	if _, err := s.GetScan(ctx, scanID); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+unitColumns+` FROM scan_units WHERE scan_id = ? ORDER BY seq`, scanID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list units of scan %s: %w", scanID, err)
	}
	defer rows.Close()
	var out []rampart.ScanUnit
	for rows.Next() {
		u, err := scanUnit(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list units of scan %s: %w", scanID, err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list units of scan %s: %w", scanID, err)
	}
	return out, nil
}

// MarkUnitRunning moves a unit to running and counts an attempt. StartedAt
// keeps the first attempt's time (the store's clock when at is zero). It returns ENOTFOUND for an unknown unit
// and ECONFLICT for a terminal one.
func (s *Store) MarkUnitRunning(ctx context.Context, unitID string, at time.Time) error {
	if at.IsZero() {
		at = s.now()
	}
	// Units start in crowds: their marks share transactions.
	err := s.inGroupTx(ctx, func(tx *sql.Tx) error {
		var state string
		err := tx.QueryRowContext(ctx, `SELECT state FROM scan_units WHERE id = ?`, unitID).Scan(&state)
		if errors.Is(err, sql.ErrNoRows) {
			return rampart.Errorf(rampart.ENOTFOUND, "scan unit %q not found", unitID)
		} else if err != nil {
			return err
		}
		if rampart.UnitState(state).Terminal() {
			return rampart.Errorf(rampart.ECONFLICT, "scan unit %q is already %s", unitID, state)
		}
		_, err = tx.ExecContext(ctx, `UPDATE scan_units SET state = ?, attempts = attempts + 1,
			started_at = COALESCE(started_at, ?) WHERE id = ?`,
			string(rampart.UnitRunning), formatTime(at), unitID)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: mark unit %s running: %w", unitID, err)
	}
	return nil
}
