package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/artifact"
	"github.com/rampart-cspm/rampart/dashboard"
	"github.com/rampart-cspm/rampart/httpapi"
	"github.com/rampart-cspm/rampart/pipeline"
	"github.com/rampart-cspm/rampart/sqlite"
)

// serveFlags are the flags of "rampart serve" (and the serving part of
// "rampart demo"): the one place where what to serve from is parsed.
type serveFlags struct {
	data     string
	addr     string
	serveFor time.Duration
	// config and dist, set by "rampart serve" only, make serve also
	// schedule scans (schedule.go).
	config string
	dist   distFlags
}

func (f *serveFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.data, "data", defaultDataDir, "data directory (SQLite database and local artifacts)")
	cmd.Flags().StringVar(&f.addr, "addr", "127.0.0.1:8080", "listen address of the API and dashboard")
	cmd.Flags().DurationVar(&f.serveFor, "serve-for", 0, "stop serving after this long (0 = until interrupted)")
}

func (a *app) serveCommand() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve [--data DIR] [--addr 127.0.0.1:8080] [--config FILE [--store URL] [--queue URL] [--artifacts URL]]",
		Short: "Serve the /api/v1 JSON API and the Security Operations dashboard",
		Long: `serve opens the data directory (SQLite and local artifacts, as written by
"rampart scan") and serves the dashboard at / and the versioned API at
/api/v1 (OpenAPI document at /api/v1/openapi.json). Everything is embedded:
it works offline.

With --config FILE, serve also scans each landing zone with scan_enabled and
a schedule ("@every 15m" or cron) when it is due, never two scans of one
landing zone at once, enumerating its accounts afresh every time. With
--queue nats://... the scans run on "rampart worker" processes; with
--store postgres://... serve schedules only (the dashboard and API read the
SQLite query layer).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.config != "" || f.dist.store != "" || f.dist.queue != "" || f.dist.artifacts != "" {
				return a.serveScheduled(cmd.Context(), f)
			}
			return a.serve(cmd.Context(), f, "Dashboard")
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&f.config, "config", "", "configuration file: schedule its landing zones' scans (their schedule:) while serving")
	f.dist.register(cmd.Flags())
	return cmd
}

// serve opens the embedded default stores under f.data and serves the API
// and dashboard on f.addr until ctx ends (or f.serveFor passes).
func (a *app) serve(ctx context.Context, f serveFlags, what string) error {
	store, err := sqlite.Open(ctx, f.data)
	if err != nil {
		return err
	}
	defer store.Close()
	root, err := filepath.Abs(filepath.Join(f.data, "artifacts"))
	if err != nil {
		return err
	}
	arts, err := artifact.NewLocal(root)
	if err != nil {
		return fmt.Errorf("open artifacts %s: %w", root, err)
	}
	return a.serveHTTP(ctx, f, what, newHandler(store, arts, a))
}

// serveHTTP serves h on f.addr until ctx ends (or f.serveFor passes).
func (a *app) serveHTTP(ctx context.Context, f serveFlags, what string, h http.Handler) error {
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (use --addr to pick another)", f.addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(a.stdout, "\n%s: http://%s/  API: http://%s/api/v1/  (Ctrl-C to stop)\n", what, ln.Addr(), ln.Addr())
	if f.serveFor > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.serveFor)
		defer cancel()
	}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newHandler routes /api/ to the API and everything else to the dashboard.
func newHandler(store httpapi.Store, arts httpapi.Opener, a *app) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/api/", httpapi.New(store, arts, a.logger))
	mux.Handle("GET /metrics", a.metrics.Handler())
	mux.Handle("/", dashboard.New(store, arts, a.logger))
	return a.metrics.Instrument(mux)
}

// recordPosture stores each scanned landing zone's open findings as the
// scan's trend point, when the store keeps a trend (SQLite does).
func recordPosture(ctx context.Context, store rampart.Store, rep *pipeline.Report, a *app) {
	rec, ok := store.(interface {
		RecordPosture(ctx context.Context, scanID string) error
	})
	if !ok || rep == nil {
		return
	}
	for _, lr := range rep.LandingZones {
		if lr.Scan.ID == "" {
			continue
		}
		if err := rec.RecordPosture(ctx, lr.Scan.ID); err != nil {
			a.logger.Warn("record posture trend", "scan_id", lr.Scan.ID, "error", err)
		}
	}
}
