package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/config"
	"github.com/rampart-cspm/rampart/dispatch"
	"github.com/rampart-cspm/rampart/natsq"
	"github.com/rampart-cspm/rampart/pipeline"
)

func (a *app) workerCommand() *cobra.Command {
	var (
		cfgPath     string
		data        string
		lzIDs       []string
		concurrency int
		dist        distFlags
		name        string
	)
	cmd := &cobra.Command{
		Use:   "worker --config FILE --queue nats://HOST:4222 --store postgres://... [--artifacts s3://...]",
		Short: "Pull scan work from the queue and run it (any number of workers, on any machine)",
		Long: `worker pulls accounts to scan from NATS JetStream (one message per landing
zone account, published by "rampart scan/serve/demo --queue"), scans their
units in the account's audit role, commits each unit to the shared store and
acknowledges the message only once every unit is committed. The per-landing-
zone cap on accounts in flight (max_concurrent_accounts) holds across all
workers: JetStream never hands out more unacknowledged messages of a landing
zone than its cap. Every worker must read the same rampart.yaml as the
scheduler. SIGINT/SIGTERM stops pulling and finishes the accounts in hand.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if dist.queue == "" {
				return &exitError{2, rampart.Errorf(rampart.EINVALID, "worker: --queue nats://host:port is required")}
			}
			cfg, err := config.Load(cfgPath)
			if err != nil {
				return &exitError{2, err}
			}
			lzs, err := selectLZs(cfg.LandingZones, lzIDs)
			if err != nil {
				return &exitError{2, err}
			}
			return a.runWorker(ctx, cfg, lzs, firstNonEmpty(data, cfg.DataDir, defaultDataDir), dist, concurrency, name)
		},
	}
	cmd.Flags().StringVar(&cfgPath, "config", "rampart.yaml", "configuration file (the same as the scheduler's)")
	cmd.Flags().StringVar(&data, "data", "", "data directory for the SQLite store and local artifacts when --store/--artifacts are not given")
	cmd.Flags().StringSliceVar(&lzIDs, "lz", nil, "serve only these landing zone ids (default: every scan_enabled one)")
	cmd.Flags().IntVar(&concurrency, "concurrency", 4, "accounts this worker scans at once")
	cmd.Flags().StringVar(&name, "name", "", "worker name in logs and completion records (default host/pid)")
	dist.register(cmd.Flags())
	return cmd
}

// runWorker runs a worker until ctx is done. Store and queue are checked
// before anything else: unreachable is an error, not a retry loop.
func (a *app) runWorker(ctx context.Context, cfg *config.Config, lzs []rampart.LandingZone, dataDir string, dist distFlags, concurrency int, name string) error {
	queueURL := dist.queue
	dist.queue = "" // the engine only executes here; the worker talks to the queue
	engine, closeFn, err := a.newEngine(ctx, cfg, dataDir, dist)
	if err != nil {
		return err
	}
	defer closeFn()
	nc, js, err := connectQueue(ctx, queueURL, "rampart-worker")
	if err != nil {
		return err
	}
	defer nc.Close()

	byID := map[string]rampart.LandingZone{}
	var caps []natsq.LandingZoneCap
	for _, lz := range lzs {
		byID[lz.ID] = lz
		caps = append(caps, natsq.LandingZoneCap{ID: lz.ID, MaxAccounts: lz.MaxConcurrentAccounts})
	}
	factory := func(ctx context.Context, lzID string, acct rampart.Account) (dispatch.Executor, error) {
		lz, ok := byID[lzID]
		if !ok {
			return nil, rampart.Errorf(rampart.ENOTFOUND, "landing zone %q is not in this worker's configuration", lzID)
		}
		return engine.AccountExecutor(ctx, lz, acct, pipeline.RunOptions{})
	}
	w := natsq.NewWorker(js, engine.Store, factory, caps, dist.queueOptions(a), natsq.WorkerOptions{
		Name: name, Concurrency: concurrency, UnitTimeout: cfg.Scan.UnitTimeout, UnitRetries: cfg.Scan.UnitRetries,
	})
	fmt.Fprintf(a.stderr, "rampart worker: serving %d landing zone(s) from %s\n", len(lzs), queueURL)
	if err := w.Run(ctx); err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	return nil
}

// workerStopGrace is how long a test or the demo waits for workers to exit
// after asking them to stop.
const workerStopGrace = 30 * time.Second
