// Package benchscan is the scan benchmark behind `rampart bench scan`: it
// generates a simulated estate with AWS-style quotas and latency, computes
// the quota lower bound of its makespan, and scans it once per rate-control
// policy, measuring makespan, throttled calls, lost units and findings
// missing against a clean scan's ground truth. docs/bench-scan.md explains
// the estate and the bound.
package benchscan

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
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

// Options shape the generated estate.
type Options struct {
	LandingZones int // default 3
	Accounts     int // per landing zone, management included; default 40
	Regions      int // scanned regions, default 4
	Users        int // IAM users per account, default 6
	// Quotas of the simulated AWS; nil uses BenchQuotas.
	Quotas *awssim.Quotas
	// Latency of every simulated call; zero uses p50 5ms, p99 25ms.
	Latency awssim.Latency
	// Policies to run, by name; nil runs all four.
	Policies []string
	// Log receives progress lines; nil discards.
	Log io.Writer
	// CPUProfile, when set, receives a pprof CPU profile of the
	// ground-truth scan (the unthrottled one, whose makespan is the floor).
	CPUProfile io.Writer
}

// BenchQuotas are the benchmark's quotas: AWS's documented defaults
// (awssim.QuotaFamilies), except that IAM, the bottleneck here, is half of
// what Rampart assumes for it (burst 10, 5/s: an account whose IAM quota is
// partly used by other tools), and credential vending is a landing-zone
// quota of 20 AssumeRole calls, 40/s.
func BenchQuotas() *awssim.Quotas {
	return &awssim.Quotas{Buckets: map[string]awssim.TokenBucket{
		"iam":            {Burst: 10, Rate: 4},
		"sts:AssumeRole": {Burst: 20, Rate: 40},
	}}
}

// Policy is one rate-control policy under test.
type Policy struct {
	Name        string
	RetryMode   string // awsclient.Retry*
	Dispatch    string // dispatch.Policy*
	MaxAccounts int    // per landing zone
}

// Policies are the four policies the benchmark compares.
var Policies = []Policy{
	{"fixed-3", awsclient.RetryStandard, dispatch.PolicyFixed, 3},
	{"fixed-10", awsclient.RetryStandard, dispatch.PolicyFixed, 10},
	{"sdk-adaptive", awsclient.RetrySDKAdaptive, dispatch.PolicyFixed, 100}, // no cap: 100 > accounts per LZ
	{"rampart-adaptive", awsclient.RetryAdaptive, dispatch.PolicyAdaptive, 3},
}

// PolicyResult is the outcome of one policy. JSON names are the contract
// of `rampart bench scan --json`.
type PolicyResult struct {
	Policy          string  `json:"policy"`
	MakespanS       float64 `json:"makespan_s"`
	RatioToBound    float64 `json:"ratio_to_bound"`
	ThrottledCalls  int     `json:"throttled_calls"`
	UnitsFailed     int     `json:"units_failed"`
	UnitsPartial    int     `json:"units_partial"`
	FindingsMissing int     `json:"findings_missing"`
	Calls           int     `json:"calls"`
	// RatioToFloor is the makespan over max(lower bound, floor): how far
	// the policy is from the best this machine could do on this estate.
	RatioToFloor float64 `json:"ratio_to_max_bound_floor"`
}

// Result is the benchmark's outcome.
type Result struct {
	LowerBoundS float64 `json:"lower_bound_s"`
	// Bottleneck names the bucket that sets the bound.
	Bottleneck string `json:"bottleneck"`
	// FloorS is the measured makespan of the same estate scanned with the
	// same dispatcher and nothing throttled (every quota ×10⁶): what the
	// scan costs on this machine without any quota (CPU, the simulator,
	// the store). No policy can beat it here, whatever the bound says. It
	// is the smaller of FloorRunsS: the ground-truth scan before the
	// policies and the same scan again after them.
	FloorS     float64        `json:"floor_s"`
	FloorRunsS []float64      `json:"floor_runs_s"`
	Estate     string         `json:"estate"`
	Findings   int            `json:"ground_truth_findings"`
	Policies   []PolicyResult `json:"policies"`
}

func (o *Options) defaults() {
	if o.LandingZones <= 0 {
		o.LandingZones = 3
	}
	if o.Accounts <= 0 {
		o.Accounts = 40
	}
	if o.Regions <= 0 {
		o.Regions = 4
	}
	if o.Users <= 0 {
		o.Users = 6
	}
	if o.Quotas == nil {
		o.Quotas = BenchQuotas()
	}
	if o.Latency == (awssim.Latency{}) {
		o.Latency = awssim.Latency{P50: 5 * time.Millisecond, P99: 25 * time.Millisecond}
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
}

var allRegions = []string{"us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-1", "us-west-2", "ap-northeast-1"}

// EstateYAML generates the estate: per account, Users IAM users (every
// third without MFA on a console password, every fourth with an old unused
// key), two buckets (one unencrypted and unversioned) and, per region, a VPC
// with an SSH-open group in every other account.
func EstateYAML(o Options) string {
	o.defaults()
	regions := allRegions[:min(o.Regions, len(allRegions))]
	var b strings.Builder
	fmt.Fprintf(&b, "name: bench-%dx%dx%d\nregions:\n", o.LandingZones, o.Accounts, len(regions))
	for _, r := range regions {
		fmt.Fprintf(&b, "  - {name: %s}\n", r)
	}
	b.WriteString("organizations:\n")
	for z := 0; z < o.LandingZones; z++ {
		org := fmt.Sprintf("o-bench%d", z+1)
		mgmt := fmt.Sprintf("%d000000%05d", z+1, 1)[:12]
		fmt.Fprintf(&b, "  - id: %s\n    name: lz%d\n    management_account: %q\n    accounts:\n", org, z+1, mgmt)
		for a := 0; a < o.Accounts; a++ {
			id := fmt.Sprintf("%d000000%05d", z+1, a+1)[:12]
			fmt.Fprintf(&b, "      - id: %q\n        name: lz%d-acct-%02d\n        joined_days_ago: 400\n", id, z+1, a+1)
			if a == 0 {
				fmt.Fprintf(&b, "        access_keys: [{id: AKIABENCHMGMT%07d, secret: bench-secret-%d}]\n", z+1, z+1)
			}
			b.WriteString("        roles: [{name: RampartAudit}]\n")
			b.WriteString("        iam:\n          root_mfa: true\n          password_policy: {minimum_length: 14, require_symbols: true, require_numbers: true, require_uppercase: true, require_lowercase: true, reuse_prevention: 24, max_age_days: 90}\n          users:\n")
			for u := 0; u < o.Users; u++ {
				mfa := u%3 != 0
				fmt.Fprintf(&b, "            - {name: user%02d, created_days_ago: 300, console_password: true, password_last_used_days_ago: 3, mfa: %v", u, mfa)
				if u%4 == 0 {
					b.WriteString(", access_keys: [{age_days: 200, last_used_days_ago: 150, last_used_service: s3, last_used_region: us-east-1}]")
				} else {
					b.WriteString(", access_keys: [{age_days: 30, last_used_days_ago: 1, last_used_service: s3, last_used_region: us-east-1}]")
				}
				b.WriteString("}\n")
			}
			fmt.Fprintf(&b, "        s3:\n          - {name: bench-%s-logs, region: us-east-1, encryption: AES256, versioning: Enabled, public_access_block: {block_public_acls: true, ignore_public_acls: true, block_public_policy: true, restrict_public_buckets: true}}\n", id)
			fmt.Fprintf(&b, "          - {name: bench-%s-data, region: %s}\n", id, regions[a%len(regions)])
			b.WriteString("        ec2:\n")
			for _, r := range regions {
				fmt.Fprintf(&b, "          %s:\n            vpcs: [{name: main, cidr: 10.0.0.0/16}]\n            security_groups:\n", r)
				fmt.Fprintf(&b, "              - {name: web, ingress: [{protocol: tcp, port: 443, cidrs: [0.0.0.0/0]}]}\n")
				if a%2 == 0 {
					fmt.Fprintf(&b, "              - {name: bastion, ingress: [{protocol: tcp, port: 22, cidrs: [0.0.0.0/0]}]}\n")
				}
			}
		}
	}
	return b.String()
}

// Run runs the benchmark.
func Run(ctx context.Context, o Options) (*Result, error) {
	o.defaults()
	src := EstateYAML(o)
	dir, err := os.MkdirTemp("", "rampart-bench-scan-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)

	// Ground truth: the same estate with quotas a million times larger (so
	// nothing throttles, but every bucket counts the calls it serves).
	fmt.Fprintf(o.Log, "ground truth: clean scan without throttling\n")
	huge := *o.Quotas
	huge.Scale = 1e6
	if o.CPUProfile != nil {
		if err := pprof.StartCPUProfile(o.CPUProfile); err != nil {
			return nil, fmt.Errorf("bench: cpu profile: %w", err)
		}
	}
	truth, err := runOnce(ctx, src, &huge, o.Latency, Policies[3], maxUnits, filepath.Join(dir, "truth"))
	if o.CPUProfile != nil {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return nil, fmt.Errorf("bench: ground-truth scan: %w", err)
	}
	if truth.runErr != nil {
		return nil, fmt.Errorf("bench: ground-truth scan: %w", truth.runErr)
	}
	if truth.failed+truth.partial > 0 {
		return nil, fmt.Errorf("bench: ground-truth scan lost %d units, %d partial: the estate is broken", truth.failed, truth.partial)
	}
	bound, bottleneck := LowerBound(truth.takes, o.Quotas)
	res := &Result{LowerBoundS: round(bound), Bottleneck: bottleneck, Findings: len(truth.fails),
		Estate: fmt.Sprintf("%d LZs x %d accounts x %d regions, %d IAM users per account", o.LandingZones, o.Accounts, o.Regions, o.Users)}
	fmt.Fprintf(o.Log, "ground truth: %d failing findings, %d calls in %.2fs; quota lower bound %.2fs (%s)\n", len(truth.fails), truth.calls, truth.makespan.Seconds(), bound, bottleneck)

	for _, p := range Policies {
		if len(o.Policies) > 0 && !contains(o.Policies, p.Name) {
			continue
		}
		fmt.Fprintf(o.Log, "policy %s ...\n", p.Name)
		out, err := runOnce(ctx, src, o.Quotas, o.Latency, p, maxUnits, filepath.Join(dir, p.Name))
		if err != nil {
			return nil, fmt.Errorf("bench: policy %s: %w", p.Name, err)
		}
		missing := 0
		for id := range truth.fails {
			if !out.fails[id] {
				missing++
			}
		}
		pr := PolicyResult{Policy: p.Name, MakespanS: round(out.makespan.Seconds()), ThrottledCalls: out.throttled,
			UnitsFailed: out.failed, UnitsPartial: out.partial, FindingsMissing: missing, Calls: out.calls}
		if bound > 0 {
			pr.RatioToBound = round(out.makespan.Seconds() / bound)
		}
		fmt.Fprintf(o.Log, "policy %s: %.2fs, %d throttled, %d failed, %d partial, %d missing\n",
			p.Name, out.makespan.Seconds(), out.throttled, out.failed, out.partial, missing)
		if out.runErr != nil {
			first, _, _ := strings.Cut(out.runErr.Error(), "\n")
			fmt.Fprintf(o.Log, "policy %s: the run reported errors (units counted as failed), first: %s\n", p.Name, first)
		}
		res.Policies = append(res.Policies, pr)
	}

	// The floor: the unthrottled scan once more, after the policies, and
	// the faster of the two. Load from other work on the machine comes and
	// goes; the smaller floor is the stricter yardstick.
	floor := truth.makespan.Seconds()
	res.FloorRunsS = []float64{round(floor)}
	if len(res.Policies) > 0 {
		fmt.Fprintf(o.Log, "floor: the unthrottled scan again\n")
		again, err := runOnce(ctx, src, &huge, o.Latency, Policies[3], maxUnits, filepath.Join(dir, "floor"))
		if err != nil {
			return nil, fmt.Errorf("bench: second unthrottled scan: %w", err)
		}
		if again.runErr != nil || again.failed+again.partial > 0 {
			return nil, fmt.Errorf("bench: second unthrottled scan lost %d units, %d partial: %v", again.failed, again.partial, again.runErr)
		}
		res.FloorRunsS = append(res.FloorRunsS, round(again.makespan.Seconds()))
		floor = min(floor, again.makespan.Seconds())
	}
	res.FloorS = round(floor)
	for i := range res.Policies {
		if best := max(bound, floor); best > 0 {
			res.Policies[i].RatioToFloor = round(res.Policies[i].MakespanS / best)
		}
	}
	return res, nil
}

// LowerBound returns the quota lower bound of a scan's makespan: a bucket
// of burst B refilled at r per second serves at most B + r·T calls in T
// seconds, so a bucket that must serve N calls needs T ≥ (N − B)/r. Every
// bucket must serve its calls, so the makespan is at least the largest of
// these; takes are the calls per bucket key (awssim.Server.QuotaTakes).
func LowerBound(takes map[string]int, q *awssim.Quotas) (float64, string) {
	best, which := 0.0, ""
	keys := make([]string, 0, len(takes))
	for k := range takes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		family, _, _ := strings.Cut(k, "@")
		b, _, ok := q.Bucket(family)
		if !ok || b.Rate <= 0 {
			continue
		}
		if t := (float64(takes[k]) - b.Burst) / b.Rate; t > best {
			best, which = t, fmt.Sprintf("%s: %d calls, burst %g, %g/s", k, takes[k], b.Burst, b.Rate)
		}
	}
	return best, which
}

type outcome struct {
	makespan         time.Duration
	throttled, calls int
	failed, partial  int
	fails            map[string]bool // FAIL finding IDs
	takes            map[string]int
	runErr           error // what the store refused, if anything
}

var throttleCodes = map[string]bool{
	"RequestLimitExceeded": true, "Throttling": true, "ThrottlingException": true,
	"TooManyRequestsException": true, "SlowDown": true,
}

// runOnce scans a fresh simulator of src with quotas under policy p.
// maxUnits caps units in flight across landing zones, in every run (the
// ground truth included, so that its makespan is a floor measured under
// the same caps). It is the default estate's 120 accounts times the 2
// units per account each may run (max_concurrent_units_per_account), so it
// holds no policy back: at 160, the global units of the last accounts the
// adaptive gates admitted waited up to 3 s for a place held by regional
// units, and every account's IAM phase is the critical path.
const maxUnits = 240

func runOnce(ctx context.Context, src string, quotas *awssim.Quotas, lat awssim.Latency, p Policy, units int, dir string) (*outcome, error) {
	estate, err := awssim.ParseEstate([]byte(src), "bench.yaml")
	if err != nil {
		return nil, err
	}
	estate.Quotas = quotas
	estate.Latency = lat
	sim := awssim.New(estate, awssim.Options{})
	endpoint, err := sim.Start("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer sim.Close()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	cfgPath, err := writeConfig(dir, endpoint, estate, p)
	if err != nil {
		return nil, err
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return nil, fmt.Errorf("generated config: %w", err)
	}
	store, err := sqlite.Open(ctx, filepath.Join(dir, "data"))
	if err != nil {
		return nil, err
	}
	defer store.Close()
	arts, err := artifact.NewLocal(filepath.Join(dir, "data", "artifacts"))
	if err != nil {
		return nil, err
	}
	reg, err := all.Registry()
	if err != nil {
		return nil, err
	}
	factory := awsclient.NewFactory(awsclient.Options{
		EndpointURL: endpoint, SharedConfigFiles: cfg.AWS.SharedConfigFiles, SharedCredentialsFiles: cfg.AWS.SharedCredentialsFiles,
		HomeRegion: "us-east-1", MaxAttempts: cfg.Scan.MaxAttempts, MaxBackoff: cfg.Scan.MaxBackoff, RetryMode: p.RetryMode,
	})
	e := &pipeline.Engine{
		Store: store, Artifacts: arts, AWS: factory, Enumerate: awsclient.Enumerator{}, Registry: reg,
		Classify: awsclient.Classify, HomeRegion: "us-east-1", Logger: slog.New(slog.DiscardHandler),
		DispatchOptions: dispatch.Options{MaxConcurrentUnits: units, UnitTimeout: cfg.Scan.UnitTimeout, UnitRetries: cfg.Scan.UnitRetries},
		RateControl:     p.Dispatch,
		// SQLite has one writer: commits queue in the engine, global units
		// first, so that starting a unit never waits behind them.
		MaxConcurrentCommits: 1,
	}
	var (
		mu      sync.Mutex
		timings []unitTiming
	)
	start := time.Now()
	rep, err := e.Run(ctx, cfg.LandingZones, pipeline.RunOptions{OnUnit: func(res rampart.UnitResult) {
		mu.Lock()
		timings = append(timings, unitTiming{global: res.Unit.Region == rampart.GlobalRegion, started: res.Unit.StartedAt,
			scanned: res.Unit.FinishedAt, committed: time.Now()})
		mu.Unlock()
	}})
	took := time.Since(start)
	if rep == nil {
		return nil, err
	}
	// A unit whose start or commit the store refused (e.g. SQLite busy) is
	// lost: it is counted as failed, not hidden.
	out := &outcome{makespan: took, fails: map[string]bool{}, takes: sim.QuotaTakes(), runErr: err}
	for _, lr := range rep.LandingZones {
		if lr.EnumerationError != nil {
			return nil, fmt.Errorf("lz %s: %w", lr.LandingZone.ID, lr.EnumerationError)
		}
		out.failed += lr.Units[rampart.UnitFailed] + lr.Units[rampart.UnitPending] + lr.Units[rampart.UnitRunning]
		out.partial += lr.Units[rampart.UnitPartial]
	}
	if os.Getenv("BENCH_DEBUG") != "" {
		debugTimeline(os.Stderr, start, took, timings, sim.Calls())
	}
	for _, c := range sim.Calls() {
		out.calls++
		if throttleCodes[c.ErrorCode] {
			out.throttled++
		}
	}
	list, err := store.ListFindings(ctx, rampart.FindingFilter{Statuses: []rampart.Status{rampart.StatusFail}, OnlyOpen: true})
	if err != nil {
		return nil, err
	}
	for _, f := range list {
		out.fails[f.FindingID] = true
	}
	return out, nil
}

// unitTiming is when one unit started scanning, finished scanning and
// was committed.
type unitTiming struct {
	global                      bool
	started, scanned, committed time.Time
}

// debugTimeline prints, for global and regional units, quantiles of when
// they started, how long they scanned and how long their results took to
// commit, then when each account's IAM phase began and how long it took
// (from the simulator's call log): where a makespan went.
func debugTimeline(w io.Writer, start time.Time, took time.Duration, units []unitTiming, calls []awssim.Call) {
	q := func(xs []float64) string {
		if len(xs) == 0 {
			return "-"
		}
		sort.Float64s(xs)
		return fmt.Sprintf("%.2f/%.2f/%.2f/%.2f", xs[0], xs[len(xs)/2], xs[len(xs)*9/10], xs[len(xs)-1])
	}
	fmt.Fprintf(w, "  run %.2fs; seconds as min/median/p90/max\n", took.Seconds())
	for _, global := range []bool{true, false} {
		var started, scan, commit []float64
		for _, u := range units {
			if u.global == global {
				started = append(started, u.started.Sub(start).Seconds())
				scan = append(scan, u.scanned.Sub(u.started).Seconds())
				commit = append(commit, u.committed.Sub(u.scanned).Seconds())
			}
		}
		kind := "regional"
		if global {
			kind = "global"
		}
		fmt.Fprintf(w, "  %s units (%d): started %s, scanned in %s, committed after %s\n", kind, len(started), q(started), q(scan), q(commit))
	}
	first, last := map[string]time.Time{}, map[string]time.Time{}
	for _, c := range calls {
		if c.Service != "iam" {
			continue
		}
		if f, ok := first[c.Account]; !ok || c.Start.Before(f) {
			first[c.Account] = c.Start
		}
		if c.End.After(last[c.Account]) {
			last[c.Account] = c.End
		}
	}
	var fs, ls []float64
	for a := range first {
		fs = append(fs, first[a].Sub(start).Seconds())
		ls = append(ls, last[a].Sub(first[a]).Seconds())
	}
	fmt.Fprintf(w, "  IAM per account: first call %s, phase %s\n", q(fs), q(ls))
	if os.Getenv("BENCH_DEBUG") == "2" {
		worst := ""
		for a := range first {
			if worst == "" || last[a].After(last[worst]) { // the critical path
				worst = a
			}
		}
		for _, c := range calls {
			if c.Account == worst && (c.Service == "iam" || c.Service == "s3" || c.Service == "sts") {
				fmt.Fprintf(w, "    %s %6.3f %6.3f %s:%s %s\n", c.Account, c.Start.Sub(start).Seconds(), c.End.Sub(start).Seconds(), c.Service, c.Operation, c.ErrorCode)
			}
		}
	}
	throttled := map[string]int{}
	for _, c := range calls {
		if throttleCodes[c.ErrorCode] {
			throttled[c.Service]++
		}
	}
	fmt.Fprintf(w, "  throttled calls by service: %v\n", throttled)
}

// writeConfig writes rampart.yaml and AWS credential files for estate.
func writeConfig(dir, endpoint string, estate *awssim.Estate, p Policy) (string, error) {
	var creds, awsCfg, lzs strings.Builder
	var regions []string
	for _, r := range estate.Regions {
		regions = append(regions, r.Name)
	}
	for _, org := range estate.Organizations {
		mgmt := estate.Account(org.ManagementAccount)
		profile := "p-" + org.Name
		fmt.Fprintf(&creds, "[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n", profile, mgmt.AccessKeys[0].ID, mgmt.AccessKeys[0].Secret)
		fmt.Fprintf(&awsCfg, "[profile %s]\nregion = us-east-1\n", profile)
		fmt.Fprintf(&lzs, "  - id: lz-%s\n    name: %s\n    profile: %s\n    audit_role_name: RampartAudit\n    regions: [%s]\n    owner_team: %s-team\n    max_concurrent_accounts: %d\n",
			org.Name, org.Name, profile, strings.Join(regions, ", "), org.Name, p.MaxAccounts)
	}
	credFile, cfgFile := filepath.Join(dir, "aws-credentials"), filepath.Join(dir, "aws-config")
	rc := "fixed"
	if p.Dispatch == dispatch.PolicyAdaptive {
		rc = "adaptive"
	}
	doc := fmt.Sprintf("aws:\n  endpoint_url: %s\n  shared_config_files: [%s]\n  shared_credentials_files: [%s]\nscan:\n  unit_timeout: 3m\n  rate_control: %s\nlanding_zones:\n%s",
		endpoint, cfgFile, credFile, rc, lzs.String())
	path := filepath.Join(dir, "rampart.yaml")
	for f, body := range map[string]string{credFile: creds.String(), cfgFile: awsCfg.String(), path: doc} {
		if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
			return "", err
		}
	}
	return path, nil
}

func round(x float64) float64 { return float64(int64(x*100+0.5)) / 100 }

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
