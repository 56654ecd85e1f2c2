package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

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
		return fmt.Errorf("postgres: upsert landing zone %s: encode regions: %w", lz.ID, err)
	}
	sla := lz.SLADays
	if sla == nil {
		sla = map[rampart.Severity]int{}
	}
	slaJSON, err := json.Marshal(sla)
	if err != nil {
		return fmt.Errorf("postgres: upsert landing zone %s: encode SLA days: %w", lz.ID, err)
	}
	src, err := json.Marshal(lz.Accounts)
	if err != nil {
		return fmt.Errorf("postgres: upsert landing zone %s: encode account source: %w", lz.ID, err)
	}
	now := s.now()
	_, err = s.pool.Exec(ctx, `
		INSERT INTO landing_zones (id, name, cloud, profile, sso_start_url, audit_role_name, external_id,
			regions, owner_team, business_unit, environment, scan_enabled, schedule,
			max_concurrent_accounts, max_concurrent_units_per_account, sla_days, account_source,
			created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18)
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
		lz.MaxConcurrentAccounts, lz.MaxConcurrentUnitsPerAccount, string(slaJSON), string(src), now)
	if err != nil {
		return fmt.Errorf("postgres: upsert landing zone %s: %w", lz.ID, err)
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
	ids := make([]string, 0, len(accounts))
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
		ids = append(ids, a.ID)
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := requireLZ(ctx, tx, lzID); err != nil {
			return err
		}
		now := s.now()
		b := &pgx.Batch{}
		for _, a := range accounts {
			at := a.UpdatedAt
			if at.IsZero() {
				at = now
			}
			b.Queue(`
				INSERT INTO cloud_accounts (landing_zone_id, account_id, name, email, status, ou,
					environment, owner_team, business_unit, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
				ON CONFLICT (landing_zone_id, account_id) DO UPDATE SET
					name = excluded.name, email = excluded.email, status = excluded.status, ou = excluded.ou,
					environment = excluded.environment, owner_team = excluded.owner_team,
					business_unit = excluded.business_unit, updated_at = excluded.updated_at`,
				lzID, a.ID, a.Name, a.Email, a.Status, a.OU, a.Environment, a.OwnerTeam, a.BusinessUnit, at.UTC())
		}
		b.Queue(`UPDATE cloud_accounts SET status = $1, updated_at = $2
			WHERE landing_zone_id = $3 AND status <> $1 AND NOT (account_id = ANY($4))`,
			AccountRemoved, now, lzID, ids)
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return fmt.Errorf("postgres: replace accounts of landing zone %s: %w", lzID, err)
	}
	return nil
}

func requireLZ(ctx context.Context, q querier, lzID string) error {
	var n int
	if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM landing_zones WHERE id = $1`, lzID).Scan(&n); err != nil {
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
	rows, err := s.pool.Query(ctx, `
		SELECT landing_zone_id, account_id, name, email, status, ou, environment, owner_team,
			business_unit, updated_at
		FROM cloud_accounts WHERE landing_zone_id = $1 ORDER BY account_id`, lzID)
	if err != nil {
		return nil, fmt.Errorf("postgres: list accounts of landing zone %s: %w", lzID, err)
	}
	defer rows.Close()
	var out []rampart.Account
	for rows.Next() {
		var a rampart.Account
		var updated time.Time
		if err := rows.Scan(&a.LandingZoneID, &a.ID, &a.Name, &a.Email, &a.Status, &a.OU,
			&a.Environment, &a.OwnerTeam, &a.BusinessUnit, &updated); err != nil {
			return nil, fmt.Errorf("postgres: list accounts of landing zone %s: %w", lzID, err)
		}
		a.UpdatedAt = updated.UTC()
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: list accounts of landing zone %s: %w", lzID, err)
	}
	return out, nil
}
