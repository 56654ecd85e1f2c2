// Package s3 is Rampart's S3 scanner module. It lists the account's buckets,
// reads each bucket's policy, ACL, public access block, default encryption,
// versioning, logging and tags with a client for the bucket's region, and
// evaluates pure checks over that inventory. It runs once per account.
//
// A call that fails for one bucket is recorded on the bucket; the checks that
// need the missing attribute report NOT_EVALUATED for that bucket with the
// error's class, and every other bucket is still evaluated. Only a failure to
// list the buckets fails the module.
package s3

import (
	"context"

	"github.com/rampart-cspm/rampart/checks"
	"github.com/rampart-cspm/rampart/checks/internal/modkit"
)

// Name is the module's name and the service of its findings.
const Name = "s3"

// Module is the S3 scanner module.
type Module struct {
	clients func(env checks.Env) ClientFunc
	checks  []checks.Check[*State]
}

var _ checks.Module = (*Module)(nil)

// Option configures a Module.
type Option func(*Module)

// WithClients makes the module call fn(region) instead of SDK clients built
// from Env.Config. Tests use it to inject fakes.
func WithClients(fn ClientFunc) Option {
	return func(m *Module) { m.clients = func(checks.Env) ClientFunc { return fn } }
}

// New returns the S3 module.
func New(opts ...Option) *Module {
	m := &Module{clients: defaultClients, checks: Checks}
	for _, o := range opts {
		o(m)
	}
	return m
}

// Name returns "s3".
func (m *Module) Name() string { return Name }

// Scope returns checks.ScopeGlobal: buckets are listed once per account.
func (m *Module) Scope() checks.Scope { return checks.ScopeGlobal }

// Checks returns the metadata of the module's checks.
func (m *Module) Checks() []checks.Meta { return modkit.Metas(m.checks) }

// Run collects the account's buckets and evaluates the selected checks.
func (m *Module) Run(ctx context.Context, env checks.Env, selected func(string) bool) checks.ModuleResult {
	st, err := collect(ctx, env, m.clients(env))
	if err != nil {
		return modkit.Fail(env, Name, m.Checks(), selected, err)
	}
	return modkit.Finish(Name, checks.RunChecks(st, m.checks, selected, modkit.AccountARN(env.AccountID)), st)
}
