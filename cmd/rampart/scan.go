package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/artifact"
	"github.com/rampart-cspm/rampart/awsclient"
	"github.com/rampart-cspm/rampart/checks/all"
	"github.com/rampart-cspm/rampart/config"
	"github.com/rampart-cspm/rampart/dispatch"
	"github.com/rampart-cspm/rampart/mutelist"
	"github.com/rampart-cspm/rampart/pipeline"
	"github.com/rampart-cspm/rampart/sqlite"
)

const defaultDataDir = "./rampart-data"

type scanFlags struct {
	config  string
	lz      []string
	data    string
	modules []string
	checks  []string
	dist    distFlags // scale-out backends (distributed.go)
	// now, when set, is the scan's clock (the demo's history scans).
	now func() time.Time
}

func (a *app) scanCommand() *cobra.Command {
	var f scanFlags
	cmd := &cobra.Command{
		Use:   "scan --config FILE [--lz ID] [--data DIR]",
		Short: "Scan the landing zones of a config file (real AWS or any endpoint)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load(f.config)
			if err != nil {
				return &exitError{2, err}
			}
			_, err = a.scan(cmd.Context(), cfg, f)
			return err
		},
	}
	cmd.Flags().StringVar(&f.config, "config", "rampart.yaml", "configuration file")
	cmd.Flags().StringSliceVar(&f.lz, "lz", nil, "scan only these landing zone ids (repeatable)")
	cmd.Flags().StringVar(&f.data, "data", "", "data directory (default: config data_dir or "+defaultDataDir+")")
	cmd.Flags().StringSliceVar(&f.modules, "modules", nil, "run only these modules, e.g. iam,s3")
	cmd.Flags().StringSliceVar(&f.checks, "checks", nil, "run only these check ids")
	f.dist.register(cmd.Flags())
	return cmd
}

// scan runs one scan of cfg's landing zones and prints the summary.
func (a *app) scan(ctx context.Context, cfg *config.Config, f scanFlags) (*pipeline.Report, error) {
	lzs, err := selectLZs(cfg.LandingZones, f.lz)
	if err != nil {
		return nil, &exitError{2, err}
	}
	dataDir := firstNonEmpty(f.data, cfg.DataDir, defaultDataDir)
	if f.dist.queue != "" && (len(f.modules) > 0 || len(f.checks) > 0) {
		return nil, &exitError{2, rampart.Errorf(rampart.EINVALID, "--modules/--checks are not supported with --queue: workers run every check")}
	}
	engine, closeFn, err := a.newEngine(ctx, cfg, dataDir, f.dist)
	if err != nil {
		return nil, err
	}
	defer closeFn()
	if err := useRiskPolicy(engine, dataDir, f.now); err != nil {
		return nil, &exitError{2, err}
	}
	sel, err := selector(engine, f.modules, f.checks)
	if err != nil {
		return nil, &exitError{2, err}
	}
	prog := newProgress(a.stderr, a.logger, lzs)
	started := time.Now()
	onUnit := func(res rampart.UnitResult) {
		prog.unitDone(res)
		a.metrics.ObserveUnit(res)
	}
	rep, err := engine.Run(ctx, lzs, pipeline.RunOptions{Select: sel, OnUnit: onUnit})
	prog.finish()
	if rep != nil {
		recordPosture(ctx, engine.Store, rep, a)
		printSummary(a.stdout, rep, time.Since(started))
	}
	if err != nil {
		return rep, fmt.Errorf("scan: %w", err)
	}
	// A landing zone that could not be scanned at all fails the command, so
	// schedulers and CI notice; partial scans are reported in the summary.
	var failed []string
	for _, lr := range rep.LandingZones {
		if lr.EnumerationError != nil || lr.Scan.Status == rampart.UnitFailed {
			failed = append(failed, lr.LandingZone.ID)
		}
	}
	if len(failed) > 0 {
		return rep, &exitError{1, fmt.Errorf("scan failed for landing zone(s) %s", strings.Join(failed, ", "))}
	}
	return rep, nil
}

func selectLZs(all []rampart.LandingZone, ids []string) ([]rampart.LandingZone, error) {
	if len(ids) == 0 {
		var out []rampart.LandingZone
		for _, lz := range all {
			if lz.ScanEnabled {
				out = append(out, lz)
			}
		}
		if len(out) == 0 {
			return nil, rampart.Errorf(rampart.EINVALID, "no landing zone has scan_enabled: true")
		}
		return out, nil
	}
	var out []rampart.LandingZone
	for _, id := range ids {
		found := false
		for _, lz := range all {
			if lz.ID == id {
				out = append(out, lz)
				found = true
			}
		}
		if !found {
			var known []string
			for _, lz := range all {
				known = append(known, lz.ID)
			}
			return nil, rampart.Errorf(rampart.EINVALID, "--lz %q: no such landing zone (known: %s)", id, strings.Join(known, ", "))
		}
	}
	return out, nil
}

// selector builds the check selection from --modules and --checks.
func selector(e *pipeline.Engine, modules, ids []string) (func(string) bool, error) {
	if len(modules) == 0 && len(ids) == 0 {
		return nil, nil
	}
	mods := map[string]bool{}
	known := map[string]bool{}
	for _, m := range e.Registry.Modules() {
		known[m.Name()] = true
	}
	for _, m := range modules {
		if !known[m] {
			return nil, rampart.Errorf(rampart.EINVALID, "--modules: unknown module %q", m)
		}
		mods[m] = true
	}
	checkSet := map[string]bool{}
	for _, id := range ids {
		if _, ok := e.Registry.Check(id); !ok {
			return nil, rampart.Errorf(rampart.EINVALID, "--checks: unknown check %q (see rampart checks list)", id)
		}
		checkSet[id] = true
	}
	return func(id string) bool {
		m, _ := e.Registry.Check(id)
		if len(mods) > 0 && !mods[m.Module] {
			return false
		}
		return len(checkSet) == 0 || checkSet[id]
	}, nil
}

// newEngine wires the embedded default: SQLite in dataDir, artifacts in
// dataDir/artifacts (or cfg.Artifacts), the in-process dispatcher.
func (a *app) newEngine(ctx context.Context, cfg *config.Config, dataDir string, dist distFlags) (*pipeline.Engine, func(), error) {
	var mutes *mutelist.List
	if cfg.Mutelist != "" {
		l, err := mutelist.Load(cfg.Mutelist)
		if err != nil {
			return nil, nil, &exitError{2, err}
		}
		mutes = l
	}
	store, err := openStore(ctx, dist.store, dataDir)
	if err != nil {
		return nil, nil, err
	}
	artURL := firstNonEmpty(dist.artifacts, cfg.Artifacts)
	if artURL == "" {
		abs, err := filepath.Abs(filepath.Join(dataDir, "artifacts"))
		if err != nil {
			store.Close()
			return nil, nil, err
		}
		artURL = abs
	}
	arts, err := artifact.Open(ctx, artURL)
	if err != nil {
		store.Close()
		return nil, nil, fmt.Errorf("open artifact store %s: %w", artURL, err)
	}
	reg, err := all.Registry()
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	home := firstNonEmpty(cfg.AWS.HomeRegion, "us-east-1")
	factory := awsclient.NewFactory(awsclient.Options{
		EndpointURL:            cfg.AWS.EndpointURL,
		SharedConfigFiles:      cfg.AWS.SharedConfigFiles,
		SharedCredentialsFiles: cfg.AWS.SharedCredentialsFiles,
		HomeRegion:             home,
		MaxAttempts:            cfg.Scan.MaxAttempts,
		MaxBackoff:             cfg.Scan.MaxBackoff,
		RetryMode:              retryModeOf(cfg.Scan.RateControl),
		OnRetry:                a.metrics.OnRetry,
	})
	e := &pipeline.Engine{
		Store: store, Artifacts: arts, AWS: factory, Enumerate: awsclient.Enumerator{}, Registry: reg,
		Classify: awsclient.Classify, HomeRegion: home, Logger: a.logger,
		DispatchOptions: dispatch.Options{
			MaxConcurrentUnits: cfg.Scan.MaxConcurrentUnits,
			UnitTimeout:        cfg.Scan.UnitTimeout,
			UnitRetries:        cfg.Scan.UnitRetries,
		},
		RateControl: dispatchPolicyOf(cfg.Scan.RateControl),
	}
	if _, ok := store.(*sqlite.Store); ok {
		// One writer: commits queue in the engine, global units first, so
		// marking a unit running never waits behind a queue of results.
		e.MaxConcurrentCommits = 1
	}
	// scan.prowler: Prowler runs in every unit when configured or on PATH.
	if e.Externals, err = prowlerExternals(cfg.Scan.Prowler, exec.LookPath); err != nil {
		store.Close()
		return nil, nil, &exitError{2, err}
	}
	if mutes != nil {
		e.Mutelist = mutes
	}
	closeQueue, err := a.useQueue(ctx, e, dist)
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	return e, func() { closeQueue(); store.Close() }, nil
}

// retryModeOf and dispatchPolicyOf map scan.rate_control to the AWS
// clients' retry mode and the dispatcher's policy.
func retryModeOf(rateControl string) string {
	if rateControl == "fixed" {
		return awsclient.RetryStandard
	}
	return awsclient.RetryAdaptive
}

func dispatchPolicyOf(rateControl string) string {
	if rateControl == "fixed" {
		return dispatch.PolicyFixed
	}
	return dispatch.PolicyAdaptive
}

func firstNonEmpty(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}

// printSummary prints per LZ: accounts, units by state, open findings by
// severity, and where the scan failed.
func printSummary(w interface{ Write([]byte) (int, error) }, rep *pipeline.Report, took time.Duration) {
	fmt.Fprintf(w, "\nScan summary (%s)\n", took.Round(time.Millisecond))
	for _, lr := range rep.LandingZones {
		fmt.Fprintf(w, "\n%s  %s  scan %s  status %s\n", lr.LandingZone.ID, lr.LandingZone.Name, lr.Scan.ID, lr.Scan.Status)
		if lr.EnumerationError != nil {
			fmt.Fprintf(w, "  enumeration failed: %v\n", lr.EnumerationError)
			continue
		}
		skipped := ""
		if len(lr.AccountsSkipped) > 0 {
			var ids []string
			for _, a := range lr.AccountsSkipped {
				ids = append(ids, a.ID+" ("+a.Status+")")
			}
			skipped = ", not scanned: " + strings.Join(ids, ", ")
		}
		fmt.Fprintf(w, "  accounts: %d scanned%s\n", lr.Accounts, skipped)
		var states []string
		for _, s := range []rampart.UnitState{rampart.UnitSucceeded, rampart.UnitPartial, rampart.UnitFailed, rampart.UnitSkipped, rampart.UnitPending, rampart.UnitRunning} {
			if n := lr.Units[s]; n > 0 || s == rampart.UnitSucceeded {
				states = append(states, fmt.Sprintf("%s %d", s, n))
			}
		}
		fmt.Fprintf(w, "  units: %s\n", strings.Join(states, ", "))
		if len(lr.UnitErrors) > 0 {
			var cls []string
			for c, n := range lr.UnitErrors {
				cls = append(cls, fmt.Sprintf("%s %d", c, n))
			}
			sort.Strings(cls)
			fmt.Fprintf(w, "  unit errors: %s\n", strings.Join(cls, ", "))
		}
		var sev []string
		total := 0
		for _, s := range rampart.Severities {
			sev = append(sev, fmt.Sprintf("%s %d", s, lr.OpenBySeverity[s]))
			total += lr.OpenBySeverity[s]
		}
		fmt.Fprintf(w, "  open findings (FAIL): %d — %s\n", total, strings.Join(sev, ", "))
		var ne []string
		for c, n := range lr.NotEvaluatedByClass {
			if c == "" {
				c = rampart.ErrClassUnknown
			}
			ne = append(ne, fmt.Sprintf("%s %d", c, n))
		}
		sort.Strings(ne)
		neText := ""
		if len(ne) > 0 {
			neText = " (" + strings.Join(ne, ", ") + ")"
		}
		fmt.Fprintf(w, "  not evaluated: %d%s\n", lr.NotEvaluatedCount, neText)
		st := lr.Stats
		fmt.Fprintf(w, "  this scan: detected %d, resolved %d, reopened %d, changed %d, unchanged %d\n",
			st.Detected, st.Resolved, st.Reopened, st.Changed, st.Seen)
	}
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
