package risk_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/risk"
)

var prodLZ = rampart.LandingZone{ID: "lz-a", OwnerTeam: "platform", Environment: "production",
	SLADays: map[rampart.Severity]int{rampart.SeverityCritical: 7, rampart.SeverityHigh: 30, rampart.SeverityMedium: 90}}

// The seed's table, from the facts the checks report.
func TestSeedTableFromFacts(t *testing.T) {
	acct := rampart.Account{ID: "1", Environment: "production", OwnerTeam: "platform"}
	tests := []struct {
		name  string
		sev   rampart.Severity
		facts map[string]string
		level string
	}{
		{"public bucket, static CSS", rampart.SeverityCritical,
			map[string]string{"public": "true", "tag:DataClassification": "Public"}, "low"},
		{"public bucket, customer export", rampart.SeverityCritical,
			map[string]string{"public": "true", "tag:DataClassification": "PII"}, "critical"},
		{"SSH open, private subnet behind ZTNA", rampart.SeverityHigh,
			map[string]string{"public": "false", "subnet": "private", "public_ip": "false", "tag:Access": "ZTNA"}, "medium"},
		{"stale key of a production admin", rampart.SeverityMedium,
			map[string]string{"admin": "true"}, "critical"},
	}
	for _, tt := range tests {
		for _, age := range []time.Duration{0, 14 * 24 * time.Hour} {
			f := failing(tt.sev, tt.facts)
			risk.DefaultPolicy().Enrich(&f, risk.Input{LandingZone: prodLZ, Account: acct, Now: now, FirstSeen: now.Add(-age)})
			if f.RiskLevel != tt.level {
				t.Errorf("%s (age %s): level %s (score %d: %s), want %s", tt.name, age, f.RiskLevel, f.RiskScore, f.RiskReason, tt.level)
			}
			if got := sumReason(t, f.RiskReason); got != f.RiskScore {
				t.Errorf("%s: reason %q sums to %d, score %d", tt.name, f.RiskReason, got, f.RiskScore)
			}
		}
	}
}

func TestOwnerResolutionOrder(t *testing.T) {
	lz := prodLZ
	lz.Accounts.Overrides = []rampart.AccountOverride{{ID: "2", OwnerTeam: "override-team"}}
	tests := []struct {
		name       string
		lz         rampart.LandingZone
		acct       rampart.Account
		tags       map[string]string
		owner, src string
		flagged    bool
	}{
		{"resource tag wins", lz, rampart.Account{ID: "2", OwnerTeam: "override-team"}, map[string]string{"tag:owner": "web-team"}, "web-team", "tag", false},
		{"account override", lz, rampart.Account{ID: "2", OwnerTeam: "override-team"}, nil, "override-team", "account_override", false},
		{"account owner", lz, rampart.Account{ID: "3", OwnerTeam: "acct-team"}, nil, "acct-team", "account", false},
		{"landing zone owner", lz, rampart.Account{ID: "4", OwnerTeam: "platform"}, nil, "platform", "landing_zone", false},
		{"nobody", rampart.LandingZone{ID: "lz-b"}, rampart.Account{ID: "5"}, nil, "", "", true},
	}
	for _, tt := range tests {
		f := failing(rampart.SeverityHigh, tt.tags)
		risk.DefaultPolicy().Enrich(&f, risk.Input{LandingZone: tt.lz, Account: tt.acct, Now: now})
		if f.OwnerTeam != tt.owner || f.OwnerSource != tt.src {
			t.Errorf("%s: owner %q from %q, want %q from %q", tt.name, f.OwnerTeam, f.OwnerSource, tt.owner, tt.src)
		}
		if got := strings.Contains(f.RiskReason, "no owner +5"); got != tt.flagged {
			t.Errorf("%s: reason %q, no-owner factor %v, want %v", tt.name, f.RiskReason, got, tt.flagged)
		}
	}
}

func TestSLADueAtOverdueAndAge(t *testing.T) {
	first := now.Add(-12 * 24 * time.Hour)
	f := failing(rampart.SeverityCritical, nil)
	f.FirstSeenAt = first
	risk.DefaultPolicy().Enrich(&f, risk.Input{LandingZone: prodLZ, Account: rampart.Account{ID: "1"}, Now: now, FirstSeen: first})
	if f.DueAt == nil || !f.DueAt.Equal(first.Add(7*24*time.Hour)) {
		t.Fatalf("due_at %v, want first seen + 7 days", f.DueAt)
	}
	if !f.Overdue(now) || f.Overdue(first.Add(24*time.Hour)) {
		t.Errorf("overdue: at now %v, a day after first seen %v; want true, false", f.Overdue(now), f.Overdue(first.Add(24*time.Hour)))
	}
	if !strings.Contains(f.RiskReason, "past its 7-day SLA +10") {
		t.Errorf("reason %q lacks the overdue factor", f.RiskReason)
	}
	g := failing(rampart.SeverityHigh, nil)
	risk.DefaultPolicy().Enrich(&g, risk.Input{LandingZone: prodLZ, Account: rampart.Account{ID: "1"}, Now: now, FirstSeen: first})
	if !strings.Contains(g.RiskReason, "open more than 7 days +5") || strings.Contains(g.RiskReason, "SLA") {
		t.Errorf("high, 12 days, SLA 30: reason %q, want the open-more-than-7-days factor only", g.RiskReason)
	}
	pass := rampart.Finding{Severity: rampart.SeverityCritical, Status: rampart.StatusPass}
	risk.DefaultPolicy().Enrich(&pass, risk.Input{LandingZone: prodLZ, Now: now})
	if pass.RiskScore != 0 || pass.DueAt != nil || pass.RiskLevel != "" {
		t.Errorf("PASS finding: score %d, due %v, level %q; want 0, nil, empty", pass.RiskScore, pass.DueAt, pass.RiskLevel)
	}
}

func TestEnvironmentFromTagOverridesAccount(t *testing.T) {
	f := failing(rampart.SeverityHigh, map[string]string{"tag:Environment": "stg"})
	risk.DefaultPolicy().Enrich(&f, risk.Input{LandingZone: prodLZ, Account: rampart.Account{ID: "1", Environment: "production"}, Now: now})
	if f.Environment != "staging" || !strings.Contains(f.RiskReason, "non-production -10") {
		t.Errorf("environment %q, reason %q; want staging and the non-production factor", f.Environment, f.RiskReason)
	}
}

func TestFixFirstClauses(t *testing.T) {
	first := now.Add(-10 * 24 * time.Hour)
	f := rampart.Finding{Status: rampart.StatusFail, RiskLevel: "critical", Environment: "production", Public: true,
		DataSensitivity: "pii", FirstSeenAt: first, OwnerSource: "landing_zone"}
	c, ok := risk.FixFirstClauses(&f, now)
	if !ok || strings.Join(c, ",") != "public,sensitive,open>7d,no owner" {
		t.Errorf("clauses %v %v, want all four", c, ok)
	}
	for name, mut := range map[string]func(*rampart.Finding){
		"medium risk": func(f *rampart.Finding) { f.RiskLevel = "medium" },
		"staging":     func(f *rampart.Finding) { f.Environment = "staging" },
		"resolved":    func(f *rampart.Finding) { f.ResolvedAt = &now },
		"no clause holds": func(f *rampart.Finding) {
			*f = rampart.Finding{Status: rampart.StatusFail, RiskLevel: "high", Environment: "production", FirstSeenAt: now, OwnerSource: "tag"}
		},
	} {
		g := f
		mut(&g)
		if _, ok := risk.FixFirstClauses(&g, now); ok {
			t.Errorf("%s: in the fix-first view", name)
		}
	}
}

// TestReasonStableWhileAging: an open finding's reason (and so its row)
// does not change from one day to the next as it ages, so a daily scan
// records it as seen, not changed; it changes when it crosses a rule's
// threshold.
func TestReasonStableWhileAging(t *testing.T) {
	reason := func(sev rampart.Severity, ageDays int) string {
		first := now.Add(-time.Duration(ageDays) * 24 * time.Hour)
		f := failing(sev, nil)
		f.FirstSeenAt = first
		risk.DefaultPolicy().Enrich(&f, risk.Input{LandingZone: prodLZ, Account: rampart.Account{ID: "1"}, Now: now, FirstSeen: first})
		return f.RiskReason
	}
	for _, tc := range []struct {
		sev        rampart.Severity
		days, next int
	}{
		{rampart.SeverityHigh, 8, 9},       // open more than 7 days, within a 30-day SLA
		{rampart.SeverityHigh, 9, 29},      // still the same factors
		{rampart.SeverityCritical, 8, 9},   // past a 7-day SLA
		{rampart.SeverityCritical, 12, 40}, // still past it
	} {
		if a, b := reason(tc.sev, tc.days), reason(tc.sev, tc.next); a != b {
			t.Errorf("%s open %d then %d days: reason %q then %q; want the same", tc.sev, tc.days, tc.next, a, b)
		}
	}
	if a, b := reason(rampart.SeverityHigh, 6), reason(rampart.SeverityHigh, 8); a == b {
		t.Errorf("high open 6 then 8 days: reason %q both times; want the open-more-than-7-days factor added", a)
	}
}
