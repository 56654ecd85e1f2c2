// Package pipeline is Rampart's scan pipeline: enumerate a landing zone's
// accounts (AWS Organizations or a static list) and regions, plan one scan
// unit per (account, region) plus one "global" unit per account, hand the
// plan to a dispatcher, scan each unit with the native modules in the
// member account's audit role, normalize results into the shared finding
// schema, keep raw output in the artifact store, and commit each unit
// atomically to the store.
package pipeline

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/checks"
	"github.com/rampart-cspm/rampart/dispatch"
	"github.com/rampart-cspm/rampart/risk"
)

// AWS is what the pipeline needs from the AWS edge (awsclient.Factory).
type AWS interface {
	Base(ctx context.Context, profile, region string) (aws.Config, error)
	ForAccount(base aws.Config, accountID, roleName, externalID, region string) aws.Config
	S3UsePathStyle() bool
}

// Enumerator lists accounts and regions (awsclient.ListAccounts/Regions
// over SDK clients made from a config).
type Enumerator interface {
	Accounts(ctx context.Context, cfg aws.Config, ous []string) ([]rampart.Account, error)
	Regions(ctx context.Context, cfg aws.Config) (enabled, disabled []string, err error)
}

// Engine runs scans. Its fields are its explicit dependencies.
type Engine struct {
	Store      rampart.Store
	Artifacts  rampart.ArtifactStore
	AWS        AWS
	Enumerate  Enumerator
	Registry   *checks.Registry
	Classify   func(error) rampart.ErrorClass
	HomeRegion string // region of global services, default us-east-1
	Now        func() time.Time
	Logger     *slog.Logger
	// Risk holds the risk policy findings are scored with; nil uses the
	// embedded default (risk.DefaultPolicy).
	Risk *risk.Holder
	// Mutelist mutes findings it matches (package mutelist): they are kept
	// with muted set and the entry's reason. nil mutes nothing.
	Mutelist Muter

	// Externals are scanners run in every unit beside the native modules
	// (a Prowler executable); their findings join the unit's result.
	Externals []External

	// NewDispatcher builds the dispatcher for a run over exec; nil uses
	// dispatch.NewLocal with DispatchOptions.
	NewDispatcher   func(exec dispatch.Executor) dispatch.Dispatcher
	DispatchOptions dispatch.Options
	// RateControl is each landing zone's dispatch policy:
	// dispatch.PolicyAdaptive or dispatch.PolicyFixed ("" = fixed).
	RateControl string
	// MaxConcurrentCommits caps the units committing to Store at once
	// (0: no cap). Set it to 1 for a store with a single writer (SQLite):
	// its writes queue first come, first served, so a unit about to start
	// (Store.MarkUnitRunning) would otherwise wait behind every result
	// already queued, and an account's global unit, the scan's critical
	// path, would start seconds late. With the cap, units waiting to
	// commit queue here instead, global units first, and a unit's start
	// waits for one commit at most.
	MaxConcurrentCommits int
}

// RunOptions select what a run scans.
type RunOptions struct {
	// Select reports whether a check runs; nil runs all.
	Select func(checkID string) bool
	// OnUnit is called after each unit commits.
	OnUnit func(res rampart.UnitResult)
}

// LZReport is the outcome of one landing zone's scan.
type LZReport struct {
	LandingZone       rampart.LandingZone
	Scan              rampart.Scan
	Accounts          int // active accounts scanned
	AccountsSkipped   []rampart.Account
	Units             map[rampart.UnitState]int
	UnitErrors        map[rampart.ErrorClass]int
	Stats             rampart.CommitStats
	EnumerationError  error
	OpenBySeverity    map[rampart.Severity]int
	NotEvaluatedCount int
	// NotEvaluatedByClass splits the open NOT_EVALUATED rows by error class.
	NotEvaluatedByClass map[rampart.ErrorClass]int
}

// Report is the outcome of a run.
type Report struct {
	LandingZones []*LZReport
	Started      time.Time
	Finished     time.Time
}

// lzRun is one landing zone during a run.
type lzRun struct {
	lz       rampart.LandingZone
	base     aws.Config
	accounts map[string]rampart.Account
	report   *LZReport
	scan     rampart.Scan
	units    []rampart.ScanUnit
}

// Run scans the given landing zones once and returns a report. An LZ whose
// enumeration fails is reported with its error; the others go on.
func (e *Engine) Run(ctx context.Context, lzs []rampart.LandingZone, opts RunOptions) (*Report, error) {
	e.defaults()
	rep := &Report{Started: e.Now()}
	r := newRun(e, opts)

	var plan dispatch.Plan
	// Landing zones are enumerated concurrently: one whose endpoint is slow
	// or down does not hold up the others.
	prepared := make([]*lzRun, len(lzs))
	errs := make([]error, len(lzs))
	var wg sync.WaitGroup
	for i, lz := range lzs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			prepared[i], errs[i] = e.prepare(ctx, lz)
		}()
	}
	wg.Wait()
	for i, lz := range lzs {
		lr, err := prepared[i], errs[i]
		rep.LandingZones = append(rep.LandingZones, lr.report)
		if err != nil {
			e.Logger.Error("enumeration failed", "lz", lz.ID, "error", err)
			continue
		}
		r.lzs[lz.ID] = lr
		for _, u := range lr.units {
			r.pending[accountKey(u.LandingZoneID, u.AccountID)]++
		}
		g := dispatch.Group{
			LandingZoneID:      lz.ID,
			MaxAccounts:        lz.MaxConcurrentAccounts,
			MaxUnitsPerAccount: lz.MaxConcurrentUnitsPerAccount,
			Units:              lr.units,
			Policy:             e.RateControl,
			Priority:           unitPriority,
		}
		if st, ok := e.AWS.(interface{ SharedThrottles(profile string) uint64 }); ok {
			profile := lz.Profile
			g.SharedThrottles = func() uint64 { return st.SharedThrottles(profile) }
		}
		plan.Groups = append(plan.Groups, g)
	}

	var d dispatch.Dispatcher
	if e.NewDispatcher != nil {
		d = e.NewDispatcher(r)
	} else {
		o := e.DispatchOptions
		o.Logger = e.Logger
		prev := o.OnDone
		o.OnDone = func(res rampart.UnitResult) {
			r.done(res)
			if prev != nil {
				prev(res)
			}
		}
		d = dispatch.NewLocal(r, o)
	}
	derr := d.Dispatch(ctx, plan)

	for _, lr := range r.lzs {
		if err := e.finish(ctx, lr); err != nil {
			derr = errors.Join(derr, err)
		}
	}
	rep.Finished = e.Now()
	return rep, derr
}

// unitPriority puts an account's global unit first when units wait for a
// place: it runs IAM, whose quota is one bucket per account for the whole
// account (no region spreads it), so it is the longest unit of an account
// and the critical path of a scan; regional units fill in around it.
func unitPriority(u rampart.ScanUnit) int {
	if u.Region == rampart.GlobalRegion {
		return 1
	}
	return 0
}

func (e *Engine) defaults() {
	if e.Now == nil {
		e.Now = time.Now
	}
	if e.Logger == nil {
		e.Logger = slog.New(slog.DiscardHandler)
	}
	if e.HomeRegion == "" {
		e.HomeRegion = "us-east-1"
	}
}

// prepare records the LZ, enumerates its accounts, creates its scan and
// units.
func (e *Engine) prepare(ctx context.Context, lz rampart.LandingZone) (*lzRun, error) {
	now := e.Now().UTC()
	lr := &lzRun{lz: lz, accounts: map[string]rampart.Account{}, report: &LZReport{
		LandingZone: lz, Units: map[rampart.UnitState]int{}, UnitErrors: map[rampart.ErrorClass]int{},
		OpenBySeverity: map[rampart.Severity]int{},
	}}
	lr.scan = rampart.Scan{ID: newScanID(now), LandingZoneID: lz.ID, Scanner: "native", Status: rampart.UnitRunning, StartedAt: now}
	lr.report.Scan = lr.scan
	fail := func(err error) (*lzRun, error) {
		lr.report.EnumerationError = err
		lr.scan.Status = rampart.UnitFailed
		lr.scan.Error = err.Error()
		lr.scan.FinishedAt = e.Now().UTC()
		lr.report.Scan = lr.scan
		if serr := e.Store.CreateScan(ctx, lr.scan, nil); serr == nil {
			_ = e.Store.FinishScan(ctx, lr.scan)
		}
		return lr, err
	}
	if err := e.Store.UpsertLandingZone(ctx, lz); err != nil {
		return fail(fmt.Errorf("lz %s: record landing zone: %w", lz.ID, err))
	}
	base, err := e.AWS.Base(ctx, lz.Profile, e.HomeRegion)
	if err != nil {
		return fail(fmt.Errorf("lz %s: load credentials (profile %q): %w", lz.ID, lz.Profile, classified(e.Classify, err)))
	}
	lr.base = base

	accounts, err := e.accounts(ctx, lz, base)
	if err != nil {
		return fail(fmt.Errorf("lz %s: enumerate accounts: %w", lz.ID, classified(e.Classify, err)))
	}
	if err := e.Store.ReplaceAccounts(ctx, lz.ID, accounts); err != nil {
		return fail(fmt.Errorf("lz %s: record accounts: %w", lz.ID, err))
	}
	for _, a := range accounts {
		if a.Status != "" && a.Status != "ACTIVE" {
			lr.report.AccountsSkipped = append(lr.report.AccountsSkipped, a)
			continue
		}
		lr.accounts[a.ID] = a
		lr.report.Accounts++
		for _, region := range append([]string{rampart.GlobalRegion}, lz.Regions...) {
			lr.units = append(lr.units, rampart.ScanUnit{
				ID: rampart.UnitID(lr.scan.ID, a.ID, region), ScanID: lr.scan.ID, LandingZoneID: lz.ID,
				AccountID: a.ID, Region: region, State: rampart.UnitPending,
			})
		}
	}
	if err := e.Store.CreateScan(ctx, lr.scan, lr.units); err != nil {
		return fail(fmt.Errorf("lz %s: create scan: %w", lz.ID, err))
	}
	for _, u := range lr.units {
		lr.report.Units[u.State]++
	}
	return lr, nil
}

// accounts enumerates an LZ's accounts and applies its overrides.
func (e *Engine) accounts(ctx context.Context, lz rampart.LandingZone, base aws.Config) ([]rampart.Account, error) {
	var out []rampart.Account
	switch lz.Accounts.Source {
	case rampart.AccountSourceStatic:
		for _, s := range lz.Accounts.Static {
			out = append(out, rampart.Account{ID: s.ID, Name: s.Name, Status: "ACTIVE"})
		}
	default:
		list, err := e.Enumerate.Accounts(ctx, base, lz.Accounts.OUs)
		if err != nil {
			return nil, err
		}
		out = list
	}
	now := e.Now().UTC()
	for i := range out {
		a := &out[i]
		a.LandingZoneID = lz.ID
		a.Environment, a.OwnerTeam, a.BusinessUnit = lz.Environment, lz.OwnerTeam, lz.BusinessUnit
		if o, ok := lz.Accounts.Override(a.ID); ok {
			if o.Name != "" {
				a.Name = o.Name
			}
			if o.Environment != "" {
				a.Environment = o.Environment
			}
			if o.OwnerTeam != "" {
				a.OwnerTeam = o.OwnerTeam
			}
		}
		a.UpdatedAt = now
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// finish computes and records the scan's final status and the LZ report.
func (e *Engine) finish(ctx context.Context, lr *lzRun) error {
	units, err := e.Store.ListUnits(ctx, lr.scan.ID)
	if err != nil {
		return fmt.Errorf("lz %s: list units: %w", lr.lz.ID, err)
	}
	rep := lr.report
	rep.Units = map[rampart.UnitState]int{}
	rep.UnitErrors = map[rampart.ErrorClass]int{}
	for _, u := range units {
		rep.Units[u.State]++
		if u.ErrorClass != "" {
			rep.UnitErrors[u.ErrorClass]++
		}
	}
	lr.scan.Status = ScanStatus(units)
	lr.scan.FinishedAt = e.Now().UTC()
	rep.Scan = lr.scan
	if err := e.Store.FinishScan(ctx, lr.scan); err != nil {
		return fmt.Errorf("lz %s: finish scan %s: %w", lr.lz.ID, lr.scan.ID, err)
	}
	open, err := e.Store.ListFindings(ctx, rampart.FindingFilter{LandingZoneID: lr.lz.ID, OnlyOpen: true,
		Statuses: []rampart.Status{rampart.StatusFail, rampart.StatusNotEvaluated}})
	if err != nil {
		return fmt.Errorf("lz %s: count findings: %w", lr.lz.ID, err)
	}
	for _, f := range open {
		if f.Status == rampart.StatusFail {
			rep.OpenBySeverity[f.Severity]++
		} else {
			rep.NotEvaluatedCount++
			if rep.NotEvaluatedByClass == nil {
				rep.NotEvaluatedByClass = map[rampart.ErrorClass]int{}
			}
			rep.NotEvaluatedByClass[f.ErrorClass]++
		}
	}
	return nil
}

// ScanStatus derives a scan's status from its units: succeeded when every
// unit succeeded or was skipped, failed when none produced anything,
// partial otherwise.
func ScanStatus(units []rampart.ScanUnit) rampart.UnitState {
	if len(units) == 0 {
		return rampart.UnitSucceeded
	}
	ok, failed, pending := 0, 0, 0
	for _, u := range units {
		switch u.State {
		case rampart.UnitSucceeded, rampart.UnitSkipped:
			ok++
		case rampart.UnitFailed:
			failed++
		case rampart.UnitPending, rampart.UnitRunning:
			pending++
		}
	}
	switch {
	case ok == len(units):
		return rampart.UnitSucceeded
	case failed+pending == len(units):
		return rampart.UnitFailed
	default:
		return rampart.UnitPartial
	}
}

func classified(classify func(error) rampart.ErrorClass, err error) error {
	var ce *rampart.ClassifiedError
	if errors.As(err, &ce) || classify == nil {
		return err
	}
	return &rampart.ClassifiedError{Class: classify(err), Err: err}
}

func newScanID(now time.Time) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return "scan_" + now.Format("20060102T150405Z") + "_" + hex.EncodeToString(b)
}

func newRun(e *Engine, opts RunOptions) *run {
	r := &run{e: e, opts: opts, lzs: map[string]*lzRun{}, regions: map[string]*regionCache{}, cfgs: map[string]aws.Config{},
		firstSeen: map[string]*firstSeenCache{}, pending: map[string]int{}}
	if e.MaxConcurrentCommits > 0 {
		r.commits = dispatch.NewSlots(e.MaxConcurrentCommits)
	}
	return r
}

func accountKey(lzID, accountID string) string { return lzID + "/" + accountID }

// run is the Executor of one Engine.Run.
type run struct {
	e    *Engine
	opts RunOptions
	lzs  map[string]*lzRun

	mu        sync.Mutex
	regions   map[string]*regionCache    // per account
	cfgs      map[string]aws.Config      // per account: one credential cache
	firstSeen map[string]*firstSeenCache // per landing zone and account
	pending   map[string]int             // units of an account not committed yet
	commits   *dispatch.Slots            // Engine.MaxConcurrentCommits; nil: no cap
}

type regionCache struct {
	once     sync.Once
	enabled  map[string]bool
	disabled map[string]bool
	err      error
}

func (r *run) done(res rampart.UnitResult) {
	if r.opts.OnUnit != nil {
		r.opts.OnUnit(res)
	}
}

// Start implements dispatch.Executor.
func (r *run) Start(ctx context.Context, u rampart.ScanUnit, attempt int) error {
	return r.e.Store.MarkUnitRunning(ctx, u.ID, r.e.Now().UTC())
}

// Commit implements dispatch.Executor.
func (r *run) Commit(ctx context.Context, res rampart.UnitResult) error {
	if r.commits != nil {
		if !r.commits.Acquire(ctx, unitPriority(res.Unit)) {
			return fmt.Errorf("commit unit %s: %w", res.Unit.ID, ctx.Err())
		}
		defer r.commits.Release()
	}
	stats, err := r.e.Store.CommitUnit(ctx, res)
	if err != nil {
		return err
	}
	r.mu.Lock()
	if lr := r.lzs[res.Unit.LandingZoneID]; lr != nil {
		lr.report.Stats.Add(stats)
	}
	// The account's last unit is in: its first-seen times are not needed
	// any more.
	key := accountKey(res.Unit.LandingZoneID, res.Unit.AccountID)
	if n, ok := r.pending[key]; ok {
		if n <= 1 {
			delete(r.pending, key)
			delete(r.firstSeen, key)
		} else {
			r.pending[key] = n - 1
		}
	}
	r.mu.Unlock()
	return nil
}

// accountConfig returns the member account's config for region, sharing
// one credential cache per account across its units.
func (r *run) accountConfig(lr *lzRun, accountID, region string) aws.Config {
	r.mu.Lock()
	cfg, ok := r.cfgs[accountID]
	if !ok {
		cfg = r.e.AWS.ForAccount(lr.base, accountID, lr.lz.AuditRoleName, lr.lz.ExternalID, r.e.HomeRegion)
		r.cfgs[accountID] = cfg
	}
	r.mu.Unlock()
	cfg = cfg.Copy()
	cfg.Region = region
	return cfg
}

func (r *run) regionsOf(ctx context.Context, accountID string, cfg aws.Config) *regionCache {
	r.mu.Lock()
	rc, ok := r.regions[accountID]
	if !ok {
		rc = &regionCache{}
		r.regions[accountID] = rc
	}
	r.mu.Unlock()
	rc.once.Do(func() {
		home := cfg.Copy()
		home.Region = r.e.HomeRegion
		en, dis, err := r.e.Enumerate.Regions(ctx, home)
		rc.err = err
		rc.enabled, rc.disabled = set(en), set(dis)
	})
	return rc
}

func set(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// Scan implements dispatch.Executor: it scans one unit and never fails
// outright; what went wrong is in the result's states and classes.
func (r *run) Scan(ctx context.Context, u rampart.ScanUnit, attempt int) rampart.UnitResult {
	e := r.e
	lr := r.lzs[u.LandingZoneID]
	acct := lr.accounts[u.AccountID]
	log := e.Logger.With("lz", u.LandingZoneID, "account", u.AccountID, "region", u.Region, "scan_id", u.ScanID)
	u.StartedAt = e.Now().UTC()
	u.Services = nil

	scope := checks.ScopeRegional
	clientRegion := u.Region
	if u.Region == rampart.GlobalRegion {
		scope = checks.ScopeGlobal
		clientRegion = e.HomeRegion
	}
	var mods []checks.Module
	for _, m := range e.Registry.Modules() {
		if m.Scope() == scope && r.anySelected(m) {
			mods = append(mods, m)
		}
	}
	cfg := r.accountConfig(lr, u.AccountID, clientRegion)

	var outcomes []modOutcome
	notEvaluatedAll := func(class rampart.ErrorClass, err error) {
		for _, m := range mods {
			res := checks.ModuleResult{Service: rampart.ServiceResult{Service: m.Name(), Status: rampart.ServiceFailed, ErrorClass: class, Error: err.Error()}}
			for _, c := range m.Checks() {
				if r.selected(c.ID) {
					res.Service.Checks = append(res.Service.Checks, c.ID)
					res.Checks = append(res.Checks, checks.NotEvaluated(c, "arn:aws:iam::"+u.AccountID+":root", class, err))
					res.Service.ChecksRun++
					res.Service.ChecksFailed++
				}
			}
			outcomes = append(outcomes, modOutcome{m, res})
		}
	}

	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		class := e.Classify(err)
		if class == rampart.ErrClassAccessDenied {
			class = rampart.ErrClassCredentials // the audit role cannot be assumed
		}
		err = fmt.Errorf("assume %s in %s: %w", lr.lz.AuditRoleName, u.AccountID, err)
		log.Warn("cannot get credentials for unit", "class", class, "error", err)
		notEvaluatedAll(class, err)
		return r.result(lr, acct, u, outcomes, rampart.UnitFailed, class, err.Error())
	}
	if scope == checks.ScopeRegional {
		rc := r.regionsOf(ctx, u.AccountID, cfg)
		switch {
		case rc.err != nil:
			log.Warn("cannot list regions; scanning anyway", "error", rc.err)
		case !rc.enabled[u.Region]:
			why := "region not enabled in this account"
			if !rc.disabled[u.Region] {
				why = "region not offered to this account"
			}
			err := errors.New(why)
			notEvaluatedAll(rampart.ErrClassRegionDisabled, err)
			return r.result(lr, acct, u, outcomes, rampart.UnitSkipped, rampart.ErrClassRegionDisabled, why)
		}
	}

	env := checks.Env{
		Config: cfg, AccountID: u.AccountID, Region: u.Region, HomeRegion: e.HomeRegion,
		S3UsePathStyle: e.AWS.S3UsePathStyle(), Classify: e.Classify, Now: e.Now, Logger: log,
	}
	runModule := func(m checks.Module) modOutcome {
		res := m.Run(ctx, env, r.selected)
		res.Service.Service = m.Name()
		res.Service.Checks = nil
		for _, c := range m.Checks() {
			if r.selected(c.ID) {
				res.Service.Checks = append(res.Service.Checks, c.ID)
			}
		}
		return modOutcome{m, res}
	}
	if scope == checks.ScopeGlobal {
		// A global unit's modules run side by side: each global service
		// has its own quota (IAM one per account, S3 its own), and IAM's,
		// the slowest of a scan, should not also wait for the others.
		// Regional modules share the region's EC2 quotas and run one
		// after the other.
		outs := make([]modOutcome, len(mods))
		var wg sync.WaitGroup
		for i, m := range mods {
			wg.Add(1)
			go func() {
				defer wg.Done()
				outs[i] = runModule(m)
			}()
		}
		wg.Wait()
		outcomes = append(outcomes, outs...)
	} else {
		for _, m := range mods {
			outcomes = append(outcomes, runModule(m))
		}
	}
	state, class, msg := unitState(outcomes)
	if ctx.Err() != nil && state != rampart.UnitSucceeded {
		class = rampart.ErrClassTimeout
	}
	return r.external(ctx, lr, acct, cfg, r.result(lr, acct, u, outcomes, state, class, msg))
}

type modOutcome struct {
	mod checks.Module
	res checks.ModuleResult
}

func (r *run) anySelected(m checks.Module) bool {
	for _, c := range m.Checks() {
		if r.selected(c.ID) {
			return true
		}
	}
	return false
}

func (r *run) selected(id string) bool { return r.opts.Select == nil || r.opts.Select(id) }

// unitState derives a unit's state from its modules: succeeded when every
// service completed with no check erroring and no NOT_EVALUATED row, failed
// when no service completed, partial otherwise. The class is the first
// failure's. A module whose API answered for some resources but not others
// (its rows NOT_EVALUATED with a class, the checks themselves not erroring)
// makes the unit partial too: the unit did not see everything.
func unitState(outs []modOutcome) (rampart.UnitState, rampart.ErrorClass, string) {
	okN, failN := 0, 0
	var class rampart.ErrorClass
	var msgs []string
	for _, o := range outs {
		s := o.res.Service
		notEval, notEvalClass := notEvaluatedChecks(o.res.Checks)
		if s.Status == rampart.ServiceOK && len(s.ChecksErrored) == 0 && len(notEval) == 0 {
			okN++
			continue
		}
		if s.Status == rampart.ServiceOK && len(s.ChecksErrored) == 0 {
			okN++
			if class == "" {
				class = notEvalClass
			}
			msg := "checks not evaluated: " + strings.Join(notEval, ",")
			if s.Error != "" {
				msg = s.Error + "; " + msg
			}
			msgs = append(msgs, s.Service+": "+msg)
			continue
		}
		if s.Status == rampart.ServiceOK {
			okN++
		} else {
			failN++
		}
		c := s.ErrorClass
		if c == "" {
			for _, co := range o.res.Checks {
				if co.ErrorClass != "" {
					c = co.ErrorClass
					break
				}
			}
		}
		if class == "" {
			class = c
		}
		msg := s.Error
		if msg == "" {
			msg = "checks errored: " + strings.Join(s.ChecksErrored, ",")
		}
		msgs = append(msgs, s.Service+": "+msg)
	}
	switch {
	case len(msgs) == 0:
		return rampart.UnitSucceeded, "", ""
	case okN == 0 && failN > 0:
		return rampart.UnitFailed, class, strings.Join(msgs, "; ")
	default:
		return rampart.UnitPartial, class, strings.Join(msgs, "; ")
	}
}

// notEvaluatedChecks returns the IDs of the checks with at least one
// NOT_EVALUATED row, and the error class of the first such row.
func notEvaluatedChecks(outs []checks.CheckOutcome) ([]string, rampart.ErrorClass) {
	var ids []string
	var class rampart.ErrorClass
	for _, co := range outs {
		for _, r := range co.Results {
			if r.Status == rampart.StatusNotEvaluated {
				ids = append(ids, co.Meta.ID)
				if class == "" {
					class = r.ErrorClass
				}
				break
			}
		}
	}
	if len(ids) > 0 && class == "" {
		class = rampart.ErrClassUnknown
	}
	return ids, class
}
