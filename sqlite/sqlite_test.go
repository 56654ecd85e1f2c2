package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/internal/storetest"
)

// mustOpen opens a store in a temp dir with a fixed clock.
func mustOpen(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s.Now = func() time.Time { return storetest.T0 }
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) rampart.Store { return mustOpen(t) })
}

// dump returns every column of every findings row as text, in ID order.
func dump(t *testing.T, s *Store) []string {
	t.Helper()
	rows, err := s.db.Query(`SELECT * FROM findings ORDER BY finding_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for i, v := range vals {
			if v == nil {
				fmt.Fprintf(&b, "%s=NULL|", cols[i])
			} else {
				fmt.Fprintf(&b, "%s=%q|", cols[i], v)
			}
		}
		out = append(out, b.String())
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// queryRows runs q on s and returns every row's columns as the driver
// gives them.
func queryRows(t *testing.T, s *Store, q string, args ...any) [][]any {
	t.Helper()
	rows, err := s.db.Query(q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// dumpQuery returns queryRows's rows, each printed with %v.
func dumpQuery(t *testing.T, s *Store, q string) []string {
	t.Helper()
	var out []string
	for _, r := range queryRows(t, s, q) {
		out = append(out, fmt.Sprintf("%v", r))
	}
	return out
}

func TestReindexByteIdentical(t *testing.T) {
	s := mustOpen(t)
	storetest.Sequence(t, s)
	before := dump(t, s)
	if len(before) < 5 {
		t.Fatalf("sequence wrote %d rows, want at least 5", len(before))
	}
	var resolved int
	for _, r := range before {
		if !strings.Contains(r, "resolved_at=NULL") {
			resolved++
		}
	}
	if resolved == 0 || resolved == len(before) {
		t.Fatalf("sequence left %d of %d rows resolved, want a mix", resolved, len(before))
	}
	n, err := s.Reindex(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n != len(before) {
		t.Fatalf("Reindex = %d rows, want %d", n, len(before))
	}
	after := dump(t, s)
	if !reflect.DeepEqual(before, after) {
		for i := range min(len(before), len(after)) {
			if before[i] != after[i] {
				t.Errorf("row %d\nlive    %s\nreindex %s", i, before[i], after[i])
			}
		}
		t.Fatalf("reindexed table differs from the live one")
	}
}

func TestOpenCreatesPrivateDirAndMigrates(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "data")
	s, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o700 {
		t.Errorf("directory mode = %o, want 700", perm)
	}
	if s.Path() != filepath.Join(dir, FileName) {
		t.Errorf("Path() = %s, want %s", s.Path(), filepath.Join(dir, FileName))
	}
	var mode string
	if err := s.db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	var fk int
	if err := s.db.QueryRow(`PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys = %d, %v; want 1", fk, err)
	}
	var version int
	if err := s.db.QueryRow(`SELECT MAX(version) FROM schema_migrations`).Scan(&version); err != nil || version != SchemaVersion() || version < 1 {
		t.Errorf("schema version = %d, %v; want %d", version, err, SchemaVersion())
	}
	if err := s.UpsertLandingZone(context.Background(), rampart.LandingZone{ID: "lz"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Reopening applies nothing twice and keeps the data.
	s, err = Open(context.Background(), dir)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	var n int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n != SchemaVersion() {
		t.Errorf("schema_migrations rows = %d, %v; want %d", n, err, SchemaVersion())
	}
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM landing_zones`).Scan(&n); err != nil || n != 1 {
		t.Errorf("landing zones after reopen = %d, %v; want 1", n, err)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	future := SchemaVersion() + 1
	if _, err := s.db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future.sql', '')`, future); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = Open(context.Background(), dir)
	if err == nil {
		t.Fatal("Open of a database from a newer binary succeeded")
	}
	if rampart.ErrorCode(err) != rampart.EINVALID || !strings.Contains(err.Error(), fmt.Sprintf("version %d is newer", future)) {
		t.Fatalf("error = %v, want EINVALID naming version %d", err, future)
	}
}

func TestOpenEmptyDir(t *testing.T) {
	if _, err := Open(context.Background(), ""); rampart.ErrorCode(err) != rampart.EINVALID {
		t.Fatalf("Open(\"\") error = %v, want EINVALID", err)
	}
}

func TestMigrationsNumbered(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range ms {
		if m.version != i+1 {
			t.Errorf("migration %s has version %d, want %d (no gaps)", m.name, m.version, i+1)
		}
	}
}

// TestTimeTextOrder guards the stored time format: text order must be time
// order, which time.RFC3339Nano (trailing zeros trimmed) does not give.
func TestTimeTextOrder(t *testing.T) {
	a := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	b := a.Add(500 * time.Millisecond)
	if !(formatTime(a) < formatTime(b)) {
		t.Fatalf("%s sorts after %s", formatTime(a), formatTime(b))
	}
	got, err := parseTime(formatTime(b))
	if err != nil || !got.Equal(b) {
		t.Fatalf("round trip of %v = %v, %v", b, got, err)
	}
}

// TestCommitLoadsRowsOfOtherScopes: a finding observed by a unit of another
// scope than the one that first reported it is updated, not duplicated.
func TestCommitLoadsRowsOfOtherScopes(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	if err := s.UpsertLandingZone(ctx, rampart.LandingZone{ID: "lz"}); err != nil {
		t.Fatal(err)
	}
	commit := func(scanID, region string, at time.Time) rampart.CommitStats {
		t.Helper()
		u := rampart.ScanUnit{ID: rampart.UnitID(scanID, "1", region), AccountID: "1", Region: region}
		if err := s.CreateScan(ctx, rampart.Scan{ID: scanID, LandingZoneID: "lz", StartedAt: at}, []rampart.ScanUnit{u}); err != nil {
			t.Fatal(err)
		}
		f := rampart.Finding{ScanID: scanID, LandingZoneID: "lz", AccountID: "1", Region: "us-east-1",
			CloudProvider: "aws", Service: "s3", ResourceID: "b", ControlID: "c", Status: rampart.StatusFail,
			Severity: rampart.SeverityLow}
		f.ComputeID()
		u.State, u.Services = rampart.UnitSucceeded, []rampart.ServiceResult{{Service: "s3", Status: rampart.ServiceOK}}
		stats, err := s.CommitUnit(ctx, rampart.UnitResult{Unit: u, Findings: []rampart.Finding{f}, At: at})
		if err != nil {
			t.Fatal(err)
		}
		return stats
	}
	commit("s1", rampart.GlobalRegion, storetest.T0)
	stats := commit("s2", "us-east-1", storetest.T0.Add(time.Minute))
	if stats != (rampart.CommitStats{Changed: 1}) {
		t.Fatalf("stats = %+v, want one change (the scope moved)", stats)
	}
	all, err := s.ListFindings(ctx, rampart.FindingFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || all[0].Scope != "us-east-1" || !all[0].FirstSeenAt.Equal(storetest.T0) {
		t.Fatalf("rows = %+v, want one row now scoped to us-east-1, first seen at T0", all)
	}
}

// Every connection of the pool checkpoints the WAL every
// walCheckpointPages, not SQLite's default 1,000.
func TestWALCheckpointInterval(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	conns := make([]*sql.Conn, 3)
	for i := range conns {
		if conns[i], err = s.db.Conn(ctx); err != nil {
			t.Fatal(err)
		}
		defer conns[i].Close()
		var n int
		if err := conns[i].QueryRowContext(ctx, `PRAGMA wal_autocheckpoint`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != walCheckpointPages {
			t.Errorf("connection %d: wal_autocheckpoint = %d, want %d", i, n, walCheckpointPages)
		}
	}
}

// A new database gets pageSize pages and WAL mode; a database created
// with SQLite's default 4 KiB pages keeps them, opens in WAL mode and
// migrates.
func TestPageSize(t *testing.T) {
	ctx := context.Background()
	pragma := func(db *sql.DB, name string) string {
		t.Helper()
		var v string
		if err := db.QueryRow(`PRAGMA ` + name).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	s, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := pragma(s.db, "page_size"); got != fmt.Sprint(pageSize) {
		t.Errorf("new database: page_size %s, want %d", got, pageSize)
	}

	// An older database: plain driver, default page size, WAL.
	dir := t.TempDir()
	old, err := sql.Open("sqlite3", filepath.Join(dir, FileName)+"?_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Exec(`CREATE TABLE kept (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	if got := pragma(old, "page_size"); got != "4096" {
		t.Fatalf("the plain driver made %s-byte pages: the case tests nothing", got)
	}
	old.Close()
	s2, err := Open(ctx, dir)
	if err != nil {
		t.Fatalf("open a 4 KiB-page database: %v", err)
	}
	defer s2.Close()
	if got, mode := pragma(s2.db, "page_size"), pragma(s2.db, "journal_mode"); got != "4096" || mode != "wal" {
		t.Errorf("existing database: page_size %s, journal_mode %s; want 4096, wal", got, mode)
	}
	if err := s2.UpsertLandingZone(ctx, rampart.LandingZone{ID: "lz-a", OwnerTeam: "t"}); err != nil {
		t.Errorf("write to the migrated 4 KiB-page database: %v", err)
	}
}

// TestWritersWaitOutAnIngest: a write from another process waits up to ten
// minutes for the write lock, which an ingest holds for its whole file
// (~30 s per GB), instead of failing after ten seconds. Every connection
// of the pool has it.
func TestWritersWaitOutAnIngest(t *testing.T) {
	s := mustOpen(t)
	ctx := context.Background()
	conns := make([]*sql.Conn, 3)
	for i := range conns {
		c, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns[i] = c
		var ms int
		if err := c.QueryRowContext(ctx, `PRAGMA busy_timeout`).Scan(&ms); err != nil {
			t.Fatal(err)
		}
		if ms != 600000 {
			t.Fatalf("connection %d: busy_timeout %d ms, want 600000", i, ms)
		}
	}
}
