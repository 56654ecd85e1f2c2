package dispatch

import (
	"context"
	"sync"
	"testing"
	"time"
)

// queued waits until s has n waiters (goroutines started by the test).
func queued(t *testing.T, s *Slots, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.mu.Lock()
		got := len(s.waiters)
		s.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d waiters, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestSlotsServeHighestPriorityThenFirstCome(t *testing.T) {
	s := NewSlots(2)
	ctx := context.Background()
	if !s.Acquire(ctx, 0) || !s.Acquire(ctx, 0) {
		t.Fatal("free slots refused")
	}
	// Waiters arrive in this order; they must be served by priority, and
	// in arrival order within one priority.
	arrivals := []struct {
		name string
		prio int
	}{{"low-a", 0}, {"high-a", 1}, {"low-b", 0}, {"high-b", 1}, {"top", 5}}
	var mu sync.Mutex
	var order []string
	var wg sync.WaitGroup
	for i, a := range arrivals {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !s.Acquire(ctx, a.prio) {
				t.Errorf("%s refused", a.name)
				return
			}
			mu.Lock()
			order = append(order, a.name)
			mu.Unlock()
		}()
		queued(t, s, i+1)
	}
	for i := range arrivals {
		s.Release()
		// Each release grants exactly one waiter.
		for {
			mu.Lock()
			n := len(order)
			mu.Unlock()
			if n == i+1 {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	wg.Wait()
	want := []string{"top", "high-a", "high-b", "low-a", "low-b"}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("grant order %v, want %v", order, want)
		}
	}
	// Two slots are still held (by the last two grants); releasing them
	// makes both free again with nobody waiting.
	s.Release()
	s.Release()
	if s.free != 2 || len(s.waiters) != 0 {
		t.Errorf("free %d, waiters %d; want 2, 0", s.free, len(s.waiters))
	}
}

func TestSlotsCancelledWaiterLeavesQueue(t *testing.T) {
	s := NewSlots(1)
	if !s.Acquire(context.Background(), 0) {
		t.Fatal("free slot refused")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan bool)
	go func() { done <- s.Acquire(ctx, 3) }()
	queued(t, s, 1)
	cancel()
	if <-done {
		t.Fatal("acquire after cancel returned true")
	}
	if len(s.waiters) != 0 {
		t.Fatalf("cancelled waiter still queued")
	}
	s.Release()
	if s.free != 1 {
		t.Errorf("free = %d after release, want 1 (no slot lost to the cancelled waiter)", s.free)
	}
	if s.Acquire(ctx, 0) {
		t.Error("acquire with a done context succeeded")
	}
}
