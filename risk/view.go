package risk

import (
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
			// "unassigned" is the fix-first view's "no owner".
			if s == "unassigned" && (v == "" || v == OwnerFromLandingZone) {
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
// finding as lingering (rampart.FixFirstMinAgeDays).
const FixFirstMinAgeDays = rampart.FixFirstMinAgeDays

// FixFirstClauses returns which of the fix-first view's ranking clauses f
// meets at now, and whether f is in the view at all. The view's one
// definition is rampart.FixFirstView, which the API and the dashboard
// translate to SQL (view=fix-first): required filters, then ranking
// clauses of which at least one must hold. Rows are ordered by the number
// of clauses met (all four first), then by risk score, age and finding ID.
func FixFirstClauses(f *rampart.Finding, now time.Time) ([]string, bool) {
	required, clauses := rampart.FixFirstView(now)
	if !required.Match(f, now) {
		return nil, false
	}
	var c []string
	for _, cl := range clauses {
		if cl.Query.Match(f, now) {
			c = append(c, cl.Name)
		}
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
