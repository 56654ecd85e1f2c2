package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/awssim"
	"github.com/rampart-cspm/rampart/internal/pgtest"
	"github.com/rampart-cspm/rampart/internal/scantest"
	"github.com/rampart-cspm/rampart/natsq"
	"github.com/rampart-cspm/rampart/postgres"
	"github.com/rampart-cspm/rampart/schedule"
)

// lockedBuffer is an io.Writer safe for the goroutines that write to it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func testNATSURL() string {
	if u := os.Getenv("RAMPART_TEST_NATS"); u != "" {
		return u
	}
	return "nats://127.0.0.1:4222"
}

// TestServeSchedulesScansThroughWorkers runs `rampart serve --store
// postgres://… --queue nats://… --config` in-process with a manual clock and
// one `rampart worker` process over the simulated demo estate: nothing is
// scanned before the landing zone's "@every 1m" is due; once the clock
// passes it, a scan runs through the worker and completes in Postgres.
func TestServeSchedulesScansThroughWorkers(t *testing.T) {
	estate := awssim.DemoEstate()
	h := scantest.Start(t, estate, scantest.Options{Regions: []string{"us-east-1"}, MaxAccounts: 2})
	storeURL := pgtest.Schema(t)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	nc, js, err := natsq.Connect(ctx, testNATSURL(), "rampart-test")
	if err != nil {
		pgtest.Unavailable(t, "NATS JetStream at "+testNATSURL(), err)
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	ns := "rs" + hex.EncodeToString(b)
	t.Cleanup(func() {
		dctx, dcancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer dcancel()
		for _, s := range []string{"_UNITS", "_DONE"} {
			_ = js.DeleteStream(dctx, strings.ToUpper(ns)+s)
		}
		nc.Close()
	})

	// Schedule the first landing zone only; the others have no schedule.
	cfgPath := filepath.Join(h.Dir, "rampart.yaml")
	raw, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	lzID := h.Config.LandingZones[0].ID
	idLine := "  - id: " + lzID + "\n"
	if !strings.Contains(string(raw), idLine) {
		t.Fatalf("config has no line %q", idLine)
	}
	sched := strings.Replace(string(raw), idLine, idLine+"    schedule: \"@every 1m\"\n", 1)
	schedPath := filepath.Join(h.Dir, "scheduled.yaml")
	if err := os.WriteFile(schedPath, []byte(sched), 0o600); err != nil {
		t.Fatal(err)
	}

	clock := schedule.NewManualClock(time.Now())
	scheduleClock = clock
	done := make(chan error, 4)
	onScheduledScan = func(id string, err error) {
		if id == lzID {
			done <- err
		}
	}
	t.Cleanup(func() { scheduleClock, onScheduledScan = schedule.RealClock{}, nil })

	// One worker process.
	bin := filepath.Join(t.TempDir(), "rampart")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build rampart: %v\n%s", err, out)
	}
	wout := &lockedBuffer{}
	w := exec.Command(bin, "worker", "--config", schedPath, "--store", storeURL, "--queue", testNATSURL(),
		"--queue-namespace", ns, "--ack-wait", "10s", "--data", t.TempDir(), "--name", "w1", "--log-level", "warn")
	w.Stdout, w.Stderr = wout, wout
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = w.Process.Signal(syscall.SIGTERM)
		_ = w.Wait()
		if t.Failed() {
			t.Logf("worker output:\n%s", wout.String())
		}
	})

	stdout, stderr := &lockedBuffer{}, &lockedBuffer{}
	serveCtx, stopServe := context.WithCancel(ctx)
	exited := make(chan int, 1)
	go func() {
		exited <- Main(serveCtx, []string{"serve", "--config", schedPath, "--store", storeURL, "--queue", testNATSURL(),
			"--queue-namespace", ns, "--ack-wait", "10s", "--data", t.TempDir(), "--addr", "127.0.0.1:0",
			"--log-level", "warn"}, stdout, stderr)
	}()
	defer func() {
		if t.Failed() {
			t.Logf("serve stdout:\n%s\nserve stderr:\n%s", stdout.String(), stderr.String())
		}
	}()

	// The scheduler waits for the due time before anything is scanned.
	if err := clock.BlockUntil(ctx, 1); err != nil {
		t.Fatal("serve never started its scheduler:", err)
	}
	pg, err := postgres.Open(ctx, storeURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	if scans, err := pg.ListScans(ctx, lzID, 10); err != nil || len(scans) != 0 {
		t.Fatalf("before the due time: scans %v, err %v; want none", scans, err)
	}
	out := stdout.String()
	for _, want := range []string{"Scheduler: 1 landing zone(s) scheduled", lzID, "@every 1m",
		"Dashboard and API: not served: they read the SQLite query layer"} {
		if !strings.Contains(out, want) {
			t.Errorf("serve output lacks %q:\n%s", want, out)
		}
	}

	clock.Advance(time.Minute)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("scheduled scan: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("the scheduled scan did not finish")
	}
	scans, err := pg.ListScans(ctx, lzID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(scans) != 1 || (scans[0].Status != rampart.UnitSucceeded && scans[0].Status != rampart.UnitPartial) {
		t.Fatalf("scans of %s = %+v, want one completed scan", lzID, scans)
	}
	units, err := pg.ListUnits(ctx, scans[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(units) == 0 {
		t.Fatal("the scan has no units")
	}
	findings, err := pg.ListFindings(ctx, rampart.FindingFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(findings) == 0 {
		t.Fatal("the scheduled scan stored no findings")
	}

	stopServe()
	if code := <-exited; code != 0 {
		t.Fatalf("serve exited %d", code)
	}
}

// TestServeRefusesUnreachableBackends: an unreachable store or queue is a
// clear error and a non-zero exit, before anything is scheduled.
func TestServeRefusesUnreachableBackends(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "rampart.yaml")
	body := "landing_zones:\n  - id: lz-a\n    name: a\n    audit_role_name: R\n    regions: [us-east-1]\n    schedule: \"@every 15m\"\n"
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"store down", []string{"--store", "postgres://postgres@127.0.0.1:1/test?connect_timeout=2"}, 1, "cannot reach postgres://postgres@127.0.0.1:1/test"},
		{"queue down", []string{"--queue", "nats://127.0.0.1:1"}, 1, "cannot reach NATS at nats://127.0.0.1:1"},
		{"bad store URL", []string{"--store", "mysql://x"}, 2, `--store "mysql://x": want postgres://`},
		{"no config", []string{"--config", "", "--queue", "nats://127.0.0.1:1"}, 2, "need --config FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"serve", "--config", cfg, "--data", t.TempDir(), "--addr", "127.0.0.1:0"}, tt.args...)
			code := Main(context.Background(), args, &stdout, &stderr)
			if code != tt.code || !strings.Contains(stderr.String(), tt.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d naming %q", code, stderr.String(), tt.code, tt.want)
			}
			if strings.Contains(stdout.String(), "Dashboard:") {
				t.Errorf("served despite the error:\n%s", stdout.String())
			}
		})
	}
}
