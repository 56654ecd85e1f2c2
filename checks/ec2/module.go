// Package ec2 is Rampart's EC2 network scanner module. It lists the security
// groups of one region and evaluates pure checks over their rules: SSH, RDP
// or every port open to the internet, and default groups that allow traffic.
// It runs once per account and region.
package ec2

import (
	"context"

	"github.com/rampart-cspm/rampart/checks"
	"github.com/rampart-cspm/rampart/checks/internal/modkit"
)

// Name is the module's name and the service of its findings.
const Name = "ec2"

// Module is the EC2 scanner module.
type Module struct {
	api    func(env checks.Env) API
	checks []checks.Check[*State]
}

var _ checks.Module = (*Module)(nil)

// Option configures a Module.
type Option func(*Module)

// WithAPI makes the module call api instead of an SDK client built from
// Env.Config. Tests use it to inject a fake.
func WithAPI(api API) Option {
	return func(m *Module) { m.api = func(checks.Env) API { return api } }
}

// New returns the EC2 module.
func New(opts ...Option) *Module {
	m := &Module{api: defaultAPI, checks: Checks}
	for _, o := range opts {
		o(m)
	}
	return m
}

// Name returns "ec2".
func (m *Module) Name() string { return Name }

// Scope returns checks.ScopeRegional: one unit per account and region.
func (m *Module) Scope() checks.Scope { return checks.ScopeRegional }

// Checks returns the metadata of the module's checks.
func (m *Module) Checks() []checks.Meta { return modkit.Metas(m.checks) }

// Run collects the region's security groups and evaluates the selected
// checks.
func (m *Module) Run(ctx context.Context, env checks.Env, selected func(string) bool) checks.ModuleResult {
	st, err := collect(ctx, env, m.api(env))
	if err != nil {
		return modkit.Fail(env, Name, m.Checks(), selected, err)
	}
	return modkit.Finish(Name, checks.RunChecks(st, m.checks, selected, modkit.AccountARN(env.AccountID)), st)
}
