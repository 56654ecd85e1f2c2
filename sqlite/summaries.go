package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/rampart-cspm/rampart"
)

// summaryTriggers are the triggers of migration 0003 that keep open_counts,
// status_counts and facet_counts exact row by row. A bulk ingest drops them
// inside its transaction, keeps the same counts in memory (summaryDelta)
// and, before committing, applies the counts once per key and recreates
// the triggers from their stored SQL: other connections never see the
// table without them, and a rollback restores them with everything else.
// A trigger on findings not named here is left in place.
var summaryTriggers = map[string]bool{
	"findings_counts_insert": true, "findings_open_insert": true,
	"findings_counts_delete": true, "findings_open_delete": true,
	"findings_counts_update": true, "findings_open_update_old": true, "findings_open_update_new": true,
}

type openKey struct {
	lz, account string
	rank        int
	band        string
}

type statusKey struct{ lz, framework, requirement, status string }

// summaryDelta is what the summary triggers would have added to each
// summary row. Its size is bounded by the number of distinct keys
// (landing zones × accounts × severities × bands, frameworks ×
// requirements × statuses, facet values), not by the number of findings.
type summaryDelta struct {
	open   map[openKey]int
	status map[statusKey]int
	facet  map[[2]string]int
}

func newSummaryDelta() *summaryDelta {
	return &summaryDelta{open: map[openKey]int{}, status: map[statusKey]int{}, facet: map[[2]string]int{}}
}

// riskBand is migration 0003's CASE over risk_score.
func riskBand(score int) string {
	switch {
	case score >= 80:
		return "critical"
	case score >= 60:
		return "high"
	case score >= 40:
		return "medium"
	case score >= 20:
		return "low"
	}
	return "minimal"
}

// add counts row f (as findingArgs writes it) d times: +1 for a row
// written, -1 for the row it replaced. An unchanged pair nets to zero, as
// the update triggers' WHEN clause makes it.
func (s *summaryDelta) add(f *rampart.Finding, d int) {
	if f == nil {
		return
	}
	s.status[statusKey{f.LandingZoneID, f.Framework, f.RequirementID, string(f.Status)}] += d
	for _, fv := range [...][2]string{
		{"landing_zone_id", f.LandingZoneID}, {"region", f.Region}, {"service", f.Service},
		{"resource_type", f.ResourceType}, {"framework", f.Framework}, {"owner_team", f.OwnerTeam},
		{"environment", f.Environment},
	} {
		s.facet[fv] += d
	}
	if f.Status == rampart.StatusFail && f.ResolvedAt == nil {
		s.open[openKey{f.LandingZoneID, f.AccountID, f.Severity.Rank(), riskBand(f.RiskScore)}] += d
	}
}

// dropSummaryTriggers drops the summary triggers on findings in tx and
// returns their SQL for restoreTriggers.
func dropSummaryTriggers(ctx context.Context, tx *sql.Tx) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'findings' ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list triggers: %w", err)
	}
	var names, sqls []string
	for rows.Next() {
		var name, q string
		if err := rows.Scan(&name, &q); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list triggers: %w", err)
		}
		if summaryTriggers[name] {
			names, sqls = append(names, name), append(sqls, q)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list triggers: %w", err)
	}
	for _, name := range names {
		if _, err := tx.ExecContext(ctx, `DROP TRIGGER "`+name+`"`); err != nil {
			return nil, fmt.Errorf("drop trigger %s: %w", name, err)
		}
	}
	return sqls, nil
}

// apply adds the counts to the summary tables (rows with a zero net count
// are written too, as the triggers leave them) and recreates the triggers.
func (s *summaryDelta) apply(ctx context.Context, tx *sql.Tx, triggers []string) error {
	for k, n := range s.status {
		if _, err := tx.ExecContext(ctx, `INSERT INTO status_counts (landing_zone_id, framework, requirement_id, status, n)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n`, k.lz, k.framework, k.requirement, k.status, n); err != nil {
			return fmt.Errorf("status counts: %w", err)
		}
	}
	for k, n := range s.facet {
		if _, err := tx.ExecContext(ctx, `INSERT INTO facet_counts (field, value, n)
			VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n`, k[0], k[1], n); err != nil {
			return fmt.Errorf("facet counts: %w", err)
		}
	}
	for k, n := range s.open {
		if _, err := tx.ExecContext(ctx, `INSERT INTO open_counts (landing_zone_id, account_id, severity_rank, risk_band, n)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n`, k.lz, k.account, k.rank, k.band, n); err != nil {
			return fmt.Errorf("open counts: %w", err)
		}
	}
	for _, q := range triggers {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("recreate trigger: %w", err)
		}
	}
	return nil
}
