package dispatch_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/dispatch"
)

// fakeExec records concurrency and commits; behaviour per unit is scripted.
type fakeExec struct {
	mu          sync.Mutex
	runningAcc  map[string]map[string]int // lz -> account -> running units
	maxAccounts map[string]int
	maxPerAcc   int
	running     int
	maxRunning  int
	committed   map[string]rampart.UnitResult
	attempts    map[string]int
	// script returns the state/class of a unit's attempt.
	script func(u rampart.ScanUnit, attempt int) (rampart.UnitState, rampart.ErrorClass)
	hold   time.Duration
}

func newFakeExec() *fakeExec {
	return &fakeExec{
		runningAcc:  map[string]map[string]int{},
		maxAccounts: map[string]int{},
		committed:   map[string]rampart.UnitResult{},
		attempts:    map[string]int{},
		hold:        2 * time.Millisecond,
	}
}

func (f *fakeExec) Start(ctx context.Context, u rampart.ScanUnit, attempt int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attempts[u.ID] = attempt
	return nil
}

func (f *fakeExec) Scan(ctx context.Context, u rampart.ScanUnit, attempt int) rampart.UnitResult {
	f.mu.Lock()
	accs := f.runningAcc[u.LandingZoneID]
	if accs == nil {
		accs = map[string]int{}
		f.runningAcc[u.LandingZoneID] = accs
	}
	accs[u.AccountID]++
	if len(accs) > f.maxAccounts[u.LandingZoneID] {
		f.maxAccounts[u.LandingZoneID] = len(accs)
	}
	if accs[u.AccountID] > f.maxPerAcc {
		f.maxPerAcc = accs[u.AccountID]
	}
	f.running++
	if f.running > f.maxRunning {
		f.maxRunning = f.running
	}
	f.mu.Unlock()

	state, class := rampart.UnitSucceeded, rampart.ErrClassNone
	if f.script != nil {
		state, class = f.script(u, attempt)
	}
	if class == rampart.ErrClassTimeout {
		<-ctx.Done() // a unit that hangs until its deadline
	} else {
		time.Sleep(f.hold)
	}

	f.mu.Lock()
	accs[u.AccountID]--
	if accs[u.AccountID] == 0 {
		delete(accs, u.AccountID)
	}
	f.running--
	f.mu.Unlock()
	u.State, u.ErrorClass = state, class
	return rampart.UnitResult{Unit: u}
}

func (f *fakeExec) Commit(ctx context.Context, res rampart.UnitResult) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, dup := f.committed[res.Unit.ID]; dup {
		return fmt.Errorf("unit %s committed twice", res.Unit.ID)
	}
	f.committed[res.Unit.ID] = res
	return nil
}

func plan(lzs, accounts, regions, maxAcc, perAcc int) dispatch.Plan {
	var p dispatch.Plan
	for l := 0; l < lzs; l++ {
		g := dispatch.Group{LandingZoneID: fmt.Sprintf("lz-%d", l), MaxAccounts: maxAcc, MaxUnitsPerAccount: perAcc}
		for a := 0; a < accounts; a++ {
			acc := fmt.Sprintf("%d%011d", l+1, a)
			for r := 0; r < regions; r++ {
				region := fmt.Sprintf("region-%d", r)
				g.Units = append(g.Units, rampart.ScanUnit{
					ID: rampart.UnitID("scan", acc, region), LandingZoneID: g.LandingZoneID, AccountID: acc, Region: region,
				})
			}
		}
		p.Groups = append(p.Groups, g)
	}
	return p
}

func TestCapsHold(t *testing.T) {
	tests := []struct {
		name                  string
		maxAcc, perAcc, glob  int
		lzs, accounts, region int
	}{
		{"default seed cap", 3, 2, 16, 3, 10, 3},
		{"one account at a time", 1, 1, 16, 2, 5, 2},
		{"global cap tighter", 5, 3, 4, 3, 6, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := newFakeExec()
			d := dispatch.NewLocal(ex, dispatch.Options{MaxConcurrentUnits: tt.glob})
			p := plan(tt.lzs, tt.accounts, tt.region, tt.maxAcc, tt.perAcc)
			if err := d.Dispatch(context.Background(), p); err != nil {
				t.Fatal(err)
			}
			if got, want := len(ex.committed), tt.lzs*tt.accounts*tt.region; got != want {
				t.Fatalf("committed %d units, want %d", got, want)
			}
			for lz, got := range ex.maxAccounts {
				if got > tt.maxAcc {
					t.Errorf("%s: %d accounts ran at once, cap %d", lz, got, tt.maxAcc)
				}
			}
			if ex.maxPerAcc > tt.perAcc {
				t.Errorf("%d units of one account ran at once, cap %d", ex.maxPerAcc, tt.perAcc)
			}
			if ex.maxRunning > tt.glob {
				t.Errorf("%d units ran at once, global cap %d", ex.maxRunning, tt.glob)
			}
			if ex.maxRunning < 2 {
				t.Errorf("no parallelism observed (max %d units at once)", ex.maxRunning)
			}
		})
	}
}

func TestThrottledUnitIsRerunWithJitteredBackoff(t *testing.T) {
	ex := newFakeExec()
	ex.script = func(u rampart.ScanUnit, attempt int) (rampart.UnitState, rampart.ErrorClass) {
		if u.AccountID == "100000000000" && u.Region == "region-0" && attempt < 3 {
			return rampart.UnitFailed, rampart.ErrClassThrottling
		}
		if u.AccountID == "100000000001" && u.Region == "region-0" {
			return rampart.UnitFailed, rampart.ErrClassAccessDenied // not retryable
		}
		return rampart.UnitSucceeded, ""
	}
	var mu sync.Mutex
	var sleeps []time.Duration
	d := dispatch.NewLocal(ex, dispatch.Options{
		UnitRetries: 3, BackoffBase: time.Second, BackoffMax: 8 * time.Second,
		Rand: func() float64 { return 0.5 },
		Sleep: func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			sleeps = append(sleeps, d)
			mu.Unlock()
			return nil
		},
	})
	if err := d.Dispatch(context.Background(), plan(1, 2, 2, 3, 2)); err != nil {
		t.Fatal(err)
	}
	throttled := ex.committed[rampart.UnitID("scan", "100000000000", "region-0")]
	if throttled.Unit.State != rampart.UnitSucceeded || throttled.Unit.Attempts != 3 {
		t.Errorf("throttled unit: state %s after %d attempts, want succeeded after 3", throttled.Unit.State, throttled.Unit.Attempts)
	}
	denied := ex.committed[rampart.UnitID("scan", "100000000001", "region-0")]
	if denied.Unit.State != rampart.UnitFailed || denied.Unit.Attempts != 1 {
		t.Errorf("access-denied unit: state %s after %d attempts, want failed after 1", denied.Unit.State, denied.Unit.Attempts)
	}
	// Full jitter with r=0.5: half of base·2^retry.
	want := []time.Duration{500 * time.Millisecond, time.Second}
	if fmt.Sprint(sleeps) != fmt.Sprint(want) {
		t.Errorf("backoffs %v, want %v", sleeps, want)
	}
}

func TestRetriesExhaustedCommitsFailure(t *testing.T) {
	ex := newFakeExec()
	ex.script = func(u rampart.ScanUnit, attempt int) (rampart.UnitState, rampart.ErrorClass) {
		return rampart.UnitFailed, rampart.ErrClassThrottling
	}
	d := dispatch.NewLocal(ex, dispatch.Options{UnitRetries: 2, Sleep: func(context.Context, time.Duration) error { return nil }})
	if err := d.Dispatch(context.Background(), plan(1, 1, 1, 3, 2)); err != nil {
		t.Fatal(err)
	}
	for _, res := range ex.committed {
		if res.Unit.State != rampart.UnitFailed || res.Unit.ErrorClass != rampart.ErrClassThrottling || res.Unit.Attempts != 3 {
			t.Errorf("got %s/%s after %d attempts, want failed/throttling after 3", res.Unit.State, res.Unit.ErrorClass, res.Unit.Attempts)
		}
	}
}

func TestUnitTimeoutStillCommits(t *testing.T) {
	ex := newFakeExec()
	ex.script = func(u rampart.ScanUnit, attempt int) (rampart.UnitState, rampart.ErrorClass) {
		if u.Region == "region-1" {
			return rampart.UnitFailed, rampart.ErrClassTimeout
		}
		return rampart.UnitSucceeded, ""
	}
	d := dispatch.NewLocal(ex, dispatch.Options{UnitTimeout: 20 * time.Millisecond})
	if err := d.Dispatch(context.Background(), plan(1, 2, 2, 3, 2)); err != nil {
		t.Fatal(err)
	}
	if len(ex.committed) != 4 {
		t.Fatalf("committed %d units, want 4", len(ex.committed))
	}
	for id, res := range ex.committed {
		if res.Unit.Region == "region-1" && res.Unit.ErrorClass != rampart.ErrClassTimeout {
			t.Errorf("%s: class %q, want timeout", id, res.Unit.ErrorClass)
		}
	}
}

func TestCancelledContextReturnsError(t *testing.T) {
	ex := newFakeExec()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d := dispatch.NewLocal(ex, dispatch.Options{})
	if err := d.Dispatch(ctx, plan(1, 4, 1, 1, 1)); err == nil {
		t.Fatal("want an error from a cancelled dispatch")
	}
}

func TestBackoffBounds(t *testing.T) {
	for retry := 0; retry < 10; retry++ {
		for _, r := range []float64{0, 0.25, 0.999} {
			got := dispatch.Backoff(time.Second, 10*time.Second, retry, r)
			ceil := time.Second << retry
			if ceil > 10*time.Second {
				ceil = 10 * time.Second
			}
			if got < 0 || got >= ceil {
				t.Errorf("retry %d r %v: %v outside [0,%v)", retry, r, got, ceil)
			}
		}
	}
}

// orderExec records the order in which units start.
type orderExec struct {
	*fakeExec
	mu     sync.Mutex
	starts []rampart.ScanUnit
}

func (o *orderExec) Start(ctx context.Context, u rampart.ScanUnit, attempt int) error {
	o.mu.Lock()
	o.starts = append(o.starts, u)
	o.mu.Unlock()
	return o.fakeExec.Start(ctx, u, attempt)
}

func TestPriorityUnitsGetFreeSlotsFirst(t *testing.T) {
	// One place for six accounts of two units each: once the first unit
	// holds it, every account's region-0 unit (priority 1) waits with a
	// region-1 unit (priority 0), and the high ones must all start first.
	ex := &orderExec{fakeExec: newFakeExec()}
	ex.hold = 20 * time.Millisecond
	p := plan(1, 6, 2, 6, 2)
	p.Groups[0].Priority = func(u rampart.ScanUnit) int {
		if u.Region == "region-0" {
			return 1
		}
		return 0
	}
	d := dispatch.NewLocal(ex, dispatch.Options{MaxConcurrentUnits: 1})
	if err := d.Dispatch(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if len(ex.starts) != 12 {
		t.Fatalf("%d starts, want 12", len(ex.starts))
	}
	// The first unit takes the free place whatever its priority; after it,
	// the high-priority units go before any low one.
	lastHigh, firstLow := -1, len(ex.starts)
	for i, u := range ex.starts[1:] {
		if u.Region == "region-0" {
			lastHigh = i
		} else if firstLow == len(ex.starts) {
			firstLow = i
		}
	}
	if lastHigh > firstLow {
		var order []string
		for _, u := range ex.starts {
			order = append(order, u.AccountID[len(u.AccountID)-1:]+"/"+u.Region)
		}
		t.Errorf("a low-priority unit started before a waiting high one: %v", order)
	}
}

// deadlineExec records how long each commit was given.
type deadlineExec struct {
	*fakeExec
	mu    sync.Mutex
	given []time.Duration
}

func (d *deadlineExec) Commit(ctx context.Context, res rampart.UnitResult) error {
	dl, ok := ctx.Deadline()
	d.mu.Lock()
	if ok {
		d.given = append(d.given, time.Until(dl))
	} else {
		d.given = append(d.given, -1)
	}
	d.mu.Unlock()
	return d.fakeExec.Commit(ctx, res)
}

// TestCommitMayWaitForABusyStore: a commit gets DefaultCommitTimeout (or
// the option), long enough to wait behind a large ingest that holds the
// store's writer, where a one-minute deadline lost the unit.
func TestCommitMayWaitForABusyStore(t *testing.T) {
	for _, tc := range []struct {
		opt, want time.Duration
	}{{0, dispatch.DefaultCommitTimeout}, {3 * time.Minute, 3 * time.Minute}} {
		ex := &deadlineExec{fakeExec: newFakeExec()}
		d := dispatch.NewLocal(ex, dispatch.Options{CommitTimeout: tc.opt})
		if err := d.Dispatch(context.Background(), plan(1, 2, 1, 3, 2)); err != nil {
			t.Fatal(err)
		}
		if len(ex.given) != 2 {
			t.Fatalf("%d commits, want 2", len(ex.given))
		}
		for _, g := range ex.given {
			if g < tc.want-time.Minute || g > tc.want {
				t.Errorf("option %v: a commit was given %v, want about %v", tc.opt, g, tc.want)
			}
		}
	}
}
