package postgres_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/internal/pgtest"
	"github.com/rampart-cspm/rampart/internal/storetest"
	"github.com/rampart-cspm/rampart/postgres"
)

func open(t *testing.T) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), pgtest.Schema(t))
	if err != nil {
		t.Fatal(err)
	}
	s.Now = func() time.Time { return storetest.T0 }
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) rampart.Store { return open(t) })
}

func TestOpenTwiceMigratesOnce(t *testing.T) {
	url := pgtest.Schema(t)
	for i := 0; i < 2; i++ {
		s, err := postgres.Open(context.Background(), url)
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		var n int
		if err := s.Pool().QueryRow(context.Background(), `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != postgres.SchemaVersion() {
			t.Fatalf("open %d: %d migrations recorded, want %d", i, n, postgres.SchemaVersion())
		}
		s.Close()
	}
}

func TestOpenUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := postgres.Open(ctx, "postgres://nobody@127.0.0.1:1/nothing?connect_timeout=2")
	if err == nil || !strings.Contains(err.Error(), "cannot reach postgres://nobody@127.0.0.1:1/nothing") {
		t.Fatalf("got %v, want an error naming the unreachable server", err)
	}
}

func TestOpenBadURL(t *testing.T) {
	_, err := postgres.Open(context.Background(), "postgres://%zz")
	if rampart.ErrorCode(err) != rampart.EINVALID {
		t.Fatalf("got %v, want EINVALID", err)
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	url := pgtest.Schema(t)
	s, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pool().Exec(context.Background(), `INSERT INTO schema_migrations VALUES (9999, 'future', now())`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = postgres.Open(context.Background(), url)
	if err == nil || !strings.Contains(err.Error(), "newer than this binary knows") {
		t.Fatalf("got %v, want a refusal of the newer schema", err)
	}
}

// TestFindingsLeaveRoomForUpdates: the findings table keeps half of each
// page for the next versions of its rows (migration 0008).
func TestFindingsLeaveRoomForUpdates(t *testing.T) {
	s := open(t)
	var opts []string
	if err := s.Pool().QueryRow(context.Background(),
		`SELECT coalesce(reloptions, '{}') FROM pg_class WHERE oid = 'findings'::regclass`).Scan(&opts); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(opts, "fillfactor=50") {
		t.Fatalf("findings options %q, want fillfactor=50", opts)
	}
}
