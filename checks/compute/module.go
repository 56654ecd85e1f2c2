// Package compute is Rampart's compute scanner module: one region's EC2
// instances (IMDSv2, public IPs, instance profiles, monitoring, age,
// virtualization), EBS volumes and snapshots (encryption, public sharing,
// backups), AMIs, and the region's account-level settings (EBS encryption
// by default, instance metadata defaults, snapshot and AMI public-access
// blocks). A part that cannot be read makes only the checks that need it
// NOT_EVALUATED. Findings carry Prowler's service, ec2. It runs once per
// account and region.
package compute

import (
	"context"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/rampart-cspm/rampart/checks"
	"github.com/rampart-cspm/rampart/checks/internal/modkit"
)

// Name is the module's name.
const Name = "compute"

var timeNow = time.Now

// allParts are every collection part.
var allParts = []string{partInstances, partVolumes, partSnapshots, partSnapshotPerms, partImages, partEBSDefault, partIMDSDefaults, partSnapshotBlock, partImageBlock}

// Module is the compute scanner module.
type Module struct {
	api    func(env checks.Env) API
	checks []check
}

var _ checks.Module = (*Module)(nil)

// Option configures a Module.
type Option func(*Module)

// WithAPI makes the module call api instead of an SDK client.
func WithAPI(api API) Option { return func(m *Module) { m.api = func(checks.Env) API { return api } } }

// New returns the compute module.
func New(opts ...Option) *Module {
	m := &Module{api: defaultAPI, checks: allChecks()}
	for _, o := range opts {
		o(m)
	}
	return m
}

// Name returns "compute".
func (m *Module) Name() string { return Name }

// Scope returns checks.ScopeRegional.
func (m *Module) Scope() checks.Scope { return checks.ScopeRegional }

// Checks returns the metadata of the module's checks.
func (m *Module) Checks() []checks.Meta {
	out := make([]checks.Meta, len(m.checks))
	for i, c := range m.checks {
		out[i] = c.Meta
	}
	return out
}

// Run collects the region's compute inventory and evaluates the selected
// checks.
func (m *Module) Run(ctx context.Context, env checks.Env, selected func(string) bool) checks.ModuleResult {
	st := collect(ctx, env, m.api(env))
	if len(st.Errors) == len(allParts) {
		return modkit.Fail(env, Name, m.Checks(), selected, errors.New(st.Errors[partInstances].Message))
	}
	return modkit.Finish(Name, run(st, m.checks, selected, modkit.AccountARN(env.AccountID)), st)
}

func run(st *State, list []check, selected func(string) bool, account string) []checks.CheckOutcome {
	var out []checks.CheckOutcome
	for _, c := range list {
		if selected != nil && !selected(c.Meta.ID) {
			continue
		}
		var failed []string
		for _, n := range c.needs {
			if st.Errors[n] != nil {
				failed = append(failed, n)
			}
		}
		if len(failed) > 0 {
			sort.Strings(failed)
			e := st.Errors[failed[0]]
			out = append(out, checks.NotEvaluated(c.Meta, account, e.Class, errors.New(strings.Join(failed, ", ")+": "+e.Message)))
			continue
		}
		out = append(out, checks.RunChecks(st, []checks.Check[*State]{c.Check}, nil, account)...)
	}
	return out
}
