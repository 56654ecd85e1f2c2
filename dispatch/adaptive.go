package dispatch

import (
	"context"
	"sync"
	"time"
)

// Rate-control policies of a Group.
const (
	// PolicyAdaptive (the default) sizes each landing zone's account
	// concurrency from the throttling its shared quotas report: it doubles
	// while the landing zone's concurrency is used up and nothing is
	// throttled, halves on throttling, then grows by one per step.
	PolicyAdaptive = "adaptive"
	// PolicyFixed caps each landing zone at Group.MaxAccounts accounts.
	PolicyFixed = "fixed"
)

// Adaptive concurrency defaults.
const (
	DefaultAdaptiveInitial  = 8
	DefaultAdaptiveMax      = 256
	DefaultAdaptiveInterval = 100 * time.Millisecond
)

// gate admits accounts of one landing zone.
type gate interface {
	Acquire(ctx context.Context) bool
	Release()
}

type fixedGate chan struct{}

func (g fixedGate) Acquire(ctx context.Context) bool { return acquire(ctx, g) }
func (g fixedGate) Release()                         { <-g }

// AdaptiveGate is a landing zone's adaptive account concurrency: AIMD on
// the number of accounts in flight, driven by Step. Safe for concurrent
// use.
type AdaptiveGate struct {
	signal func() uint64

	mu       sync.Mutex
	limit    float64
	ssthresh float64
	min, max int
	inflight int
	peak     int // most accounts in flight since the last Step
	last     uint64
	changed  chan struct{}
}

// NewAdaptiveGate starts at initial accounts, within [1, max]. signal
// returns a running count of throttling answers on the landing zone's
// shared quotas (nil: none are reported).
func NewAdaptiveGate(initial, max int, signal func() uint64) *AdaptiveGate {
	if max < 1 {
		max = DefaultAdaptiveMax
	}
	initial = min(max, initial)
	if initial < 1 {
		initial = 1
	}
	if signal == nil {
		signal = func() uint64 { return 0 }
	}
	return &AdaptiveGate{signal: signal, limit: float64(initial), ssthresh: float64(max), min: 1, max: max,
		last: signal(), changed: make(chan struct{})}
}

// Limit returns the current number of accounts admitted at once.
func (g *AdaptiveGate) Limit() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return int(g.limit)
}

// Acquire waits for room for one more account; false when ctx ends first.
func (g *AdaptiveGate) Acquire(ctx context.Context) bool {
	for {
		g.mu.Lock()
		if g.inflight < int(g.limit) {
			g.inflight++
			g.peak = max(g.peak, g.inflight)
			g.mu.Unlock()
			return true
		}
		ch := g.changed
		g.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		}
	}
}

// Release frees an account's place.
func (g *AdaptiveGate) Release() {
	g.mu.Lock()
	g.inflight--
	g.notify()
	g.mu.Unlock()
}

func (g *AdaptiveGate) notify() {
	close(g.changed)
	g.changed = make(chan struct{})
}

// Step is one control step: when the shared quotas answered more throttles
// since the last step than the limit, the limit halves (and the doubling
// phase ends); otherwise, when the limit was reached since the
// last step, it doubles (first phase) or grows by one.
func (g *AdaptiveGate) Step() {
	n := g.signal()
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case n > g.last+uint64(g.limit):
		// More throttles in one step than accounts admitted: the shared
		// quota is overloaded, not just absorbing a burst (the client-side
		// limiters pace isolated throttles).
		g.ssthresh = max(float64(g.min), g.limit/2)
		g.limit = g.ssthresh
	case g.peak >= int(g.limit):
		if g.limit < g.ssthresh {
			g.limit = min(g.limit*2, g.ssthresh)
		} else {
			g.limit++
		}
		g.limit = min(g.limit, float64(g.max))
	}
	g.last = n
	g.peak = g.inflight
	g.notify()
}

// run steps g every interval until ctx ends.
func (g *AdaptiveGate) run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			g.Step()
		case <-ctx.Done():
			return
		}
	}
}
