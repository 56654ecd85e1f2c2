package main

import (
	"context"
	"fmt"
	"strings"
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
