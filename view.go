package rampart

import (
	"slices"
	"strings"
	"time"
)

// ViewFixFirst is the built-in view of what to fix first: the seed's
// "critical or high on production, public-facing, sensitive data, open more
// than 7 days, no owner". The CLI (rampart findings --view fix-first), the
// API and the dashboard (view=fix-first) all read its one definition,
// FixFirstView.
const ViewFixFirst = "fix-first"

// FixFirstMinAgeDays is the age, in whole days, above which the fix-first
// view counts a finding as lingering.
const FixFirstMinAgeDays = 7

// ViewClause is one ranking clause of a view: the name people read and the
// filter it stands for.
type ViewClause struct {
	Name  string
	Query FindingQuery
}

// FixFirstView returns the fix-first view at now:
//
//   - required, which every finding of the view matches: open (status FAIL,
//     not resolved); not muted (a mutelist entry is an accepted risk);
//     risk_level critical or high (the risk level, not the scanner's
//     severity); environment production;
//   - clauses, of which a finding of the view meets at least one:
//     "public" (the public flag: reachable from the internet);
//     "sensitive" (data_sensitivity pii or confidential);
//     "open>7d" (first seen more than FixFirstMinAgeDays whole days before
//     now); "no owner" (owner_source "" or "landing_zone": nobody below the
//     landing zone's default owner is assigned).
//
// Rows rank by the number of clauses met (all four first), then risk
// score (highest first), then first seen (oldest first), then finding ID:
// SortFixFirst.
func FixFirstView(now time.Time) (required FindingQuery, clauses []ViewClause) {
	yes, no := true, false
	// More than N whole days: first_seen_at <= now - (N+1) days, written as
	// the exclusive bound FirstSeenTo.
	ageTo := now.UTC().Add(-time.Duration(FixFirstMinAgeDays+1)*24*time.Hour + time.Nanosecond)
	required = FindingQuery{State: StateOpen, RiskLevels: []string{"critical", "high"}, Environments: []string{"production"},
		Muted: &no}
	clauses = []ViewClause{
		{Name: "public", Query: FindingQuery{Public: &yes}},
		{Name: "sensitive", Query: FindingQuery{DataSensitivity: []string{"pii", "confidential"}}},
		{Name: "open>7d", Query: FindingQuery{FirstSeenTo: ageTo}},
		{Name: "no owner", Query: FindingQuery{OwnerSources: []string{"", "landing_zone"}}},
	}
	return required, clauses
}

// Match reports whether f passes the filters of q evaluated in memory at
// now (the cursor, order, limit and View are not filters and are ignored).
// It is the in-memory twin of the stores' WHERE clause.
func (q FindingQuery) Match(f *Finding, now time.Time) bool {
	in := func(list []string, v string) bool { return len(list) == 0 || slices.Contains(list, v) }
	b := func(want *bool, got bool) bool { return want == nil || *want == got }
	switch q.State {
	case StateOpen:
		if !f.Open() {
			return false
		}
	case StateResolved:
		if f.ResolvedAt == nil {
			return false
		}
	}
	owners := q.OwnerTeams
	if q.NoOwner {
		owners = append(append([]string(nil), owners...), "")
	}
	if !in(q.LandingZones, f.LandingZoneID) || !in(q.AccountIDs, f.AccountID) || !in(q.AccountNames, f.AccountName) ||
		!in(q.Regions, f.Region) || !in(q.Services, f.Service) || !in(q.ResourceTypes, f.ResourceType) ||
		!in(q.Frameworks, f.Framework) || !in(q.Requirements, f.RequirementID) || !in(q.ControlIDs, f.ControlID) ||
		!in(owners, f.OwnerTeam) || !in(q.Environments, f.Environment) || !in(q.RiskLevels, f.RiskLevel) ||
		!in(q.DataSensitivity, f.DataSensitivity) || !in(q.OwnerSources, f.OwnerSource) ||
		!b(q.Public, f.Public) || !b(q.Privileged, f.Privileged) || !b(q.Overdue, f.Overdue(now)) || !b(q.Muted, f.Muted) {
		return false
	}
	if len(q.Severities) > 0 && !slices.Contains(q.Severities, f.Severity) {
		return false
	}
	if len(q.Statuses) > 0 && !slices.ContainsFunc(q.Statuses, func(s Status) bool { return strings.EqualFold(string(s), string(f.Status)) }) {
		return false
	}
	if (q.RiskMin != nil && f.RiskScore < *q.RiskMin) || (q.RiskMax != nil && f.RiskScore > *q.RiskMax) {
		return false
	}
	win := func(t, from, to time.Time) bool {
		return (from.IsZero() || !t.Before(from)) && (to.IsZero() || t.Before(to))
	}
	return win(f.FirstSeenAt, q.FirstSeenFrom, q.FirstSeenTo) && win(f.LastSeenAt, q.LastSeenFrom, q.LastSeenTo)
}
