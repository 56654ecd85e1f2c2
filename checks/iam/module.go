// Package iam is Rampart's IAM scanner module. It reads the account summary,
// the password policy and every user's login profile, MFA devices, access
// keys (with their last use) and tags, and evaluates pure checks over that
// inventory. It runs once per account; its results carry no region, so the
// unit's global region applies.
//
// A call that fails for the account summary, the password policy or one user
// is recorded where it happened; the checks that need the missing attribute
// report NOT_EVALUATED with the error's class. Only a failure to list the
// users fails the module.
package iam

import (
	"context"

	"github.com/rampart-cspm/rampart/checks"
	"github.com/rampart-cspm/rampart/checks/internal/modkit"
)

// Name is the module's name and the service of its findings.
const Name = "iam"

// Module is the IAM scanner module.
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

// New returns the IAM module.
func New(opts ...Option) *Module {
	m := &Module{api: defaultAPI, checks: Checks}
	for _, o := range opts {
		o(m)
	}
	return m
}

// Name returns "iam".
func (m *Module) Name() string { return Name }

// Scope returns checks.ScopeGlobal: IAM is read once per account.
func (m *Module) Scope() checks.Scope { return checks.ScopeGlobal }

// Checks returns the metadata of the module's checks.
func (m *Module) Checks() []checks.Meta { return modkit.Metas(m.checks) }

// Run collects the account's IAM posture and evaluates the selected checks.
func (m *Module) Run(ctx context.Context, env checks.Env, selected func(string) bool) checks.ModuleResult {
	st, err := collect(ctx, env, m.api(env))
	if err != nil {
		return modkit.Fail(env, Name, m.Checks(), selected, err)
	}
	return modkit.Finish(Name, checks.RunChecks(st, m.checks, selected, modkit.AccountARN(env.AccountID)), st)
}
