// Package schedule runs landing zone scans when their schedules say so. A
// Scheduler holds one entry per scan-enabled landing zone with a schedule
// ("@every 15m" or a cron expression, see config.ParseSchedule), starts a
// scan of a landing zone when it is due, and never starts a second scan of a
// landing zone whose previous scan is still running. Time comes from an
// injected Clock, so the logic is tested without sleeping.
package schedule

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/config"
)

// Clock is the scheduler's time source.
type Clock interface {
	Now() time.Time
	// After delivers the time on the channel once d has passed.
	After(d time.Duration) <-chan time.Time
}

// RealClock is the wall clock.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// After is time.After.
func (RealClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// RunFunc scans one landing zone. The scheduler calls it in its own
// goroutine; ctx ends when the scheduler stops.
type RunFunc func(ctx context.Context, lz rampart.LandingZone) error

// Entry is the state of one scheduled landing zone.
type Entry struct {
	LandingZone string
	Schedule    string
	Next        time.Time // zero: the schedule never fires again
	Running     bool
	Runs        int // scans started
	Skipped     int // due times passed while a scan was still running
	LastErr     error
}

type entry struct {
	lz    rampart.LandingZone
	sched config.Schedule
	state Entry
}

// Scheduler starts due scans. Build it with New.
type Scheduler struct {
	run    RunFunc
	clock  Clock
	logger *slog.Logger

	mu      sync.Mutex
	entries []*entry
	wg      sync.WaitGroup
	// OnDone, when set before Run/Tick, is called after each scan ends.
	OnDone func(lzID string, err error)
}

// New returns a scheduler of lzs: landing zones with scan_enabled false or
// no schedule are left out (they scan on demand only). Each entry's first
// due time is the schedule's next firing after clock.Now(). A schedule that
// does not parse is an error naming the landing zone.
func New(lzs []rampart.LandingZone, run RunFunc, clock Clock, logger *slog.Logger) (*Scheduler, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if clock == nil {
		clock = RealClock{}
	}
	s := &Scheduler{run: run, clock: clock, logger: logger}
	now := clock.Now()
	for _, lz := range lzs {
		if !lz.ScanEnabled || lz.Schedule == "" {
			continue
		}
		sched, err := config.ParseSchedule(lz.Schedule)
		if err != nil {
			return nil, rampart.Errorf(rampart.EINVALID, "landing zone %s: schedule %v", lz.ID, err)
		}
		s.entries = append(s.entries, &entry{lz: lz, sched: sched,
			state: Entry{LandingZone: lz.ID, Schedule: lz.Schedule, Next: sched.Next(now)}})
	}
	return s, nil
}

// Entries returns the state of every scheduled landing zone, by id.
func (s *Scheduler) Entries() []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Entry, 0, len(s.entries))
	for _, e := range s.entries {
		out = append(out, e.state)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LandingZone < out[j].LandingZone })
	return out
}

// Tick starts a scan of every landing zone due at now (Next <= now) and
// returns their ids. A due landing zone whose previous scan still runs is
// not started again: its due time is counted as skipped. Either way the
// entry's next due time becomes the schedule's next firing after now, so
// due times missed while the process was busy or asleep collapse into one
// scan.
func (s *Scheduler) Tick(ctx context.Context, now time.Time) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var started []string
	for _, e := range s.entries {
		if e.state.Next.IsZero() || e.state.Next.After(now) {
			continue
		}
		e.state.Next = e.sched.Next(now)
		if e.state.Running {
			e.state.Skipped++
			s.logger.Warn("scheduled scan skipped: the previous scan of this landing zone is still running",
				"lz", e.lz.ID, "next", e.state.Next)
			continue
		}
		e.state.Running = true
		e.state.Runs++
		started = append(started, e.lz.ID)
		s.wg.Add(1)
		go s.runOne(ctx, e)
	}
	return started
}

func (s *Scheduler) runOne(ctx context.Context, e *entry) {
	defer s.wg.Done()
	s.logger.Info("scheduled scan started", "lz", e.lz.ID, "schedule", e.lz.Schedule)
	err := s.safeRun(ctx, e.lz)
	if err != nil {
		s.logger.Error("scheduled scan failed", "lz", e.lz.ID, "error", err)
	} else {
		s.logger.Info("scheduled scan finished", "lz", e.lz.ID)
	}
	s.mu.Lock()
	e.state.Running = false
	e.state.LastErr = err
	onDone := s.OnDone
	s.mu.Unlock()
	if onDone != nil {
		onDone(e.lz.ID, err)
	}
}

// safeRun turns a panic in a scan into an error: one landing zone's bug
// must not stop the schedule of the others.
func (s *Scheduler) safeRun(ctx context.Context, lz rampart.LandingZone) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("scan of landing zone %s panicked: %v", lz.ID, r)
		}
	}()
	return s.run(ctx, lz)
}

// nextWake returns the earliest due time, or zero when nothing is due ever.
func (s *Scheduler) nextWake() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	var min time.Time
	for _, e := range s.entries {
		if n := e.state.Next; !n.IsZero() && (min.IsZero() || n.Before(min)) {
			min = n
		}
	}
	return min
}

// Run starts due scans until ctx ends, then waits for the scans in flight
// (which see ctx's cancellation) and returns.
func (s *Scheduler) Run(ctx context.Context) error {
	defer s.wg.Wait()
	for {
		now := s.clock.Now()
		s.Tick(ctx, now)
		wake := s.nextWake()
		var timer <-chan time.Time
		if !wake.IsZero() {
			timer = s.clock.After(wake.Sub(now))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-timer:
		}
	}
}

// Wait blocks until every scan started by Tick has ended.
func (s *Scheduler) Wait() { s.wg.Wait() }
