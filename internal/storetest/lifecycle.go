package storetest

import (
	"context"
	"reflect"
	"testing"

	"github.com/rampart-cspm/rampart"
)

var (
	fail = rampart.StatusFail
	pass = rampart.StatusPass
)

func s3Only() []rampart.ServiceResult { return []rampart.ServiceResult{ok(s3Svc)} }

// bucket returns a finding maker for one s3 bucket control in acct1/euWest1.
func bucket(resource, control string, status rampart.Status) func(string) []rampart.Finding {
	return func(scanID string) []rampart.Finding {
		return []rampart.Finding{finding(scanID, acct1, euWest1, s3Svc, resource, control, status)}
	}
}

func idOf(resource, control string) string {
	return rampart.FindingID(rampart.CloudAWS, lzA, acct1, euWest1, s3Svc, resource, control)
}

func testFirstCommitDetects(t *testing.T, s rampart.Store) {
	e := newEnv(t, s)
	scanID, stats := e.run(1, acct1, euWest1, rampart.UnitSucceeded, s3Only(), func(scanID string) []rampart.Finding {
		return []rampart.Finding{
			finding(scanID, acct1, euWest1, s3Svc, "bucket-1", ctlS3Pub, fail),
			finding(scanID, acct1, euWest1, s3Svc, "bucket-2", ctlS3Pub, pass),
		}
	})
	wantStats(t, stats, rampart.CommitStats{Detected: 2})
	want := finding(scanID, acct1, euWest1, s3Svc, "bucket-1", ctlS3Pub, fail)
	got := e.get(want.FindingID)
	if got.Scope != euWest1 {
		t.Fatalf("scope = %q, want the unit's region %q", got.Scope, euWest1)
	}
	sameTime(t, "first_seen_at", got.FirstSeenAt, at(1))
	sameTime(t, "last_seen_at", got.LastSeenAt, at(1))
	if got.ResolvedAt != nil {
		t.Fatalf("resolved_at = %v, want nil", got.ResolvedAt)
	}
	// Every other field is kept as observed.
	want.Scope, want.FirstSeenAt, want.LastSeenAt = got.Scope, got.FirstSeenAt, got.LastSeenAt
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("stored finding\n got %+v\nwant %+v", got, want)
	}
	evs := e.events(want.FindingID)
	wantTypes(t, evs, rampart.EventDetected)
	if ev := evs[0]; ev.ScanID != scanID || ev.UnitID != rampart.UnitID(scanID, acct1, euWest1) || ev.Snapshot == nil ||
		ev.Snapshot.Status != fail || !ev.At.Equal(at(1)) {
		t.Fatalf("detected event = %+v, want scan, unit, time and a FAIL snapshot", ev)
	}
	if n := len(e.all()); n != 2 {
		t.Fatalf("rows = %d, want 2", n)
	}
}

func testRescan(t *testing.T, s rampart.Store) {
	e := newEnv(t, s)
	e.run(1, acct1, euWest1, rampart.UnitSucceeded, s3Only(), bucket("bucket-1", ctlS3Pub, fail))
	second, stats := e.run(2, acct1, euWest1, rampart.UnitSucceeded, s3Only(), bucket("bucket-1", ctlS3Pub, fail))
	wantStats(t, stats, rampart.CommitStats{Seen: 1})
	third, _ := e.run(3, acct1, euWest1, rampart.UnitSucceeded, s3Only(), bucket("bucket-1", ctlS3Pub, fail))

	rows := e.all()
	if len(rows) != 1 {
		t.Fatalf("rows after three scans = %d, want 1", len(rows))
	}
	got := rows[0]
	sameTime(t, "first_seen_at", got.FirstSeenAt, at(1))
	sameTime(t, "last_seen_at", got.LastSeenAt, at(3))
	if got.ScanID != third || !got.Open() {
		t.Fatalf("row = %+v, want open, last scan %s", got, third)
	}
	evs := e.events(got.FindingID)
	wantTypes(t, evs, rampart.EventDetected, rampart.EventSeen, rampart.EventSeen)
	if evs[1].ScanID != second || evs[1].Snapshot != nil {
		t.Fatalf("seen event = %+v, want scan %s and no snapshot", evs[1], second)
	}
}

func testResolveReopen(t *testing.T, s rampart.Store) {
	e := newEnv(t, s)
	id := idOf("bucket-1", ctlS3Pub)
	e.run(1, acct1, euWest1, rampart.UnitSucceeded, s3Only(), bucket("bucket-1", ctlS3Pub, fail))

	_, stats := e.run(2, acct1, euWest1, rampart.UnitSucceeded, s3Only(), bucket("bucket-1", ctlS3Pub, pass))
	wantStats(t, stats, rampart.CommitStats{Resolved: 1})
	got := e.get(id)
	if got.Status != pass || got.ResolvedAt == nil {
		t.Fatalf("after PASS: status %s resolved_at %v, want PASS and resolved", got.Status, got.ResolvedAt)
	}
	sameTime(t, "resolved_at", *got.ResolvedAt, at(2))
	wantOpen(t, got, false)

	// Still passing: nothing changes but last_seen_at.
	_, stats = e.run(3, acct1, euWest1, rampart.UnitSucceeded, s3Only(), bucket("bucket-1", ctlS3Pub, pass))
	wantStats(t, stats, rampart.CommitStats{Seen: 1})
	if got := e.get(id); got.ResolvedAt == nil || !got.ResolvedAt.Equal(at(2)) {
		t.Fatalf("resolved_at after a second PASS = %v, want %v kept", got.ResolvedAt, at(2))
	}

	_, stats = e.run(4, acct1, euWest1, rampart.UnitSucceeded, s3Only(), bucket("bucket-1", ctlS3Pub, fail))
	wantStats(t, stats, rampart.CommitStats{Reopened: 1})
	got = e.get(id)
	if got.ResolvedAt != nil || got.Status != fail {
		t.Fatalf("after FAIL again: status %s resolved_at %v, want FAIL and resolved_at cleared", got.Status, got.ResolvedAt)
	}
	sameTime(t, "first_seen_at", got.FirstSeenAt, at(1))
	wantOpen(t, got, true)
	wantTypes(t, e.events(id), rampart.EventDetected, rampart.EventResolved, rampart.EventSeen, rampart.EventReopened)
	if n := len(e.all()); n != 1 {
		t.Fatalf("rows = %d, want 1", n)
	}
}

func testChanged(t *testing.T, s rampart.Store) {
	e := newEnv(t, s)
	id := idOf("bucket-1", ctlS3Pub)
	e.run(1, acct1, euWest1, rampart.UnitSucceeded, s3Only(), bucket("bucket-1", ctlS3Pub, fail))
	_, stats := e.run(2, acct1, euWest1, rampart.UnitSucceeded, s3Only(), func(scanID string) []rampart.Finding {
		f := finding(scanID, acct1, euWest1, s3Svc, "bucket-1", ctlS3Pub, fail)
		f.RiskScore, f.Severity = 95, rampart.SeverityCritical
		return []rampart.Finding{f}
	})
	wantStats(t, stats, rampart.CommitStats{Changed: 1})
	got := e.get(id)
	if got.RiskScore != 95 || got.Severity != rampart.SeverityCritical || !got.Open() {
		t.Fatalf("changed row = %+v, want risk 95, critical, still open", got)
	}
	sameTime(t, "first_seen_at", got.FirstSeenAt, at(1))
	wantTypes(t, e.events(id), rampart.EventDetected, rampart.EventChanged)
}

func testAbsentResolves(t *testing.T, s rampart.Store) {
	e := newEnv(t, s)
	e.run(1, acct1, euWest1, rampart.UnitSucceeded, s3Only(), func(scanID string) []rampart.Finding {
		return []rampart.Finding{
			finding(scanID, acct1, euWest1, s3Svc, "bucket-1", ctlS3Pub, fail),
			finding(scanID, acct1, euWest1, s3Svc, "bucket-2", ctlS3Pub, fail),
		}
	})
	// bucket-2 was deleted: a complete scan no longer reports it.
	second, stats := e.run(2, acct1, euWest1, rampart.UnitSucceeded, s3Only(), bucket("bucket-1", ctlS3Pub, fail))
	wantStats(t, stats, rampart.CommitStats{Seen: 1, Resolved: 1})
	gone := e.get(idOf("bucket-2", ctlS3Pub))
	if gone.ResolvedAt == nil || !gone.ResolvedAt.Equal(at(2)) {
		t.Fatalf("absent row resolved_at = %v, want %v", gone.ResolvedAt, at(2))
	}
	if gone.Status != fail {
		t.Fatalf("absent row status = %s, want its last status FAIL kept", gone.Status)
	}
	evs := e.events(gone.FindingID)
	wantTypes(t, evs, rampart.EventDetected, rampart.EventResolved)
	if evs[1].ScanID != second || evs[1].Snapshot != nil {
		t.Fatalf("absence resolution = %+v, want scan %s and no snapshot", evs[1], second)
	}
	wantOpen(t, e.get(idOf("bucket-1", ctlS3Pub)), true)

	// Absent again: already resolved, nothing more is written.
	_, stats = e.run(3, acct1, euWest1, rampart.UnitSucceeded, s3Only(), bucket("bucket-1", ctlS3Pub, fail))
	wantStats(t, stats, rampart.CommitStats{Seen: 1})
	if n := len(e.events(gone.FindingID)); n != 2 {
		t.Fatalf("events of resolved absent row = %d, want 2", n)
	}
}

func testPartialUnit(t *testing.T, s rampart.Store) {
	e := newEnv(t, s)
	e.run(1, acct1, euWest1, rampart.UnitSucceeded, []rampart.ServiceResult{ok(s3Svc), ok(ec2Svc)}, func(scanID string) []rampart.Finding {
		return []rampart.Finding{
			finding(scanID, acct1, euWest1, s3Svc, "bucket-1", ctlS3Pub, fail),
			finding(scanID, acct1, euWest1, ec2Svc, "sg-1", ctlEC2SG, fail),
		}
	})
	// ec2 collection was denied; s3 completed and found nothing.
	_, stats := e.run(2, acct1, euWest1, rampart.UnitPartial,
		[]rampart.ServiceResult{ok(s3Svc), failed(ec2Svc, rampart.ErrClassAccessDenied)}, nil)
	wantStats(t, stats, rampart.CommitStats{Resolved: 1})
	wantOpen(t, e.get(idOf("bucket-1", ctlS3Pub)), false)
	sg := e.get(rampart.FindingID(rampart.CloudAWS, lzA, acct1, euWest1, ec2Svc, "sg-1", ctlEC2SG))
	wantOpen(t, sg, true)
	sameTime(t, "failed service's last_seen_at", sg.LastSeenAt, at(1))

	// A service the unit did not report at all is not covered either.
	_, stats = e.run(3, acct1, euWest1, rampart.UnitSucceeded, s3Only(), nil)
	wantStats(t, stats, rampart.CommitStats{})
	wantOpen(t, e.get(sg.FindingID), true)
}

func testChecksErrored(t *testing.T, s rampart.Store) {
	e := newEnv(t, s)
	e.run(1, acct1, euWest1, rampart.UnitSucceeded, s3Only(), func(scanID string) []rampart.Finding {
		return []rampart.Finding{
			finding(scanID, acct1, euWest1, s3Svc, "bucket-1", ctlS3Pub, fail),
			finding(scanID, acct1, euWest1, s3Svc, "bucket-1", ctlS3Enc, fail),
		}
	})
	svc := ok(s3Svc)
	svc.ChecksErrored = []string{ctlS3Enc}
	svc.ChecksFailed = 1
	_, stats := e.run(2, acct1, euWest1, rampart.UnitSucceeded, []rampart.ServiceResult{svc}, nil)
	wantStats(t, stats, rampart.CommitStats{Resolved: 1})
	wantOpen(t, e.get(idOf("bucket-1", ctlS3Pub)), false)
	wantOpen(t, e.get(idOf("bucket-1", ctlS3Enc)), true)
}

func testFailedUnit(t *testing.T, s rampart.Store) {
	e := newEnv(t, s)
	e.run(1, acct1, euWest1, rampart.UnitSucceeded, s3Only(), bucket("bucket-1", ctlS3Pub, fail))
	_, stats := e.run(2, acct1, euWest1, rampart.UnitFailed, nil, nil)
	wantStats(t, stats, rampart.CommitStats{})
	_, stats = e.run(3, acct1, euWest1, rampart.UnitSkipped, nil, nil)
	wantStats(t, stats, rampart.CommitStats{})
	wantOpen(t, e.get(idOf("bucket-1", ctlS3Pub)), true)
}

func testNotEvaluated(t *testing.T, s rampart.Store) {
	e := newEnv(t, s)
	id := idOf("bucket-1", ctlS3Pub)
	e.run(1, acct1, euWest1, rampart.UnitSucceeded, s3Only(), bucket("bucket-1", ctlS3Pub, fail))
	before := e.get(id)
	_, stats := e.run(2, acct1, euWest1, rampart.UnitSucceeded, s3Only(), bucket("bucket-1", ctlS3Pub, rampart.StatusNotEvaluated))
	wantStats(t, stats, rampart.CommitStats{Ignored: 1})
	if got := e.get(id); !reflect.DeepEqual(got, before) {
		t.Fatalf("NOT_EVALUATED changed an open FAIL row\n got %+v\nwant %+v", got, before)
	}
	wantTypes(t, e.events(id), rampart.EventDetected)

	// A NOT_EVALUATED observation of a new finding is recorded as such.
	_, stats = e.run(3, acct1, euWest1, rampart.UnitSucceeded, s3Only(), func(scanID string) []rampart.Finding {
		return []rampart.Finding{
			finding(scanID, acct1, euWest1, s3Svc, "bucket-1", ctlS3Pub, fail),
			finding(scanID, acct1, euWest1, s3Svc, "bucket-9", ctlS3Pub, rampart.StatusNotEvaluated),
		}
	})
	wantStats(t, stats, rampart.CommitStats{Seen: 1, Detected: 1})
	ne := e.get(idOf("bucket-9", ctlS3Pub))
	if ne.Status != rampart.StatusNotEvaluated || ne.ErrorClass != rampart.ErrClassAccessDenied {
		t.Fatalf("new NOT_EVALUATED row = %s/%s, want NOT_EVALUATED/access_denied", ne.Status, ne.ErrorClass)
	}
}

func testTwoRegions(t *testing.T, s rampart.Store) {
	e := newEnv(t, s)
	in := func(region string) func(string) []rampart.Finding {
		return func(scanID string) []rampart.Finding {
			return []rampart.Finding{finding(scanID, acct1, region, ec2Svc, "sg-default", ctlEC2SG, fail)}
		}
	}
	ec2Only := []rampart.ServiceResult{ok(ec2Svc)}
	e.run(1, acct1, euWest1, rampart.UnitSucceeded, ec2Only, in(euWest1))
	e.run(1, acct1, usEast1, rampart.UnitSucceeded, ec2Only, in(usEast1))
	rows := e.all()
	if len(rows) != 2 || rows[0].FindingID == rows[1].FindingID {
		t.Fatalf("rows = %+v, want two findings, one per region", rows)
	}
	// A clean complete scan of eu-west-1 resolves only eu-west-1's row.
	_, stats := e.run(2, acct1, euWest1, rampart.UnitSucceeded, ec2Only, nil)
	wantStats(t, stats, rampart.CommitStats{Resolved: 1})
	for _, r := range e.all() {
		wantOpen(t, r, r.Region == usEast1)
		if r.Scope != r.Region {
			t.Fatalf("row %s: scope %q, want %q", r.FindingID, r.Scope, r.Region)
		}
	}
	// The same unit region of another account is another scope too.
	e.run(3, acct2, usEast1, rampart.UnitSucceeded, ec2Only, nil)
	if n := len(e.all()); n != 2 {
		t.Fatalf("rows = %d, want 2", n)
	}
	open, err := s.ListFindings(context.Background(), rampart.FindingFilter{OnlyOpen: true})
	must(t, err)
	if len(open) != 1 || open[0].Region != usEast1 {
		t.Fatalf("open rows = %+v, want only the us-east-1 row (another account's scan resolves nothing)", open)
	}
}

func testDuplicateObservations(t *testing.T, s rampart.Store) {
	e := newEnv(t, s)
	_, stats := e.run(1, acct1, euWest1, rampart.UnitSucceeded, s3Only(), func(scanID string) []rampart.Finding {
		a := finding(scanID, acct1, euWest1, s3Svc, "bucket-1", ctlS3Pub, fail)
		b := a
		b.StatusExtended = "the last word"
		return []rampart.Finding{a, a, b}
	})
	wantStats(t, stats, rampart.CommitStats{Detected: 1, Ignored: 2})
	rows := e.all()
	if len(rows) != 1 || rows[0].StatusExtended != "the last word" {
		t.Fatalf("rows = %+v, want one row from the last observation", rows)
	}
	wantTypes(t, e.events(rows[0].FindingID), rampart.EventDetected)
}
