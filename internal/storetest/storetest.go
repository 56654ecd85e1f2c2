// Package storetest is the conformance suite every rampart.Store and
// rampart.ArtifactStore implementation runs from its own tests:
//
//	func TestStore(t *testing.T) { storetest.Run(t, openTestStore) }
//
// The suite passes every time explicitly (observation times, start times),
// so it never sleeps and never depends on the wall clock.
package storetest

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/rampart-cspm/rampart"
)

// T0 is the suite's epoch; every time it passes is T0 plus whole minutes.
var T0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// at returns T0 plus n minutes.
func at(n int) time.Time { return T0.Add(time.Duration(n) * time.Minute) }

const (
	lzA      = "lz-a"
	acct1    = "111111111111"
	acct2    = "222222222222"
	euWest1  = "eu-west-1"
	usEast1  = "us-east-1"
	s3Svc    = "s3"
	ec2Svc   = "ec2"
	ctlS3Pub = "s3_bucket_public_access"
	ctlS3Enc = "s3_bucket_default_encryption"
	ctlEC2SG = "ec2_securitygroup_allow_ingress_from_internet"
)

// Run runs the store conformance suite. open must return a new, empty
// store for each call and arrange for it to be closed (t.Cleanup).
func Run(t *testing.T, open func(t *testing.T) rampart.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s rampart.Store)
	}{
		{"LandingZonesAndAccounts", testAccounts},
		{"ScanAndUnitLifecycle", testScanLifecycle},
		{"FirstCommitDetects", testFirstCommitDetects},
		{"RescanCreatesNoDuplicates", testRescan},
		{"PassResolvesAndFailReopens", testResolveReopen},
		{"ChangedAttributes", testChanged},
		{"AbsentInCompleteScanResolves", testAbsentResolves},
		{"PartialUnitKeepsFailedServiceRows", testPartialUnit},
		{"ErroredCheckKeepsItsRows", testChecksErrored},
		{"FailedUnitResolvesNothing", testFailedUnit},
		{"NotEvaluatedNeverOverwritesFail", testNotEvaluated},
		{"TwoRegionsStayTwoFindings", testTwoRegions},
		{"DuplicateObservationsKeepLast", testDuplicateObservations},
		{"CommitTwiceConflicts", testCommitTwice},
		{"CommitRejectsMismatchedResult", testCommitInvalid},
		{"FailedCommitWritesNothing", testAtomic},
		{"CancelledCommitWritesNothing", testCancelled},
		{"ConcurrentCommits", testConcurrentCommits},
		{"EventsAppendOnlyAndOrdered", testEventsOrdered},
		{"ListFindingsFilters", testListFindings},
		{"GetFindingNotFound", testGetFindingNotFound},
		{"Artifacts", testArtifactPointers},
		{"ReindexReproducesFindings", testReindex},
		{"MutedFindingsKeptAndFiltered", testMuted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, open(t))
		})
	}
}

// ---- helpers ----

// wantCode fails unless err carries the domain error code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	if got := rampart.ErrorCode(err); got != code {
		t.Fatalf("got error code %q (%v), want %q", got, err, code)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func upsertLZ(t *testing.T, s rampart.Store, id string) {
	t.Helper()
	must(t, s.UpsertLandingZone(context.Background(), rampart.LandingZone{
		ID: id, Name: "Landing zone " + id, Cloud: rampart.CloudAWS, Regions: []string{euWest1, usEast1},
		AuditRoleName: "RampartAudit", ScanEnabled: true, Schedule: "@every 1h",
		SLADays:  map[rampart.Severity]int{rampart.SeverityCritical: 7},
		Accounts: rampart.AccountSource{Source: rampart.AccountSourceStatic},
	}))
}

// finding returns an observation with its ID computed.
func finding(scanID, account, region, service, resource, control string, status rampart.Status) rampart.Finding {
	f := rampart.Finding{
		ScanID: scanID, LandingZoneID: lzA, AccountID: account, AccountName: "acct-" + account,
		Region: region, CloudProvider: rampart.CloudAWS,
		ResourceID: resource, ResourceType: "AwsResource", ResourceName: resource, Service: service,
		ControlID: control, Title: "Title of " + control, Severity: rampart.SeverityHigh, Status: status,
		RiskScore: 70, RiskReason: "internet facing", Remediation: "fix it",
		Framework: "CIS", RequirementID: "2.1.1", OwnerTeam: "platform", BusinessUnit: "bu", Environment: "prod",
		StatusExtended: fmt.Sprintf("%s is %s", resource, status),
	}
	if status == rampart.StatusNotEvaluated {
		f.ErrorClass = rampart.ErrClassAccessDenied
	}
	f.ComputeID()
	return f
}

func ok(service string) rampart.ServiceResult {
	return rampart.ServiceResult{Service: service, Status: rampart.ServiceOK, ChecksRun: 3}
}

func failed(service string, class rampart.ErrorClass) rampart.ServiceResult {
	return rampart.ServiceResult{Service: service, Status: rampart.ServiceFailed, ErrorClass: class, Error: "denied"}
}

// env runs scans against one store with one landing zone.
type env struct {
	t      *testing.T
	s      rampart.Store
	prefix string // of scan IDs; "scan" when empty
	scans  int
}

func newEnv(t *testing.T, s rampart.Store) *env {
	upsertLZ(t, s, lzA)
	return &env{t: t, s: s}
}

// scan creates a scan with one pending unit per (account, region) pair and
// returns the scan ID and the units.
func (e *env) scan(pairs ...[2]string) (string, []rampart.ScanUnit) {
	e.t.Helper()
	e.scans++
	prefix := e.prefix
	if prefix == "" {
		prefix = "scan"
	}
	id := fmt.Sprintf("%s-%03d", prefix, e.scans)
	var units []rampart.ScanUnit
	for _, p := range pairs {
		units = append(units, rampart.ScanUnit{ID: rampart.UnitID(id, p[0], p[1]), ScanID: id,
			LandingZoneID: lzA, AccountID: p[0], Region: p[1], State: rampart.UnitPending})
	}
	must(e.t, e.s.CreateScan(context.Background(), rampart.Scan{ID: id, LandingZoneID: lzA,
		Scanner: "native", Status: rampart.UnitRunning, StartedAt: at(e.scans * 10)}, units))
	return id, units
}

// run creates a one-unit scan of (account, region), marks the unit running
// and commits a result with the given state, services and findings, made
// by mk from the scan ID, at minute n.
func (e *env) run(n int, account, region string, state rampart.UnitState, services []rampart.ServiceResult,
	mk func(scanID string) []rampart.Finding) (string, rampart.CommitStats) {
	e.t.Helper()
	scanID, units := e.scan([2]string{account, region})
	u := units[0]
	must(e.t, e.s.MarkUnitRunning(context.Background(), u.ID, at(n)))
	u.State, u.Services = state, services
	var fs []rampart.Finding
	if mk != nil {
		fs = mk(scanID)
	}
	stats, err := e.s.CommitUnit(context.Background(), rampart.UnitResult{Unit: u, Findings: fs, At: at(n)})
	must(e.t, err)
	return scanID, stats
}

func (e *env) get(id string) rampart.Finding {
	e.t.Helper()
	f, err := e.s.GetFinding(context.Background(), id)
	must(e.t, err)
	return f
}

func (e *env) all() []rampart.Finding {
	e.t.Helper()
	fs, err := e.s.ListFindings(context.Background(), rampart.FindingFilter{})
	must(e.t, err)
	return fs
}

func (e *env) events(id string) []rampart.FindingEvent {
	e.t.Helper()
	evs, err := e.s.ListFindingEvents(context.Background(), id)
	must(e.t, err)
	return evs
}

func eventTypes(evs []rampart.FindingEvent) []rampart.EventType {
	var out []rampart.EventType
	for _, ev := range evs {
		out = append(out, ev.Type)
	}
	return out
}

func wantStats(t *testing.T, got, want rampart.CommitStats) {
	t.Helper()
	if got != want {
		t.Fatalf("commit stats = %+v, want %+v", got, want)
	}
}

func wantTypes(t *testing.T, evs []rampart.FindingEvent, want ...rampart.EventType) {
	t.Helper()
	if got := eventTypes(evs); !reflect.DeepEqual(got, want) {
		t.Fatalf("event types = %v, want %v", got, want)
	}
}

func wantOpen(t *testing.T, f rampart.Finding, open bool) {
	t.Helper()
	if f.Open() != open {
		t.Fatalf("finding %s (%s %s): open = %v, want %v (status %s, resolved_at %v)",
			f.FindingID, f.ControlID, f.Region, f.Open(), open, f.Status, f.ResolvedAt)
	}
}

func sameTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}
