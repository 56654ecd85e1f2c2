package schedule_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/schedule"
)

var t0 = time.Date(2026, 3, 2, 10, 20, 0, 0, time.UTC)

func lz(id, sched string, enabled bool) rampart.LandingZone {
	return rampart.LandingZone{ID: id, Schedule: sched, ScanEnabled: enabled}
}

// recorder is a RunFunc that counts calls and concurrency and blocks each
// scan until released.
type recorder struct {
	mu       sync.Mutex
	calls    map[string]int
	inFlight map[string]int
	maxIn    map[string]int
	release  chan struct{}
	started  chan string
}

func newRecorder() *recorder {
	return &recorder{calls: map[string]int{}, inFlight: map[string]int{}, maxIn: map[string]int{},
		release: make(chan struct{}), started: make(chan string, 100)}
}

func (r *recorder) run(ctx context.Context, lz rampart.LandingZone) error {
	r.mu.Lock()
	r.calls[lz.ID]++
	r.inFlight[lz.ID]++
	if r.inFlight[lz.ID] > r.maxIn[lz.ID] {
		r.maxIn[lz.ID] = r.inFlight[lz.ID]
	}
	r.mu.Unlock()
	r.started <- lz.ID
	select {
	case <-r.release:
	case <-ctx.Done():
	}
	r.mu.Lock()
	r.inFlight[lz.ID]--
	r.mu.Unlock()
	return nil
}

func TestDueTimes(t *testing.T) {
	tests := []struct {
		name      string
		schedule  string
		firstDue  time.Time
		secondDue time.Time
	}{
		{"every 15m", "@every 15m", t0.Add(15 * time.Minute), t0.Add(30 * time.Minute)},
		{"hourly cron", "0 * * * *", time.Date(2026, 3, 2, 11, 0, 0, 0, time.UTC), time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)},
		{"weekdays 06:30", "30 6 * * mon-fri", time.Date(2026, 3, 3, 6, 30, 0, 0, time.UTC), time.Date(2026, 3, 4, 6, 30, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder()
			close(rec.release) // scans end at once
			s, err := schedule.New([]rampart.LandingZone{lz("a", tt.schedule, true)}, rec.run, schedule.NewManualClock(t0), nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Entries()[0].Next; !got.Equal(tt.firstDue) {
				t.Fatalf("first due = %s, want %s", got, tt.firstDue)
			}
			if got := s.Tick(context.Background(), tt.firstDue.Add(-time.Second)); len(got) != 0 {
				t.Fatalf("Tick a second early started %v", got)
			}
			if got := s.Tick(context.Background(), tt.firstDue); len(got) != 1 || got[0] != "a" {
				t.Fatalf("Tick at due time started %v, want [a]", got)
			}
			s.Wait()
			e := s.Entries()[0]
			if !e.Next.Equal(tt.secondDue) || e.Runs != 1 || e.Running {
				t.Fatalf("after first scan: %+v, want next %s, 1 run, not running", e, tt.secondDue)
			}
		})
	}
}

func TestNoOverlappingScansOfOneLZ(t *testing.T) {
	rec := newRecorder()
	s, err := schedule.New([]rampart.LandingZone{lz("a", "@every 1m", true), lz("b", "@every 1m", true)},
		rec.run, schedule.NewManualClock(t0), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if got := s.Tick(ctx, t0.Add(time.Minute)); len(got) != 2 {
		t.Fatalf("first tick started %v, want a and b", got)
	}
	<-rec.started
	<-rec.started
	// Both still running at the next two due times: nothing starts.
	for i := 2; i <= 3; i++ {
		if got := s.Tick(ctx, t0.Add(time.Duration(i)*time.Minute)); len(got) != 0 {
			t.Fatalf("tick %d started %v while the previous scans run", i, got)
		}
	}
	for _, e := range s.Entries() {
		if e.Skipped != 2 || e.Runs != 1 || !e.Running {
			t.Fatalf("entry %+v: want 2 skipped, 1 run, running", e)
		}
	}
	close(rec.release)
	s.Wait()
	if got := s.Tick(ctx, t0.Add(4*time.Minute)); len(got) != 2 {
		t.Fatalf("tick after the scans ended started %v, want a and b", got)
	}
	s.Wait()
	for _, id := range []string{"a", "b"} {
		if rec.calls[id] != 2 || rec.maxIn[id] != 1 {
			t.Errorf("lz %s: %d calls, max %d in flight; want 2 calls, max 1", id, rec.calls[id], rec.maxIn[id])
		}
	}
}

func TestDisabledAndUnscheduledLZsAreSkipped(t *testing.T) {
	rec := newRecorder()
	close(rec.release)
	s, err := schedule.New([]rampart.LandingZone{
		lz("on", "@every 1m", true), lz("off", "@every 1m", false), lz("manual", "", true),
	}, rec.run, schedule.NewManualClock(t0), nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(s.Entries()); n != 1 {
		t.Fatalf("%d entries, want 1 (only the enabled, scheduled LZ)", n)
	}
	got := s.Tick(context.Background(), t0.Add(time.Hour))
	s.Wait()
	if len(got) != 1 || got[0] != "on" || rec.calls["off"] != 0 || rec.calls["manual"] != 0 {
		t.Fatalf("started %v, calls %v; want only [on]", got, rec.calls)
	}
}

func TestBadScheduleNamesTheLZ(t *testing.T) {
	_, err := schedule.New([]rampart.LandingZone{lz("retail", "@every 5s", true)}, newRecorder().run, schedule.NewManualClock(t0), nil)
	if err == nil || !strings.Contains(err.Error(), "landing zone retail") || rampart.ErrorCode(err) != rampart.EINVALID {
		t.Fatalf("err = %v, want EINVALID naming landing zone retail", err)
	}
}

// TestRunLoopFollowsTheClock drives Run with a manual clock: a scan starts
// only when the clock reaches the due time, and Run returns once ctx ends
// and the scan in flight has seen it.
func TestRunLoopFollowsTheClock(t *testing.T) {
	rec := newRecorder()
	clock := schedule.NewManualClock(t0)
	s, err := schedule.New([]rampart.LandingZone{lz("a", "@every 10m", true)}, rec.run, clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()

	wait, wcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer wcancel()
	if err := clock.BlockUntil(wait, 1); err != nil {
		t.Fatal("scheduler never waited on the clock:", err)
	}
	clock.Advance(9 * time.Minute)
	if n := len(rec.started); n != 0 {
		t.Fatalf("%d scans started before the due time", n)
	}
	clock.Advance(time.Minute)
	select {
	case id := <-rec.started:
		if id != "a" {
			t.Fatalf("started %q", id)
		}
	case <-wait.Done():
		t.Fatal("no scan started at the due time")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if e := s.Entries()[0]; e.Running || e.Runs != 1 {
		t.Fatalf("after Run returned: %+v, want 1 run, not running", e)
	}
}
