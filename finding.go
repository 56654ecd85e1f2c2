package rampart

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Severity is the technical severity reported by a check or scanner.
type Severity string

// Severities, from most to least severe.
const (
	SeverityCritical      Severity = "critical"
	SeverityHigh          Severity = "high"
	SeverityMedium        Severity = "medium"
	SeverityLow           Severity = "low"
	SeverityInformational Severity = "informational"
)

// Severities lists every severity, most severe first.
var Severities = []Severity{SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow, SeverityInformational}

// Rank orders severities: critical is 5, informational 1, unknown 0.
func (s Severity) Rank() int {
	for i, v := range Severities {
		if v == s {
			return len(Severities) - i
		}
	}
	return 0
}

// ParseSeverity accepts any case ("High", "CRITICAL", "informational", "info").
func ParseSeverity(s string) (Severity, error) {
	v := Severity(strings.ToLower(strings.TrimSpace(s)))
	if v == "info" {
		v = SeverityInformational
	}
	if v.Rank() == 0 {
		return "", Errorf(EINVALID, "unknown severity %q (want one of critical, high, medium, low, informational)", s)
	}
	return v, nil
}

// Status is the result of evaluating one control on one resource.
type Status string

// Statuses. NotEvaluated means the check could not run (access denied, SCP,
// throttled out, region disabled, ...): never a silent PASS or a missing row.
const (
	StatusPass         Status = "PASS"
	StatusFail         Status = "FAIL"
	StatusManual       Status = "MANUAL"
	StatusNotEvaluated Status = "NOT_EVALUATED"
)

// Statuses lists every status.
var Statuses = []Status{StatusPass, StatusFail, StatusManual, StatusNotEvaluated}

// ParseStatus accepts any case.
func ParseStatus(s string) (Status, error) {
	v := Status(strings.ToUpper(strings.TrimSpace(s)))
	for _, st := range Statuses {
		if st == v {
			return v, nil
		}
	}
	return "", Errorf(EINVALID, "unknown status %q (want one of PASS, FAIL, MANUAL, NOT_EVALUATED)", s)
}

// Finding is one control evaluated on one resource, in the shared schema.
// The JSON names are the schema's; they are a public contract.
type Finding struct {
	FindingID     string `json:"finding_id"`
	ScanID        string `json:"scan_id"`
	LandingZoneID string `json:"landing_zone_id"`
	AccountID     string `json:"account_id"`
	AccountName   string `json:"account_name"`
	Region        string `json:"region"`
	CloudProvider string `json:"cloud_provider"`

	ResourceID   string `json:"resource_id"`
	ResourceType string `json:"resource_type"`
	ResourceName string `json:"resource_name"`
	Service      string `json:"service"`

	ControlID   string   `json:"control_id"`
	Title       string   `json:"title"`
	Severity    Severity `json:"severity"`
	Status      Status   `json:"status"`
	RiskScore   int      `json:"risk_score"`
	RiskReason  string   `json:"risk_reason"`
	Remediation string   `json:"remediation"`

	Framework     string `json:"framework"`
	RequirementID string `json:"requirement_id"`

	OwnerTeam    string `json:"owner_team"`
	BusinessUnit string `json:"business_unit"`
	Environment  string `json:"environment"`

	FirstSeenAt time.Time  `json:"first_seen_at"`
	LastSeenAt  time.Time  `json:"last_seen_at"`
	ResolvedAt  *time.Time `json:"resolved_at"`

	// StatusExtended says in words why the status is what it is.
	StatusExtended string `json:"status_extended"`
	// ErrorClass is set when Status is NOT_EVALUATED.
	ErrorClass ErrorClass `json:"error_class,omitempty"`

	// Muted is set when a mutelist entry matches the finding. A muted
	// finding is kept and listed as muted, never dropped; MuteReason is the
	// entry's reason.
	Muted      bool   `json:"muted"`
	MuteReason string `json:"mute_reason"`

	// Sources names the scanners that reported this finding ("native",
	// "prowler"), sorted and without duplicates. A Prowler and a native
	// observation with the same dedup key are one finding listing both.
	Sources []string `json:"sources"`

	// Business context, derived by package risk from Context, the account
	// and the landing zone, and recomputed by "rampart rescore".
	RiskLevel       string `json:"risk_level"`       // critical, high, medium, low; "" when not scored
	Public          bool   `json:"public"`           // reachable from the internet
	DataSensitivity string `json:"data_sensitivity"` // pii, confidential, internal, public; "" unclassified
	Privileged      bool   `json:"privileged"`       // admin or wildcard permissions attached
	// CompensatingControls lists controls that reduce exposure, sorted:
	// private-subnet, no-public-ip, ztna, vpn.
	CompensatingControls []string `json:"compensating_controls"`
	// OwnerSource says where OwnerTeam came from: tag, account_override,
	// account, landing_zone; "" when nobody owns the finding.
	OwnerSource string `json:"owner_source"`
	// DueAt is first_seen_at plus the landing zone's SLA for the severity;
	// nil when no SLA applies.
	DueAt *time.Time `json:"due_at"`
	// Context holds the raw facts the check reported (e.g. "public",
	// "admin", "subnet") and the resource's tags as "tag:<key>".
	Context map[string]string `json:"context,omitempty"`

	// Scope is the region of the scan unit that produced the finding
	// (GlobalRegion for global services). Lifecycle resolution is scoped by it.
	Scope string `json:"-"`
}

// FindingID returns the stable ID of a finding: a hash of the dedup key
// cloud_provider + landing_zone_id + account_id + region + service +
// resource_id + control_id. Never dedupe on less.
//
// The hash is SHA-256 of each part written as "<len>:<part>|" (the length
// in bytes, in decimal), in that order; the ID is the first 32 hex digits.
func FindingID(cloud, lz, account, region, service, resourceID, controlID string) string {
	var buf [512]byte // most keys fit: no allocation but the ID
	b := buf[:0]
	for _, p := range [...]string{cloud, lz, account, region, service, resourceID, controlID} {
		b = strconv.AppendInt(b, int64(len(p)), 10)
		b = append(b, ':')
		b = append(b, p...)
		b = append(b, '|')
	}
	sum := sha256.Sum256(b)
	var id [32]byte
	hex.Encode(id[:], sum[:16])
	return string(id[:])
}

// ComputeID sets f.FindingID from f's dedup key and returns it.
func (f *Finding) ComputeID() string {
	f.FindingID = FindingID(f.CloudProvider, f.LandingZoneID, f.AccountID, f.Region, f.Service, f.ResourceID, f.ControlID)
	return f.FindingID
}

// Open reports whether the finding is an unresolved failure.
func (f *Finding) Open() bool { return f.Status == StatusFail && f.ResolvedAt == nil }

// Overdue reports whether an open finding is past its due date at now.
func (f *Finding) Overdue(now time.Time) bool {
	return f.Open() && f.DueAt != nil && now.After(*f.DueAt)
}

// FindingFilter selects findings. Zero values select everything.
type FindingFilter struct {
	LandingZoneID string
	AccountID     string
	Region        string
	Service       string
	ControlID     string
	Severities    []Severity
	Statuses      []Status
	// OnlyOpen keeps rows that are not resolved (any status).
	OnlyOpen bool
	// ExcludeMuted leaves out rows a mutelist muted.
	ExcludeMuted bool
	Limit        int
	Offset       int
}

// Finding sources: the scanners that can report a finding.
const (
	SourceNative  = "native"
	SourceProwler = "prowler"
)

// MergeSources returns the sorted union of a and b without duplicates or
// empty names, or nil when there is none.
func MergeSources(a, b []string) []string {
	var out []string
	for _, xs := range [][]string{a, b} {
		for _, x := range xs {
			if x != "" && !slices.Contains(out, x) {
				out = append(out, x)
			}
		}
	}
	slices.Sort(out)
	return out
}
