package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/pflag"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/dispatch"
	"github.com/rampart-cspm/rampart/natsq"
	"github.com/rampart-cspm/rampart/pipeline"
	"github.com/rampart-cspm/rampart/postgres"
	"github.com/rampart-cspm/rampart/sqlite"
)

// distFlags select the scale-out backends: a shared store, a queue and an
// artifact store. Empty values keep the embedded default (SQLite in the data
// directory, in-process dispatch, local artifacts).
type distFlags struct {
	store     string
	queue     string
	artifacts string
	namespace string
	ackWait   time.Duration
	// workerConcurrency is the --concurrency of workers startWorkers
	// starts (0: the worker's default).
	workerConcurrency int
}

func (d *distFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&d.store, "store", "", "store URL: postgres://user@host:5432/db (default: SQLite in the data directory)")
	fs.StringVar(&d.queue, "queue", "", "dispatch queue URL: nats://host:4222 (default: in-process dispatch)")
	fs.StringVar(&d.artifacts, "artifacts", "", "artifact store URL: s3://bucket/prefix?endpoint=...&path_style=true or a directory (default: config artifacts or DATA/artifacts)")
	fs.StringVar(&d.namespace, "queue-namespace", "rampart", "subject prefix and stream name base on the queue")
	fs.DurationVar(&d.ackWait, "ack-wait", 2*time.Minute, "redeliver an account whose worker sent no heartbeat for this long")
}

func (d distFlags) queueOptions(a *app) natsq.Options {
	return natsq.Options{Namespace: d.namespace, AckWait: d.ackWait, Logger: a.logger}
}

// openStore opens the store a URL names: postgres:// or postgresql:// for
// PostgreSQL, anything else (or nothing) for SQLite in dataDir.
func openStore(ctx context.Context, url, dataDir string) (rampart.Store, error) {
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		s, err := postgres.Open(ctx, url)
		if err != nil {
			return nil, fmt.Errorf("--store: %w", err)
		}
		return s, nil
	case url == "":
		s, err := sqlite.Open(ctx, dataDir)
		if err != nil {
			return nil, fmt.Errorf("open store in %s: %w", dataDir, err)
		}
		return s, nil
	case strings.HasPrefix(url, "sqlite://"):
		dir := strings.TrimPrefix(url, "sqlite://")
		s, err := sqlite.Open(ctx, dir)
		if err != nil {
			return nil, fmt.Errorf("--store %s: %w", url, err)
		}
		return s, nil
	}
	return nil, rampart.Errorf(rampart.EINVALID, "--store %q: want postgres://... or sqlite://DIR", url)
}

// connectQueue connects to the NATS server of --queue.
func connectQueue(ctx context.Context, url, name string) (*nats.Conn, jetstream.JetStream, error) {
	if !strings.HasPrefix(url, "nats://") && !strings.HasPrefix(url, "tls://") {
		return nil, nil, rampart.Errorf(rampart.EINVALID, "--queue %q: want nats://host:port", url)
	}
	nc, js, err := natsq.Connect(ctx, url, name)
	if err != nil {
		return nil, nil, fmt.Errorf("--queue: %w", err)
	}
	return nc, js, nil
}

// useQueue makes e dispatch through the queue of d (when set): the scan is
// planned here and run by `rampart worker` processes. It returns the
// function that closes the connection.
func (a *app) useQueue(ctx context.Context, e *pipeline.Engine, d distFlags) (func(), error) {
	if d.queue == "" {
		return func() {}, nil
	}
	nc, js, err := connectQueue(ctx, d.queue, "rampart-scheduler")
	if err != nil {
		return nil, err
	}
	opts := d.queueOptions(a)
	e.NewDispatcher = func(exec dispatch.Executor) dispatch.Dispatcher { return natsq.NewDispatcher(js, exec, opts) }
	return nc.Close, nil
}

// startWorkers starts n `rampart worker` subprocesses of this executable
// (RAMPART_EXE overrides it: tests run the command in-process) serving the
// config at cfgPath through d, and returns the function that stops them
// (SIGTERM, then SIGKILL after a grace period). Subprocesses, not
// goroutines: they are what a deployment runs, each with its own
// connections and credentials.
func (a *app) startWorkers(ctx context.Context, n int, cfgPath, data string, d distFlags) (func(), error) {
	if n <= 0 {
		return func() {}, nil
	}
	if d.queue == "" {
		return nil, &exitError{2, rampart.Errorf(rampart.EINVALID, "--workers needs --queue nats://host:port")}
	}
	exe := os.Getenv("RAMPART_EXE")
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("find the rampart executable for workers: %w", err)
		}
	}
	absData, err := filepath.Abs(data)
	if err != nil {
		return nil, err
	}
	var procs []*exec.Cmd
	stop := func() {
		for _, p := range procs {
			_ = p.Process.Signal(syscall.SIGTERM)
		}
		for _, p := range procs {
			done := make(chan struct{})
			go func() { _ = p.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(workerStopGrace):
				_ = p.Process.Kill()
				<-done
			}
		}
	}
	for i := 0; i < n; i++ {
		args := []string{"worker", "--config", cfgPath, "--data", absData, "--queue", d.queue,
			"--queue-namespace", d.namespace, "--ack-wait", d.ackWait.String(),
			"--name", fmt.Sprintf("worker-%d", i+1), "--log-level", "warn"}
		if d.workerConcurrency > 0 {
			args = append(args, "--concurrency", strconv.Itoa(d.workerConcurrency))
		}
		if d.store != "" {
			args = append(args, "--store", d.store)
		}
		if d.artifacts != "" {
			args = append(args, "--artifacts", d.artifacts)
		}
		p := exec.Command(exe, args...)
		p.Stdout, p.Stderr = a.stderr, a.stderr
		if err := p.Start(); err != nil {
			stop()
			return nil, fmt.Errorf("start worker %d: %w", i+1, err)
		}
		procs = append(procs, p)
	}
	fmt.Fprintf(a.stdout, "Workers: %d `rampart worker` processes on %s\n", n, d.queue)
	return stop, nil
}
