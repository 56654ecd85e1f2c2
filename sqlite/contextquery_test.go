package sqlite

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/risk"
)

// TestContextFiltersAndFixFirst checks the business-context filters and the
// fix-first view of the query layer against the in-memory definitions
// (FindingQuery.Match, risk.FixFirst) over a generated dataset, paging
// through every result with small pages.
func TestContextFiltersAndFixFirst(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	now := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	if err := s.GenerateDataset(ctx, GenerateOptions{Findings: 4000, Seed: 11, Now: now, LandingZones: 2, AccountsPerLZ: 20, Scans: 2}); err != nil {
		t.Fatal(err)
	}
	all, err := s.ListFindings(ctx, rampart.FindingFilter{})
	if err != nil {
		t.Fatal(err)
	}
	yes, no := true, false
	at := now.Add(time.Hour)
	all2 := func(q rampart.FindingQuery) []string {
		t.Helper()
		var ids []string
		for {
			page, err := s.QueryFindings(ctx, q)
			if err != nil {
				t.Fatalf("%+v: %v", q, err)
			}
			for _, f := range page.Findings {
				ids = append(ids, f.FindingID)
			}
			if page.Next == "" {
				return ids
			}
			q.Cursor = page.Next
		}
	}
	for _, tc := range []struct {
		name string
		q    rampart.FindingQuery
	}{
		{"risk level", rampart.FindingQuery{RiskLevels: []string{"critical", "high"}}},
		{"public", rampart.FindingQuery{Public: &yes, State: rampart.StateOpen}},
		{"not public", rampart.FindingQuery{Public: &no}},
		{"sensitivity", rampart.FindingQuery{DataSensitivity: []string{"pii", ""}}},
		{"privileged", rampart.FindingQuery{Privileged: &yes}},
		{"overdue", rampart.FindingQuery{Overdue: &yes}},
		{"not overdue", rampart.FindingQuery{Overdue: &no, State: rampart.StateOpen}},
		{"unassigned", rampart.FindingQuery{OwnerSources: []string{"", "landing_zone"}, Environments: []string{"production"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.q
			q.At, q.Sort, q.Limit = at, rampart.SortFirstSeen, 97
			var want []string
			for i := range all {
				if q.Match(&all[i], at) {
					want = append(want, all[i].FindingID)
				}
			}
			got := all2(q)
			slices.Sort(got)
			slices.Sort(want)
			if len(want) == 0 || len(want) == len(all) {
				t.Fatalf("degenerate test data: %d of %d match", len(want), len(all))
			}
			if !slices.Equal(got, want) {
				t.Fatalf("got %d findings, want %d", len(got), len(want))
			}
			n, err := s.CountFindings(ctx, q)
			if err != nil || n != len(want) {
				t.Fatalf("count = %d, %v; want %d", n, err, len(want))
			}
		})
	}

	// The fix-first view in SQL, paged in its own order, is risk.FixFirst.
	view, _ := risk.FixFirst(all, at)
	var want []string
	for _, f := range view {
		want = append(want, f.FindingID)
	}
	if len(want) < 20 {
		t.Fatalf("fix-first view has %d findings; the generator should give more", len(want))
	}
	got := all2(rampart.FindingQuery{View: rampart.ViewFixFirst, Sort: rampart.SortFixFirst, At: at, Limit: 7})
	if !slices.Equal(got, want) {
		t.Fatalf("fix-first: got %d findings %v...,\nwant %d %v...", len(got), got[:min(5, len(got))], len(want), want[:5])
	}
	n, err := s.CountFindings(ctx, rampart.FindingQuery{View: rampart.ViewFixFirst, At: at})
	if err != nil || n != len(want) {
		t.Fatalf("fix-first count = %d, %v; want %d", n, err, len(want))
	}
	if _, err := s.QueryFindings(ctx, rampart.FindingQuery{View: "nope"}); rampart.ErrorCode(err) != rampart.EINVALID {
		t.Fatalf("unknown view: err = %v, want EINVALID", err)
	}
}
