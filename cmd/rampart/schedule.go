package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/config"
	"github.com/rampart-cspm/rampart/httpapi"
	"github.com/rampart-cspm/rampart/pipeline"
	"github.com/rampart-cspm/rampart/schedule"
)

// scheduleClock is the clock of serve's scheduler; tests replace it with a
// schedule.ManualClock.
var scheduleClock schedule.Clock = schedule.RealClock{}

// onScheduledScan, when set (by tests), is called after each scheduled scan.
var onScheduledScan func(lzID string, err error)

// serveScheduled is "rampart serve --config FILE [--store URL] [--queue URL]
// [--artifacts URL]": it scans each scan-enabled landing zone of the config
// when its schedule says so (through the queue's workers when --queue is
// set, in-process otherwise) and, when the store is SQLite, serves the API
// and dashboard too. Accounts are enumerated afresh at every scan.
func (a *app) serveScheduled(ctx context.Context, f serveFlags) error {
	if f.config == "" {
		return &exitError{2, rampart.Errorf(rampart.EINVALID,
			"--store/--queue/--artifacts need --config FILE: serve schedules the scans of that file's landing zones")}
	}
	cfg, err := config.Load(f.config)
	if err != nil {
		return &exitError{2, err}
	}
	dataDir := f.data
	if dataDir == defaultDataDir && cfg.DataDir != "" {
		dataDir = cfg.DataDir
	}
	// Store, artifacts and queue are opened (and reached) before anything
	// else: an unreachable one is a clear error and a non-zero exit.
	engine, closeFn, err := a.newEngine(ctx, cfg, dataDir, f.dist)
	if err != nil {
		return err
	}
	defer closeFn()
	if err := useRiskPolicy(engine, dataDir, nil); err != nil {
		return &exitError{2, err}
	}
	sched, err := schedule.New(cfg.LandingZones, a.scheduledScan(engine), scheduleClock, a.logger)
	if err != nil {
		return &exitError{2, fmt.Errorf("%s: %w", f.config, err)}
	}

	sched.OnDone = onScheduledScan

	via := "in-process dispatch"
	if f.dist.queue != "" {
		via = "`rampart worker` processes on " + f.dist.queue
	}
	entries := sched.Entries()
	fmt.Fprintf(a.stdout, "Scheduler: %d landing zone(s) scheduled, scanned through %s\n", len(entries), via)
	for _, e := range entries {
		fmt.Fprintf(a.stdout, "  %-20s %-20s next %s\n", e.LandingZone, e.Schedule, e.Next.Format(time.RFC3339))
	}
	if len(entries) == 0 {
		fmt.Fprintf(a.stdout, "  (no landing zone of %s has scan_enabled: true and a schedule: nothing will be scanned)\n", f.config)
	}

	if f.serveFor > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.serveFor)
		defer cancel()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = sched.Run(ctx)
	}()
	defer wg.Wait() // after cancel: scans in flight see it and end

	qs, ok := engine.Store.(httpapi.Store)
	if !ok {
		fmt.Fprintf(a.stdout, "Dashboard and API: not served: they read the SQLite query layer and --store is %s.\n"+
			"  Scheduling runs; for the dashboard, serve a SQLite store (rampart serve --data DIR).\n", redactURL(f.dist.store))
		<-ctx.Done()
		return nil
	}
	err = a.serveHTTP(ctx, f, "Dashboard", newHandler(qs, engine.Artifacts, a))
	cancel()
	return err
}

// scheduledScan returns the scheduler's RunFunc: one Engine.Run of one
// landing zone (enumeration included, so accounts are refreshed every
// time), its posture trend point, and a log line with the outcome.
func (a *app) scheduledScan(engine *pipeline.Engine) schedule.RunFunc {
	return func(ctx context.Context, lz rampart.LandingZone) error {
		e := *engine // Run sets defaults on its engine: one copy per scan
		started := time.Now()
		rep, err := e.Run(ctx, []rampart.LandingZone{lz}, pipeline.RunOptions{})
		if err != nil {
			return fmt.Errorf("scan of landing zone %s: %w", lz.ID, err)
		}
		recordPosture(ctx, engine.Store, rep, a)
		for _, lr := range rep.LandingZones {
			if lr.EnumerationError != nil {
				return fmt.Errorf("landing zone %s: enumerate accounts: %w", lz.ID, lr.EnumerationError)
			}
			a.logger.Info("scheduled scan done", "lz", lz.ID, "scan_id", lr.Scan.ID, "status", lr.Scan.Status,
				"accounts", lr.Accounts, "elapsed", time.Since(started).Round(time.Millisecond))
			if lr.Scan.Status == rampart.UnitFailed {
				return errors.New("scan " + lr.Scan.ID + " of landing zone " + lz.ID + " failed")
			}
		}
		return nil
	}
}

// redactURL drops the password of a store URL for printing.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
