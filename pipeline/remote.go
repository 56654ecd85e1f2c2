package pipeline

import (
	"context"
	"fmt"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/dispatch"
)

// This file is what a queue-backed dispatcher needs from the pipeline: on
// the scheduling side, the account attributes to put in a message and a way
// to report units another process committed; on the worker side, an
// Executor for one account's units built outside Engine.Run, from the
// landing zone's configuration and the account carried by the message.

// Account returns the attributes of an account being scanned by this run
// (name, environment, owner after overrides), so that a queue dispatcher
// can hand them to workers with the account's units.
func (r *run) Account(lzID, accountID string) (rampart.Account, bool) {
	lr := r.lzs[lzID]
	if lr == nil {
		return rampart.Account{}, false
	}
	a, ok := lr.accounts[accountID]
	return a, ok
}

// Committed records a unit that another process scanned and committed:
// its commit stats count in the run's report and RunOptions.OnUnit sees it.
func (r *run) Committed(res rampart.UnitResult, stats rampart.CommitStats) {
	r.mu.Lock()
	if lr := r.lzs[res.Unit.LandingZoneID]; lr != nil {
		lr.report.Stats.Add(stats)
	}
	r.mu.Unlock()
	r.done(res)
}

// AccountExecutor returns an Executor for the units of one account of lz,
// for a worker that received them from a queue: it loads lz's base
// credentials (profile or default chain) and scans in acct's audit role
// exactly as Engine.Run does. acct carries the attributes findings are
// normalized with (name, environment, owner team).
func (e *Engine) AccountExecutor(ctx context.Context, lz rampart.LandingZone, acct rampart.Account, opts RunOptions) (dispatch.Executor, error) {
	e.defaults()
	if acct.ID == "" {
		return nil, rampart.Errorf(rampart.EINVALID, "lz %s: account executor: empty account ID", lz.ID)
	}
	base, err := e.AWS.Base(ctx, lz.Profile, e.HomeRegion)
	if err != nil {
		return nil, fmt.Errorf("lz %s: load credentials (profile %q): %w", lz.ID, lz.Profile, classified(e.Classify, err))
	}
	acct.LandingZoneID = lz.ID
	lr := &lzRun{lz: lz, base: base, accounts: map[string]rampart.Account{acct.ID: acct}, report: &LZReport{
		LandingZone: lz, Units: map[rampart.UnitState]int{}, UnitErrors: map[rampart.ErrorClass]int{},
		OpenBySeverity: map[rampart.Severity]int{},
	}}
	r := newRun(e, opts)
	r.lzs[lz.ID] = lr
	return r, nil
}
