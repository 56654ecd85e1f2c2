// Package ec2 is Rampart's networking scanner module (module name
// "networking"; the package keeps its historical directory). It lists one
// region's security groups, VPCs, subnets, network ACLs, flow logs, network
// interfaces, transit gateways and VPC endpoints, and evaluates pure checks
// over them: ports open to the internet on security groups, network ACLs
// and public instances, default and unused groups, flow logs, public IPs by
// default, endpoint placement and policies, transit gateway auto-accept.
// Findings carry Prowler's service of each check (ec2 or vpc). A part that
// cannot be read makes only the checks that need it NOT_EVALUATED. It runs
// once per account and region.
package ec2

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"

	"github.com/rampart-cspm/rampart/checks"
	"github.com/rampart-cspm/rampart/checks/internal/modkit"
)

// Name is the module's name.
const Name = "networking"

// allParts are every collection part; a unit where all failed fails the
// module as a whole.
var allParts = []string{partSecurityGroups, partVPCs, partSubnets, partNetworkACLs, partFlowLogs, partInterfaces, partTransitGateways, partVPCEndpoints}

// Module is the networking scanner module.
type Module struct {
	api    func(env checks.Env) API
	checks []checks.Check[*State]
	needs  map[string][]string
}

var _ checks.Module = (*Module)(nil)

// Option configures a Module.
type Option func(*Module)

// WithAPI makes the module call api instead of an SDK client built from
// Env.Config. Tests use it to inject a fake; when api also implements
// NetworkAPI the network parts are read through it.
func WithAPI(api API) Option {
	return func(m *Module) { m.api = func(checks.Env) API { return api } }
}

// New returns the networking module.
func New(opts ...Option) *Module {
	m := &Module{api: defaultAPI, checks: slices.Clone(Checks), needs: map[string][]string{}}
	for _, nc := range networkChecks() {
		m.checks = append(m.checks, nc.check)
		m.needs[nc.check.Meta.ID] = nc.needs
	}
	for _, o := range opts {
		o(m)
	}
	return m
}

// Name returns "networking".
func (m *Module) Name() string { return Name }

// Scope returns checks.ScopeRegional: one unit per account and region.
func (m *Module) Scope() checks.Scope { return checks.ScopeRegional }

// Checks returns the metadata of the module's checks.
func (m *Module) Checks() []checks.Meta { return modkit.Metas(m.checks) }

// Run collects the region's network inventory and evaluates the selected
// checks; a check whose parts could not be read is NOT_EVALUATED with the
// part's error class.
func (m *Module) Run(ctx context.Context, env checks.Env, selected func(string) bool) checks.ModuleResult {
	api := m.api(env)
	st, sgErr := collect(ctx, env, api)
	if sgErr != nil {
		st = &State{AccountID: env.AccountID, Region: env.Region, SecurityGroups: []*SecurityGroup{}}
	}
	st.Net = collectNetwork(ctx, env, api)
	if sgErr != nil {
		if st.Net.Errors == nil {
			st.Net.Errors = map[string]*modkit.AttrError{}
		}
		st.Net.Errors[partSecurityGroups] = modkit.NewAttrError(env, sgErr)
		if len(st.Net.Errors) == len(allParts) {
			return modkit.Fail(env, Name, m.Checks(), selected, sgErr)
		}
	}
	account := modkit.AccountARN(env.AccountID)
	var outcomes []checks.CheckOutcome
	for _, c := range m.checks {
		if selected != nil && !selected(c.Meta.ID) {
			continue
		}
		needs, ok := m.needs[c.Meta.ID]
		if !ok {
			needs = []string{partSecurityGroups}
		}
		if e := firstFailed(st.Net.Errors, needs); e != nil {
			outcomes = append(outcomes, checks.NotEvaluated(c.Meta, account, e.Class, errors.New(e.Message)))
			continue
		}
		outcomes = append(outcomes, checks.RunChecks(st, []checks.Check[*State]{c}, nil, account)...)
	}
	return modkit.Finish(Name, outcomes, st)
}

// firstFailed returns the error of the first of needs (in name order) that
// failed, or nil.
func firstFailed(errs map[string]*modkit.AttrError, needs []string) *modkit.AttrError {
	var failed []string
	for _, n := range needs {
		if errs[n] != nil {
			failed = append(failed, n)
		}
	}
	if len(failed) == 0 {
		return nil
	}
	sort.Strings(failed)
	e := *errs[failed[0]]
	e.Message = strings.Join(failed, ", ") + ": " + e.Message
	return &e
}
