package sqlite

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rampart-cspm/rampart"
)

// A bulk ingest that defers the read model's indexes leaves the store
// exactly as one that maintains them row by row: the same findings, events
// and summaries, every index back with its definition, integrity intact.
// A rolled-back one leaves every index in place.
func TestIngestDefersIndexesOnBulkLoad(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	open := func() *Store {
		s := mustOpen(t)
		if err := s.GenerateDataset(ctx, GenerateOptions{Findings: 2000, Seed: 9, Now: now, LandingZones: 2, AccountsPerLZ: 3, Scans: 2}); err != nil {
			t.Fatal(err)
		}
		return s
	}
	ingest := func(s *Store, first int, scanID string, commit bool) *Ingest {
		t.Helper()
		old := deferFirst
		deferFirst = first
		defer func() { deferFirst = old }()
		existing, err := s.ListFindings(ctx, rampart.FindingFilter{LandingZoneID: "lz-01", Limit: 400})
		if err != nil || len(existing) < 100 {
			t.Fatalf("list: %d findings, %v", len(existing), err)
		}
		in, err := s.BeginIngest(ctx, rampart.Scan{ID: scanID, LandingZoneID: "lz-01", Scanner: rampart.SourceProwler})
		if err != nil {
			t.Fatal(err)
		}
		at := now.Add(time.Hour)
		for i, f := range existing[:200] {
			if i%3 == 0 {
				f.Status = rampart.StatusPass
			}
			if err := in.Observe(f, at); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 1500 { // new rows: 1500 >= a quarter of the table
			f := existing[i%len(existing)]
			f.ResourceID = fmt.Sprintf("arn:aws:s3:::bulk-%d", i)
			if i%2 == 0 {
				f.Region, f.Scope = "sa-east-1", "sa-east-1" // a fresh scope
			}
			f.Status = rampart.StatusFail
			f.ComputeID()
			if err := in.Observe(f, at); err != nil {
				t.Fatal(err)
			}
		}
		if !commit {
			in.Rollback()
			return in
		}
		if _, _, err := in.Finish(nil, at); err != nil {
			t.Fatal(err)
		}
		return in
	}
	dump := func(s *Store, q string) []string { t.Helper(); return dumpQuery(t, s, q) }
	const indexes = `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name`

	deferred, maintained := open(), open()
	before := dump(deferred, indexes)
	if in := ingest(deferred, 100, "scan-bulk", true); len(in.deferred) == 0 {
		t.Fatal("the ingest did not defer any index: the case tests nothing")
	}
	if in := ingest(maintained, 1<<30, "scan-bulk", true); in.deferred != nil {
		t.Fatal("deferred with deferFirst out of reach")
	}
	if after := dump(deferred, indexes); !reflect.DeepEqual(before, after) {
		t.Errorf("indexes after a deferred ingest:\n%s\nwant\n%s", strings.Join(after, "\n"), strings.Join(before, "\n"))
	}
	for _, q := range []string{
		`SELECT * FROM findings ORDER BY finding_id`,
		`SELECT * FROM finding_events ORDER BY id`,
		`SELECT * FROM scan_units ORDER BY id`,
	} {
		if a, b := dump(deferred, q), dump(maintained, q); !reflect.DeepEqual(a, b) {
			t.Errorf("%s: the deferred ingest's %d rows differ from the maintained ingest's %d", q, len(a), len(b))
		}
	}
	if got, want := summaryRows(t, deferred); !reflect.DeepEqual(got, want) {
		t.Error("summaries differ from findings after a deferred ingest")
	}
	var check string
	if err := deferred.db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check: %q, %v", check, err)
	}
	// The rebuilt indexes are used: a query by control plans on one.
	plan := strings.Join(dump(deferred, `EXPLAIN QUERY PLAN SELECT finding_id FROM finding_events WHERE finding_id = 'x' ORDER BY id`), " ")
	if !strings.Contains(plan, "finding_events_finding") {
		t.Errorf("finding_events lookup does not use its rebuilt index: %s", plan)
	}

	// Rolled back after deferring: the indexes are all there.
	rolled := open()
	if in := ingest(rolled, 100, "scan-rolled", false); len(in.deferred) == 0 {
		t.Fatal("the rolled-back ingest did not defer")
	}
	if after := dump(rolled, indexes); !reflect.DeepEqual(before, after) {
		t.Errorf("indexes after a rolled-back deferred ingest differ")
	}
}

// The bench's bare insert in each mode: BareDeferred leaves the same rows
// and the same indexes as BareRowIndexed; BareNoIndex leaves no secondary
// index on findings.
func TestBareModes(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	var rows []rampart.Finding
	{
		s := mustOpen(t)
		if err := s.GenerateDataset(ctx, GenerateOptions{Findings: 600, Seed: 3, Now: now, LandingZones: 1, AccountsPerLZ: 2, Scans: 1}); err != nil {
			t.Fatal(err)
		}
		var err error
		if rows, err = s.ListFindings(ctx, rampart.FindingFilter{Limit: 1000}); err != nil || len(rows) < 100 {
			t.Fatalf("list: %d, %v", len(rows), err)
		}
	}
	load := func(mode BareMode) *Store {
		t.Helper()
		s := mustOpen(t)
		b, err := s.BeginBare(ctx, mode)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Insert(rows); err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		return s
	}
	list := func(s *Store, q string) []string {
		t.Helper()
		r, err := s.db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		var out []string
		for r.Next() {
			var a, b string
			if err := r.Scan(&a, &b); err != nil {
				t.Fatal(err)
			}
			out = append(out, a+" "+b)
		}
		return out
	}
	const indexes = `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'findings' AND sql IS NOT NULL ORDER BY name`
	const content = `SELECT finding_id, status || risk_score || control_id FROM findings ORDER BY finding_id`
	row, deferred, none := load(BareRowIndexed), load(BareDeferred), load(BareNoIndex)
	want := list(row, indexes)
	if len(want) < 3 {
		t.Fatalf("findings has %d secondary indexes: the case tests nothing", len(want))
	}
	if got := list(deferred, indexes); !reflect.DeepEqual(got, want) {
		t.Errorf("indexes after BareDeferred:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := list(none, indexes); len(got) != 0 {
		t.Errorf("BareNoIndex left %d secondary indexes", len(got))
	}
	if a, b := list(deferred, content), list(row, content); len(a) != len(rows) || !reflect.DeepEqual(a, b) {
		t.Errorf("BareDeferred holds %d rows, BareRowIndexed %d, of %d inserted (or they differ)", len(a), len(b), len(rows))
	}
	var check string
	if err := deferred.db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check after BareDeferred: %q, %v", check, err)
	}
}
