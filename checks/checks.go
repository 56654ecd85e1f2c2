// Package checks is the framework of Rampart's native scanner: the Module
// interface each scanner module implements, check metadata, the result of a
// check on one resource, the registry that rejects duplicate IDs, and
// RunChecks, which runs each check in isolation so that one check that
// panics or meets an unexpected payload fails alone.
//
// Modules live in sub-packages (checks/s3, checks/iam, ...). A module owns
// its collector (aws-sdk-go-v2 calls → the module's own normalized resource
// types) and its pure checks over those types. Modules never import each
// other; checks/all lists what ships.
package checks

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"runtime/debug"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/rampart-cspm/rampart"
)

// Scope says where a module runs: once per account (global services) or
// once per account and region.
type Scope string

// Scopes.
const (
	ScopeGlobal   Scope = "global"
	ScopeRegional Scope = "regional"
)

// Mapping ties a check to one requirement of a compliance framework.
type Mapping struct {
	Framework   string `json:"framework"`   // e.g. "CIS-5.0"
	Requirement string `json:"requirement"` // e.g. "2.1.4"
}

// Meta describes a check. ID uses Prowler's check ID where the same check
// exists.
type Meta struct {
	ID             string           `json:"id"`
	Module         string           `json:"module"`
	Service        string           `json:"service"`
	Title          string           `json:"title"`
	Description    string           `json:"description"`
	Risk           string           `json:"risk"`
	Severity       rampart.Severity `json:"severity"`
	ResourceType   string           `json:"resource_type"`
	Remediation    string           `json:"remediation"`
	RemediationURL string           `json:"remediation_url"`
	Categories     []string         `json:"categories,omitempty"`
	Compliance     []Mapping        `json:"compliance,omitempty"`
}

// Result is the outcome of a check on one resource.
type Result struct {
	ResourceID     string // ARN where one exists
	ResourceType   string // overrides Meta.ResourceType when set
	ResourceName   string
	Region         string // "" = the unit's region; S3 buckets set their own
	Status         rampart.Status
	StatusExtended string
	ErrorClass     rampart.ErrorClass // with StatusNotEvaluated
	Tags           map[string]string
	// Context holds facts about the resource that business-context
	// enrichment (package risk) reads; every key is optional:
	//   "public"    "true"/"false": reachable from the internet
	//   "admin"     "true": admin or wildcard permissions attached
	//   "subnet"    "public"/"private": where the attached resources sit
	//   "public_ip" "true"/"false": attached to something with a public IP
	Context map[string]string
}

// Env is what a module needs to collect in one scan unit.
type Env struct {
	// Config is the member account's configuration: assumed-role credentials,
	// the unit's region, the read-only guard and the retryer already applied.
	Config    aws.Config
	AccountID string
	Region    string // the unit's region; rampart.GlobalRegion for global units
	// HomeRegion is the region global-service clients use (e.g. us-east-1).
	HomeRegion string
	// S3UsePathStyle is set when a custom endpoint is configured.
	S3UsePathStyle bool
	// Classify turns an AWS error into an error class.
	Classify func(error) rampart.ErrorClass
	Now      func() time.Time
	Logger   *slog.Logger
}

// CheckOutcome is what one check produced in one unit.
type CheckOutcome struct {
	Meta    Meta
	Results []Result
	// Err is set when the check as a whole could not evaluate (its collection
	// failed, it panicked). Results then holds NOT_EVALUATED rows.
	Err        error
	ErrorClass rampart.ErrorClass
}

// ModuleResult is what a module produced in one unit.
type ModuleResult struct {
	Service rampart.ServiceResult
	Checks  []CheckOutcome
	// Raw is the module's collected inventory, serialized as JSON, kept as a
	// raw artifact for evidence.
	Raw []byte
}

// Module is one independent scanner module.
type Module interface {
	// Name is the module's name, e.g. "s3". It is also the service name of
	// its findings.
	Name() string
	Scope() Scope
	Checks() []Meta
	// Run collects the module's resources and runs the selected checks
	// (selected(id) == true). It never returns an error: failures are
	// recorded in the result, with NOT_EVALUATED rows for every selected
	// check that could not run.
	Run(ctx context.Context, env Env, selected func(id string) bool) ModuleResult
}

// Check is a pure check over a module's collected state S.
type Check[S any] struct {
	Meta Meta
	Eval func(state S) []Result
}

// RunChecks evaluates each selected check over state, isolating panics: a
// check that panics yields one NOT_EVALUATED result for the account with
// class service_error and never affects the others.
func RunChecks[S any](state S, list []Check[S], selected func(string) bool, fallbackResource string) []CheckOutcome {
	var out []CheckOutcome
	for _, c := range list {
		if selected != nil && !selected(c.Meta.ID) {
			continue
		}
		out = append(out, runOne(state, c, fallbackResource))
	}
	return out
}

func runOne[S any](state S, c Check[S], fallbackResource string) (o CheckOutcome) {
	o.Meta = c.Meta
	defer func() {
		if r := recover(); r != nil {
			err := fmt.Errorf("check %s panicked: %v\n%s", c.Meta.ID, r, debug.Stack())
			o = NotEvaluated(c.Meta, fallbackResource, rampart.ErrClassServiceError, err)
		}
	}()
	o.Results = c.Eval(state)
	return o
}

// NotEvaluated returns the outcome of a check that could not run at all:
// one NOT_EVALUATED row on resourceID (typically the account) with its class.
func NotEvaluated(m Meta, resourceID string, class rampart.ErrorClass, err error) CheckOutcome {
	if class == "" {
		class = rampart.ErrClassUnknown
	}
	return CheckOutcome{
		Meta:       m,
		Err:        err,
		ErrorClass: class,
		Results: []Result{{
			ResourceID:     resourceID,
			ResourceType:   "AwsAccount",
			Status:         rampart.StatusNotEvaluated,
			StatusExtended: fmt.Sprintf("%s could not be evaluated: %s", m.ID, StableErrorText(err)),
			ErrorClass:     class,
		}},
	}
}

// requestIDs matches the per-request identifiers aws-sdk-go-v2 puts in an
// error's text ("RequestID: 1a2b…, ", S3's "HostID: …, ").
var requestIDs = regexp.MustCompile(`\b(RequestID|HostID): [^,]*, `)

// StableErrorText is err's text without the identifiers of the request
// that failed, for a row's status_extended: with them, every scan
// of an account whose checks cannot run (no audit role, a region not
// enabled) made each of its rows differ from the scan before, recorded as
// a changed event with a full snapshot instead of seen.
func StableErrorText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return requestIDs.ReplaceAllString(err.Error(), "")
}

// Registry is the explicit list of modules that ship. It rejects duplicate
// module names and duplicate check IDs.
type Registry struct {
	modules []Module
	byCheck map[string]Meta
}

// NewRegistry returns a registry of mods, or an error naming the duplicate.
func NewRegistry(mods ...Module) (*Registry, error) {
	r := &Registry{byCheck: map[string]Meta{}}
	names := map[string]bool{}
	for _, m := range mods {
		if names[m.Name()] {
			return nil, fmt.Errorf("checks: duplicate module %q", m.Name())
		}
		names[m.Name()] = true
		for _, c := range m.Checks() {
			if c.ID == "" {
				return nil, fmt.Errorf("checks: module %s has a check without ID", m.Name())
			}
			if prev, ok := r.byCheck[c.ID]; ok {
				return nil, fmt.Errorf("checks: duplicate check ID %q in modules %s and %s", c.ID, prev.Module, m.Name())
			}
			r.byCheck[c.ID] = c
		}
		r.modules = append(r.modules, m)
	}
	return r, nil
}

// Modules returns the registered modules in registration order.
func (r *Registry) Modules() []Module { return r.modules }

// Check returns the metadata of check id.
func (r *Registry) Check(id string) (Meta, bool) {
	m, ok := r.byCheck[id]
	return m, ok
}

// AllChecks returns every check's metadata sorted by module then ID.
func (r *Registry) AllChecks() []Meta {
	out := make([]Meta, 0, len(r.byCheck))
	for _, m := range r.byCheck {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Module != out[j].Module {
			return out[i].Module < out[j].Module
		}
		return out[i].ID < out[j].ID
	})
	return out
}
