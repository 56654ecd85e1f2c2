package sqlite

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/rampart-cspm/rampart"
)

// TestSummariesMatchFindings checks that the trigger-kept summary tables
// answer exactly what counting the findings table answers, after inserts,
// lifecycle updates and deletes.
func TestSummariesMatchFindings(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	now := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	if err := s.GenerateDataset(ctx, GenerateOptions{Findings: 3000, Seed: 3, Now: now, LandingZones: 3, AccountsPerLZ: 4, Scans: 2}); err != nil {
		t.Fatal(err)
	}
	zero := 0
	check := func(stage string) {
		t.Helper()
		for _, tc := range []struct {
			q  rampart.FindingQuery
			by []rampart.GroupField
		}{
			{rampart.FindingQuery{State: rampart.StateOpen}, []rampart.GroupField{rampart.GroupLandingZone, rampart.GroupSeverity}},
			{rampart.FindingQuery{State: rampart.StateOpen, LandingZones: []string{"lz-02"}}, []rampart.GroupField{rampart.GroupAccount, rampart.GroupRiskBand}},
			{rampart.FindingQuery{State: rampart.StateOpen, Severities: []rampart.Severity{"critical", "high"}}, []rampart.GroupField{rampart.GroupAccount}},
			{rampart.FindingQuery{State: rampart.StateAll}, []rampart.GroupField{rampart.GroupFramework, rampart.GroupRequirement, rampart.GroupStatus}},
			{rampart.FindingQuery{State: rampart.StateAll, LandingZones: []string{"lz-01"}, Frameworks: []string{"CIS-5.0"}}, []rampart.GroupField{rampart.GroupStatus}},
		} {
			if _, ok := summaryFor(tc.q, tc.by); !ok {
				t.Fatalf("%s: %+v by %v: want a summary table", stage, tc.q, tc.by)
			}
			got, err := s.AggregateFindings(ctx, tc.q, tc.by...)
			if err != nil {
				t.Fatal(err)
			}
			direct := tc.q
			direct.RiskMin = &zero // selects the same rows, forces the findings table
			if _, ok := summaryFor(direct, tc.by); ok {
				t.Fatal("RiskMin should force the findings table")
			}
			want, err := s.AggregateFindings(ctx, direct, tc.by...)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) == 0 || !reflect.DeepEqual(got, want) {
				t.Errorf("%s: %+v by %v:\nsummary %v\nfindings %v", stage, tc.q, tc.by, got, want)
			}
			n, _ := s.CountFindings(ctx, tc.q)
			m, _ := s.CountFindings(ctx, direct)
			if n != m {
				t.Errorf("%s: count %d from summary, %d from findings", stage, n, m)
			}
		}
		f, err := s.Facets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var regions []string
		rows, _ := s.db.QueryContext(ctx, `SELECT DISTINCT region FROM findings ORDER BY 1`)
		for rows.Next() {
			var r string
			rows.Scan(&r)
			regions = append(regions, r)
		}
		rows.Close()
		if !reflect.DeepEqual(f[rampart.GroupRegion], regions) {
			t.Errorf("%s: facet regions %v, findings have %v", stage, f[rampart.GroupRegion], regions)
		}
	}
	check("generated")
	for _, stmt := range []string{
		`UPDATE findings SET resolved_at = '2026-11-19T00:00:00.000000000Z' WHERE rowid % 7 = 0`,
		`UPDATE findings SET status = 'FAIL', resolved_at = NULL WHERE rowid % 11 = 0`,
		`UPDATE findings SET risk_score = 95, owner_team = 'new-team' WHERE rowid % 13 = 0`,
		`UPDATE findings SET last_seen_at = '2026-11-21T00:00:00.000000000Z'`,
		`DELETE FROM findings WHERE region = 'us-west-2'`,
	} {
		if _, err := s.db.ExecContext(ctx, stmt); err != nil {
			t.Fatal(err)
		}
		check(stmt)
	}
}
