package natsq

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/dispatch"
)

// Store is what a worker needs from the store.
type Store interface {
	ListUnits(ctx context.Context, scanID string) ([]rampart.ScanUnit, error)
	CommitUnit(ctx context.Context, res rampart.UnitResult) (rampart.CommitStats, error)
}

// ExecutorFactory builds the executor of one message's account
// (pipeline.Engine.AccountExecutor with the landing zone from the
// worker's configuration). It returns ENOTFOUND for a landing zone the
// worker does not know.
type ExecutorFactory func(ctx context.Context, lzID string, acct rampart.Account) (dispatch.Executor, error)

// LandingZoneCap is a landing zone a worker serves and its account cap.
type LandingZoneCap struct {
	ID          string
	MaxAccounts int
}

// WorkerOptions shape a worker. Zero values take the defaults.
type WorkerOptions struct {
	// Name identifies the worker in completion records (hostname/pid).
	Name string
	// Concurrency caps the accounts this worker scans at once (4).
	Concurrency int
	// UnitTimeout bounds one attempt of a unit (10m).
	UnitTimeout time.Duration
	// UnitRetries is how many deliveries may end in a throttled unit
	// being handed back rather than committed as failed (2).
	UnitRetries int
	// BackoffBase and BackoffMax shape the full-jitter delay of a
	// throttled message's redelivery (5s, 2m).
	BackoffBase, BackoffMax time.Duration
	// RetryDelay is the redelivery delay after a store or queue error (5s).
	RetryDelay time.Duration
	// FetchWait is how long one pull waits for a message (2s).
	FetchWait time.Duration
	Rand      func() float64
}

// Worker pulls account messages of its landing zones and runs them.
type Worker struct {
	js      jetstream.JetStream
	store   Store
	newExec ExecutorFactory
	lzs     []LandingZoneCap
	opts    Options
	w       WorkerOptions
}

// NewWorker returns a worker for the given landing zones.
func NewWorker(js jetstream.JetStream, store Store, newExec ExecutorFactory, lzs []LandingZoneCap, opts Options, w WorkerOptions) *Worker {
	if w.Name == "" {
		host, _ := os.Hostname()
		w.Name = fmt.Sprintf("%s/%d", host, os.Getpid())
	}
	if w.Concurrency <= 0 {
		w.Concurrency = 4
	}
	if w.UnitTimeout <= 0 {
		w.UnitTimeout = 10 * time.Minute
	}
	if w.UnitRetries < 0 {
		w.UnitRetries = 0
	}
	if w.BackoffBase <= 0 {
		w.BackoffBase = 5 * time.Second
	}
	if w.BackoffMax <= 0 {
		w.BackoffMax = 2 * time.Minute
	}
	if w.RetryDelay <= 0 {
		w.RetryDelay = 5 * time.Second
	}
	if w.FetchWait <= 0 {
		w.FetchWait = 2 * time.Second
	}
	if w.Rand == nil {
		w.Rand = rand.Float64
	}
	return &Worker{js: js, store: store, newExec: newExec, lzs: lzs, opts: opts.withDefaults(), w: w}
}

// Run pulls and runs messages until ctx is done, then waits for the
// accounts in progress to finish (their units are committed and acked, so
// a stopping worker loses nothing and leaves nothing to redeliver).
func (w *Worker) Run(ctx context.Context) error {
	if len(w.lzs) == 0 {
		return rampart.Errorf(rampart.EINVALID, "natsq: worker has no landing zone to serve")
	}
	if err := Setup(ctx, w.js, w.opts); err != nil {
		return err
	}
	consumers := make([]jetstream.Consumer, len(w.lzs))
	for i, lz := range w.lzs {
		c, err := EnsureConsumer(ctx, w.js, w.opts, lz.ID, lz.MaxAccounts)
		if err != nil {
			return err
		}
		consumers[i] = c
	}
	w.opts.Logger.Info("worker started", "worker", w.w.Name, "landing_zones", len(w.lzs), "concurrency", w.w.Concurrency)
	slots := make(chan struct{}, w.w.Concurrency)
	var wg, loops sync.WaitGroup
	for i, c := range consumers {
		loops.Add(1)
		go func() {
			defer loops.Done()
			w.pull(ctx, w.lzs[i].ID, c, slots, &wg)
		}()
	}
	loops.Wait()
	wg.Wait()
	return nil
}

// pull fetches one message at a time, only when a slot is free, so that a
// message is never held by a worker that is not working on it.
func (w *Worker) pull(ctx context.Context, lzID string, c jetstream.Consumer, slots chan struct{}, wg *sync.WaitGroup) {
	log := w.opts.Logger.With("lz", lzID)
	failures := 0
	for ctx.Err() == nil {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		batch, err := c.Fetch(1, jetstream.FetchMaxWait(w.w.FetchWait))
		got := false
		if err == nil {
			for msg := range batch.Messages() {
				got = true
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer func() { <-slots }()
					// Work in progress survives the worker's shutdown signal.
					w.handle(context.WithoutCancel(ctx), msg)
				}()
			}
			err = batch.Error()
		}
		if !got {
			<-slots
		}
		if err != nil && !isTimeout(err) && ctx.Err() == nil {
			// Lost connection or the server refused: back off and resume.
			failures++
			d := dispatch.Backoff(time.Second, 30*time.Second, failures, 1)
			log.Warn("pull failed; retrying", "error", err, "in", d)
			select {
			case <-time.After(d):
			case <-ctx.Done():
				return
			}
			continue
		}
		failures = 0
	}
}

type outcome int

const (
	committed outcome = iota
	retryLater
	failedTemporarily
)

// handle runs one message to its ack or its delayed redelivery.
func (w *Worker) handle(ctx context.Context, msg jetstream.Msg) {
	log := w.opts.Logger
	var work Work
	if err := json.Unmarshal(msg.Data(), &work); err != nil || work.ScanID == "" || len(work.Units) == 0 {
		log.Error("malformed work message; terminating it", "subject", msg.Subject(), "error", err)
		_ = msg.TermWithReason("malformed")
		return
	}
	log = log.With("lz", work.LandingZoneID, "account", work.Account.ID, "scan_id", work.ScanID)
	delivery := 1
	if meta, err := msg.Metadata(); err == nil {
		delivery = int(meta.NumDelivered)
	}

	hbCtx, stopHB := context.WithCancel(ctx)
	defer stopHB()
	go func() {
		t := time.NewTicker(w.opts.AckWait / 3)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				if err := msg.InProgress(); err != nil {
					log.Warn("heartbeat failed", "error", err)
				}
			case <-hbCtx.Done():
				return
			}
		}
	}()

	nak := func(d time.Duration, why string, err error) {
		log.Warn("handing the account back", "why", why, "redeliver_in", d, "delivery", delivery, "error", err)
		if nerr := msg.NakWithDelay(d); nerr != nil {
			log.Warn("nak failed; the message is redelivered after the ack wait", "error", nerr)
		}
	}

	stored, err := w.store.ListUnits(ctx, work.ScanID)
	if err != nil {
		nak(w.w.RetryDelay, "store unavailable", err)
		return
	}
	state := make(map[string]rampart.ScanUnit, len(stored))
	for _, u := range stored {
		state[u.ID] = u
	}
	var open []rampart.ScanUnit
	for _, u := range work.Units {
		if s, ok := state[u.ID]; ok && s.State.Terminal() {
			if err := w.publishDone(ctx, Done{Unit: s, Skipped: true, Worker: w.w.Name}); err != nil {
				nak(w.w.RetryDelay, "queue unavailable", err)
				return
			}
			continue
		}
		open = append(open, u)
	}
	if len(open) > 0 {
		exec, err := w.newExec(ctx, work.LandingZoneID, work.Account)
		if err != nil {
			delay := w.w.RetryDelay
			if rampart.ErrorCode(err) == rampart.ENOTFOUND {
				delay = time.Minute // a worker with another config may take it
			}
			nak(delay, "cannot build executor", err)
			return
		}
		perAcc := work.MaxUnitsPerAccount
		if perAcc <= 0 {
			perAcc = 2
		}
		sem := make(chan struct{}, perAcc)
		outs := make([]outcome, len(open))
		errs := make([]error, len(open))
		var wg sync.WaitGroup
		for i, u := range open {
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				outs[i], errs[i] = w.runUnit(ctx, exec, u, delivery)
			}()
		}
		wg.Wait()
		retry, fail := false, error(nil)
		for i, o := range outs {
			switch o {
			case retryLater:
				retry = true
			case failedTemporarily:
				fail = errors.Join(fail, errs[i])
			}
		}
		if fail != nil {
			nak(w.w.RetryDelay, "store or queue error", fail)
			return
		}
		if retry {
			nak(dispatch.Backoff(w.w.BackoffBase, w.w.BackoffMax, delivery-1, w.w.Rand()), "throttled", nil)
			return
		}
	}
	actx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := msg.DoubleAck(actx); err != nil {
		// Everything is committed: a redelivery only skips and re-reports.
		log.Warn("ack failed; the account will be redelivered and skipped", "error", err)
		return
	}
	log.Debug("account done", "units", len(work.Units), "delivery", delivery)
}

// runUnit starts, scans and commits one unit.
func (w *Worker) runUnit(ctx context.Context, exec dispatch.Executor, u rampart.ScanUnit, delivery int) (outcome, error) {
	if err := exec.Start(ctx, u, delivery); err != nil {
		if isConflict(err) {
			return w.reportSkipped(ctx, u)
		}
		return failedTemporarily, fmt.Errorf("start unit %s: %w", u.ID, err)
	}
	uctx, cancel := context.WithTimeout(ctx, w.w.UnitTimeout)
	res := exec.Scan(uctx, u, delivery)
	cancel()
	res.Unit.Attempts = delivery
	if res.Unit.State == rampart.UnitFailed && res.Unit.ErrorClass == rampart.ErrClassThrottling && delivery <= w.w.UnitRetries {
		return retryLater, nil
	}
	cctx, ccancel := context.WithTimeout(ctx, time.Minute)
	defer ccancel()
	stats, err := w.store.CommitUnit(cctx, res)
	if isConflict(err) {
		return w.reportSkipped(ctx, u)
	}
	if err != nil {
		return failedTemporarily, err
	}
	if err := w.publishDone(ctx, Done{Unit: res.Unit, Stats: stats, Worker: w.w.Name}); err != nil {
		return failedTemporarily, err
	}
	return committed, nil
}

func (w *Worker) reportSkipped(ctx context.Context, u rampart.ScanUnit) (outcome, error) {
	if err := w.publishDone(ctx, Done{Unit: u, Skipped: true, Worker: w.w.Name}); err != nil {
		return failedTemporarily, err
	}
	return committed, nil
}

func (w *Worker) publishDone(ctx context.Context, d Done) error {
	body, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encode completion of %s: %w", d.Unit.ID, err)
	}
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := w.js.Publish(pctx, w.opts.doneSubject(d.Unit.ScanID), body); err != nil {
		return fmt.Errorf("publish completion of %s: %w", d.Unit.ID, err)
	}
	return nil
}
