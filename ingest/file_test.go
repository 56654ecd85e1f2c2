package ingest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/artifact"
	"github.com/rampart-cspm/rampart/ingest"
	"github.com/rampart-cspm/rampart/sqlite"
)

var t0 = time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)

type sqliteIngest struct{ *sqlite.Store }

func (s sqliteIngest) Begin(ctx context.Context, scan rampart.Scan) (ingest.Tx, error) {
	return s.BeginIngest(ctx, scan)
}

// env is a fresh store with landing zone "lz-test" and an ingester on it.
func env(t *testing.T) (*sqlite.Store, *ingest.Ingester) {
	t.Helper()
	dir := t.TempDir()
	s, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.Now = func() time.Time { return t0 }
	lz := rampart.LandingZone{ID: "lz-test", OwnerTeam: "platform", Environment: "production"}
	if err := s.UpsertLandingZone(context.Background(), lz); err != nil {
		t.Fatal(err)
	}
	arts, err := artifact.NewLocal(filepath.Join(dir, "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	return s, &ingest.Ingester{Store: sqliteIngest{s}, Artifacts: arts, LandingZone: lz, DefaultAccount: "cluster-1",
		Now: func() time.Time { return t0 }}
}

// rec is one minimal OCSF record.
type rec struct {
	check, resource, region, status, account string
	unixTime                                 int64
}

func ocsf(recs ...rec) string {
	var parts []string
	for _, r := range recs {
		service, _, _ := strings.Cut(r.check, "_")
		acct := r.account
		if acct == "" {
			acct = "111122223333"
		}
		parts = append(parts, fmt.Sprintf(`{"class_uid":2004,"metadata":{"event_code":%q},"severity":"High","status_code":%q,
 "finding_info":{"title":"t"},"time":%d,"cloud":{"provider":"aws","account":{"uid":%q},"region":%q},
 "resources":[{"uid":%q,"name":"n","type":"T","region":%q,"group":{"name":%q}}]}`,
			r.check, r.status, r.unixTime, acct, r.region, r.resource, r.region, service))
	}
	return "[\n" + strings.Join(parts, ",\n") + "\n]\n"
}

func write(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "prowler-output.ocsf.json")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

type counts struct{ scans, findings, events, artifacts int }

func count(t *testing.T, s *sqlite.Store) counts {
	t.Helper()
	ctx := context.Background()
	scans, err := s.ListScans(ctx, "lz-test", 0)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := s.ListFindings(ctx, rampart.FindingFilter{})
	if err != nil {
		t.Fatal(err)
	}
	evs, err := s.ListFindingEvents(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	c := counts{scans: len(scans), findings: len(fs), events: len(evs)}
	for _, sc := range scans {
		a, err := s.ListArtifacts(ctx, sc.ID)
		if err != nil {
			t.Fatal(err)
		}
		c.artifacts += len(a)
	}
	return c
}

func TestIngestFixtureAndIdempotence(t *testing.T) {
	ctx := context.Background()
	s, g := env(t)
	path := filepath.Join("testdata", "example_output_aws.ocsf.json")
	res, err := g.File(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if res.Duplicate || res.Records != 5 || res.Format != ingest.FormatOCSF || len(res.Units) != 2 {
		t.Fatalf("first ingest = %+v, want 5 records in 2 units (global and <region>)", res)
	}
	if res.Stats.Detected != 5 {
		t.Errorf("stats = %+v, want 5 detected", res.Stats)
	}
	scan, err := s.GetScan(ctx, res.ScanID)
	if err != nil {
		t.Fatal(err)
	}
	if scan.Scanner != "prowler" || scan.Status != rampart.UnitSucceeded {
		t.Errorf("scan = %+v, want a succeeded prowler scan", scan)
	}
	arts, err := s.ListArtifacts(ctx, res.ScanID)
	if err != nil {
		t.Fatal(err)
	}
	if len(arts) != 1 || arts[0].SHA256 != res.SHA256 || arts[0].Kind != "prowler-json-ocsf" {
		t.Fatalf("artifacts = %+v, want the file with sha256 %s", arts, res.SHA256)
	}
	f, err := s.ListFindings(ctx, rampart.FindingFilter{ControlID: "accessanalyzer_enabled"})
	if err != nil || len(f) != 1 {
		t.Fatalf("findings = %v, %v", f, err)
	}
	if got := f[0]; got.OwnerTeam != "platform" || got.Environment != "production" || got.RiskScore == 0 ||
		!got.FirstSeenAt.Equal(time.Unix(1739539623, 0)) || got.ScanID != res.ScanID || !reflect.DeepEqual(got.Sources, []string{"prowler"}) {
		t.Errorf("stored finding = %+v", got)
	}
	before := count(t, s)
	if before != (counts{scans: 1, findings: 5, events: 5, artifacts: 1}) {
		t.Fatalf("counts after one ingest = %+v", before)
	}

	again, err := g.File(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Duplicate || again.ScanID != res.ScanID {
		t.Fatalf("second ingest = %+v, want a duplicate of scan %s", again, res.ScanID)
	}
	if after := count(t, s); after != before {
		t.Fatalf("re-ingest changed counts: %+v -> %+v", before, after)
	}
}

// A native finding and a Prowler finding with the same dedup key are one
// finding listing both sources.
func TestIngestDedupsWithNative(t *testing.T) {
	ctx := context.Background()
	s, g := env(t)
	native := rampart.Finding{LandingZoneID: "lz-test", AccountID: "111122223333", Region: rampart.GlobalRegion,
		CloudProvider: "aws", Service: "iam", ResourceID: "arn:aws:iam::111122223333:root", ControlID: "iam_root_mfa_enabled",
		Severity: rampart.SeverityCritical, Status: rampart.StatusFail, Sources: []string{rampart.SourceNative}}
	native.ComputeID()
	u := rampart.ScanUnit{ID: rampart.UnitID("native1", "111122223333", rampart.GlobalRegion), AccountID: "111122223333", Region: rampart.GlobalRegion}
	if err := s.CreateScan(ctx, rampart.Scan{ID: "native1", LandingZoneID: "lz-test", Scanner: "native"}, []rampart.ScanUnit{u}); err != nil {
		t.Fatal(err)
	}
	u.State, u.Services = rampart.UnitSucceeded, []rampart.ServiceResult{{Service: "iam", Status: rampart.ServiceOK}}
	if _, err := s.CommitUnit(ctx, rampart.UnitResult{Unit: u, Findings: []rampart.Finding{native}, At: t0}); err != nil {
		t.Fatal(err)
	}
	// Prowler reports IAM in a region; Rampart files it under "global".
	res, err := g.File(ctx, write(t, ocsf(
		rec{check: "iam_root_mfa_enabled", resource: "arn:aws:iam::111122223333:root", region: "us-east-1", status: "FAIL", unixTime: t0.Unix() + 60},
		rec{check: "s3_bucket_default_encryption", resource: "arn:aws:s3:::b", region: "eu-west-1", status: "FAIL", unixTime: t0.Unix() + 60},
	)))
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.Changed != 1 || res.Stats.Detected != 1 {
		t.Errorf("stats = %+v, want the native finding changed (source added) and one new", res.Stats)
	}
	all, err := s.ListFindings(ctx, rampart.FindingFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 {
		t.Fatalf("%d findings, want 2", len(all))
	}
	got, err := s.GetFinding(ctx, native.FindingID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Sources, []string{"native", "prowler"}) || !got.FirstSeenAt.Equal(t0) {
		t.Errorf("merged finding sources %q first seen %v, want [native prowler] and the native first sighting", got.Sources, got.FirstSeenAt)
	}
}

func TestIngestLifecycleAndReindex(t *testing.T) {
	ctx := context.Background()
	s, g := env(t)
	first := ocsf(
		rec{check: "s3_bucket_default_encryption", resource: "arn:aws:s3:::a", region: "eu-west-1", status: "FAIL", unixTime: t0.Unix()},
		rec{check: "s3_bucket_default_encryption", resource: "arn:aws:s3:::b", region: "eu-west-1", status: "FAIL", unixTime: t0.Unix()},
		rec{check: "s3_bucket_object_versioning", resource: "arn:aws:s3:::c", region: "eu-west-1", status: "FAIL", unixTime: t0.Unix()},
		// A duplicate key in one file: the failure is kept.
		rec{check: "s3_bucket_object_versioning", resource: "arn:aws:s3:::c", region: "eu-west-1", status: "PASS", unixTime: t0.Unix()},
	)
	res, err := g.File(ctx, write(t, first))
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats != (rampart.CommitStats{Detected: 3, Ignored: 1}) {
		t.Fatalf("first stats = %+v", res.Stats)
	}
	// Next day: a passes, b is absent (its check ran: resolved), c's check
	// did not run at all (not covered: stays open).
	second := ocsf(
		rec{check: "s3_bucket_default_encryption", resource: "arn:aws:s3:::a", region: "eu-west-1", status: "PASS", unixTime: t0.Unix() + 86400},
	)
	res, err = g.File(ctx, write(t, second))
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats != (rampart.CommitStats{Resolved: 2}) {
		t.Fatalf("second stats = %+v, want a and b resolved", res.Stats)
	}
	open, err := s.ListFindings(ctx, rampart.FindingFilter{OnlyOpen: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 1 || open[0].ResourceID != "arn:aws:s3:::c" {
		t.Fatalf("open = %+v, want only c", open)
	}
	before, err := s.ListFindings(ctx, rampart.FindingFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Reindex(ctx); err != nil {
		t.Fatal(err)
	}
	after, err := s.ListFindings(ctx, rampart.FindingFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before, after) {
		t.Fatalf("reindex changed rows:\n%+v\n%+v", before, after)
	}
}

func TestIngestBadRecordStoresNothing(t *testing.T) {
	ctx := context.Background()
	s, g := env(t)
	body := ocsf(
		rec{check: "s3_bucket_default_encryption", resource: "arn:aws:s3:::a", region: "eu-west-1", status: "FAIL"},
		rec{check: "s3_bucket_default_encryption", resource: "arn:aws:s3:::b", region: "eu-west-1", status: "BROKEN"},
		rec{check: "s3_bucket_default_encryption", resource: "arn:aws:s3:::c", region: "eu-west-1", status: "FAIL"},
	)
	path := write(t, body)
	_, err := g.File(ctx, path)
	if err == nil || !strings.Contains(err.Error(), "prowler-output.ocsf.json: record 2 (byte") || !strings.Contains(err.Error(), "nothing from this file was stored") {
		t.Fatalf("error = %v, want one naming the file and record 2", err)
	}
	if c := count(t, s); c != (counts{}) {
		t.Fatalf("a bad file left %+v in the store", c)
	}
	if objs := storedObjects(t, g); len(objs) != 0 {
		t.Fatalf("a bad file left %q in the artifact store", objs)
	}
	// Truncated: fails even with SkipInvalid.
	g.SkipInvalid = true
	if _, err := g.File(ctx, write(t, body[:len(body)/2])); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("truncated file: error = %v", err)
	}
	if c := count(t, s); c != (counts{}) {
		t.Fatalf("a truncated file left %+v in the store", c)
	}
	if objs := storedObjects(t, g); len(objs) != 0 {
		t.Fatalf("a truncated file left %q in the artifact store", objs)
	}
	res, err := g.File(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if res.Skipped != 1 || res.Records != 2 {
		t.Fatalf("with SkipInvalid: %+v, want 2 records and 1 skipped", res)
	}
}

// storedObjects lists the files of the ingester's artifact directory,
// relative to it.
func storedObjects(t *testing.T, g *ingest.Ingester) []string {
	t.Helper()
	root := g.Artifacts.(*artifact.Local).Root()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		out = append(out, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// failingFinish is a store whose ingests fail at the commit, after the
// artifact copy is done.
type failingFinish struct{ ingest.Store }

func (s failingFinish) Begin(ctx context.Context, scan rampart.Scan) (ingest.Tx, error) {
	tx, err := s.Store.Begin(ctx, scan)
	return failingTx{tx}, err
}

type failingTx struct{ ingest.Tx }

func (tx failingTx) Finish([]rampart.Artifact, time.Time) (rampart.CommitStats, []rampart.ScanUnit, error) {
	return rampart.CommitStats{}, nil, errors.New("injected commit failure")
}

// The artifact is copied while the file parses; an ingest that fails
// afterwards takes its copy back, but never removes an object another
// scan points at.
func TestIngestFailureTakesBackItsArtifact(t *testing.T) {
	ctx := context.Background()
	s, g := env(t)
	path := filepath.Join("testdata", "example_output_aws.ocsf.json")
	good := g.Store
	g.Store = failingFinish{good}
	if _, err := g.File(ctx, path); err == nil || !strings.Contains(err.Error(), "injected commit failure") {
		t.Fatalf("error = %v, want the injected one", err)
	}
	if objs := storedObjects(t, g); len(objs) != 0 {
		t.Fatalf("a failed ingest left %q in the artifact store", objs)
	}

	g.Store = good
	res, err := g.File(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	arts, err := s.ListArtifacts(ctx, res.ScanID)
	if err != nil || len(arts) != 1 {
		t.Fatalf("artifacts = %+v, %v", arts, err)
	}
	want := storedObjects(t, g)
	if len(want) != 1 {
		t.Fatalf("stored %q, want one object", want)
	}
	// The same bytes into another landing zone, failing: the first scan's
	// object stays, readable, with its bytes.
	other := rampart.LandingZone{ID: "lz-other"}
	if err := s.UpsertLandingZone(ctx, other); err != nil {
		t.Fatal(err)
	}
	g.Store, g.LandingZone = failingFinish{good}, other
	if _, err := g.File(ctx, path); err == nil {
		t.Fatal("no error from the failing store")
	}
	if got := storedObjects(t, g); !slices.Equal(got, want) {
		t.Fatalf("after a failed ingest of the same bytes: %q, want %q", got, want)
	}
	rc, err := g.Artifacts.Open(ctx, arts[0].URI)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil || hex.EncodeToString(h.Sum(nil)) != res.SHA256 {
		t.Fatalf("the first scan's artifact no longer holds its bytes (%v)", err)
	}
}

// changingStore rewrites the file once its hash is taken (at Begin),
// keeping it valid and the same size.
type changingStore struct {
	ingest.Store
	path string
	t    *testing.T
}

func (s changingStore) Begin(ctx context.Context, scan rampart.Scan) (ingest.Tx, error) {
	b, err := os.ReadFile(s.path)
	if err != nil {
		s.t.Fatal(err)
	}
	changed := strings.Replace(string(b), `"FAIL"`, `"PASS"`, 1)
	if changed == string(b) {
		s.t.Fatal("nothing to change in the file")
	}
	if err := os.WriteFile(s.path, []byte(changed), 0o600); err != nil {
		s.t.Fatal(err)
	}
	return s.Store.Begin(ctx, scan)
}

// A file that changes after it was hashed is refused, stores nothing, and
// never replaces the object another scan stored under the same hash.
func TestIngestRefusesAFileChangedWhileIngested(t *testing.T) {
	ctx := context.Background()
	s, g := env(t)
	orig, err := os.ReadFile(filepath.Join("testdata", "example_output_aws.ocsf.json"))
	if err != nil {
		t.Fatal(err)
	}
	path := write(t, string(orig))
	good := g.Store

	// No object under the key yet: the copy runs beside the parse.
	g.Store = changingStore{good, path, t}
	if _, err := g.File(ctx, path); err == nil || !strings.Contains(err.Error(), "changed while it was ingested") {
		t.Fatalf("error = %v, want the file refused as changed", err)
	}
	if c := count(t, s); c != (counts{}) {
		t.Fatalf("a changed file left %+v in the store", c)
	}
	if objs := storedObjects(t, g); len(objs) != 0 {
		t.Fatalf("a changed file left %q in the artifact store", objs)
	}

	// The object exists (another landing zone's scan of the same bytes):
	// the copy waits for the parse, then must not replace it.
	if err := os.WriteFile(path, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	g.Store = good
	res, err := g.File(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	other := rampart.LandingZone{ID: "lz-other"}
	if err := s.UpsertLandingZone(ctx, other); err != nil {
		t.Fatal(err)
	}
	g.Store, g.LandingZone = changingStore{good, path, t}, other
	if _, err := g.File(ctx, path); err == nil || !strings.Contains(err.Error(), "changed while it was ingested") {
		t.Fatalf("error = %v, want the file refused as changed", err)
	}
	arts, err := s.ListArtifacts(ctx, res.ScanID)
	if err != nil || len(arts) != 1 {
		t.Fatalf("artifacts = %+v, %v", arts, err)
	}
	rc, err := g.Artifacts.Open(ctx, arts[0].URI)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if b, err := io.ReadAll(rc); err != nil || !bytes.Equal(b, orig) {
		t.Fatalf("the first scan's artifact was replaced (%v)", err)
	}
}

// A unit the store has no rows for takes the insert-only write path, and a
// unit it has rows for the lookup path: the same file gives the same
// lifecycle either way, repeats within the file included.
func TestIngestFreshAndKnownUnitsAgree(t *testing.T) {
	ctx := context.Background()
	body := ocsf(
		rec{check: "s3_bucket_default_encryption", resource: "arn:aws:s3:::a", region: "eu-west-1", status: "PASS", unixTime: t0.Unix()},
		rec{check: "s3_bucket_default_encryption", resource: "arn:aws:s3:::a", region: "eu-west-1", status: "FAIL", unixTime: t0.Unix()},
		rec{check: "s3_bucket_default_encryption", resource: "arn:aws:s3:::b", region: "eu-west-1", status: "FAIL", unixTime: t0.Unix()},
		rec{check: "s3_bucket_default_encryption", resource: "arn:aws:s3:::b", region: "eu-west-1", status: "PASS", unixTime: t0.Unix()},
		rec{check: "s3_bucket_object_versioning", resource: "arn:aws:s3:::c", region: "eu-west-1", status: "FAIL", unixTime: t0.Unix()},
	)
	type outcome struct {
		stats rampart.CommitStats
		rows  map[string]rampart.Status
	}
	run := func(known bool) outcome {
		s, g := env(t)
		if known {
			// Another check's row in the same (account, region) scope.
			if _, err := g.File(ctx, write(t, ocsf(rec{check: "s3_bucket_public_access", resource: "arn:aws:s3:::z", region: "eu-west-1", status: "FAIL", unixTime: t0.Unix() - 60}))); err != nil {
				t.Fatal(err)
			}
		}
		res, err := g.File(ctx, write(t, body))
		if err != nil {
			t.Fatal(err)
		}
		all, err := s.ListFindings(ctx, rampart.FindingFilter{})
		if err != nil {
			t.Fatal(err)
		}
		o := outcome{stats: res.Stats, rows: map[string]rampart.Status{}}
		for _, f := range all {
			if f.ControlID != "s3_bucket_public_access" {
				o.rows[f.ResourceID] = f.Status
			}
		}
		return o
	}
	fresh, known := run(false), run(true)
	want := map[string]rampart.Status{"arn:aws:s3:::a": rampart.StatusFail, "arn:aws:s3:::b": rampart.StatusFail, "arn:aws:s3:::c": rampart.StatusFail}
	if !reflect.DeepEqual(fresh.rows, want) {
		t.Errorf("fresh unit rows = %v, want every failure kept: %v", fresh.rows, want)
	}
	if !reflect.DeepEqual(fresh, known) {
		t.Errorf("fresh unit %+v, known unit %+v: want the same outcome", fresh, known)
	}
}

// Re-ingesting the same findings from a later run moves only scan and last
// seen (seen events), and reindex reproduces the rows.
func TestIngestSeenMovesLastSeenOnly(t *testing.T) {
	ctx := context.Background()
	s, g := env(t)
	mk := func(at int64) string {
		return ocsf(
			rec{check: "s3_bucket_default_encryption", resource: "arn:aws:s3:::a", region: "eu-west-1", status: "FAIL", unixTime: at},
			rec{check: "s3_bucket_default_encryption", resource: "arn:aws:s3:::b", region: "eu-west-1", status: "PASS", unixTime: at},
		)
	}
	if _, err := g.File(ctx, write(t, mk(t0.Unix()))); err != nil {
		t.Fatal(err)
	}
	before, err := s.ListFindings(ctx, rampart.FindingFilter{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := g.File(ctx, write(t, mk(t0.Unix()+3600)))
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats != (rampart.CommitStats{Seen: 2}) {
		t.Fatalf("stats = %+v, want 2 seen", res.Stats)
	}
	after, err := s.ListFindings(ctx, rampart.FindingFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Fatalf("%d rows after, %d before", len(after), len(before))
	}
	for i := range after {
		b, a := before[i], after[i]
		if !a.LastSeenAt.Equal(t0.Add(time.Hour)) || a.ScanID != res.ScanID {
			t.Errorf("%s: last seen %v scan %s, want %v and %s", a.ResourceID, a.LastSeenAt, a.ScanID, t0.Add(time.Hour), res.ScanID)
		}
		b.LastSeenAt, b.ScanID = a.LastSeenAt, a.ScanID
		if !reflect.DeepEqual(a, b) {
			t.Errorf("seen changed more than last seen and scan:\n%+v\n%+v", b, a)
		}
	}
	if _, err := s.Reindex(ctx); err != nil {
		t.Fatal(err)
	}
	re, err := s.ListFindings(ctx, rampart.FindingFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(re, after) {
		t.Fatalf("reindex changed rows:\n%+v\n%+v", after, re)
	}
}

// Bytes that are not UTF-8 (a CSV from an old tool) are stored as Reindex
// reads them back from the event: the row and its replay agree.
func TestIngestInvalidUTF8ReindexesIdentically(t *testing.T) {
	ctx := context.Background()
	s, g := env(t)
	header := "PROVIDER;ACCOUNT_UID;REGION;CHECK_ID;CHECK_TITLE;STATUS;STATUS_EXTENDED;SEVERITY;SERVICE_NAME;RESOURCE_TYPE;RESOURCE_UID;RESOURCE_NAME;TIMESTAMP;MUTED\n"
	row := "aws;111122223333;eu-west-1;s3_bucket_default_encryption;Bucket \xff\xfe title;FAIL;caf\xe9 latin-1;high;s3;AwsS3Bucket;arn:aws:s3:::b\xe9;b\xe9;2026-04-01 12:00:00;False\n"
	p := filepath.Join(t.TempDir(), "prowler-output.csv")
	if err := os.WriteFile(p, []byte(header+row), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := g.File(ctx, p); err != nil {
		t.Fatal(err)
	}
	before, err := s.ListFindings(ctx, rampart.FindingFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(before) != 1 {
		t.Fatalf("%d findings, want 1", len(before))
	}
	if _, err := s.Reindex(ctx); err != nil {
		t.Fatal(err)
	}
	after, err := s.ListFindings(ctx, rampart.FindingFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before, after) {
		t.Fatalf("reindex changed the row:\n%+v\n%+v", before, after)
	}
}

// TestIngestReportsPhases: the result says where the time went, in order,
// the store's parts of its Finish included, and the parts add up to no
// more than the whole.
func TestIngestReportsPhases(t *testing.T) {
	_, g := env(t)
	start := time.Now()
	res, err := g.File(context.Background(), filepath.Join("testdata", "example_output_aws.ocsf.json"))
	whole := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var top time.Duration
	for _, p := range res.Phases {
		names = append(names, p.Name)
		if p.Duration < 0 {
			t.Errorf("phase %s took %v", p.Name, p.Duration)
		}
		if !strings.HasPrefix(p.Name, "finish.") {
			top += p.Duration
		}
	}
	want := []string{"hash", "records", "artifact", "finish",
		"finish.vanish", "finish.events", "finish.index_build", "finish.summaries", "finish.commit"}
	if !slices.Equal(names, want) {
		t.Fatalf("phases %q, want %q", names, want)
	}
	if top > whole {
		t.Fatalf("phases add up to %v, more than the %v the ingest took", top, whole)
	}
}

// TestIngestSameFileAtOnce: two ingests of one file at the same time
// store it once; the other reports the duplicate.
func TestIngestSameFileAtOnce(t *testing.T) {
	s, g := env(t)
	for round := 0; round < 5; round++ {
		path := write(t, ocsf(rec{check: "s3_bucket_default_encryption", resource: fmt.Sprintf("arn:aws:s3:::r%d", round),
			region: "eu-west-1", status: "FAIL", unixTime: t0.Unix()}))
		results := make(chan ingest.Result, 2)
		errs := make(chan error, 2)
		for i := 0; i < 2; i++ {
			go func() {
				res, err := g.File(context.Background(), path)
				results <- res
				errs <- err
			}()
		}
		dups := 0
		for i := 0; i < 2; i++ {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
			if (<-results).Duplicate {
				dups++
			}
		}
		if dups != 1 {
			t.Fatalf("round %d: %d of 2 ingests reported the duplicate, want 1", round, dups)
		}
	}
	if c := count(t, s); c.scans != 5 || c.artifacts != 5 {
		t.Fatalf("store holds %+v, want 5 scans and 5 artifacts", c)
	}
}
