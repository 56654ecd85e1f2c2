package natsq_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/artifact"
	"github.com/rampart-cspm/rampart/awssim"
	"github.com/rampart-cspm/rampart/dispatch"
	"github.com/rampart-cspm/rampart/internal/pgtest"
	"github.com/rampart-cspm/rampart/internal/scantest"
	"github.com/rampart-cspm/rampart/natsq"
	"github.com/rampart-cspm/rampart/pipeline"
	"github.com/rampart-cspm/rampart/postgres"
)

// rampartBin is the rampart binary TestMain builds once.
var rampartBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "rampart-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	rampartBin = filepath.Join(dir, "rampart")
	build := exec.Command("go", "build", "-o", rampartBin, "github.com/rampart-cspm/rampart/cmd/rampart")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build rampart:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// natsURL is the local NATS JetStream server the tests use.
func natsURL() string {
	if u := os.Getenv("RAMPART_TEST_NATS"); u != "" {
		return u
	}
	return "nats://127.0.0.1:4222"
}

// queue connects to the local NATS server and returns a fresh namespace
// whose streams are deleted when the test ends.
func queue(t *testing.T) (jetstream.JetStream, string) {
	t.Helper()
	nc, js, err := natsq.Connect(context.Background(), natsURL(), "rampart-test")
	if err != nil {
		pgtest.Unavailable(t, "NATS JetStream at "+natsURL(), err)
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	ns := "rt" + hex.EncodeToString(b)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, s := range []string{"_UNITS", "_DONE"} {
			_ = js.DeleteStream(ctx, strings.ToUpper(ns)+s)
		}
		nc.Close()
	})
	return js, ns
}

type worker struct {
	name string
	cmd  *exec.Cmd
	out  *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startWorker(t *testing.T, name, cfgPath, storeURL, ns string) *worker {
	t.Helper()
	w := &worker{name: name, out: &syncBuffer{}}
	w.cmd = exec.Command(rampartBin, "worker", "--config", cfgPath, "--store", storeURL, "--queue", natsURL(),
		"--queue-namespace", ns, "--ack-wait", "3s", "--data", t.TempDir(), "--name", name,
		"--concurrency", "2", "--log-level", "warn")
	w.cmd.Stdout, w.cmd.Stderr = w.out, w.out
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = w.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = w.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = w.cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", name, w.out.String())
		}
	})
	return w
}

type key struct {
	id     string
	status rampart.Status
}

func findingSet(t *testing.T, s rampart.Store) map[key]bool {
	t.Helper()
	list, err := s.ListFindings(context.Background(), rampart.FindingFilter{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[key]bool{}
	for _, f := range list {
		out[key{f.FindingID, f.Status}] = true
	}
	return out
}

// TestKillWorkerMidAccount runs a scan of the demo estate through three
// worker processes, SIGKILLs one while it holds work, and checks that every
// unit completes, that the findings equal a single-process scan of the same
// estate with nothing written twice, and that the simulator never saw more
// accounts of a landing zone in flight than its cap.
func TestKillWorkerMidAccount(t *testing.T) {
	const capN = 2
	estate := awssim.DemoEstate()
	h := scantest.Start(t, estate, scantest.Options{Regions: []string{"us-east-1", "eu-west-1"},
		MaxAccounts: capN, Latency: 8 * time.Millisecond})
	js, ns := queue(t)
	storeURL := pgtest.Schema(t)

	// The reference: the embedded single-process path. Workers evaluate
	// ages (key rotation, ...) on the wall clock, so the reference does too.
	h.Engine.Now = time.Now
	h.Scan(t)
	want := findingSet(t, h.Store)
	if len(want) < 50 {
		t.Fatalf("reference scan found only %d findings", len(want))
	}
	h.Sim.ResetCalls()

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	pg, err := postgres.Open(ctx, storeURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	arts, err := artifact.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	opts := natsq.Options{Namespace: ns, AckWait: 3 * time.Second}
	e := *h.Engine
	e.Store, e.Artifacts = pg, arts
	e.NewDispatcher = func(exec dispatch.Executor) dispatch.Dispatcher { return natsq.NewDispatcher(js, exec, opts) }

	cfgPath := filepath.Join(h.Dir, "rampart.yaml")
	workers := []*worker{
		startWorker(t, "w1", cfgPath, storeURL, ns),
		startWorker(t, "w2", cfgPath, storeURL, ns),
		startWorker(t, "w3", cfgPath, storeURL, ns),
	}

	// Watch completions: kill w1 once it has committed a unit, i.e. while
	// it is inside its accounts.
	done := watchDone(ctx, t, js, ns)
	type result struct {
		rep *pipeline.Report
		err error
	}
	resc := make(chan result, 1)
	go func() {
		rep, err := e.Run(ctx, h.Config.LandingZones, pipeline.RunOptions{})
		resc <- result{rep, err}
	}()
	killed := false
	var res result
	for !killed {
		select {
		case d := <-done:
			if d.Worker == "w1" && !d.Skipped {
				if err := workers[0].cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				killed = true
			}
		case res = <-resc:
			t.Fatalf("scan ended before w1 committed anything (err %v)", res.err)
		case <-ctx.Done():
			t.Fatal("timed out waiting for w1 to commit a unit")
		}
	}
	go func() {
		for range done { // keep draining
		}
	}()
	res = <-resc
	if res.err != nil {
		t.Fatalf("distributed scan: %v", res.err)
	}

	// Every unit completed, and the kill landed mid-account: some unit ran
	// more than once (w1's in-flight unit was redelivered to another worker).
	redelivered := 0
	for _, lr := range res.rep.LandingZones {
		units, err := pg.ListUnits(ctx, lr.Scan.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(units) == 0 {
			t.Fatalf("lz %s: no units", lr.LandingZone.ID)
		}
		for _, u := range units {
			if !u.State.Terminal() {
				t.Errorf("unit %s is %s after the scan", u.ID, u.State)
			}
			if u.Attempts > 1 {
				redelivered++
			}
		}
	}
	if redelivered == 0 {
		t.Error("no unit was attempted twice: the kill did not land mid-account")
	}

	// Same findings as the single-process scan, none lost, none extra.
	got := findingSet(t, pg)
	var missing, extra []string
	for k := range want {
		if !got[k] {
			missing = append(missing, k.id+" "+string(k.status))
		}
	}
	for k := range got {
		if !want[k] {
			extra = append(extra, k.id+" "+string(k.status))
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 || len(extra) > 0 {
		t.Errorf("findings differ from the single-process scan: %d missing %v, %d extra %v",
			len(missing), head(missing), len(extra), head(extra))
	}

	// Nothing written twice: a first scan writes exactly one detected
	// event per finding.
	evs, err := pg.ListFindingEvents(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	perFinding := map[string]int{}
	for _, ev := range evs {
		perFinding[ev.FindingID]++
		if ev.Type != rampart.EventDetected {
			t.Errorf("event %d of %s is %s, want only detected events", ev.ID, ev.FindingID, ev.Type)
		}
	}
	for id, n := range perFinding {
		if n != 1 {
			t.Errorf("finding %s has %d events, want 1", id, n)
		}
	}
	if len(perFinding) != len(got) {
		t.Errorf("%d findings have events, %d findings stored", len(perFinding), len(got))
	}

	// The per-LZ cap held across the three workers, as the simulator saw it.
	var scanCalls []awssim.Call
	for _, c := range h.Sim.Calls() {
		if c.Service != "sts" && c.Service != "organizations" {
			scanCalls = append(scanCalls, c)
		}
	}
	if len(scanCalls) < 100 {
		t.Fatalf("simulator saw only %d scan calls", len(scanCalls))
	}
	for _, org := range estate.Organizations {
		accounts := map[string]bool{}
		for _, a := range org.Accounts {
			accounts[a.ID] = true
		}
		if got := awssim.MaxConcurrentAccounts(scanCalls, accounts); got > capN {
			t.Errorf("%s: %d accounts in flight at once across workers, cap %d", org.Name, got, capN)
		}
	}
}

func head(xs []string) []string {
	if len(xs) > 5 {
		return xs[:5]
	}
	return xs
}

// watchDone streams the completion records of namespace ns.
func watchDone(ctx context.Context, t *testing.T, js jetstream.JetStream, ns string) <-chan natsq.Done {
	t.Helper()
	out := make(chan natsq.Done, 1024)
	if err := natsq.Setup(ctx, js, natsq.Options{Namespace: ns}); err != nil {
		t.Fatal(err)
	}
	cons, err := js.OrderedConsumer(ctx, strings.ToUpper(ns)+"_DONE", jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatalf("watch completions: %v", err)
	}
	msgs, err := cons.Messages()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		<-ctx.Done()
		msgs.Stop()
	}()
	go func() {
		defer close(out)
		for {
			m, err := msgs.Next()
			if err != nil {
				return
			}
			var d natsq.Done
			if json.Unmarshal(m.Data(), &d) == nil {
				out <- d
			}
		}
	}()
	return out
}

// TestWorkerRefusesUnreachableBackends: a worker whose store or queue does
// not answer at start exits non-zero with an error naming it.
func TestWorkerRefusesUnreachableBackends(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "rampart.yaml")
	if err := os.WriteFile(cfg, []byte(`landing_zones:
  - id: lz-a
    name: A
    audit_role_name: RampartAudit
    regions: [us-east-1]
    accounts:
      source: static
      static: [{id: "111111111111", name: a}]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"store down", []string{"--store", "postgres://postgres@127.0.0.1:1/test?connect_timeout=2", "--queue", natsURL()},
			1, "cannot reach postgres://postgres@127.0.0.1:1/test"},
		{"queue down", []string{"--store", pgtest.BaseURL(), "--queue", "nats://127.0.0.1:1"},
			1, "cannot reach NATS at nats://127.0.0.1:1"},
		{"queue missing", []string{"--store", pgtest.BaseURL()}, 2, "--queue nats://host:port is required"},
		{"bad store URL", []string{"--store", "mysql://x", "--queue", natsURL()}, 2, `--store "mysql://x": want postgres://`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"worker", "--config", cfg, "--data", t.TempDir()}, tc.args...)
			cmd := exec.Command(rampartBin, args...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.wantCode || !strings.Contains(stderr.String(), tc.wantErr) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", code, stderr.String(), tc.wantCode, tc.wantErr)
			}
		})
	}
}
