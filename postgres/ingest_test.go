package postgres_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/artifact"
	"github.com/rampart-cspm/rampart/ingest"
	"github.com/rampart-cspm/rampart/postgres"
	"github.com/rampart-cspm/rampart/sqlite"
)

var t0 = time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)

const lzID = "lz-test"

// ingestStore is what the comparison reads and writes through, on either
// store.
type ingestStore interface {
	rampart.Store
	ArtifactBySHA256(ctx context.Context, lzID, kindPrefix, sha string) (rampart.Artifact, bool, error)
}

type pgIngest struct{ *postgres.Store }

func (s pgIngest) Begin(ctx context.Context, scan rampart.Scan) (ingest.Tx, error) {
	return s.BeginIngest(ctx, scan)
}

// pgNoPrefetch hides Prefetch: every lookup is Observe's own.
type pgNoPrefetch struct{ *postgres.Store }

func (s pgNoPrefetch) Begin(ctx context.Context, scan rampart.Scan) (ingest.Tx, error) {
	in, err := s.BeginIngest(ctx, scan)
	if err != nil {
		return nil, err
	}
	return struct{ ingest.Tx }{in}, nil
}

type sqliteIngest struct{ *sqlite.Store }

func (s sqliteIngest) Begin(ctx context.Context, scan rampart.Scan) (ingest.Tx, error) {
	return s.BeginIngest(ctx, scan)
}

// side is one store under comparison and the ingester writing into it.
type side struct {
	name  string
	store ingestStore
	g     *ingest.Ingester
	scans map[string]string // the store's scan ID → the step's name
	arts  string            // the artifact directory
}

func newSide(t *testing.T, name string, s ingestStore, wrap func(ingestStore) ingest.Store) *side {
	t.Helper()
	lz := rampart.LandingZone{ID: lzID, Name: "Test", OwnerTeam: "platform", Environment: "production",
		AuditRoleName: "Audit", Regions: []string{"eu-west-1"}}
	if err := s.UpsertLandingZone(context.Background(), lz); err != nil {
		t.Fatal(err)
	}
	artDir := filepath.Join(t.TempDir(), "artifacts")
	arts, err := artifact.NewLocal(artDir)
	if err != nil {
		t.Fatal(err)
	}
	return &side{name: name, store: s, scans: map[string]string{}, arts: artDir,
		g: &ingest.Ingester{Store: wrap(s), Artifacts: arts, LandingZone: lz, DefaultAccount: "cluster-1", Now: func() time.Time { return t0 }}}
}

// record is one OCSF record of the hand-made files.
type record struct {
	check, resource, region, status string
	account                         string
	day                             int
}

func ocsfFile(t *testing.T, dir, name string, recs ...record) string {
	t.Helper()
	var parts []string
	for _, r := range recs {
		service, _, _ := strings.Cut(r.check, "_")
		acct := r.account
		if acct == "" {
			acct = "111122223333"
		}
		parts = append(parts, fmt.Sprintf(`{"class_uid":2004,"metadata":{"event_code":%q},"severity":"High","status_code":%q,
 "finding_info":{"title":"t %s"},"time":%d,"cloud":{"provider":"aws","account":{"uid":%q},"region":%q},
 "resources":[{"uid":%q,"name":"n","type":"T","region":%q,"group":{"name":%q}}]}`,
			r.check, r.status, r.check, t0.Unix()+int64(r.day)*86400+60, acct, r.region, r.resource, r.region, service))
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("[\n"+strings.Join(parts, ",\n")+"\n]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestIngestMatchesSQLite ingests the same files, in the same order, into
// the SQLite store (the reference: its ingest is tested on its own) and
// into Postgres, with and without Prefetch, and requires the same
// results, rows, events, scans and units, with scan IDs (random per
// ingest) replaced by the step that made them.
func TestIngestMatchesSQLite(t *testing.T) {
	ctx := context.Background()
	// Rows are written a few at a time, so that a finding met again after
	// its row was written is read back from the table.
	defer postgres.SetFlushRows(3)()
	dir := t.TempDir()
	lite, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lite.Close() })
	lite.Now = func() time.Time { return t0 }
	pg1, pg2 := open(t), open(t)
	for _, s := range []*postgres.Store{pg1, pg2} {
		s.Now = func() time.Time { return t0 }
	}
	sides := []*side{
		newSide(t, "sqlite", lite, func(s ingestStore) ingest.Store { return sqliteIngest{s.(*sqlite.Store)} }),
		newSide(t, "postgres", pg1, func(s ingestStore) ingest.Store { return pgIngest{s.(*postgres.Store)} }),
		newSide(t, "postgres without prefetch", pg2, func(s ingestStore) ingest.Store { return pgNoPrefetch{s.(*postgres.Store)} }),
	}

	gen := func(name string, at time.Time) string {
		var b bytes.Buffer
		if _, err := ingest.GenerateAt(&b, 600_000, 7, at); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const s3enc, s3ver, ec2sg = "s3_bucket_default_encryption", "s3_bucket_object_versioning", "ec2_securitygroup_default_restrict_traffic"
	// day1: a, b, d, f fail, c passes; a repeat of c that fails is kept
	// over its pass, repeats of f and a that pass are ignored. With rows
	// written three at a time, f's and c's repeats read the row the
	// ingest holds, a's the row it wrote.
	day1 := ocsfFile(t, dir, "day1.ocsf.json",
		record{s3ver, "arn:aws:s3:::f", "eu-west-1", "FAIL", "", 1},
		record{s3ver, "arn:aws:s3:::f", "eu-west-1", "PASS", "", 1},
		record{s3enc, "arn:aws:s3:::a", "eu-west-1", "FAIL", "", 1},
		record{s3enc, "arn:aws:s3:::b", "eu-west-1", "FAIL", "", 1},
		record{s3ver, "arn:aws:s3:::c", "eu-west-1", "PASS", "", 1},
		record{s3ver, "arn:aws:s3:::c", "eu-west-1", "FAIL", "", 1},
		record{s3enc, "arn:aws:s3:::a", "eu-west-1", "PASS", "", 1},
		record{s3ver, "arn:aws:s3:::d", "eu-west-1", "FAIL", "", 1},
		record{ec2sg, "sg-1", "us-east-1", "FAIL", "", 1},
		record{ec2sg, "sg-2", "us-east-1", "FAIL", "444455556666", 1},
	)
	// day2: a passes (resolved), b is absent (its check ran: resolved by
	// absence), c is seen, d cannot be evaluated (ignored: it fails), e
	// is new; us-east-1 and the other account are not in the file.
	day2 := ocsfFile(t, dir, "day2.ocsf.json",
		record{s3enc, "arn:aws:s3:::a", "eu-west-1", "PASS", "", 2},
		record{s3ver, "arn:aws:s3:::c", "eu-west-1", "FAIL", "", 2},
		record{s3ver, "arn:aws:s3:::d", "eu-west-1", "MANUAL", "", 2},
		record{s3ver, "arn:aws:s3:::e", "eu-west-1", "FAIL", "", 2},
	)
	// day3: a and b fail again (reopened), sg-1 passes.
	day3 := ocsfFile(t, dir, "day3.ocsf.json",
		record{s3enc, "arn:aws:s3:::a", "eu-west-1", "FAIL", "", 3},
		record{s3enc, "arn:aws:s3:::b", "eu-west-1", "FAIL", "", 3},
		record{ec2sg, "sg-1", "us-east-1", "PASS", "", 3},
	)
	steps := []struct{ name, path string }{
		{"aws-ocsf", filepath.Join("..", "ingest", "testdata", "example_output_aws.ocsf.json")},
		{"aws-csv", filepath.Join("..", "ingest", "testdata", "example_output_aws.csv")},
		{"aws-asff", filepath.Join("..", "ingest", "testdata", "prowler_aws.asff.json")},
		{"azure", filepath.Join("..", "ingest", "testdata", "example_output_azure.ocsf.json")},
		{"kubernetes", filepath.Join("..", "ingest", "testdata", "example_output_kubernetes.ocsf.json")},
		{"generated", gen("gen0.ocsf.json", t0)},
		{"generated next day", gen("gen1.ocsf.json", t0.Add(24*time.Hour))},
		{"native", ""},
		{"day1", day1},
		{"day2", day2},
		{"day2 again", day2},
		{"day3", day3},
	}
	for _, st := range steps {
		var results []string
		for _, sd := range sides {
			if st.path == "" {
				results = append(results, commitNative(t, sd))
				continue
			}
			res, err := sd.g.File(ctx, st.path)
			if err != nil {
				t.Fatalf("%s: %s: %v", st.name, sd.name, err)
			}
			if !res.Duplicate {
				sd.scans[res.ScanID] = st.name
			}
			res.File, res.ScanID, res.Phases = "", sd.scans[res.ScanID], nil
			for i := range res.Units {
				res.Units[i] = normalUnit(res.Units[i], sd)
			}
			b, _ := json.Marshal(res)
			results = append(results, string(b))
		}
		for i := 1; i < len(sides); i++ {
			if results[i] != results[0] {
				t.Errorf("%s: %s result differs from %s:\n%s\n%s", st.name, sides[i].name, sides[0].name, results[i], results[0])
			}
		}
	}
	reached(t, lite)
	ref := dump(t, sides[0])
	for _, sd := range sides[1:] {
		if got := dump(t, sd); got != ref {
			t.Errorf("%s differs from %s:\n%s", sd.name, sides[0].name, firstDiff(got, ref))
		}
	}
	// Postgres's read model is what its events replay to.
	before := dump(t, sides[1])
	if _, err := pg1.Reindex(ctx); err != nil {
		t.Fatal(err)
	}
	if after := dump(t, sides[1]); after != before {
		t.Errorf("Reindex changed postgres rows:\n%s", firstDiff(after, before))
	}
}

// reached fails unless the steps reached what the comparison is about: a
// finding of both sources, every kind of event, a skipped duplicate.
func reached(t *testing.T, s *sqlite.Store) {
	t.Helper()
	ctx := context.Background()
	fs, err := s.ListFindings(ctx, rampart.FindingFilter{})
	if err != nil {
		t.Fatal(err)
	}
	merged := 0
	for _, f := range fs {
		if strings.Join(f.Sources, ",") == "native,prowler" {
			merged++
		}
	}
	evs, err := s.ListFindingEvents(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	types := map[rampart.EventType]int{}
	for _, ev := range evs {
		types[ev.Type]++
	}
	t.Logf("%d findings (%d of both sources), events %v", len(fs), merged, types)
	for _, ty := range []rampart.EventType{rampart.EventDetected, rampart.EventSeen, rampart.EventChanged, rampart.EventResolved, rampart.EventReopened} {
		if types[ty] == 0 {
			t.Errorf("no %s event: the steps do not compare that path", ty)
		}
	}
	if merged == 0 {
		t.Error("no finding of both sources")
	}
}

// commitNative commits, through the store's CommitUnit, a native finding
// with the dedup key of day1's finding on bucket a.
func commitNative(t *testing.T, sd *side) string {
	t.Helper()
	ctx := context.Background()
	f := rampart.Finding{LandingZoneID: lzID, AccountID: "111122223333", Region: "eu-west-1", CloudProvider: "aws",
		Service: "s3", ResourceID: "arn:aws:s3:::a", ControlID: "s3_bucket_default_encryption", Title: "native title",
		Severity: rampart.SeverityHigh, Status: rampart.StatusFail, Sources: []string{rampart.SourceNative}}
	f.ComputeID()
	u := rampart.ScanUnit{ID: rampart.UnitID("native1", f.AccountID, f.Region), AccountID: f.AccountID, Region: f.Region}
	if err := sd.store.CreateScan(ctx, rampart.Scan{ID: "native1", LandingZoneID: lzID, Scanner: "native", StartedAt: t0}, []rampart.ScanUnit{u}); err != nil {
		t.Fatal(err)
	}
	u.State, u.Services = rampart.UnitSucceeded, []rampart.ServiceResult{{Service: "s3", Status: rampart.ServiceOK, Checks: []string{f.ControlID}}}
	stats, err := sd.store.CommitUnit(ctx, rampart.UnitResult{Unit: u, Findings: []rampart.Finding{f}, At: t0.Add(12 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	sd.scans["native1"] = "native1"
	return fmt.Sprintf("%+v", stats)
}

// normalUnit replaces the unit's scan ID (and the unit ID made of it).
func normalUnit(u rampart.ScanUnit, sd *side) rampart.ScanUnit {
	name := sd.scans[u.ScanID]
	u.ID = strings.Replace(u.ID, u.ScanID, name, 1)
	u.ScanID = name
	return u
}

// dump is the store's findings, events, scans and units as JSON, scan IDs
// replaced by their step's name, event IDs dropped (their order kept).
func dump(t *testing.T, sd *side) string {
	t.Helper()
	ctx := context.Background()
	fs, err := sd.store.ListFindings(ctx, rampart.FindingFilter{})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(fs, func(i, j int) bool { return fs[i].FindingID < fs[j].FindingID })
	evs, err := sd.store.ListFindingEvents(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for i := range evs {
		evs[i].ID = 0
	}
	scans, err := sd.store.ListScans(ctx, lzID, 0)
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(scans, func(i, j int) bool { return sd.scans[scans[i].ID] < sd.scans[scans[j].ID] })
	var units []rampart.ScanUnit
	var arts []rampart.Artifact
	for _, sc := range scans {
		us, err := sd.store.ListUnits(ctx, sc.ID)
		if err != nil {
			t.Fatal(err)
		}
		units = append(units, us...)
		as, err := sd.store.ListArtifacts(ctx, sc.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range as {
			a.URI = filepath.Base(a.URI) // each side has its own directory
			arts = append(arts, a)
		}
	}
	b, err := json.MarshalIndent(map[string]any{"findings": fs, "events": evs, "scans": scans, "units": units, "artifacts": arts}, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	for id, name := range sd.scans {
		out = strings.ReplaceAll(out, id, name)
	}
	return out
}

// firstDiff shows the lines around the first difference of a and b.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			lo := max(0, i-8)
			return fmt.Sprintf("line %d:\n got: %s\nwant: %s\ncontext:\n%s", i+1, al[i], bl[i], strings.Join(bl[lo:min(len(bl), i+4)], "\n"))
		}
	}
	return fmt.Sprintf("lengths %d and %d lines", len(al), len(bl))
}

// TestIngestBadRecordStoresNothing: a file that fails at its last record,
// after rows were written, leaves no scan, unit, finding, event or
// artifact behind.
func TestIngestBadRecordStoresNothing(t *testing.T) {
	ctx := context.Background()
	defer postgres.SetFlushRows(2)()
	s := open(t)
	sd := newSide(t, "postgres", s, func(s ingestStore) ingest.Store { return pgIngest{s.(*postgres.Store)} })
	good := ocsfFile(t, t.TempDir(), "good.ocsf.json",
		record{"s3_bucket_default_encryption", "arn:aws:s3:::a", "eu-west-1", "FAIL", "", 1})
	if _, err := sd.g.File(ctx, good); err != nil {
		t.Fatal(err)
	}
	before := dump(t, sd)
	bad := ocsfFile(t, t.TempDir(), "bad.ocsf.json",
		record{"s3_bucket_default_encryption", "arn:aws:s3:::a", "eu-west-1", "PASS", "", 2},
		record{"s3_bucket_default_encryption", "arn:aws:s3:::b", "eu-west-1", "FAIL", "", 2},
		record{"s3_bucket_default_encryption", "arn:aws:s3:::c", "eu-west-1", "FAIL", "", 2},
		record{"s3_bucket_default_encryption", "arn:aws:s3:::d", "us-east-1", "FAIL", "", 2},
		record{"s3_bucket_default_encryption", "arn:aws:s3:::e", "eu-west-1", "BROKEN", "", 2})
	_, err := sd.g.File(ctx, bad)
	if err == nil || !strings.Contains(err.Error(), "bad.ocsf.json: record 5") || !strings.Contains(err.Error(), "nothing from this file was stored") {
		t.Fatalf("error = %v, want one naming the file and record 5", err)
	}
	if after := dump(t, sd); after != before {
		t.Fatalf("a failed ingest changed the store:\n%s", firstDiff(after, before))
	}
	entries, err := os.ReadDir(filepath.Join(sd.arts, "prowler"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("artifact store holds %d files, want the good file's only", len(entries))
	}
}

// TestIngestHoldsItsScopes: a worker committing a unit of a scope an
// ingest has met waits for the ingest's commit, then decides against the
// ingest's rows.
func TestIngestHoldsItsScopes(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	if err := s.UpsertLandingZone(ctx, rampart.LandingZone{ID: lzID, Name: "Test"}); err != nil {
		t.Fatal(err)
	}
	f := rampart.Finding{LandingZoneID: lzID, AccountID: "111122223333", Region: "eu-west-1", CloudProvider: "aws",
		Service: "s3", ResourceID: "arn:aws:s3:::a", ControlID: "s3_bucket_default_encryption", Title: "t",
		Severity: rampart.SeverityHigh, Status: rampart.StatusFail, Sources: []string{rampart.SourceProwler}}
	f.ComputeID()
	u := rampart.ScanUnit{ID: rampart.UnitID("native1", f.AccountID, f.Region), AccountID: f.AccountID, Region: f.Region}
	if err := s.CreateScan(ctx, rampart.Scan{ID: "native1", LandingZoneID: lzID, Scanner: "native", StartedAt: t0}, []rampart.ScanUnit{u}); err != nil {
		t.Fatal(err)
	}
	in, err := s.BeginIngest(ctx, rampart.Scan{ID: "prowler1", LandingZoneID: lzID, Scanner: rampart.SourceProwler, StartedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Rollback()
	if err := in.Observe(f, t0); err != nil {
		t.Fatal(err)
	}
	native := f
	native.Sources = []string{rampart.SourceNative}
	u.State, u.Services = rampart.UnitSucceeded, []rampart.ServiceResult{{Service: "s3", Status: rampart.ServiceOK}}
	done := make(chan error, 1)
	go func() {
		_, err := s.CommitUnit(ctx, rampart.UnitResult{Unit: u, Findings: []rampart.Finding{native}, At: t0.Add(time.Hour)})
		done <- err
	}()
	// The commit waits on the scope's advisory lock.
	deadline := time.Now().Add(20 * time.Second)
	for {
		var waiting int
		if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting == 1 {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("the unit committed (%v) while the ingest held its scope", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the unit commit never waited on the scope's lock")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, _, err := in.Finish(nil, t0); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got, err := s.GetFinding(ctx, f.FindingID)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got.Sources, ",") != "native,prowler" || !got.FirstSeenAt.Equal(t0) || got.ScanID != "native1" {
		t.Fatalf("row after both: sources %v, first seen %v, scan %s; want both sources, the ingest's first sighting, the native scan",
			got.Sources, got.FirstSeenAt, got.ScanID)
	}
}

// TestIngestSameFileAtOnce: two ingests of one file at the same time into
// Postgres store it once; the other reports the duplicate.
func TestIngestSameFileAtOnce(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	sd := newSide(t, "postgres", s, func(s ingestStore) ingest.Store { return pgIngest{s.(*postgres.Store)} })
	dir := t.TempDir()
	for round := 0; round < 5; round++ {
		path := ocsfFile(t, dir, fmt.Sprintf("round%d.ocsf.json", round),
			record{"s3_bucket_default_encryption", fmt.Sprintf("arn:aws:s3:::r%d", round), "eu-west-1", "FAIL", "", 1})
		type outcome struct {
			res ingest.Result
			err error
		}
		out := make(chan outcome, 2)
		for i := 0; i < 2; i++ {
			go func() {
				res, err := sd.g.File(ctx, path)
				out <- outcome{res, err}
			}()
		}
		dups := 0
		for i := 0; i < 2; i++ {
			o := <-out
			if o.err != nil {
				t.Fatal(o.err)
			}
			if o.res.Duplicate {
				dups++
			}
		}
		if dups != 1 {
			t.Fatalf("round %d: %d of 2 ingests reported the duplicate, want 1", round, dups)
		}
	}
	scans, err := s.ListScans(ctx, lzID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(scans) != 5 {
		t.Fatalf("%d scans, want 5", len(scans))
	}
}
