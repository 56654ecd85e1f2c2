package risk

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/rampart-cspm/rampart"
)

// Filter selects findings on their business context. Zero values select
// everything; every set field must match.
type Filter struct {
	RiskLevels      []string // critical, high, medium, low
	MinScore        int
	Environments    []string
	Public          *bool
	DataSensitivity []string // pii, confidential, internal, public, "none" for unclassified
	Privileged      *bool
	Compensating    []string // the finding lists at least one of these
	Owners          []string // owner_team; "none" selects findings without owner
	OwnerSources    []string
	Overdue         *bool // evaluated at Now
	MinAgeDays      int   // first seen at least this many days before Now
	Now             time.Time
}

// Match reports whether f passes the filter.
func (x Filter) Match(f *rampart.Finding) bool {
	in := func(list []string, v string) bool {
		if len(list) == 0 {
			return true
		}
		for _, s := range list {
			if strings.EqualFold(s, v) || (s == "none" && v == "") {
				return true
			}
		}
		return false
	}
	b := func(want *bool, got bool) bool { return want == nil || *want == got }
	if !in(x.RiskLevels, f.RiskLevel) || f.RiskScore < x.MinScore || !in(x.Environments, f.Environment) ||
		!b(x.Public, f.Public) || !in(x.DataSensitivity, f.DataSensitivity) || !b(x.Privileged, f.Privileged) ||
		!in(x.Owners, f.OwnerTeam) || !in(x.OwnerSources, f.OwnerSource) || !b(x.Overdue, f.Overdue(x.Now)) {
		return false
	}
	if len(x.Compensating) > 0 && !slices.ContainsFunc(f.CompensatingControls, func(c string) bool { return in(x.Compensating, c) }) {
		return false
	}
	if x.MinAgeDays > 0 && AgeDays(f, x.Now) < x.MinAgeDays {
		return false
	}
	return true
}

// AgeDays returns whole days from f's first_seen_at to now.
func AgeDays(f *rampart.Finding, now time.Time) int {
	if f.FirstSeenAt.IsZero() || !now.After(f.FirstSeenAt) {
		return 0
	}
	return int(now.Sub(f.FirstSeenAt) / (24 * time.Hour))
}

// SortByRisk orders findings by risk score (highest first), then severity,
// then age (oldest first), then finding ID.
func SortByRisk(list []rampart.Finding) {
	sort.SliceStable(list, func(i, j int) bool {
		a, b := &list[i], &list[j]
		if a.RiskScore != b.RiskScore {
			return a.RiskScore > b.RiskScore
		}
		if a.Severity.Rank() != b.Severity.Rank() {
			return a.Severity.Rank() > b.Severity.Rank()
		}
		if !a.FirstSeenAt.Equal(b.FirstSeenAt) {
			return a.FirstSeenAt.Before(b.FirstSeenAt)
		}
		return a.FindingID < b.FindingID
	})
}

// FixFirstMinAgeDays is the age above which the fix-first view counts a
// finding as lingering.
const FixFirstMinAgeDays = 7

// FixFirstClauses returns which of the fix-first view's ranking clauses f
// meets at now, and whether f is in the view at all.
//
// The view is the seed's "critical or high on production, public-facing,
// sensitive data, open more than 7 days, no owner", evaluated as:
//
//   - required: status FAIL and not resolved; risk_level critical or high
//     (the risk level, not the scanner's severity); environment production.
//   - ranking clauses, at least one required:
//     "public": the finding's public flag (the resource is reachable from
//     the internet);
//     "sensitive": data_sensitivity pii or confidential;
//     "open>7d": first_seen_at more than 7 whole days before now;
//     "no owner": owner_source "" or "landing_zone" — nobody below the
//     landing zone's default owner is assigned.
//
// Rows are ordered by the number of clauses met (all four first), then by
// risk score, age and finding ID.
func FixFirstClauses(f *rampart.Finding, now time.Time) ([]string, bool) {
	if !f.Open() || (f.RiskLevel != "critical" && f.RiskLevel != "high") || f.Environment != "production" {
		return nil, false
	}
	var c []string
	if f.Public {
		c = append(c, "public")
	}
	if f.DataSensitivity == "pii" || f.DataSensitivity == "confidential" {
		c = append(c, "sensitive")
	}
	if AgeDays(f, now) > FixFirstMinAgeDays {
		c = append(c, fmt.Sprintf("open>%dd", FixFirstMinAgeDays))
	}
	if f.OwnerSource == "" || f.OwnerSource == OwnerFromLandingZone {
		c = append(c, "no owner")
	}
	return c, len(c) > 0
}

// FixFirst returns the fix-first view of list at now, in view order, with
// the clauses each row met.
func FixFirst(list []rampart.Finding, now time.Time) ([]rampart.Finding, [][]string) {
	type row struct {
		f       rampart.Finding
		clauses []string
	}
	var rows []row
	for _, f := range list {
		if c, ok := FixFirstClauses(&f, now); ok {
			rows = append(rows, row{f, c})
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if len(a.clauses) != len(b.clauses) {
			return len(a.clauses) > len(b.clauses)
		}
		if a.f.RiskScore != b.f.RiskScore {
			return a.f.RiskScore > b.f.RiskScore
		}
		if !a.f.FirstSeenAt.Equal(b.f.FirstSeenAt) {
			return a.f.FirstSeenAt.Before(b.f.FirstSeenAt)
		}
		return a.f.FindingID < b.f.FindingID
	})
	out := make([]rampart.Finding, len(rows))
	cl := make([][]string, len(rows))
	for i, r := range rows {
		out[i], cl[i] = r.f, r.clauses
	}
	return out, cl
}
