package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/awssim"
	"github.com/rampart-cspm/rampart/config"
	"github.com/rampart-cspm/rampart/natsq"
	"github.com/rampart-cspm/rampart/pipeline"
)

// workersBench is what `rampart bench workers --json` prints.
type workersBench struct {
	Estate      string       `json:"estate"`
	Accounts    int          `json:"accounts"`
	SimLatency  string       `json:"sim_latency"`
	Concurrency int          `json:"worker_concurrency"`
	Runs        []workersRun `json:"runs"`
	Note        string       `json:"note"`
}

type workersRun struct {
	Workers   int     `json:"workers"`
	MakespanS float64 `json:"makespan_s"`
	Units     int     `json:"units"`
	Findings  int     `json:"findings"`
}

func (a *app) benchWorkersCommand() *cobra.Command {
	var (
		asJSON      bool
		counts      []int
		latency     time.Duration
		concurrency int
		storeURL    string
		queueURL    string
	)
	cmd := &cobra.Command{
		Use:   "workers [--json] [--workers 1,2,4] [--store postgres://...] [--queue nats://...]",
		Short: "Scan the simulated demo estate through 1, 2 and 4 worker processes on Postgres and NATS and print the makespans",
		Long: `For each worker count, starts the AWS simulator's demo estate with per-call
latency, a fresh Postgres schema and a fresh JetStream namespace, starts that
many "rampart worker" processes (each scanning --worker-concurrency accounts
at once), and times one full scan from enumeration to the last commit.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			estate := awssim.DemoEstate()
			sim := awssim.New(estate, awssim.Options{Latency: latency})
			endpoint, err := sim.Start("127.0.0.1:0")
			if err != nil {
				return fmt.Errorf("bench: start simulator: %w", err)
			}
			defer sim.Close()
			out := workersBench{Estate: "demo", Accounts: estate.AccountCount(), SimLatency: latency.String(), Concurrency: concurrency,
				Note: "makespan = enumeration + dispatch + scan + commit of every unit, with the per-landing-zone cap max_concurrent_accounts=3"}
			for _, n := range counts {
				run, err := a.benchWorkersOnce(ctx, n, concurrency, endpoint, estate, storeURL, queueURL)
				if err != nil {
					return err
				}
				out.Runs = append(out.Runs, run)
				if !asJSON {
					fmt.Fprintf(a.stdout, "workers %d: makespan %.2fs (%d units, %d findings)\n", run.Workers, run.MakespanS, run.Units, run.Findings)
				}
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().IntSliceVar(&counts, "workers", []int{1, 2, 4}, "worker counts to run")
	cmd.Flags().DurationVar(&latency, "sim-latency", 20*time.Millisecond, "latency the simulator adds to every AWS call")
	cmd.Flags().IntVar(&concurrency, "worker-concurrency", 2, "accounts each worker scans at once")
	cmd.Flags().StringVar(&storeURL, "store", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "Postgres server (a fresh schema is created per run and dropped)")
	cmd.Flags().StringVar(&queueURL, "queue", "nats://127.0.0.1:4222", "NATS JetStream server (a fresh namespace per run)")
	return cmd
}

func (a *app) benchWorkersOnce(ctx context.Context, n, concurrency int, endpoint string, estate *awssim.Estate, storeURL, queueURL string) (workersRun, error) {
	dir, err := os.MkdirTemp("", "rampart-bench-workers-")
	if err != nil {
		return workersRun{}, err
	}
	defer os.RemoveAll(dir)
	cfgPath, err := writeDemoConfig(dir, endpoint, estate)
	if err != nil {
		return workersRun{}, fmt.Errorf("bench: %w", err)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return workersRun{}, fmt.Errorf("bench: generated config: %w", err)
	}
	schemaURL, dropSchema, err := freshSchema(ctx, storeURL)
	if err != nil {
		return workersRun{}, err
	}
	defer dropSchema()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	dist := distFlags{store: schemaURL, queue: queueURL, namespace: "bench" + hex.EncodeToString(b),
		ackWait: 2 * time.Minute, workerConcurrency: concurrency}
	engine, closeFn, err := a.newEngine(ctx, cfg, dir, dist)
	if err != nil {
		return workersRun{}, err
	}
	defer closeFn()
	defer deleteStreams(ctx, queueURL, dist.namespace)
	stop, err := a.startWorkers(ctx, n, cfgPath, dir, dist)
	if err != nil {
		return workersRun{}, err
	}
	defer stop()
	started := time.Now()
	rep, err := engine.Run(ctx, cfg.LandingZones, pipeline.RunOptions{})
	took := time.Since(started)
	if err != nil {
		return workersRun{}, fmt.Errorf("bench: %d workers: %w", n, err)
	}
	run := workersRun{Workers: n, MakespanS: float64(took.Milliseconds()) / 1000}
	for _, lr := range rep.LandingZones {
		for _, c := range lr.Units {
			run.Units += c
		}
	}
	fs, err := engine.Store.ListFindings(ctx, rampart.FindingFilter{})
	if err != nil {
		return workersRun{}, err
	}
	run.Findings = len(fs)
	return run, nil
}

// freshSchema creates a schema on the Postgres server of base and returns a
// URL using it and the function that drops it.
func freshSchema(ctx context.Context, base string) (string, func(), error) {
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", nil, fmt.Errorf("bench: --store: cannot reach %s: %w", base, err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	schema := "bench_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, fmt.Errorf("bench: create schema: %w", err)
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, base); err == nil {
			_, _ = c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
			c.Close(ctx)
		}
	}
	return u.String(), drop, nil
}

func deleteStreams(ctx context.Context, queueURL, ns string) {
	nc, js, err := natsq.Connect(ctx, queueURL, "rampart-bench")
	if err != nil {
		return
	}
	defer nc.Close()
	for _, s := range []string{"_UNITS", "_DONE"} {
		_ = js.DeleteStream(context.WithoutCancel(ctx), strings.ToUpper(ns)+s)
	}
}
