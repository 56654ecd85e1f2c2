package dispatch

import (
	"container/heap"
	"context"
	"sync"
)

// Slots is a counting semaphore whose waiters are served by priority
// (highest first), then in the order they arrived. Local uses one as the
// cap on units in flight across landing zones: it is how the units on a
// scan's critical path (an account's global unit, bound by the account's
// IAM quota) get a place before the short regional units that can fill
// the gaps around them. Safe for concurrent use.
type Slots struct {
	mu      sync.Mutex
	free    int
	seq     uint64
	waiters slotQueue
}

// NewSlots returns n free slots.
func NewSlots(n int) *Slots { return &Slots{free: n} }

type slotWaiter struct {
	prio  int
	seq   uint64
	ready chan struct{} // closed when the slot is granted
	index int           // position in the queue; -1 once granted
}

// Acquire takes a slot at priority prio, waiting behind the waiters of
// higher or equal priority that came first; false when ctx ends first.
func (s *Slots) Acquire(ctx context.Context, prio int) bool {
	s.mu.Lock()
	if ctx.Err() != nil {
		s.mu.Unlock()
		return false
	}
	if s.free > 0 && len(s.waiters) == 0 {
		s.free--
		s.mu.Unlock()
		return true
	}
	w := &slotWaiter{prio: prio, seq: s.seq, ready: make(chan struct{})}
	s.seq++
	heap.Push(&s.waiters, w)
	s.mu.Unlock()
	select {
	case <-w.ready:
		return true
	case <-ctx.Done():
		s.mu.Lock()
		if w.index >= 0 {
			heap.Remove(&s.waiters, w.index)
			s.mu.Unlock()
			return false
		}
		s.mu.Unlock()
		s.Release() // granted while ctx ended: hand it on
		return false
	}
}

// Release returns a slot: to the first waiter by priority, else to the
// pool.
func (s *Slots) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.waiters) == 0 {
		s.free++
		return
	}
	w := heap.Pop(&s.waiters).(*slotWaiter)
	w.index = -1
	close(w.ready)
}

// slotQueue is a heap of waiters: highest priority, then earliest.
type slotQueue []*slotWaiter

func (q slotQueue) Len() int { return len(q) }
func (q slotQueue) Less(i, j int) bool {
	if q[i].prio != q[j].prio {
		return q[i].prio > q[j].prio
	}
	return q[i].seq < q[j].seq
}
func (q slotQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}
func (q *slotQueue) Push(x any) {
	w := x.(*slotWaiter)
	w.index = len(*q)
	*q = append(*q, w)
}
func (q *slotQueue) Pop() any {
	old := *q
	w := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return w
}
