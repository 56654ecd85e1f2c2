package rampart_test

import (
	"testing"
	"time"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/risk"
)

// TestFixFirstAgeClauseBoundary checks that the view's age clause, written
// as a first_seen_at bound the stores can index, agrees with "more than 7
// whole days" (risk.AgeDays) on both sides of the boundary.
func TestFixFirstAgeClauseBoundary(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	_, clauses := rampart.FixFirstView(now)
	var age rampart.FindingQuery
	for _, c := range clauses {
		if c.Name == "open>7d" {
			age = c.Query
		}
	}
	if age.FirstSeenTo.IsZero() {
		t.Fatal("no open>7d clause")
	}
	for _, d := range []time.Duration{0, 7 * 24 * time.Hour, 8*24*time.Hour - time.Nanosecond, 8 * 24 * time.Hour,
		8*24*time.Hour + time.Nanosecond, 30 * 24 * time.Hour} {
		f := rampart.Finding{FirstSeenAt: now.Add(-d)}
		want := risk.AgeDays(&f, now) > rampart.FixFirstMinAgeDays
		if got := age.Match(&f, now); got != want {
			t.Errorf("first seen %v before now: clause %v, want %v", d, got, want)
		}
	}
}

// TestMatchContextFilters checks FindingQuery.Match on the context fields.
func TestMatchContextFilters(t *testing.T) {
	now := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	past := now.Add(-time.Hour)
	yes, no := true, false
	f := rampart.Finding{Status: rampart.StatusFail, RiskLevel: "high", Public: true, DataSensitivity: "pii",
		OwnerSource: "landing_zone", DueAt: &past}
	for _, tc := range []struct {
		name string
		q    rampart.FindingQuery
		want bool
	}{
		{"risk level", rampart.FindingQuery{RiskLevels: []string{"critical", "high"}}, true},
		{"other risk level", rampart.FindingQuery{RiskLevels: []string{"low"}}, false},
		{"public", rampart.FindingQuery{Public: &yes}, true},
		{"not public", rampart.FindingQuery{Public: &no}, false},
		{"sensitivity", rampart.FindingQuery{DataSensitivity: []string{"pii"}}, true},
		{"unclassified", rampart.FindingQuery{DataSensitivity: []string{""}}, false},
		{"privileged", rampart.FindingQuery{Privileged: &yes}, false},
		{"overdue", rampart.FindingQuery{Overdue: &yes}, true},
		{"not overdue", rampart.FindingQuery{Overdue: &no}, false},
		{"unassigned", rampart.FindingQuery{OwnerSources: []string{"", "landing_zone"}}, true},
		{"tagged owner", rampart.FindingQuery{OwnerSources: []string{"tag"}}, false},
		{"muted", rampart.FindingQuery{Muted: &yes}, false},
	} {
		if got := tc.q.Match(&f, now); got != tc.want {
			t.Errorf("%s: Match = %v, want %v", tc.name, got, tc.want)
		}
	}
}
