package rampart

import "time"

// Cloud providers.
const (
	CloudAWS = "aws"
)

// Account sources of a landing zone.
const (
	AccountSourceOrganizations = "organizations"
	AccountSourceStatic        = "static"
)

// LandingZone is the primary operational unit: a group of accounts with its
// own credentials, audit role, region scope, owner, schedule and SLA.
type LandingZone struct {
	ID            string
	Name          string
	Cloud         string
	Profile       string // AWS shared-config profile (SSO profiles included); "" = default chain
	SSOStartURL   string
	AuditRoleName string
	ExternalID    string
	Regions       []string
	OwnerTeam     string
	BusinessUnit  string
	Environment   string // default environment of its accounts
	ScanEnabled   bool
	Schedule      string // cron expression or "@every 15m"; "" = on demand only

	// MaxConcurrentAccounts caps how many of this LZ's accounts are scanned at
	// once. MaxConcurrentUnitsPerAccount caps the units of one account.
	MaxConcurrentAccounts        int
	MaxConcurrentUnitsPerAccount int

	// SLADays is the remediation SLA per severity, in days.
	SLADays map[Severity]int

	Accounts AccountSource
}

// AccountSource says where a landing zone's accounts come from.
type AccountSource struct {
	Source    string   // AccountSourceOrganizations or AccountSourceStatic
	OUs       []string // with organizations: limit to these OUs (and their children)
	Static    []AccountOverride
	Overrides []AccountOverride // per-account name/environment/owner overrides
}

// AccountOverride names an account and optionally overrides its attributes.
type AccountOverride struct {
	ID          string
	Name        string
	Environment string
	OwnerTeam   string
}

// Override returns the override for account id, if any.
func (s AccountSource) Override(id string) (AccountOverride, bool) {
	for _, lists := range [][]AccountOverride{s.Overrides, s.Static} {
		for _, o := range lists {
			if o.ID == id {
				return o, true
			}
		}
	}
	return AccountOverride{}, false
}

// Account is one cloud account of a landing zone, as last enumerated.
type Account struct {
	LandingZoneID string
	ID            string
	Name          string
	Email         string
	Status        string // ACTIVE, SUSPENDED, ... as the source reports it
	OU            string
	Environment   string
	OwnerTeam     string
	BusinessUnit  string
	UpdatedAt     time.Time
}
