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

// CreateScan records a scan and its units (units by COPY). A scan with no
// Status is running; a zero StartedAt is the store's clock. Units get the
// scan's ID and landing zone, the deterministic rampart.UnitID when their ID
// is empty, and state pending when theirs is empty. It returns ENOTFOUND for
// an unknown landing zone and ECONFLICT if the scan or a unit already exists.
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
	rows := make([][]any, 0, len(units))
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
		services, err := json.Marshal(servicesOrEmpty(u.Services))
		if err != nil {
			return fmt.Errorf("postgres: create scan %s: unit %s: encode services: %w", scan.ID, u.ID, err)
		}
		rows = append(rows, []any{u.ID, u.ScanID, u.LandingZoneID, u.AccountID, u.Region, string(u.State),
			string(u.ErrorClass), u.Error, u.Attempts, nullTime(u.StartedAt), nullTime(u.FinishedAt),
			string(services), u.Findings, i})
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := requireLZ(ctx, tx, scan.LandingZoneID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `
			INSERT INTO scans (id, landing_zone_id, scanner, status, started_at, finished_at, error)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			scan.ID, scan.LandingZoneID, scan.Scanner, string(scan.Status),
			scan.StartedAt.UTC(), nullTime(scan.FinishedAt), scan.Error)
		if isUniqueViolation(err) {
			return rampart.Errorf(rampart.ECONFLICT, "scan %s already exists", scan.ID)
		} else if err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"scan_units"},
			[]string{"id", "scan_id", "landing_zone_id", "account_id", "region", "state", "error_class",
				"error", "attempts", "started_at", "finished_at", "services", "findings", "seq"},
			pgx.CopyFromRows(rows))
		if isUniqueViolation(err) {
			return rampart.Errorf(rampart.ECONFLICT, "a scan unit of scan %s already exists: %v", scan.ID, err)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: create scan %s: %w", scan.ID, err)
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
	tag, err := s.pool.Exec(ctx, `UPDATE scans SET status = $1, finished_at = $2, error = $3 WHERE id = $4`,
		string(scan.Status), scan.FinishedAt.UTC(), scan.Error, scan.ID)
	if err != nil {
		return fmt.Errorf("postgres: finish scan %s: %w", scan.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return rampart.Errorf(rampart.ENOTFOUND, "scan %q not found", scan.ID)
	}
	return nil
}

const scanColumns = `id, landing_zone_id, scanner, status, started_at, finished_at, error`

func scanScan(r pgx.Row) (rampart.Scan, error) {
	var sc rampart.Scan
	var status string
	var started time.Time
	var finished *time.Time
	if err := r.Scan(&sc.ID, &sc.LandingZoneID, &sc.Scanner, &status, &started, &finished, &sc.Error); err != nil {
		return sc, err
	}
	sc.Status = rampart.UnitState(status)
	sc.StartedAt, sc.FinishedAt = started.UTC(), fromNull(finished)
	return sc, nil
}

// GetScan returns the scan with the given ID, or ENOTFOUND.
func (s *Store) GetScan(ctx context.Context, id string) (rampart.Scan, error) {
	sc, err := scanScan(s.pool.QueryRow(ctx, `SELECT `+scanColumns+` FROM scans WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return rampart.Scan{}, rampart.Errorf(rampart.ENOTFOUND, "scan %q not found", id)
	} else if err != nil {
		return rampart.Scan{}, fmt.Errorf("postgres: get scan %s: %w", id, err)
	}
	return sc, nil
}

// ListScans returns the scans of landing zone lzID ("" for all), newest
// first, at most limit of them (limit <= 0: all).
func (s *Store) ListScans(ctx context.Context, lzID string, limit int) ([]rampart.Scan, error) {
	var lim *int
	if limit > 0 {
		lim = &limit
	}
	rows, err := s.pool.Query(ctx, `SELECT `+scanColumns+` FROM scans
		WHERE ($1 = '' OR landing_zone_id = $1) ORDER BY started_at DESC, id DESC LIMIT $2`, lzID, lim)
	if err != nil {
		return nil, fmt.Errorf("postgres: list scans of landing zone %q: %w", lzID, err)
	}
	defer rows.Close()
	var out []rampart.Scan
	for rows.Next() {
		sc, err := scanScan(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: list scans of landing zone %q: %w", lzID, err)
		}
		out = append(out, sc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: list scans of landing zone %q: %w", lzID, err)
	}
	return out, nil
}

const unitColumns = `id, scan_id, landing_zone_id, account_id, region, state, error_class, error,
	attempts, started_at, finished_at, services, findings`

func scanUnit(r pgx.Row) (rampart.ScanUnit, error) {
	var u rampart.ScanUnit
	var state, class, services string
	var started, finished *time.Time
	if err := r.Scan(&u.ID, &u.ScanID, &u.LandingZoneID, &u.AccountID, &u.Region, &state, &class, &u.Error,
		&u.Attempts, &started, &finished, &services, &u.Findings); err != nil {
		return u, err
	}
	u.State, u.ErrorClass = rampart.UnitState(state), rampart.ErrorClass(class)
	u.StartedAt, u.FinishedAt = fromNull(started), fromNull(finished)
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
	rows, err := s.pool.Query(ctx, `SELECT `+unitColumns+` FROM scan_units WHERE scan_id = $1 ORDER BY seq`, scanID)
	if err != nil {
		return nil, fmt.Errorf("postgres: list units of scan %s: %w", scanID, err)
	}
	defer rows.Close()
	var out []rampart.ScanUnit
	for rows.Next() {
		u, err := scanUnit(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: list units of scan %s: %w", scanID, err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: list units of scan %s: %w", scanID, err)
	}
	return out, nil
}

// GetUnit returns one scan unit, or ENOTFOUND. Workers use it to skip a
// redelivered unit that is already terminal.
func (s *Store) GetUnit(ctx context.Context, unitID string) (rampart.ScanUnit, error) {
	u, err := scanUnit(s.pool.QueryRow(ctx, `SELECT `+unitColumns+` FROM scan_units WHERE id = $1`, unitID))
	if errors.Is(err, pgx.ErrNoRows) {
		return u, rampart.Errorf(rampart.ENOTFOUND, "scan unit %q not found", unitID)
	} else if err != nil {
		return u, fmt.Errorf("postgres: get unit %s: %w", unitID, err)
	}
	return u, nil
}

// MarkUnitRunning moves a unit to running and counts an attempt. StartedAt
// keeps the first attempt's time (the store's clock when at is zero). It
// returns ENOTFOUND for an unknown unit and ECONFLICT for a terminal one.
func (s *Store) MarkUnitRunning(ctx context.Context, unitID string, at time.Time) error {
	if at.IsZero() {
		at = s.now()
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var state string
		err := tx.QueryRow(ctx, `SELECT state FROM scan_units WHERE id = $1 FOR UPDATE`, unitID).Scan(&state)
		if errors.Is(err, pgx.ErrNoRows) {
			return rampart.Errorf(rampart.ENOTFOUND, "scan unit %q not found", unitID)
		} else if err != nil {
			return err
		}
		if rampart.UnitState(state).Terminal() {
			return rampart.Errorf(rampart.ECONFLICT, "scan unit %q is already %s", unitID, state)
		}
		_, err = tx.Exec(ctx, `UPDATE scan_units SET state = $1, attempts = attempts + 1,
			started_at = COALESCE(started_at, $2) WHERE id = $3`,
			string(rampart.UnitRunning), at.UTC(), unitID)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: mark unit %s running: %w", unitID, err)
	}
	return nil
}
