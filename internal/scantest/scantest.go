// Package scantest runs Rampart's real scan pipeline against the AWS
// simulator in tests: a simulated estate on loopback, a generated
// rampart.yaml with AWS credential files, a SQLite store and a local
// artifact store in a temp dir, and an injected clock.
package scantest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/artifact"
	"github.com/rampart-cspm/rampart/awsclient"
	"github.com/rampart-cspm/rampart/awssim"
	"github.com/rampart-cspm/rampart/checks/all"
	"github.com/rampart-cspm/rampart/config"
	"github.com/rampart-cspm/rampart/dispatch"
	"github.com/rampart-cspm/rampart/pipeline"
	"github.com/rampart-cspm/rampart/sqlite"
)

// Clock is a manual clock, safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Options shape the generated configuration.
type Options struct {
	Regions     []string      // default us-east-1, eu-west-1
	MaxAccounts int           // per LZ, default 3
	UnitTimeout time.Duration // default 1m
	MaxAttempts int           // SDK attempts per call, default 4
	MaxBackoff  time.Duration // default 200ms (keeps retry tests quick)
	UnitRetries int           // default 1
	Latency     time.Duration // simulator latency per call
}

// Harness is a running simulator plus an Engine scanning it.
type Harness struct {
	Sim      *awssim.Server
	Endpoint string
	Store    *sqlite.Store
	Engine   *pipeline.Engine
	Config   *config.Config
	Clock    *Clock
	Dir      string
}

// Start starts the simulator over estate and wires an engine to it.
func Start(t testing.TB, estate *awssim.Estate, o Options) *Harness {
	t.Helper()
	if len(o.Regions) == 0 {
		o.Regions = []string{"us-east-1", "eu-west-1"}
	}
	if o.MaxAccounts == 0 {
		o.MaxAccounts = 3
	}
	if o.UnitTimeout == 0 {
		o.UnitTimeout = time.Minute
	}
	if o.MaxAttempts == 0 {
		o.MaxAttempts = 4
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = 200 * time.Millisecond
	}
	clock := NewClock(time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC))
	sim := awssim.New(estate, awssim.Options{Now: clock.Now, Latency: o.Latency})
	endpoint, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })

	dir := t.TempDir()
	path := writeConfig(t, dir, endpoint, estate, o)
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("generated config: %v", err)
	}
	store, err := sqlite.Open(context.Background(), filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	store.Now = clock.Now
	t.Cleanup(func() { store.Close() })
	arts, err := artifact.NewLocal(filepath.Join(dir, "data", "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	factory := awsclient.NewFactory(awsclient.Options{
		EndpointURL: cfg.AWS.EndpointURL, SharedConfigFiles: cfg.AWS.SharedConfigFiles,
		SharedCredentialsFiles: cfg.AWS.SharedCredentialsFiles, HomeRegion: "us-east-1",
		MaxAttempts: cfg.Scan.MaxAttempts, MaxBackoff: cfg.Scan.MaxBackoff,
	})
	e := &pipeline.Engine{
		Store: store, Artifacts: arts, AWS: factory, Enumerate: awsclient.Enumerator{}, Registry: reg,
		Classify: awsclient.Classify, HomeRegion: "us-east-1", Now: clock.Now,
		DispatchOptions: dispatch.Options{
			UnitTimeout: cfg.Scan.UnitTimeout, UnitRetries: cfg.Scan.UnitRetries, MaxConcurrentUnits: cfg.Scan.MaxConcurrentUnits,
			BackoffBase: 10 * time.Millisecond, BackoffMax: 50 * time.Millisecond,
		},
	}
	return &Harness{Sim: sim, Endpoint: endpoint, Store: store, Engine: e, Config: cfg, Clock: clock, Dir: dir}
}

// Scan runs one scan of every landing zone and fails the test on error.
func (h *Harness) Scan(t testing.TB) *pipeline.Report {
	t.Helper()
	rep, err := h.Engine.Run(context.Background(), h.Config.LandingZones, pipeline.RunOptions{})
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	return rep
}

// Findings lists every stored finding row (any status, resolved or not).
func (h *Harness) Findings(t testing.TB, f rampart.FindingFilter) []rampart.Finding {
	t.Helper()
	list, err := h.Store.ListFindings(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// writeConfig writes rampart.yaml plus AWS config and credentials files: one
// landing zone "lz-<org name>" per organization, with its management
// account's first key as a profile.
func writeConfig(t testing.TB, dir, endpoint string, estate *awssim.Estate, o Options) string {
	t.Helper()
	var creds, awsCfg, lzs strings.Builder
	for _, org := range estate.Organizations {
		mgmt := estate.Account(org.ManagementAccount)
		if mgmt == nil || len(mgmt.AccessKeys) == 0 {
			t.Fatalf("organization %s: management account has no keys", org.ID)
		}
		profile := "p-" + org.Name
		fmt.Fprintf(&creds, "[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n", profile, mgmt.AccessKeys[0].ID, mgmt.AccessKeys[0].Secret)
		fmt.Fprintf(&awsCfg, "[profile %s]\nregion = us-east-1\n", profile)
		role, ext := "RampartAudit", ""
		if len(mgmt.Roles) > 0 {
			role, ext = mgmt.Roles[0].Name, mgmt.Roles[0].ExternalID
		}
		fmt.Fprintf(&lzs, "  - id: lz-%s\n    name: %s\n    profile: %s\n    audit_role_name: %s\n", org.Name, org.Name, profile, role)
		if ext != "" {
			fmt.Fprintf(&lzs, "    external_id: %s\n", ext)
		}
		fmt.Fprintf(&lzs, "    regions: [%s]\n    owner_team: %s-team\n    max_concurrent_accounts: %d\n", strings.Join(o.Regions, ", "), org.Name, o.MaxAccounts)
	}
	credFile, cfgFile := filepath.Join(dir, "aws-credentials"), filepath.Join(dir, "aws-config")
	doc := fmt.Sprintf(`aws:
  endpoint_url: %s
  shared_config_files: [%s]
  shared_credentials_files: [%s]
scan:
  unit_timeout: %s
  max_attempts: %d
  max_backoff: %s
  unit_retries: %d
landing_zones:
%s`, endpoint, cfgFile, credFile, o.UnitTimeout, o.MaxAttempts, o.MaxBackoff, o.UnitRetries, lzs.String())
	path := filepath.Join(dir, "rampart.yaml")
	for p, body := range map[string]string{credFile: creds.String(), cfgFile: awsCfg.String(), path: doc} {
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return path
}
