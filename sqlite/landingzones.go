package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/rampart-cspm/rampart"
)

// RiskLandingZones returns the recorded landing zones, ordered by ID, with
// the attributes risk enrichment needs (owner, business unit, environment,
// SLA days, account source and its overrides) besides their identity.
// Unlike ListLandingZones it fills Accounts, where account overrides live.
func (s *Store) RiskLandingZones(ctx context.Context) ([]rampart.LandingZone, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, cloud, owner_team, business_unit, environment,
		scan_enabled, sla_days, account_source FROM landing_zones ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list landing zones: %w", err)
	}
	defer rows.Close()
	var out []rampart.LandingZone
	for rows.Next() {
		var lz rampart.LandingZone
		var sla, src string
		if err := rows.Scan(&lz.ID, &lz.Name, &lz.Cloud, &lz.OwnerTeam, &lz.BusinessUnit, &lz.Environment,
			&lz.ScanEnabled, &sla, &src); err != nil {
			return nil, fmt.Errorf("sqlite: list landing zones: %w", err)
		}
		if err := json.Unmarshal([]byte(sla), &lz.SLADays); err != nil {
			return nil, fmt.Errorf("sqlite: list landing zones: %s: sla_days: %w", lz.ID, err)
		}
		if err := json.Unmarshal([]byte(src), &lz.Accounts); err != nil {
			return nil, fmt.Errorf("sqlite: list landing zones: %s: account_source: %w", lz.ID, err)
		}
		out = append(out, lz)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list landing zones: %w", err)
	}
	return out, nil
}
