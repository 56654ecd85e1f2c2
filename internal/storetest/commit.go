package storetest

import (
	"context"
	"reflect"
	"testing"

	"github.com/rampart-cspm/rampart"
)

// snapshot is everything a commit can write that the Store interface shows.
type snapshot struct {
	findings  []rampart.Finding
	events    map[string][]rampart.FindingEvent
	units     []rampart.ScanUnit
	artifacts []rampart.Artifact
}

func (e *env) snapshot(scanID string, ids ...string) snapshot {
	e.t.Helper()
	ctx := context.Background()
	sn := snapshot{findings: e.all(), events: map[string][]rampart.FindingEvent{}}
	for _, id := range ids {
		sn.events[id] = e.events(id)
	}
	var err error
	sn.units, err = e.s.ListUnits(ctx, scanID)
	must(e.t, err)
	sn.artifacts, err = e.s.ListArtifacts(ctx, scanID)
	must(e.t, err)
	return sn
}

func wantUnchanged(t *testing.T, what string, before, after snapshot) {
	t.Helper()
	if !reflect.DeepEqual(before, after) {
		t.Fatalf("%s wrote something\nbefore %+v\n after %+v", what, before, after)
	}
}

func testCommitTwice(t *testing.T, s rampart.Store) {
	ctx := context.Background()
	e := newEnv(t, s)
	scanID, units := e.scan([2]string{acct1, euWest1})
	u := units[0]
	must(t, s.MarkUnitRunning(ctx, u.ID, at(1)))
	u.State, u.Services = rampart.UnitSucceeded, s3Only()
	res := rampart.UnitResult{Unit: u, Findings: bucket("bucket-1", ctlS3Pub, fail)(scanID), At: at(1),
		Artifacts: []rampart.Artifact{{ID: "art-1", Kind: "native-raw", URI: "file:///tmp/a", SHA256: "00", Size: 1}}}
	_, err := s.CommitUnit(ctx, res)
	must(t, err)
	id := idOf("bucket-1", ctlS3Pub)
	before := e.snapshot(scanID, id, idOf("bucket-2", ctlS3Pub))

	// The same result again, and a different result for the same unit.
	_, err = s.CommitUnit(ctx, res)
	wantCode(t, err, rampart.ECONFLICT)
	other := res
	other.At = at(2)
	other.Unit.State = rampart.UnitFailed
	other.Findings = bucket("bucket-2", ctlS3Pub, fail)(scanID)
	other.Artifacts = []rampart.Artifact{{ID: "art-2", Kind: "native-raw", URI: "file:///tmp/b"}}
	stats, err := s.CommitUnit(ctx, other)
	wantCode(t, err, rampart.ECONFLICT)
	if stats != (rampart.CommitStats{}) {
		t.Fatalf("stats of a refused commit = %+v, want zero", stats)
	}
	wantUnchanged(t, "a second commit of the same unit", before, e.snapshot(scanID, id, idOf("bucket-2", ctlS3Pub)))

	// A unit nobody created is refused too.
	ghost := u
	ghost.ID = rampart.UnitID(scanID, acct2, euWest1)
	ghost.AccountID = acct2
	_, err = s.CommitUnit(ctx, rampart.UnitResult{Unit: ghost, At: at(3)})
	wantCode(t, err, rampart.ECONFLICT)
}

func testCommitInvalid(t *testing.T, s rampart.Store) {
	ctx := context.Background()
	e := newEnv(t, s)
	scanID, units := e.scan([2]string{acct1, euWest1})
	u := units[0]
	u.Services = s3Only()
	before := e.snapshot(scanID)

	notTerminal := u
	notTerminal.State = rampart.UnitRunning
	_, err := s.CommitUnit(ctx, rampart.UnitResult{Unit: notTerminal, At: at(1)})
	wantCode(t, err, rampart.EINVALID)

	u.State = rampart.UnitSucceeded
	otherAccount := bucket("bucket-1", ctlS3Pub, fail)(scanID)
	otherAccount[0].AccountID = acct2
	otherAccount[0].ComputeID()
	_, err = s.CommitUnit(ctx, rampart.UnitResult{Unit: u, Findings: otherAccount, At: at(1)})
	wantCode(t, err, rampart.EINVALID)

	noID := bucket("bucket-1", ctlS3Pub, fail)(scanID)
	noID[0].FindingID = ""
	_, err = s.CommitUnit(ctx, rampart.UnitResult{Unit: u, Findings: noID, At: at(1)})
	wantCode(t, err, rampart.EINVALID)

	wantUnchanged(t, "an invalid result", before, e.snapshot(scanID))
	if before.units[0].State != rampart.UnitPending {
		t.Fatalf("unit = %+v, want still pending", before.units[0])
	}
}

func testAtomic(t *testing.T, s rampart.Store) {
	ctx := context.Background()
	e := newEnv(t, s)
	first, _ := e.run(1, acct1, euWest1, rampart.UnitSucceeded, s3Only(), bucket("bucket-1", ctlS3Pub, fail))
	id1, id2 := idOf("bucket-1", ctlS3Pub), idOf("bucket-2", ctlS3Pub)
	_ = first

	scanID, units := e.scan([2]string{acct1, euWest1})
	u := units[0]
	must(t, s.MarkUnitRunning(ctx, u.ID, at(2)))
	u.State, u.Services = rampart.UnitSucceeded, s3Only()
	before := e.snapshot(scanID, id1, id2)

	// bucket-1 passes (a resolution), bucket-2 is new (a detection), and the
	// artifact list repeats an ID, which fails the commit at its very end.
	res := rampart.UnitResult{Unit: u, At: at(2),
		Findings: append(bucket("bucket-1", ctlS3Pub, pass)(scanID), bucket("bucket-2", ctlS3Pub, fail)(scanID)...),
		Artifacts: []rampart.Artifact{
			{ID: "art-dup", Kind: "native-raw", URI: "file:///tmp/1"},
			{ID: "art-dup", Kind: "native-raw", URI: "file:///tmp/2"},
		}}
	if _, err := s.CommitUnit(ctx, res); err == nil {
		t.Fatal("commit with a repeated artifact ID succeeded, want an error")
	}
	wantUnchanged(t, "a failed commit", before, e.snapshot(scanID, id1, id2))

	// The unit is not terminal, so the corrected result commits.
	res.Artifacts = res.Artifacts[:1]
	stats, err := s.CommitUnit(ctx, res)
	must(t, err)
	wantStats(t, stats, rampart.CommitStats{Resolved: 1, Detected: 1})
	if arts, err := s.ListArtifacts(ctx, scanID); err != nil || len(arts) != 1 {
		t.Fatalf("artifacts = %+v, %v; want the one artifact", arts, err)
	}
}

func testCancelled(t *testing.T, s rampart.Store) {
	e := newEnv(t, s)
	scanID, units := e.scan([2]string{acct1, euWest1})
	u := units[0]
	must(t, s.MarkUnitRunning(context.Background(), u.ID, at(1)))
	u.State, u.Services = rampart.UnitSucceeded, s3Only()
	before := e.snapshot(scanID, idOf("bucket-1", ctlS3Pub))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.CommitUnit(ctx, rampart.UnitResult{Unit: u, At: at(1), Findings: bucket("bucket-1", ctlS3Pub, fail)(scanID)})
	if err == nil {
		t.Fatal("commit with a cancelled context succeeded, want an error")
	}
	wantUnchanged(t, "a cancelled commit", before, e.snapshot(scanID, idOf("bucket-1", ctlS3Pub)))
}

func testEventsOrdered(t *testing.T, s rampart.Store) {
	e := newEnv(t, s)
	id := idOf("bucket-1", ctlS3Pub)
	statuses := []rampart.Status{fail, fail, pass, fail, fail}
	var prev []rampart.FindingEvent
	for i, st := range statuses {
		e.run(i+1, acct1, euWest1, rampart.UnitSucceeded, s3Only(), bucket("bucket-1", ctlS3Pub, st))
		evs := e.events(id)
		if len(evs) != len(prev)+1 {
			t.Fatalf("after commit %d: %d events, want %d", i+1, len(evs), len(prev)+1)
		}
		if len(prev) > 0 && !reflect.DeepEqual(evs[:len(prev)], prev) {
			t.Fatalf("after commit %d: earlier events changed\n got %+v\nwant %+v", i+1, evs[:len(prev)], prev)
		}
		last := evs[len(evs)-1]
		if len(prev) > 0 && last.ID <= prev[len(prev)-1].ID {
			t.Fatalf("event IDs not increasing: %d after %d", last.ID, prev[len(prev)-1].ID)
		}
		if !last.At.Equal(at(i + 1)) {
			t.Fatalf("event %d at %v, want %v", i, last.At, at(i+1))
		}
		prev = evs
	}
	wantTypes(t, prev, rampart.EventDetected, rampart.EventSeen, rampart.EventResolved, rampart.EventReopened, rampart.EventSeen)
	if evs, err := s.ListFindingEvents(context.Background(), "no-such-finding"); err != nil || len(evs) != 0 {
		t.Fatalf("events of an unknown finding = %+v, %v; want none", evs, err)
	}
}

func testGetFindingNotFound(t *testing.T, s rampart.Store) {
	_, err := s.GetFinding(context.Background(), "no-such-finding")
	wantCode(t, err, rampart.ENOTFOUND)
}

func testArtifactPointers(t *testing.T, s rampart.Store) {
	ctx := context.Background()
	e := newEnv(t, s)
	scanID, units := e.scan([2]string{acct1, euWest1}, [2]string{acct1, rampart.GlobalRegion})
	want := []rampart.Artifact{
		{ID: "a-1", Kind: "native-raw", URI: "file:///var/lib/rampart/a-1.json", SHA256: "ab", Size: 10,
			ContentType: "application/json", CreatedAt: at(1)},
		{ID: "a-2", Kind: "prowler-ocsf", URI: "s3://bucket/a-2.json", SHA256: "cd", Size: 20,
			ContentType: "application/json", CreatedAt: at(2)},
	}
	for i, u := range units {
		u.State, u.Services = rampart.UnitSucceeded, s3Only()
		_, err := s.CommitUnit(ctx, rampart.UnitResult{Unit: u, At: at(i + 1), Artifacts: want[i : i+1]})
		must(t, err)
		want[i].ScanID, want[i].UnitID = scanID, u.ID
	}
	got, err := s.ListArtifacts(ctx, scanID)
	must(t, err)
	if len(got) != len(want) {
		t.Fatalf("artifacts = %+v, want %+v", got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if !g.CreatedAt.Equal(w.CreatedAt) {
			t.Fatalf("artifact %s created_at = %v, want %v", w.ID, g.CreatedAt, w.CreatedAt)
		}
		g.CreatedAt = w.CreatedAt
		if g != w {
			t.Fatalf("artifact %d = %+v, want %+v", i, g, w)
		}
	}
	if got, err := s.ListArtifacts(ctx, "no-such-scan"); err != nil || len(got) != 0 {
		t.Fatalf("artifacts of an unknown scan = %+v, %v; want none", got, err)
	}
}

func testReindex(t *testing.T, s rampart.Store) {
	ctx := context.Background()
	e := newEnv(t, s)
	sequence(e)
	before := e.all()
	if len(before) == 0 {
		t.Fatal("the sequence wrote no findings")
	}
	n, err := s.Reindex(ctx)
	must(t, err)
	if n != len(before) {
		t.Fatalf("Reindex returned %d rows, want %d", n, len(before))
	}
	after := e.all()
	if !reflect.DeepEqual(before, after) {
		t.Fatalf("Reindex changed the findings\nbefore %+v\n after %+v", before, after)
	}
	// Reindex is repeatable and the store keeps working on the rebuilt rows.
	if n, err := s.Reindex(ctx); err != nil || n != len(before) {
		t.Fatalf("second Reindex = %d, %v; want %d", n, err, len(before))
	}
	_, stats := e.run(50, acct1, euWest1, rampart.UnitSucceeded, s3Only(), bucket("bucket-1", ctlS3Pub, fail))
	if stats.Seen+stats.Reopened+stats.Detected+stats.Changed != 1 {
		t.Fatalf("commit after Reindex: stats %+v, want one event for bucket-1", stats)
	}
}

// testConcurrentCommits commits the units of one scan from several
// goroutines at once, as the dispatcher does.
func testConcurrentCommits(t *testing.T, s rampart.Store) {
	ctx := context.Background()
	e := newEnv(t, s)
	regions := []string{"eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2"}
	var pairs [][2]string
	for _, acct := range []string{acct1, acct2} {
		for _, r := range regions {
			pairs = append(pairs, [2]string{acct, r})
		}
	}
	scanID, units := e.scan(pairs...)
	errs := make(chan error, len(units))
	for i, u := range units {
		go func() {
			if err := s.MarkUnitRunning(ctx, u.ID, at(1)); err != nil {
				errs <- err
				return
			}
			u.State, u.Services = rampart.UnitSucceeded, s3Only()
			fs := []rampart.Finding{
				finding(scanID, u.AccountID, u.Region, s3Svc, "bucket-a", ctlS3Pub, fail),
				finding(scanID, u.AccountID, u.Region, s3Svc, "bucket-b", ctlS3Pub, pass),
			}
			_, err := s.CommitUnit(ctx, rampart.UnitResult{Unit: u, Findings: fs, At: at(2 + i)})
			errs <- err
		}()
	}
	for range units {
		must(t, <-errs)
	}
	if n := len(e.all()); n != 2*len(units) {
		t.Fatalf("rows = %d, want %d", n, 2*len(units))
	}
	got, err := s.ListUnits(ctx, scanID)
	must(t, err)
	for _, u := range got {
		if u.State != rampart.UnitSucceeded || u.Attempts != 1 || u.Findings != 2 {
			t.Fatalf("unit %s = %+v, want succeeded, 1 attempt, 2 findings", u.ID, u)
		}
	}
}
