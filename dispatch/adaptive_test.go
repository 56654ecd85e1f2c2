package dispatch

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// fill acquires until the gate refuses (without blocking) and returns how
// many were admitted.
func fill(g *AdaptiveGate) int {
	n := 0
	for {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		g.mu.Lock()
		room := g.inflight < int(g.limit)
		g.mu.Unlock()
		if !room || !g.Acquire(ctx) {
			return n
		}
		n++
	}
}

func TestAdaptiveGateConverges(t *testing.T) {
	var throttles atomic.Uint64
	g := NewAdaptiveGate(4, 64, throttles.Load)
	if got := fill(g); got != 4 {
		t.Fatalf("initial admission %d, want 4", got)
	}
	// Saturated and not throttled: doubling.
	var limits []int
	for i := 0; i < 3; i++ {
		g.Step()
		fill(g)
		limits = append(limits, g.Limit())
	}
	if want := []int{8, 16, 32}; limits[0] != want[0] || limits[1] != want[1] || limits[2] != want[2] {
		t.Fatalf("slow start limits %v, want %v", limits, want)
	}
	// The shared quota throttles: halve, then grow by one per step.
	throttles.Add(3) // fewer than the limit: absorbed by the client-side limiters
	g.Step()
	if g.Limit() != 64 {
		t.Fatalf("after 3 throttles at limit 32 (saturated): limit %d, want doubled to 64", g.Limit())
	}
	fill(g)
	// The shared quota is overloaded: halve, then grow by one per step.
	throttles.Add(100)
	g.Step()
	if g.Limit() != 32 {
		t.Fatalf("after overload: limit %d, want 32", g.Limit())
	}
	for i := 0; i < 32; i++ {
		g.Release() // in flight back to 32
	}
	g.Step()
	if g.Limit() != 33 {
		t.Errorf("congestion avoidance: limit %d, want 33", g.Limit())
	}
	// Not saturated: no growth.
	for i := 0; i < 10; i++ {
		g.Release()
	}
	g.Step()
	g.Step()
	if g.Limit() != 33 {
		t.Errorf("unsaturated: limit %d, want 33", g.Limit())
	}
	// Repeated throttling never goes below one account.
	for i := 0; i < 10; i++ {
		throttles.Add(100)
		g.Step()
	}
	if g.Limit() != 1 {
		t.Errorf("floor: limit %d, want 1", g.Limit())
	}
}

func TestAdaptiveGateAcquireWaitsForRoom(t *testing.T) {
	g := NewAdaptiveGate(1, 4, nil)
	if !g.Acquire(context.Background()) {
		t.Fatal("first acquire refused")
	}
	got := make(chan bool)
	go func() { got <- g.Acquire(context.Background()) }()
	g.Release()
	if !<-got {
		t.Error("waiting acquire not admitted after release")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	if g.Acquire(ctx) {
		t.Error("acquire beyond the limit admitted")
	}
}
