package modkit

import (
	"context"
	"fmt"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/checks"
	"github.com/rampart-cspm/rampart/checks/internal/prowlerfacts"
)

// Std is a module built from a name, a scope, a collector and a list of
// pure checks: the shape every module has. Collect fails only when nothing
// could be collected; per-resource failures are kept in the state.
type Std[S any] struct {
	ModName  string
	ModScope checks.Scope
	List     []checks.Check[S]
	Collect  func(ctx context.Context, env checks.Env) (S, error)
}

var _ checks.Module = (*Std[int])(nil)

// Name returns the module's name.
func (m *Std[S]) Name() string { return m.ModName }

// Scope returns the module's scope.
func (m *Std[S]) Scope() checks.Scope { return m.ModScope }

// Checks returns the metadata of the module's checks.
func (m *Std[S]) Checks() []checks.Meta { return Metas(m.List) }

// Run collects and evaluates the selected checks.
func (m *Std[S]) Run(ctx context.Context, env checks.Env, selected func(string) bool) checks.ModuleResult {
	st, err := m.Collect(ctx, env)
	if err != nil {
		return Fail(env, m.ModName, m.Checks(), selected, err)
	}
	return Finish(m.ModName, checks.RunChecks(st, m.List, selected, AccountARN(env.AccountID)), st)
}

// Meta completes m for module: Module set to module, Service to Prowler's
// service of the check ID (the module's name when Prowler has no such
// check), and Prowler's severity, resource type and compliance mappings.
func Meta(module string, m checks.Meta) checks.Meta {
	m.Module, m.Service = module, module
	if f, ok := prowlerfacts.Lookup(m.ID); ok && f.Service != "" {
		m.Service = f.Service
	}
	return prowlerfacts.Fill(m)
}

// Pass returns r with status PASS and the formatted explanation.
func Pass(r checks.Result, format string, args ...any) checks.Result {
	r.Status, r.StatusExtended = rampart.StatusPass, fmt.Sprintf(format, args...)
	return r
}

// FailR returns r with status FAIL and the formatted explanation.
func FailR(r checks.Result, format string, args ...any) checks.Result {
	r.Status, r.StatusExtended = rampart.StatusFail, fmt.Sprintf(format, args...)
	return r
}

// Verdict returns Pass(r, ok...) when ok, else FailR(r, bad...).
func Verdict(r checks.Result, ok bool, good, bad string) checks.Result {
	if ok {
		return Pass(r, "%s", good)
	}
	return FailR(r, "%s", bad)
}
