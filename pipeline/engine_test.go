package pipeline_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/awsclient"
	"github.com/rampart-cspm/rampart/awssim"
	"github.com/rampart-cspm/rampart/internal/scantest"
)

const (
	prod    = "900000000002"
	dev     = "900000000003"
	noRole  = "900000000004"
	ssh22   = "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22"
	public  = "s3_bucket_public_access"
	userMFA = "iam_user_mfa_enabled_console_access"
)

func smallEstate(t *testing.T) *awssim.Estate {
	t.Helper()
	e, err := awssim.LoadEstate("testdata/small.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func failing(list []rampart.Finding, control string) []rampart.Finding {
	var out []rampart.Finding
	for _, f := range list {
		if f.ControlID == control && f.Status == rampart.StatusFail {
			out = append(out, f)
		}
	}
	return out
}

func TestSameMisconfigurationInTwoRegionsIsTwoFindings(t *testing.T) {
	h := scantest.Start(t, smallEstate(t), scantest.Options{})
	h.Scan(t)
	got := failing(h.Findings(t, rampart.FindingFilter{AccountID: prod}), ssh22)
	if len(got) != 2 {
		t.Fatalf("got %d SSH findings in %s, want 2 (us-east-1 and eu-west-1): %+v", len(got), prod, got)
	}
	regions := []string{got[0].Region, got[1].Region}
	sort.Strings(regions)
	if !reflect.DeepEqual(regions, []string{"eu-west-1", "us-east-1"}) || got[0].FindingID == got[1].FindingID {
		t.Errorf("regions %v ids %s %s: want two distinct findings in eu-west-1 and us-east-1", regions, got[0].FindingID, got[1].FindingID)
	}
}

func TestRescanCreatesNoDuplicates(t *testing.T) {
	h := scantest.Start(t, smallEstate(t), scantest.Options{})
	h.Scan(t)
	first := h.Findings(t, rampart.FindingFilter{})
	t0 := h.Clock.Now()
	h.Clock.Advance(24 * time.Hour)
	rep := h.Scan(t)
	second := h.Findings(t, rampart.FindingFilter{})
	if len(first) == 0 || len(first) != len(second) {
		t.Fatalf("rows: %d after first scan, %d after second; want equal and non-zero", len(first), len(second))
	}
	if rep.LandingZones[0].Stats.Detected != 0 || rep.LandingZones[0].Stats.Seen == 0 {
		t.Errorf("second scan stats %+v: want 0 detected and seen events", rep.LandingZones[0].Stats)
	}
	byID := map[string]rampart.Finding{}
	for _, f := range first {
		byID[f.FindingID] = f
	}
	for _, f := range second {
		prev, ok := byID[f.FindingID]
		if !ok {
			t.Fatalf("finding %s appeared only in the second scan", f.FindingID)
		}
		if f.Status == rampart.StatusNotEvaluated {
			continue
		}
		if !f.FirstSeenAt.Equal(prev.FirstSeenAt) || !f.FirstSeenAt.Equal(t0) {
			t.Errorf("%s: first_seen_at moved from %v to %v", f.FindingID, prev.FirstSeenAt, f.FirstSeenAt)
		}
		if !f.LastSeenAt.After(prev.LastSeenAt) {
			t.Errorf("%s: last_seen_at did not advance (%v → %v)", f.FindingID, prev.LastSeenAt, f.LastSeenAt)
		}
	}
}

func eventTypes(t *testing.T, h *scantest.Harness, id string) []rampart.EventType {
	t.Helper()
	evs, err := h.Store.ListFindingEvents(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []rampart.EventType
	for _, e := range evs {
		if e.Type != rampart.EventSeen {
			out = append(out, e.Type)
		}
	}
	return out
}

// findingIn returns the finding of control in account and region whose
// resource is the bastion group, the bucket or the user of the test estate.
func findingIn(t *testing.T, h *scantest.Harness, account, region, control string) rampart.Finding {
	t.Helper()
	for _, f := range h.Findings(t, rampart.FindingFilter{AccountID: account, ControlID: control}) {
		if f.Region == region && (f.Service != "ec2" || strings.Contains(f.StatusExtended, "(bastion)")) {
			return f
		}
	}
	t.Fatalf("no %s finding in %s %s", control, account, region)
	return rampart.Finding{}
}

func setBastion(open bool, region string) func(*awssim.Estate) {
	return func(e *awssim.Estate) {
		for _, sg := range e.Account(prod).EC2[region].SecurityGroups {
			if sg.Name == "bastion" {
				if open {
					p := 22
					sg.Ingress = []awssim.Rule{{Protocol: "tcp", Port: &p, FromPort: &p, ToPort: &p, CIDRs: []string{"0.0.0.0/0"}}}
				} else {
					sg.Ingress = nil
				}
			}
		}
	}
}

func TestResolveAndReopen(t *testing.T) {
	h := scantest.Start(t, smallEstate(t), scantest.Options{})
	h.Scan(t)

	h.Sim.Mutate(setBastion(false, "us-east-1"))
	h.Clock.Advance(time.Hour)
	h.Scan(t)
	us := findingIn(t, h, prod, "us-east-1", ssh22)
	eu := findingIn(t, h, prod, "eu-west-1", ssh22)
	if us.ResolvedAt == nil || !us.ResolvedAt.Equal(h.Clock.Now()) || us.Status != rampart.StatusPass {
		t.Errorf("fixed us-east-1 finding: status %s resolved_at %v, want PASS resolved now", us.Status, us.ResolvedAt)
	}
	if eu.ResolvedAt != nil || eu.Status != rampart.StatusFail {
		t.Errorf("eu-west-1 finding: status %s resolved_at %v, want still open", eu.Status, eu.ResolvedAt)
	}

	h.Sim.Mutate(setBastion(true, "us-east-1"))
	h.Clock.Advance(time.Hour)
	h.Scan(t)
	us = findingIn(t, h, prod, "us-east-1", ssh22)
	if us.ResolvedAt != nil || us.Status != rampart.StatusFail {
		t.Errorf("regressed finding: status %s resolved_at %v, want FAIL and open", us.Status, us.ResolvedAt)
	}
	if got, want := eventTypes(t, h, us.FindingID), []rampart.EventType{rampart.EventDetected, rampart.EventResolved, rampart.EventReopened}; !reflect.DeepEqual(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
}

func TestDeletedResourceIsResolvedByAbsence(t *testing.T) {
	h := scantest.Start(t, smallEstate(t), scantest.Options{})
	h.Scan(t)
	h.Sim.Mutate(func(e *awssim.Estate) { e.Account(prod).S3 = nil })
	h.Clock.Advance(time.Hour)
	h.Scan(t)
	f := findingIn(t, h, prod, "eu-west-1", public)
	if f.ResolvedAt == nil {
		t.Errorf("finding of a deleted bucket not resolved")
	}
}

func TestPartialUnitDoesNotResolveWhatItCouldNotSee(t *testing.T) {
	h := scantest.Start(t, smallEstate(t), scantest.Options{})
	h.Scan(t)
	// The bucket is fixed, but S3 listing is denied: the s3 service fails,
	// IAM still completes. The open S3 finding must not be resolved.
	h.Sim.Mutate(func(e *awssim.Estate) { e.Account(prod).S3[0].Policy = "" })
	if err := h.Sim.SetFaults([]awssim.Fault{{Account: prod, Service: "s3", Operation: "ListBuckets", Kind: awssim.FaultAccessDenied}}); err != nil {
		t.Fatal(err)
	}
	h.Sim.Mutate(func(e *awssim.Estate) { e.Account(prod).IAM.Users[0].MFA = true })
	h.Clock.Advance(time.Hour)
	h.Scan(t)

	units := unitsOf(t, h, prod, rampart.GlobalRegion)
	if units.State != rampart.UnitPartial || units.ErrorClass != rampart.ErrClassAccessDenied {
		t.Fatalf("global unit: %s/%s, want partial/access_denied", units.State, units.ErrorClass)
	}
	if f := findingIn(t, h, prod, "eu-west-1", public); f.ResolvedAt != nil || f.Status != rampart.StatusFail {
		t.Errorf("S3 finding resolved by a unit whose S3 scan failed: %+v", f)
	}
	if f := findingIn(t, h, prod, rampart.GlobalRegion, userMFA); f.ResolvedAt == nil {
		t.Errorf("IAM finding not resolved although IAM completed")
	}
	var ne []rampart.Finding
	for _, f := range h.Findings(t, rampart.FindingFilter{AccountID: prod, Service: "s3", Statuses: []rampart.Status{rampart.StatusNotEvaluated}, OnlyOpen: true}) {
		if f.ErrorClass == rampart.ErrClassAccessDenied {
			ne = append(ne, f)
		}
	}
	if len(ne) == 0 {
		t.Errorf("no NOT_EVALUATED access_denied rows for the S3 checks that could not run")
	}

	// Access restored: now the fix is seen and resolves.
	if err := h.Sim.SetFaults(nil); err != nil {
		t.Fatal(err)
	}
	h.Clock.Advance(time.Hour)
	h.Scan(t)
	if f := findingIn(t, h, prod, "eu-west-1", public); f.ResolvedAt == nil {
		t.Errorf("S3 finding not resolved after a complete scan saw the fix")
	}
}

func unitsOf(t *testing.T, h *scantest.Harness, account, region string) rampart.ScanUnit {
	t.Helper()
	scans, err := h.Store.ListScans(context.Background(), "", 1)
	if err != nil || len(scans) == 0 {
		t.Fatalf("scans: %v %d", err, len(scans))
	}
	units, err := h.Store.ListUnits(context.Background(), scans[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range units {
		if u.AccountID == account && u.Region == region {
			return u
		}
	}
	t.Fatalf("no unit %s/%s in scan %s", account, region, scans[0].ID)
	return rampart.ScanUnit{}
}

func TestErrorClasses(t *testing.T) {
	tests := []struct {
		name      string
		faults    []awssim.Fault
		opts      scantest.Options
		account   string
		region    string
		wantState rampart.UnitState
		wantClass rampart.ErrorClass
	}{
		{name: "credentials: audit role missing", account: noRole, region: rampart.GlobalRegion,
			wantState: rampart.UnitFailed, wantClass: rampart.ErrClassCredentials},
		{name: "region_disabled: opt-in region not enabled", account: dev, region: "ap-east-1",
			opts:      scantest.Options{Regions: []string{"us-east-1", "ap-east-1"}},
			wantState: rampart.UnitSkipped, wantClass: rampart.ErrClassRegionDisabled},
		{name: "access_denied on one service", account: prod, region: rampart.GlobalRegion,
			faults:    []awssim.Fault{{Account: prod, Service: "iam", Operation: "ListUsers", Kind: awssim.FaultAccessDenied}},
			wantState: rampart.UnitPartial, wantClass: rampart.ErrClassAccessDenied},
		// Only the security groups are throttled: the other parts of the
		// unit (networking's other parts, compute, cost) still complete.
		{name: "throttling that never ends", account: prod, region: "eu-west-1",
			faults:    []awssim.Fault{{Account: prod, Region: "eu-west-1", Service: "ec2", Operation: "DescribeSecurityGroups", Kind: awssim.FaultThrottle}},
			opts:      scantest.Options{MaxAttempts: 2, UnitRetries: 1},
			wantState: rampart.UnitPartial, wantClass: rampart.ErrClassThrottling},
		{name: "service_error", account: prod, region: rampart.GlobalRegion,
			faults:    []awssim.Fault{{Account: prod, Service: "s3", Operation: "ListBuckets", Kind: awssim.FaultInternalError}},
			opts:      scantest.Options{MaxAttempts: 2},
			wantState: rampart.UnitPartial, wantClass: rampart.ErrClassServiceError},
		{name: "timeout", account: prod, region: "eu-west-1",
			faults:    []awssim.Fault{{Account: prod, Region: "eu-west-1", Service: "ec2", Kind: awssim.FaultLatency, Latency: 5 * time.Second}},
			opts:      scantest.Options{UnitTimeout: 300 * time.Millisecond, MaxAttempts: 1},
			wantState: rampart.UnitFailed, wantClass: rampart.ErrClassTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := scantest.Start(t, smallEstate(t), tt.opts)
			if err := h.Sim.SetFaults(tt.faults); err != nil {
				t.Fatal(err)
			}
			h.Scan(t)
			u := unitsOf(t, h, tt.account, tt.region)
			if u.State != tt.wantState || u.ErrorClass != tt.wantClass {
				t.Fatalf("unit %s: %s/%s (%s), want %s/%s", u.ID, u.State, u.ErrorClass, u.Error, tt.wantState, tt.wantClass)
			}
			// Every check that could not run is NOT_EVALUATED with the class.
			var rows int
			for _, f := range h.Findings(t, rampart.FindingFilter{AccountID: tt.account, Statuses: []rampart.Status{rampart.StatusNotEvaluated}}) {
				if f.Scope == tt.region && f.ErrorClass == tt.wantClass {
					rows++
				}
			}
			if rows == 0 {
				t.Errorf("no NOT_EVALUATED rows with class %s in %s/%s", tt.wantClass, tt.account, tt.region)
			}
			// The other units are unaffected.
			other := unitsOf(t, h, "900000000001", rampart.GlobalRegion)
			if other.State != rampart.UnitSucceeded {
				t.Errorf("management account global unit: %s/%s, want succeeded", other.State, other.ErrorClass)
			}
		})
	}
}

func TestThrottlingIsRetriedWithBackoff(t *testing.T) {
	h := scantest.Start(t, smallEstate(t), scantest.Options{MaxAttempts: 5})
	if err := h.Sim.SetFaults([]awssim.Fault{{Account: prod, Region: "us-east-1", Service: "ec2", Operation: "DescribeSecurityGroups", Kind: awssim.FaultThrottle, Count: 3}}); err != nil {
		t.Fatal(err)
	}
	h.Scan(t)
	u := unitsOf(t, h, prod, "us-east-1")
	if u.State != rampart.UnitSucceeded {
		t.Fatalf("unit %s/%s, want succeeded after retries", u.State, u.ErrorClass)
	}
	var throttled, ok int
	var times []time.Time
	for _, c := range h.Sim.Calls() {
		if c.Account == prod && c.Region == "us-east-1" && c.Operation == "DescribeSecurityGroups" {
			times = append(times, c.Start)
			if c.ErrorCode == "RequestLimitExceeded" {
				throttled++
			} else if c.Status == 200 {
				ok++
			}
		}
	}
	if throttled != 3 || ok < 1 {
		t.Errorf("simulator saw %d throttled and %d successful calls, want 3 and ≥1", throttled, ok)
	}
	if len(findingIn(t, h, prod, "us-east-1", ssh22).FindingID) == 0 {
		t.Error("finding lost after throttling")
	}
}

func TestPerLandingZoneCapCountedBySimulator(t *testing.T) {
	for _, capN := range []int{1, 2} {
		estate := awssim.DemoEstate()
		h := scantest.Start(t, estate, scantest.Options{MaxAccounts: capN, Latency: 3 * time.Millisecond})
		h.Scan(t)
		calls := h.Sim.Calls()
		// Only calls made inside member accounts count: AssumeRole and
		// Organizations calls are made by the management account.
		var scanCalls []awssim.Call
		for _, c := range calls {
			if c.Service != "sts" && c.Service != "organizations" {
				scanCalls = append(scanCalls, c)
			}
		}
		for _, org := range estate.Organizations {
			accounts := map[string]bool{}
			for _, a := range org.Accounts {
				accounts[a.ID] = true
			}
			got := awssim.MaxConcurrentAccounts(scanCalls, accounts)
			if got > capN {
				t.Errorf("cap %d: %s had %d accounts in flight at once", capN, org.Name, got)
			}
			if capN > 1 && got < 2 {
				t.Errorf("cap %d: %s never scanned accounts in parallel (max %d)", capN, org.Name, got)
			}
		}
	}
}

func TestScannerMakesNoMutatingCalls(t *testing.T) {
	h := scantest.Start(t, awssim.DemoEstate(), scantest.Options{Regions: []string{"us-east-1", "eu-west-1", "ap-east-1"}})
	h.Scan(t)
	calls := h.Sim.Calls()
	if len(calls) < 100 {
		t.Fatalf("only %d calls recorded", len(calls))
	}
	if m := awssim.MutatingCalls(calls); len(m) != 0 {
		t.Errorf("%d mutating calls, first %+v", len(m), m[0])
	}
}

func TestReadOnlyGuardRefusesMutatingCallBeforeSending(t *testing.T) {
	h := scantest.Start(t, smallEstate(t), scantest.Options{})
	lz := h.Config.LandingZones[0]
	base, err := h.Engine.AWS.Base(context.Background(), lz.Profile, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	cfg := h.Engine.AWS.ForAccount(base, prod, lz.AuditRoleName, lz.ExternalID, "us-east-1")
	h.Sim.ResetCalls()
	_, err = ec2.NewFromConfig(cfg).AuthorizeSecurityGroupIngress(context.Background(), &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String("sg-1")})
	if !errors.Is(err, awsclient.ErrMutatingCall) {
		t.Errorf("AuthorizeSecurityGroupIngress: %v, want ErrMutatingCall", err)
	}
	_, err = s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).DeleteBucket(context.Background(), &s3.DeleteBucketInput{Bucket: aws.String("shop-public")})
	if !errors.Is(err, awsclient.ErrMutatingCall) {
		t.Errorf("DeleteBucket: %v, want ErrMutatingCall", err)
	}
	for _, c := range h.Sim.Calls() {
		if c.Service != "sts" {
			t.Errorf("a refused call reached the simulator: %+v", c)
		}
	}
}

func TestReindexReproducesFindings(t *testing.T) {
	h := scantest.Start(t, smallEstate(t), scantest.Options{})
	h.Scan(t)
	h.Sim.Mutate(setBastion(false, "us-east-1"))
	h.Clock.Advance(time.Hour)
	h.Scan(t)
	h.Sim.Mutate(setBastion(true, "us-east-1"))
	h.Clock.Advance(time.Hour)
	h.Scan(t)
	dump := func() string {
		list := h.Findings(t, rampart.FindingFilter{})
		sort.Slice(list, func(i, j int) bool { return list[i].FindingID < list[j].FindingID })
		b, _ := json.Marshal(list)
		return string(b)
	}
	before := dump()
	n, err := h.Store.Reindex(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if after := dump(); after != before || n == 0 {
		t.Errorf("reindex of %d rows changed the findings table", n)
	}
}

func TestSuspendedAccountsAreReportedNotScanned(t *testing.T) {
	h := scantest.Start(t, smallEstate(t), scantest.Options{})
	rep := h.Scan(t)
	lr := rep.LandingZones[0]
	if len(lr.AccountsSkipped) != 1 || lr.AccountsSkipped[0].ID != "900000000005" {
		t.Errorf("skipped accounts %+v, want the suspended 900000000005", lr.AccountsSkipped)
	}
	if lr.Accounts != 4 {
		t.Errorf("scanned %d accounts, want 4", lr.Accounts)
	}
	for _, c := range h.Sim.Calls() {
		if c.Account == "900000000005" {
			t.Errorf("call made in the suspended account: %+v", c)
		}
	}
}

// countingStore counts the per-account finding reads of a run (the risk
// scorer's first-seen lookups).
type countingStore struct {
	rampart.Store
	mu       sync.Mutex
	accounts map[string]int
}

func (s *countingStore) ListFindings(ctx context.Context, f rampart.FindingFilter) ([]rampart.Finding, error) {
	if f.AccountID != "" {
		s.mu.Lock()
		s.accounts[f.AccountID]++
		s.mu.Unlock()
	}
	return s.Store.ListFindings(ctx, f)
}

func TestFirstSeenIsReadOncePerAccountAndStillAgesFindings(t *testing.T) {
	h := scantest.Start(t, smallEstate(t), scantest.Options{})
	h.Scan(t)
	before := map[string]rampart.Finding{}
	for _, f := range h.Findings(t, rampart.FindingFilter{Statuses: []rampart.Status{rampart.StatusFail}}) {
		before[f.FindingID] = f
	}
	cs := &countingStore{Store: h.Engine.Store, accounts: map[string]int{}}
	h.Engine.Store = cs
	h.Clock.Advance(10 * 24 * time.Hour)
	h.Scan(t)

	// Each account has a global unit and two regional ones: one read each.
	if len(cs.accounts) == 0 {
		t.Fatal("no first-seen lookup at all")
	}
	for acct, n := range cs.accounts {
		if n != 1 {
			t.Errorf("account %s: findings read %d times in one run, want 1", acct, n)
		}
	}
	// The scores still come from the stored first_seen_at: a due date is
	// first seen + SLA, so it does not move with the second scan.
	due := 0
	for _, f := range h.Findings(t, rampart.FindingFilter{Statuses: []rampart.Status{rampart.StatusFail}}) {
		prev, ok := before[f.FindingID]
		if !ok || prev.DueAt == nil {
			continue
		}
		due++
		if f.DueAt == nil || !f.DueAt.Equal(*prev.DueAt) {
			t.Errorf("%s: due %v after the rescan, was %v", f.FindingID, f.DueAt, prev.DueAt)
		}
	}
	if due == 0 {
		t.Error("no FAIL finding with a due date: the case tests nothing")
	}
}

// concurrentCommits counts the units committing at once. The first
// commit waits (up to a second) for another one to start, so that
// commits overlap whenever nothing stops them.
type concurrentCommits struct {
	rampart.Store
	mu        sync.Mutex
	now, most int
	first     sync.Once
	second    chan struct{}
}

func (s *concurrentCommits) CommitUnit(ctx context.Context, res rampart.UnitResult) (rampart.CommitStats, error) {
	s.mu.Lock()
	s.now++
	s.most = max(s.most, s.now)
	if s.now == 2 {
		select {
		case <-s.second:
		default:
			close(s.second)
		}
	}
	s.mu.Unlock()
	s.first.Do(func() {
		select {
		case <-s.second:
		case <-time.After(time.Second):
		}
	})
	defer func() {
		s.mu.Lock()
		s.now--
		s.mu.Unlock()
	}()
	return s.Store.CommitUnit(ctx, res)
}

func TestMaxConcurrentCommits(t *testing.T) {
	for _, tc := range []struct {
		cap     int
		wantMax func(int) bool
	}{
		{0, func(n int) bool { return n > 1 }}, // no cap: results commit side by side
		{1, func(n int) bool { return n == 1 }},
	} {
		h := scantest.Start(t, smallEstate(t), scantest.Options{})
		cs := &concurrentCommits{Store: h.Engine.Store, second: make(chan struct{})}
		h.Engine.Store = cs
		h.Engine.MaxConcurrentCommits = tc.cap
		rep := h.Scan(t)
		if !tc.wantMax(cs.most) {
			t.Errorf("MaxConcurrentCommits %d: %d units committed at once", tc.cap, cs.most)
		}
		for _, lr := range rep.LandingZones {
			if n := lr.Units[rampart.UnitPending] + lr.Units[rampart.UnitRunning]; n > 0 {
				t.Errorf("MaxConcurrentCommits %d: lz %s left %d units uncommitted", tc.cap, lr.LandingZone.ID, n)
			}
		}
	}
}
