package rampart

import (
	"fmt"
	"time"
)

// GlobalRegion is the region of scan units and findings of global services
// (IAM, Organizations, the S3 bucket listing): they run once per account.
const GlobalRegion = "global"

// UnitState is the explicit state of a scan unit.
type UnitState string

// Unit states. Skipped is used for regions that are not enabled in the
// account: reported, not failed.
const (
	UnitPending   UnitState = "pending"
	UnitRunning   UnitState = "running"
	UnitSucceeded UnitState = "succeeded"
	UnitFailed    UnitState = "failed"
	UnitPartial   UnitState = "partial"
	UnitSkipped   UnitState = "skipped"
)

// Terminal reports whether no further transition is expected.
func (s UnitState) Terminal() bool {
	return s == UnitSucceeded || s == UnitFailed || s == UnitPartial || s == UnitSkipped
}

// ErrorClass classifies why a unit, a service or a check could not complete.
type ErrorClass string

// Error classes, decided at the edge where the cloud error is seen.
const (
	ErrClassNone           ErrorClass = ""
	ErrClassCredentials    ErrorClass = "credentials"
	ErrClassAccessDenied   ErrorClass = "access_denied"
	ErrClassThrottling     ErrorClass = "throttling"
	ErrClassRegionDisabled ErrorClass = "region_disabled"
	ErrClassTimeout        ErrorClass = "timeout"
	ErrClassServiceError   ErrorClass = "service_error"
	ErrClassUnknown        ErrorClass = "unknown"
)

// ErrorClasses lists every non-empty error class.
var ErrorClasses = []ErrorClass{ErrClassCredentials, ErrClassAccessDenied, ErrClassThrottling,
	ErrClassRegionDisabled, ErrClassTimeout, ErrClassServiceError, ErrClassUnknown}

// ClassifiedError is an error with its class. Collectors and the dispatcher
// wrap cloud errors in it where they see them.
type ClassifiedError struct {
	Class ErrorClass
	Err   error
}

func (e *ClassifiedError) Error() string { return fmt.Sprintf("%s: %v", e.Class, e.Err) }
func (e *ClassifiedError) Unwrap() error { return e.Err }

// Scan is one run over a landing zone.
type Scan struct {
	ID            string
	LandingZoneID string
	Scanner       string // "native", "prowler", ...
	Status        UnitState
	StartedAt     time.Time
	FinishedAt    time.Time
	Error         string
}

// ServiceStatus is how one service of a unit went.
type ServiceStatus string

// Service statuses.
const (
	ServiceOK     ServiceStatus = "ok"
	ServiceFailed ServiceStatus = "failed"
)

// ServiceResult records what a unit did for one scanner module (or one
// external scanner's service): whether its collection completed, which
// checks ran, and why it failed if it did.
type ServiceResult struct {
	// Service names the module (native scanner) or service (external).
	Service string `json:"service"`
	// Checks lists the check IDs the module was asked to run. When empty,
	// the result covers every control of findings whose service is Service.
	Checks        []string      `json:"checks,omitempty"`
	Status        ServiceStatus `json:"status"`
	ErrorClass    ErrorClass    `json:"error_class,omitempty"`
	Error         string        `json:"error,omitempty"`
	ChecksRun     int           `json:"checks_run"`
	ChecksFailed  int           `json:"checks_failed"` // checks that could not evaluate (NOT_EVALUATED)
	ChecksErrored []string      `json:"checks_errored,omitempty"`
}

// ScanUnit is one (landing zone, account, region) of a scan. Region is
// GlobalRegion for the unit that runs the account's global services.
type ScanUnit struct {
	ID            string
	ScanID        string
	LandingZoneID string
	AccountID     string
	Region        string
	State         UnitState
	ErrorClass    ErrorClass
	Error         string
	Attempts      int
	StartedAt     time.Time
	FinishedAt    time.Time
	Services      []ServiceResult
	Findings      int
}

// UnitID returns the deterministic ID of a scan unit.
func UnitID(scanID, accountID, region string) string {
	return scanID + "/" + accountID + "/" + region
}

// CompletedServices returns the services whose collection completed.
func (u *ScanUnit) CompletedServices() []string {
	var out []string
	for _, s := range u.Services {
		if s.Status == ServiceOK {
			out = append(out, s.Service)
		}
	}
	return out
}
