package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/rampart-cspm/rampart"
)

// AccountRemoved is the status of an account that the last enumeration of
// its landing zone no longer listed.
const AccountRemoved = "REMOVED"

// UpsertLandingZone records or updates a landing zone.
func (s *Store) UpsertLandingZone(ctx context.Context, lz rampart.LandingZone) error {
	if lz.ID == "" {
		return rampart.Errorf(rampart.EINVALID, "landing zone: empty ID")
	}
	regions, err := json.Marshal(nonNil(lz.Regions))
	if err != nil {
		return fmt.Errorf("sqlite: upsert landing zone %s: encode regions: %w", lz.ID, err)
	}
	sla := lz.SLADays
	if sla == nil {
		sla = map[rampart.Severity]int{}
	}
	slaJSON, err := json.Marshal(sla)
	if err != nil {
		return fmt.Errorf("sqlite: upsert landing zone %s: encode SLA days: %w", lz.ID, err)
	}
	src, err := json.Marshal(lz.Accounts)
	if err != nil {
		return fmt.Errorf("sqlite: upsert landing zone %s: encode account source: %w", lz.ID, err)
	}
	now := formatTime(s.now())
	_, err = s.execWrite(ctx, `
		INSERT INTO landing_zones (id, name, cloud, profile, sso_start_url, audit_role_name, external_id,
			regions, owner_team, business_unit, environment, scan_enabled, schedule,
			max_concurrent_accounts, max_concurrent_units_per_account, sla_days, account_source,
			created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET
			name = excluded.name, cloud = excluded.cloud, profile = excluded.profile,
			sso_start_url = excluded.sso_start_url, audit_role_name = excluded.audit_role_name,
			external_id = excluded.external_id, regions = excluded.regions,
			owner_team = excluded.owner_team, business_unit = excluded.business_unit,
			environment = excluded.environment, scan_enabled = excluded.scan_enabled,
			schedule = excluded.schedule, max_concurrent_accounts = excluded.max_concurrent_accounts,
			max_concurrent_units_per_account = excluded.max_concurrent_units_per_account,
			sla_days = excluded.sla_days, account_source = excluded.account_source,
			updated_at = excluded.updated_at`,
		lz.ID, lz.Name, lz.Cloud, lz.Profile, lz.SSOStartURL, lz.AuditRoleName, lz.ExternalID,
		string(regions), lz.OwnerTeam, lz.BusinessUnit, lz.Environment, lz.ScanEnabled, lz.Schedule,
		lz.MaxConcurrentAccounts, lz.MaxConcurrentUnitsPerAccount, string(slaJSON), string(src),
		now, now)
	if err != nil {
		return fmt.Errorf("sqlite: upsert landing zone %s: %w", lz.ID, err)
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ReplaceAccounts records the accounts of landing zone lzID as last
// enumerated. Accounts it no longer lists are kept with status REMOVED. An
// account with a zero UpdatedAt gets the store's clock. It returns ENOTFOUND
// if the landing zone is unknown and EINVALID for an empty or repeated ID.
func (s *Store) ReplaceAccounts(ctx context.Context, lzID string, accounts []rampart.Account) error {
	seen := make(map[string]bool, len(accounts))
	for i, a := range accounts {
		if a.ID == "" {
			return rampart.Errorf(rampart.EINVALID, "accounts of landing zone %s: account %d has an empty ID", lzID, i)
		}
		if seen[a.ID] {
			return rampart.Errorf(rampart.EINVALID, "accounts of landing zone %s: account %s listed twice", lzID, a.ID)
		}
		if a.LandingZoneID != "" && a.LandingZoneID != lzID {
			return rampart.Errorf(rampart.EINVALID, "accounts of landing zone %s: account %s belongs to landing zone %s", lzID, a.ID, a.LandingZoneID)
		}
		seen[a.ID] = true
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := requireLZ(ctx, tx, lzID); err != nil {
			return err
		}
		now := s.now()
		stmt, err := tx.PrepareContext(ctx, `
			INSERT INTO cloud_accounts (landing_zone_id, account_id, name, email, status, ou,
				environment, owner_team, business_unit, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (landing_zone_id, account_id) DO UPDATE SET
				name = excluded.name, email = excluded.email, status = excluded.status, ou = excluded.ou,
				environment = excluded.environment, owner_team = excluded.owner_team,
				business_unit = excluded.business_unit, updated_at = excluded.updated_at`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, a := range accounts {
			at := a.UpdatedAt
			if at.IsZero() {
				at = now
			}
			if _, err := stmt.ExecContext(ctx, lzID, a.ID, a.Name, a.Email, a.Status, a.OU,
				a.Environment, a.OwnerTeam, a.BusinessUnit, formatTime(at)); err != nil {
				return fmt.Errorf("account %s: %w", a.ID, err)
			}
		}
		ids, err := json.Marshal(keys(seen))
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `
			UPDATE cloud_accounts SET status = ?, updated_at = ?
			WHERE landing_zone_id = ? AND status <> ?
			  AND account_id NOT IN (SELECT value FROM json_each(?))`,
			AccountRemoved, formatTime(now), lzID, AccountRemoved, string(ids))
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: replace accounts of landing zone %s: %w", lzID, err)
	}
	return nil
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func requireLZ(ctx context.Context, q querier, lzID string) error {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM landing_zones WHERE id = ?`, lzID).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return rampart.Errorf(rampart.ENOTFOUND, "landing zone %q not found (upsert it first)", lzID)
	}
	return nil
}

// ListAccounts returns the accounts of landing zone lzID, removed ones
// included, ordered by account ID.
func (s *Store) ListAccounts(ctx context.Context, lzID string) ([]rampart.Account, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT landing_zone_id, account_id, name, email, status, ou, environment, owner_team,
			business_unit, updated_at
		FROM cloud_accounts WHERE landing_zone_id = ? ORDER BY account_id`, lzID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list accounts of landing zone %s: %w", lzID, err)
	}
	defer rows.Close()
	var out []rampart.Account
	for rows.Next() {
		var a rampart.Account
		var updated string
		if err := rows.Scan(&a.LandingZoneID, &a.ID, &a.Name, &a.Email, &a.Status, &a.OU,
			&a.Environment, &a.OwnerTeam, &a.BusinessUnit, &updated); err != nil {
			return nil, fmt.Errorf("sqlite: list accounts of landing zone %s: %w", lzID, err)
		}
		if a.UpdatedAt, err = parseTime(updated); err != nil {
			return nil, fmt.Errorf("sqlite: list accounts of landing zone %s: account %s: %w", lzID, a.ID, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list accounts of landing zone %s: %w", lzID, err)
	}
	return out, nil
}

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// bulkCacheKiB is the page cache of a connection while it writes in bulk
// (an ingest, a bare insert): twice the default. Findings are keyed by a
// hash, so a bulk write touches index pages all over the file; at 136,000
// findings (rampart bench ingest --size-mb 256) the larger cache made the
// ingest about 1.35 times faster, for about 70 MB more peak RSS, which a
// bulk writer (one at a time: the write turn) can afford and a pool of
// readers would not.
const bulkCacheKiB = 131072

// beginBulk takes the write turn and starts a transaction on a connection
// of its own whose page cache is bulkCacheKiB. done (after Commit or
// Rollback) gives the cache back, the connection to the pool and the turn.
func (s *Store) beginBulk(ctx context.Context) (tx *sql.Tx, done func(), err error) {
	unlock, err := s.lockWrite(ctx)
	if err != nil {
		return nil, nil, err
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		unlock()
		return nil, nil, err
	}
	release := func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA cache_size = -`+defaultCacheKiB)
		conn.Close()
		unlock()
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA cache_size = -%d`, bulkCacheKiB)); err != nil {
		release()
		return nil, nil, err
	}
	if tx, err = conn.BeginTx(ctx, nil); err != nil {
		release()
		return nil, nil, err
	}
	return tx, release, nil
}

// inTx runs fn in a transaction, committing if it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	unlock, err := s.lockWrite(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}
