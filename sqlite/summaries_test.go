package sqlite

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/rampart-cspm/rampart"
)

// summaryRows reads a summary table's non-zero rows and the same counts
// computed from findings (migration 0003's definitions), in one order.
func summaryRows(t *testing.T, s *Store) (got, want []string) {
	t.Helper()
	band := `CASE WHEN risk_score >= 80 THEN 'critical' WHEN risk_score >= 60 THEN 'high' WHEN risk_score >= 40 THEN 'medium' WHEN risk_score >= 20 THEN 'low' ELSE 'minimal' END`
	read := func(q string) []string {
		rows, err := s.db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var a, b, c, d string
			var n int
			if err := rows.Scan(&a, &b, &c, &d, &n); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%s|%s|%s|%s=%d", a, b, c, d, n))
		}
		return out
	}
	got = append(got, read(`SELECT 'open:'||landing_zone_id, account_id, severity_rank, risk_band, n FROM open_counts WHERE n <> 0 ORDER BY 1, 2, 3, 4`)...)
	want = append(want, read(`SELECT 'open:'||landing_zone_id, account_id, severity_rank, `+band+`, COUNT(*) FROM findings
		WHERE status = 'FAIL' AND resolved_at IS NULL GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`)...)
	got = append(got, read(`SELECT 'status:'||landing_zone_id, framework, requirement_id, status, n FROM status_counts WHERE n <> 0 ORDER BY 1, 2, 3, 4`)...)
	want = append(want, read(`SELECT 'status:'||landing_zone_id, framework, requirement_id, status, COUNT(*) FROM findings GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`)...)
	got = append(got, read(`SELECT 'facet', field, value, '', n FROM facet_counts WHERE n <> 0 ORDER BY 2, 3`)...)
	var facets []string
	for _, col := range []string{"environment", "framework", "landing_zone_id", "owner_team", "region", "resource_type", "service"} {
		facets = append(facets, read(`SELECT 'facet', '`+col+`', `+col+`, '', COUNT(*) FROM findings GROUP BY 3 ORDER BY 3`)...)
	}
	want = append(want, facets...)
	return got, want
}

func triggerCount(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'findings'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestIngestKeepsSummariesExact: a bulk ingest drops the summary triggers
// inside its transaction and applies the counts in bulk; afterwards the
// summary tables equal a recount of findings (new rows, changed rows,
// absence resolutions), the triggers are back and work, and a rolled-back
// ingest leaves tables and triggers as they were.
func TestIngestKeepsSummariesExact(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	now := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	if err := s.GenerateDataset(ctx, GenerateOptions{Findings: 2000, Seed: 5, Now: now, LandingZones: 2, AccountsPerLZ: 3, Scans: 2}); err != nil {
		t.Fatal(err)
	}
	triggers := triggerCount(t, s)
	if triggers < len(summaryTriggers) {
		t.Fatalf("%d triggers on findings, want at least %d", triggers, len(summaryTriggers))
	}
	if got, want := summaryRows(t, s); !reflect.DeepEqual(got, want) {
		t.Fatalf("generated: summaries differ from findings")
	}
	existing, err := s.ListFindings(ctx, rampart.FindingFilter{LandingZoneID: "lz-01", Limit: 400})
	if err != nil || len(existing) < 100 {
		t.Fatalf("list: %d findings, %v", len(existing), err)
	}

	// A rolled-back ingest changes nothing.
	before, _ := summaryRows(t, s)
	in, err := s.BeginIngest(ctx, rampart.Scan{ID: "scan-rollback", LandingZoneID: "lz-01", Scanner: rampart.SourceProwler})
	if err != nil {
		t.Fatal(err)
	}
	f := existing[0]
	f.Status, f.RiskScore = rampart.StatusPass, 5
	if err := in.Observe(f, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	in.Rollback()
	if after, _ := summaryRows(t, s); !reflect.DeepEqual(before, after) {
		t.Fatal("rolled-back ingest changed the summaries")
	}
	if n := triggerCount(t, s); n != triggers {
		t.Fatalf("after rollback: %d triggers, want %d", n, triggers)
	}

	in, err = s.BeginIngest(ctx, rampart.Scan{ID: "scan-bulk", LandingZoneID: "lz-01", Scanner: rampart.SourceProwler})
	if err != nil {
		t.Fatal(err)
	}
	at := now.Add(2 * time.Hour)
	for i, f := range existing[:len(existing)/2] { // the other half may vanish
		switch i % 4 {
		case 0:
			f.Status = rampart.StatusPass
		case 1:
			f.Status, f.RiskScore, f.OwnerTeam = rampart.StatusFail, 90, "bulk-team"
		case 2:
			f.Severity = rampart.SeverityCritical
		}
		if err := in.Observe(f, at); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 300 {
		f := existing[i%len(existing)]
		f.ResourceID = fmt.Sprintf("arn:aws:s3:::bulk-new-%d", i)
		f.Region, f.Scope, f.Service = "sa-east-1", "sa-east-1", "bulknew"
		f.Status = rampart.StatusFail
		f.ComputeID()
		if err := in.Observe(f, at); err != nil {
			t.Fatal(err)
		}
	}
	stats, _, err := in.Finish(nil, at)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Detected < 300 || stats.Resolved == 0 {
		t.Fatalf("stats %+v: want new findings opened and some resolved", stats)
	}
	got, want := summaryRows(t, s)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after bulk ingest:\nsummary  %v\nfindings %v", got, want)
	}
	if n := triggerCount(t, s); n != triggers {
		t.Fatalf("after ingest: %d triggers, want %d", n, triggers)
	}
	// The restored triggers keep counting.
	if _, err := s.db.Exec(`UPDATE findings SET status = 'FAIL', resolved_at = NULL, risk_score = 70 WHERE rowid % 5 = 0`); err != nil {
		t.Fatal(err)
	}
	if got, want := summaryRows(t, s); !reflect.DeepEqual(got, want) {
		t.Fatalf("after an update through the restored triggers: summaries differ")
	}

	// BareInsert keeps them exact too.
	var bare []rampart.Finding
	for i := range 50 {
		f := existing[i]
		f.ResourceID = fmt.Sprintf("arn:aws:s3:::bare-%d", i)
		f.ComputeID()
		bare = append(bare, f)
	}
	if err := s.BareInsert(ctx, bare); err != nil {
		t.Fatal(err)
	}
	if got, want := summaryRows(t, s); !reflect.DeepEqual(got, want) {
		t.Fatalf("after bare insert: summaries differ")
	}
}
