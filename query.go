package rampart

import "time"

// FindingState selects findings by lifecycle state.
type FindingState string

// Finding states. Open is an unresolved failure (status FAIL, no
// resolved_at): what a team has to fix.
const (
	StateOpen     FindingState = "open"
	StateResolved FindingState = "resolved"
	StateAll      FindingState = "all"
)

// FindingSort names an order of findings. Every order ends on finding_id so
// that pages are stable.
type FindingSort string

// Finding orders.
const (
	// SortSeverity: most severe first, then highest risk, then longest
	// open (first seen oldest).
	SortSeverity FindingSort = "severity"
	// SortRisk: highest risk first, then longest open (first seen oldest).
	SortRisk FindingSort = "risk"
	// SortFirstSeen: oldest first (longest open).
	SortFirstSeen FindingSort = "first_seen"
	// SortLastSeen: most recently seen first.
	SortLastSeen FindingSort = "last_seen"
	// SortFixFirst: the fix-first view's ranking (FixFirstView): most
	// ranking clauses met first, then highest risk, then longest open.
	SortFixFirst FindingSort = "fix_first"
)

// FindingSorts lists every order.
var FindingSorts = []FindingSort{SortSeverity, SortRisk, SortFirstSeen, SortLastSeen, SortFixFirst}

// FindingQuery selects, orders and pages findings for the API, the
// dashboard and the CLI. Zero values select everything; list fields match
// any of their values.
type FindingQuery struct {
	LandingZones  []string
	AccountIDs    []string
	AccountNames  []string
	Regions       []string
	Services      []string
	ResourceTypes []string
	Frameworks    []string
	Requirements  []string // requirement IDs (within Frameworks when given)
	ControlIDs    []string
	OwnerTeams    []string
	// NoOwner keeps findings with no owner team.
	NoOwner      bool
	Environments []string
	Severities   []Severity
	Statuses     []Status
	State        FindingState // "" means StateAll

	// RiskMin and RiskMax bound risk_score, inclusive; nil is unbounded.
	RiskMin, RiskMax *int
	// First/last seen windows: From inclusive, To exclusive; zero is unbounded.
	FirstSeenFrom, FirstSeenTo time.Time
	LastSeenFrom, LastSeenTo   time.Time

	// Business context (package risk fills these fields).
	RiskLevels      []string // risk_level: critical, high, medium, low
	Public          *bool    // internet-exposed
	DataSensitivity []string // pii, confidential, internal, public; "" unclassified
	Privileged      *bool    // admin or wildcard permissions
	// OwnerSources matches owner_source: tag, account_override, account,
	// landing_zone; "" is a finding nobody owns.
	OwnerSources []string
	// Overdue keeps open findings past due_at at At (true) or every other
	// finding (false).
	Overdue *bool
	// Muted keeps the findings a mutelist muted (true) or the others (false).
	Muted *bool
	// View names a built-in view whose definition applies on top of the
	// other filters: ViewFixFirst.
	View string
	// At is the evaluation time of Overdue and of the view's age clause;
	// the zero time means the store's clock.
	At time.Time

	Sort FindingSort // "" means SortSeverity
	// Cursor is the opaque Next of the previous page ("" for the first).
	Cursor string
	Limit  int
}

// FindingPage is one page of findings. Next is "" on the last page.
type FindingPage struct {
	Findings []Finding `json:"findings"`
	Next     string    `json:"next_cursor"`
}

// GroupField names a field findings can be counted by.
type GroupField string

// Group fields.
const (
	GroupLandingZone  GroupField = "landing_zone"
	GroupAccount      GroupField = "account"
	GroupRegion       GroupField = "region"
	GroupService      GroupField = "service"
	GroupSeverity     GroupField = "severity"
	GroupRiskBand     GroupField = "risk_band"
	GroupFramework    GroupField = "framework"
	GroupRequirement  GroupField = "requirement"
	GroupOwner        GroupField = "owner"
	GroupEnvironment  GroupField = "environment"
	GroupStatus       GroupField = "status"
	GroupResourceType GroupField = "resource_type"
	GroupControl      GroupField = "control"
)

// GroupFields lists every group field.
var GroupFields = []GroupField{GroupLandingZone, GroupAccount, GroupRegion, GroupService, GroupSeverity,
	GroupRiskBand, GroupFramework, GroupRequirement, GroupOwner, GroupEnvironment, GroupStatus,
	GroupResourceType, GroupControl}

// RiskBand returns the band of a risk score: "critical" (>= 80), "high"
// (>= 60), "medium" (>= 40), "low" (>= 20), "minimal".
func RiskBand(score int) string {
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

// RiskBands lists the risk bands, highest first.
var RiskBands = []string{"critical", "high", "medium", "low", "minimal"}

// Group is one count of an aggregate: Keys holds one value per group field,
// in the order asked.
type Group struct {
	Keys  []string `json:"keys"`
	Count int      `json:"count"`
}

// ResolveTime is the mean time to resolve of the resolved findings of one
// severity.
type ResolveTime struct {
	Severity  Severity `json:"severity"`
	Resolved  int      `json:"resolved"`
	MeanHours float64  `json:"mean_hours"`
}

// PosturePoint is the open findings of a landing zone right after one
// scan: one point of the trend.
type PosturePoint struct {
	ScanID        string           `json:"scan_id"`
	LandingZoneID string           `json:"landing_zone_id"`
	At            time.Time        `json:"at"`
	Open          int              `json:"open"`
	BySeverity    map[Severity]int `json:"by_severity"`
}

// SavedView is a named finding query kept as the URL query string that
// selects it, so a view is a shareable link.
type SavedView struct {
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Query       string    `json:"query"`
	BuiltIn     bool      `json:"built_in"`
	CreatedAt   time.Time `json:"created_at"`
}
