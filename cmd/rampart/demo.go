package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampart-cspm/rampart/awssim"
	"github.com/rampart-cspm/rampart/config"
	"github.com/rampart-cspm/rampart/dashboard"
	"github.com/rampart-cspm/rampart/sqlite"
)

// demoAuditRole is the audit role of the demo estate's accounts.
const demoAuditRole = "RampartAudit"

// demoRegions are the regions the demo scans: two enabled everywhere, one
// opt-in region enabled in a few accounts only (reported as skipped
// elsewhere).
var demoRegions = []string{"us-east-1", "eu-west-1", "ap-east-1"}

// demoLZ is the landing-zone context the demo attaches to each organization.
var demoLZ = map[string]struct{ name, owner, bu string }{
	"retail":        {"Retail Landing Zone", "retail-platform-team", "retail"},
	"payments":      {"Payments Landing Zone", "payments-platform-team", "payments"},
	"data-platform": {"Data Platform Landing Zone", "data-platform-team", "data"},
}

func (a *app) demoCommand() *cobra.Command {
	var (
		once         bool
		data, addr   string
		estatePath   string
		simLatency   time.Duration
		serveTimeout time.Duration
		dist         distFlags // --store, --queue, --artifacts (distributed.go)
		workers      int
	)
	cmd := &cobra.Command{
		Use:   "demo [--once] [--data DIR] [--addr 127.0.0.1:8080]",
		Short: "Scan a simulated AWS estate (3 landing zones) end to end, then serve the posture page",
		Long: `demo starts Rampart's AWS simulator on loopback with the built-in demo estate
(three AWS Organizations, one landing zone each), writes a rampart.yaml and
AWS credentials for it under DIR/demo/, scans it with the same pipeline that
scans real AWS, prints a summary per landing zone, and serves the posture
page. With --once it exits after the summary. No cloud account, no server.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			estate := awssim.DemoEstate()
			if estatePath != "" {
				var err error
				if estate, err = awssim.LoadEstate(estatePath); err != nil {
					return &exitError{2, err}
				}
			}
			// The demo's clock: history scans run days ago (demohistory.go),
			// and the simulator's resource ages follow the same clock.
			clock := &demoClock{}
			_, statErr := os.Stat(filepath.Join(data, sqlite.FileName))
			withHistory := statErr != nil && estatePath == "" && dist.store == "" && dist.queue == ""
			sim := awssim.New(estate, awssim.Options{Latency: simLatency, Logger: a.logger, Now: clock.Now})
			endpoint, err := sim.Start("127.0.0.1:0")
			if err != nil {
				return fmt.Errorf("demo: start simulator: %w", err)
			}
			defer sim.Close()
			a.logger.Info("AWS simulator listening", "endpoint", endpoint, "accounts", estate.AccountCount())

			cfgPath, err := writeDemoConfig(data, endpoint, estate)
			if err != nil {
				return fmt.Errorf("demo: %w", err)
			}
			cfg, err := config.Load(cfgPath)
			if err != nil {
				return fmt.Errorf("demo: generated config: %w", err)
			}
			fmt.Fprintf(a.stdout, "Demo: simulated estate with %d organizations and %d accounts at %s\nConfig: %s\n",
				len(estate.Organizations), estate.AccountCount(), endpoint, cfgPath)
			if dist.store != "" && !once {
				return &exitError{2, fmt.Errorf("demo: --store needs --once (the demo's posture page reads the embedded store)")}
			}
			stopWorkers, err := a.startWorkers(ctx, workers, cfgPath, data, dist)
			if err != nil {
				return err
			}
			if withHistory {
				if err := a.replayDemoHistory(ctx, sim, clock, cfg, scanFlags{data: data, dist: dist}); err != nil {
					stopWorkers()
					return err
				}
			}
			_, err = a.scan(ctx, cfg, scanFlags{data: data, dist: dist, now: clock.Now})
			stopWorkers()
			if err != nil {
				return err
			}
			if once {
				return nil
			}
			return a.serveDemo(ctx, data, addr, serveTimeout)
		},
	}
	cmd.Flags().BoolVar(&once, "once", false, "scan, print the summary and exit")
	cmd.Flags().StringVar(&data, "data", defaultDataDir, "data directory")
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "address of the posture page")
	cmd.Flags().StringVar(&estatePath, "estate", "", "simulator estate file (default: the built-in demo estate)")
	cmd.Flags().DurationVar(&simLatency, "sim-latency", 5*time.Millisecond, "latency the simulator adds to every AWS call")
	cmd.Flags().DurationVar(&serveTimeout, "serve-for", 0, "stop serving after this long (0 = until interrupted)")
	cmd.Flags().IntVar(&workers, "workers", 0, "with --queue: start this many `rampart worker` processes for the scan")
	dist.register(cmd.Flags())
	return cmd
}

func (a *app) serveDemo(ctx context.Context, data, addr string, d time.Duration) error {
	store, err := sqlite.Open(ctx, data)
	if err != nil {
		return err
	}
	defer store.Close()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("demo: listen on %s: %w (use --addr to pick another)", addr, err)
	}
	srv := &http.Server{Handler: dashboard.New(store, a.logger), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(a.stdout, "\nPosture page: http://%s/  (Ctrl-C to stop)\n", ln.Addr())
	if d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
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

var demoConfigTmpl = template.Must(template.New("cfg").Parse(`# Generated by "rampart demo" for the simulated estate at {{.Endpoint}}.
# It is an ordinary rampart.yaml: "rampart scan --config {{.Path}}" works while the simulator runs.
aws:
  endpoint_url: {{.Endpoint}}
  shared_config_files: [{{.ConfigFile}}]
  shared_credentials_files: [{{.CredentialsFile}}]
  home_region: us-east-1
scan:
  unit_timeout: 2m
landing_zones:
{{- range .LZs}}
  - id: {{.ID}}
    name: {{.Name}}
    profile: {{.Profile}}
    audit_role_name: {{.Role}}
{{- if .ExternalID}}
    external_id: {{.ExternalID}}
{{- end}}
    regions: [{{.Regions}}]
    owner_team: {{.Owner}}
    business_unit: {{.BU}}
    environment: production
    max_concurrent_accounts: 3
    accounts:
      source: organizations
{{- if .Overrides}}
      overrides:
{{- range .Overrides}}
        - {id: "{{.ID}}", environment: {{.Env}}{{if .Owner}}, owner_team: {{.Owner}}{{end}}}
{{- end}}
{{- end}}
{{- end}}
`))

type demoOverride struct{ ID, Env, Owner string }

type demoLZConfig struct {
	ID, Name, Profile, Role, ExternalID, Regions, Owner, BU string
	Overrides                                               []demoOverride
}

// writeDemoConfig writes DIR/demo/{rampart.yaml,aws-config,aws-credentials}
// for the simulated estate and returns the config's path. Account
// environments and owners come from the estate's account tags, as a
// deployment would put them in per-account overrides.
func writeDemoConfig(data, endpoint string, estate *awssim.Estate) (string, error) {
	dir, err := filepath.Abs(filepath.Join(data, "demo"))
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create %s: %w", dir, err)
	}
	var creds, awsCfg bytes.Buffer
	vars := struct {
		Endpoint, Path, ConfigFile, CredentialsFile string
		LZs                                         []demoLZConfig
	}{Endpoint: endpoint, Path: filepath.Join(dir, "rampart.yaml"),
		ConfigFile: filepath.Join(dir, "aws-config"), CredentialsFile: filepath.Join(dir, "aws-credentials")}

	for _, org := range estate.Organizations {
		mgmt := estate.Account(org.ManagementAccount)
		if mgmt == nil || len(mgmt.AccessKeys) == 0 {
			return "", fmt.Errorf("estate: organization %s: management account %s has no access keys", org.ID, org.ManagementAccount)
		}
		profile := "demo-" + org.Name
		fmt.Fprintf(&creds, "[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n\n", profile, mgmt.AccessKeys[0].ID, mgmt.AccessKeys[0].Secret)
		fmt.Fprintf(&awsCfg, "[profile %s]\nregion = us-east-1\n\n", profile)
		meta, ok := demoLZ[org.Name]
		if !ok {
			meta.name, meta.owner, meta.bu = org.Name+" landing zone", org.Name+"-team", org.Name
		}
		lz := demoLZConfig{ID: "lz-" + org.Name, Name: meta.name, Profile: profile, Role: demoAuditRole,
			Regions: strings.Join(demoRegions, ", "), Owner: meta.owner, BU: meta.bu}
		for _, r := range mgmt.Roles {
			if r.Name == demoAuditRole {
				lz.ExternalID = r.ExternalID
			}
		}
		for _, acct := range org.Accounts {
			env := environmentFromTag(acct.Tags["Environment"])
			owner := acct.Tags["Owner"]
			if env == "production" && owner == "" {
				continue
			}
			lz.Overrides = append(lz.Overrides, demoOverride{ID: acct.ID, Env: env, Owner: owner})
		}
		sort.Slice(lz.Overrides, func(i, j int) bool { return lz.Overrides[i].ID < lz.Overrides[j].ID })
		vars.LZs = append(vars.LZs, lz)
	}
	var out bytes.Buffer
	if err := demoConfigTmpl.Execute(&out, vars); err != nil {
		return "", err
	}
	for path, body := range map[string][]byte{vars.CredentialsFile: creds.Bytes(), vars.ConfigFile: awsCfg.Bytes(), vars.Path: out.Bytes()} {
		if err := os.WriteFile(path, body, 0o600); err != nil {
			return "", fmt.Errorf("write %s: %w", path, err)
		}
	}
	return vars.Path, nil
}

// environmentFromTag maps common Environment tag values to Rampart's
// environments.
func environmentFromTag(v string) string {
	switch strings.ToLower(v) {
	case "prod", "production", "prd":
		return "production"
	case "staging", "stage", "stg", "preprod":
		return "staging"
	case "dev", "development":
		return "development"
	case "sandbox", "sbx":
		return "sandbox"
	case "test", "qa":
		return "test"
	case "shared", "security", "shared-services":
		return "shared"
	}
	return "production"
}
