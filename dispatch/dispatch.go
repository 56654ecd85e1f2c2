// Package dispatch runs the scan units of a plan in parallel under rate
// control: a cap on concurrent accounts per landing zone, a cap on
// concurrent units per account, a global cap, a timeout per unit, and
// re-runs of units that failed on throttling after an exponential backoff
// with full jitter.
//
// Local is the in-process dispatcher of the embedded default. A distributed
// dispatcher (e.g. on NATS JetStream) implements the same Dispatcher
// interface; the Executor's two steps (scan, then commit) are what lets a
// queue acknowledge a unit only after its results commit.
package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/rampart-cspm/rampart"
)

// Executor does the work of one unit in two steps, so that a dispatcher can
// re-run a unit that failed on throttling without committing the failure.
type Executor interface {
	// Scan runs unit (attempt counts from 1) and returns its result. It must
	// honour ctx's deadline and report a timeout as such in the result.
	Scan(ctx context.Context, unit rampart.ScanUnit, attempt int) rampart.UnitResult
	// Commit stores the final result of a unit atomically.
	Commit(ctx context.Context, res rampart.UnitResult) error
	// Start marks a unit running (before each attempt).
	Start(ctx context.Context, unit rampart.ScanUnit, attempt int) error
}

// Group is the units of one landing zone's scan and the caps that hold
// for them.
type Group struct {
	LandingZoneID string
	// MaxAccounts caps concurrently scanned accounts (default 3).
	MaxAccounts int
	// MaxUnitsPerAccount caps concurrent units of one account (default 2).
	MaxUnitsPerAccount int
	Units              []rampart.ScanUnit
	// Policy is PolicyFixed (MaxAccounts) or PolicyAdaptive (default ""
	// means fixed, so plans built by hand keep their cap); see adaptive.go.
	Policy string
	// SharedThrottles, for PolicyAdaptive, counts throttling answers on
	// the landing zone's shared quotas (credential vending, Organizations).
	SharedThrottles func() uint64
	// Priority orders the units waiting for a place under
	// Options.MaxConcurrentUnits: higher first, then first come. Give the
	// longest units (those on the scan's critical path) the highest, so
	// they start first and the short ones fill in around them. nil: all 0.
	Priority func(rampart.ScanUnit) int
}

// Plan is what one Dispatch call runs.
type Plan struct {
	Groups []Group
}

// Dispatcher runs a plan to completion.
type Dispatcher interface {
	// Dispatch returns when every unit of plan is committed, or with an
	// error when ctx is done first or a commit fails.
	Dispatch(ctx context.Context, plan Plan) error
}

// Options of a Local dispatcher. Zero values take the defaults.
type Options struct {
	// MaxConcurrentUnits caps units in flight across all landing zones (16).
	MaxConcurrentUnits int
	// UnitTimeout bounds one attempt of a unit (10m).
	UnitTimeout time.Duration
	// CommitTimeout bounds a unit's commit, its wait for the store
	// included (DefaultCommitTimeout). A commit that gives up loses the
	// unit's results, and the store may be busy for minutes while it
	// ingests a large Prowler file in one transaction (SQLite: ~30 s per
	// GB on the reference machine, docs/bench-ingest.md).
	CommitTimeout time.Duration
	// UnitRetries is how many times a unit that failed on throttling is
	// re-run (2).
	UnitRetries int
	// BackoffBase and BackoffMax shape the full-jitter backoff between
	// re-runs: sleep = rand[0, min(BackoffMax, BackoffBase·2^retry)).
	BackoffBase, BackoffMax time.Duration
	// OnDone is called after each unit commits (progress reporting).
	OnDone func(res rampart.UnitResult)
	// Sleep waits d or until ctx is done; injectable so tests never sleep.
	Sleep func(ctx context.Context, d time.Duration) error
	// Rand returns a float in [0,1); injectable for deterministic tests.
	Rand   func() float64
	Logger *slog.Logger
}

// DefaultCommitTimeout is how long a unit's commit may wait for, and take
// in, the store. It was one minute, shorter than an ingest of a 2 GB
// Prowler file holds SQLite's writer.
const DefaultCommitTimeout = 10 * time.Minute

// Local is the in-process dispatcher.
type Local struct {
	exec Executor
	opts Options
}

var _ Dispatcher = (*Local)(nil)

// NewLocal returns an in-process dispatcher running units with exec.
func NewLocal(exec Executor, opts Options) *Local {
	if opts.MaxConcurrentUnits <= 0 {
		opts.MaxConcurrentUnits = 16
	}
	if opts.UnitTimeout <= 0 {
		opts.UnitTimeout = 10 * time.Minute
	}
	if opts.CommitTimeout <= 0 {
		opts.CommitTimeout = DefaultCommitTimeout
	}
	if opts.UnitRetries < 0 {
		opts.UnitRetries = 0
	}
	if opts.BackoffBase <= 0 {
		opts.BackoffBase = time.Second
	}
	if opts.BackoffMax <= 0 {
		opts.BackoffMax = 30 * time.Second
	}
	if opts.Sleep == nil {
		opts.Sleep = sleepCtx
	}
	if opts.Rand == nil {
		opts.Rand = rand.Float64
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Local{exec: exec, opts: opts}
}

// Backoff returns the full-jitter delay before re-run number retry (0-based).
func Backoff(base, max time.Duration, retry int, r float64) time.Duration {
	ceil := base
	for i := 0; i < retry && ceil < max; i++ {
		ceil *= 2
	}
	if ceil > max {
		ceil = max
	}
	return time.Duration(r * float64(ceil))
}

// Dispatch implements Dispatcher.
func (d *Local) Dispatch(ctx context.Context, plan Plan) error {
	global := NewSlots(d.opts.MaxConcurrentUnits)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		errs    []error
		failErr = func(err error) {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}
	)
	for _, g := range plan.Groups {
		maxAcc := g.MaxAccounts
		if maxAcc <= 0 {
			maxAcc = 3
		}
		perAcc := g.MaxUnitsPerAccount
		if perAcc <= 0 {
			perAcc = 2
		}
		var lzSem gate = make(fixedGate, maxAcc)
		if g.Policy == PolicyAdaptive {
			ag := NewAdaptiveGate(max(DefaultAdaptiveInitial, maxAcc), DefaultAdaptiveMax, g.SharedThrottles)
			stepCtx, stop := context.WithCancel(ctx)
			defer stop()
			go ag.run(stepCtx, DefaultAdaptiveInterval)
			lzSem = ag
		}
		for _, units := range byAccount(g.Units) {
			wg.Add(1)
			go func(units []rampart.ScanUnit) {
				defer wg.Done()
				if !lzSem.Acquire(ctx) {
					failErr(fmt.Errorf("dispatch: lz %s account %s: %w", g.LandingZoneID, units[0].AccountID, ctx.Err()))
					return
				}
				defer lzSem.Release()
				d.runAccount(ctx, units, perAcc, global, g.Priority, failErr)
			}(units)
		}
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (d *Local) runAccount(ctx context.Context, units []rampart.ScanUnit, perAcc int, global *Slots, priority func(rampart.ScanUnit) int, failErr func(error)) {
	accSem := make(chan struct{}, perAcc)
	var wg sync.WaitGroup
	for _, u := range units {
		if !acquire(ctx, accSem) {
			failErr(fmt.Errorf("dispatch: unit %s: %w", u.ID, ctx.Err()))
			continue
		}
		wg.Add(1)
		go func(u rampart.ScanUnit) {
			defer wg.Done()
			defer func() { <-accSem }()
			prio := 0
			if priority != nil {
				prio = priority(u)
			}
			if err := d.runUnit(ctx, u, global, prio); err != nil {
				failErr(err)
			}
		}(u)
	}
	wg.Wait()
}

// runUnit runs the attempts of one unit and commits its final result.
func (d *Local) runUnit(ctx context.Context, u rampart.ScanUnit, global *Slots, prio int) error {
	log := d.opts.Logger.With("lz", u.LandingZoneID, "account", u.AccountID, "region", u.Region, "unit", u.ID)
	var res rampart.UnitResult
	for attempt := 1; ; attempt++ {
		if !global.Acquire(ctx, prio) {
			return fmt.Errorf("dispatch: unit %s: %w", u.ID, ctx.Err())
		}
		if err := d.exec.Start(ctx, u, attempt); err != nil {
			global.Release()
			return fmt.Errorf("dispatch: start unit %s: %w", u.ID, err)
		}
		uctx, cancel := context.WithTimeout(ctx, d.opts.UnitTimeout)
		res = d.exec.Scan(uctx, u, attempt)
		cancel()
		global.Release()
		res.Unit.Attempts = attempt
		if !retryable(res) || attempt > d.opts.UnitRetries {
			break
		}
		wait := Backoff(d.opts.BackoffBase, d.opts.BackoffMax, attempt-1, d.opts.Rand())
		log.Warn("unit throttled, re-running after backoff", "attempt", attempt, "backoff", wait)
		if err := d.opts.Sleep(ctx, wait); err != nil {
			return fmt.Errorf("dispatch: unit %s: %w", u.ID, err)
		}
	}
	// Commit with a context that survives the unit timeout: results that
	// were collected are never lost to the deadline that ended collection.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.opts.CommitTimeout)
	defer cancel()
	if err := d.exec.Commit(cctx, res); err != nil {
		return fmt.Errorf("dispatch: commit unit %s: %w", u.ID, err)
	}
	if d.opts.OnDone != nil {
		d.opts.OnDone(res)
	}
	return nil
}

// retryable reports whether a unit's result is worth re-running: it failed
// outright on throttling.
func retryable(res rampart.UnitResult) bool {
	return res.Unit.State == rampart.UnitFailed && res.Unit.ErrorClass == rampart.ErrClassThrottling
}

// byAccount groups units by account, keeping first-seen order.
func byAccount(units []rampart.ScanUnit) [][]rampart.ScanUnit {
	idx := map[string]int{}
	var out [][]rampart.ScanUnit
	for _, u := range units {
		i, ok := idx[u.AccountID]
		if !ok {
			i = len(out)
			idx[u.AccountID] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], u)
	}
	return out
}

func acquire(ctx context.Context, sem chan struct{}) bool {
	if ctx.Err() != nil {
		return false
	}
	select {
	case sem <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
