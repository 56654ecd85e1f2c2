// Package sqlite is Rampart's embedded default rampart.Store: one SQLite
// database file (<dir>/rampart.db) in WAL mode, with versioned migrations
// embedded in the binary.
//
// The findings table is a read model. Every change to it is decided by
// rampart.Observe and rampart.Vanish, appended to finding_events, and applied
// with rampart.ApplyEvent, so Reindex can rebuild the table from the events
// and get the very same rows.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/rampart-cspm/rampart"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// FileName is the name of the database file inside the store's directory.
const FileName = "rampart.db"

// timeFormat is RFC 3339 in UTC with nine fixed fractional digits: unlike
// time.RFC3339Nano it keeps trailing zeros, so text order is time order.
const timeFormat = "2006-01-02T15:04:05.000000000Z07:00"

// Store is a rampart.Store backed by SQLite.
type Store struct {
	// Now is the clock for timestamps the caller did not give (account
	// updates, default scan start and finish times). Tests inject it.
	Now func() time.Time

	db   *sql.DB
	path string
	// writer serializes this process's write transactions. SQLite has one
	// writer at a time; queueing in Go (honouring ctx) instead of on
	// busy_timeout means dozens of units committing at once wait their turn
	// rather than fail with "database is locked".
	writer chan struct{}
	// group batches concurrent small writes into one transaction.
	group group
}

var _ rampart.Store = (*Store)(nil)

// Open opens or creates <dir>/rampart.db, creating dir with mode 0700 if
// needed, and applies the embedded migrations the database lacks. It refuses
// a database whose schema is newer than this binary knows.
func Open(ctx context.Context, dir string) (*Store, error) {
	if dir == "" {
		return nil, rampart.Errorf(rampart.EINVALID, "sqlite: open: empty directory")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: open: create directory %s: %w", dir, err)
	}
	path := filepath.Join(dir, FileName)
	q := url.Values{}
	// journal_mode is set by the driver's connect hook, after page_size.
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", strconv.Itoa(busyTimeoutMS))
	q.Set("_synchronous", "NORMAL")
	// 64 MiB of page cache per connection (the default is 2 MiB): findings
	// are keyed by a hash, so bulk writes touch pages all over the indexes.
	q.Set("_cache_size", "-"+defaultCacheKiB)
	// BEGIN IMMEDIATE: a write transaction takes the write lock up front, so
	// two writers wait on busy_timeout instead of failing on lock upgrade.
	q.Set("_txlock", "immediate")
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	db, err := sql.Open(driverName, dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s := &Store{Now: time.Now, db: db, path: path, writer: make(chan struct{}, 1)}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return s, nil
}

// driverName is mattn/go-sqlite3 with walCheckpointPages set on every
// connection.
const driverName = "sqlite3_rampart"

// walCheckpointPages is how many WAL pages a commit leaves before it
// checkpoints the WAL into the database (SQLite's default: 1,000). A scan
// unit's commit writes a few thousand pages (findings are keyed by a hash,
// so its rows land all over every index), which made every commit also
// checkpoint, rewriting those pages into the database file and syncing it.
// Checkpointing every 16,384 pages of WAL (128 MiB at pageSize) copies a page once
// however many commits rewrote it in between.
// In rampart bench scan (3 LZs x 40 accounts x 4 regions, ~600 unit
// commits), the unthrottled scan took 7.95 s instead of 9.27 s.
const walCheckpointPages = 16384

// pageSize is the page size of a database this package creates; one
// created with another keeps it (SQLite fixes the page size of a WAL
// database). SQLite's default is 4,096. Building the read model's indexes
// after a bulk load reads the whole findings table once per index, a page
// at a time, and a checkpoint copies every page: with 8 KiB pages rampart
// bench ingest --size-mb 512 ran at 25,380 and 24,574 findings/s against
// 20,575 and 21,029 (alternated, same machine), and the unthrottled floor of
// rampart bench scan, whose unit commits write a few rows all over the
// indexes, did not move (7.14 s and 6.95 s against 7.15 s and 6.85 s).
// 16 KiB pages loaded faster still but slowed the scan's commits by 10 %.
const pageSize = 8192

func init() {
	sql.Register(driverName, &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		// page_size only takes on a database without content, and must
		// come before WAL mode, which writes the header.
		_, err := c.Exec(fmt.Sprintf("PRAGMA page_size = %d; PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = %d",
			pageSize, walCheckpointPages), nil)
		return err
	}})
}

// busyTimeoutMS is how long a write waits for another process's write
// transaction (SQLite's busy_timeout): 10 minutes. A Prowler ingest holds
// the write lock for its whole file, ~30 s per GB (docs/bench-ingest.md).
// With the former 10 s, rampart demo --once started 3 s into a 1 GB
// `rampart ingest prowler` on the same data directory failed with
// "database is locked", and a serve's scan would have lost the commits of
// its units the same way. Readers never wait (WAL). SQLite's wait does
// not see the caller's context: a write whose context ends while it waits
// returns when the lock frees (measured: a 1 s deadline behind an 8 s
// ingest returned "context deadline exceeded" after 8.0 s), at the latest
// after busyTimeoutMS. Writers of this process queue in Go first
// (lockWrite), where their context is honoured.
const busyTimeoutMS = 10 * 60 * 1000

// defaultCacheKiB is every connection's page cache in KiB (64 MiB).
const defaultCacheKiB = "65536"

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// Close closes the database.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("sqlite: close %s: %w", s.path, err)
	}
	return nil
}

// migration is one embedded schema step.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in version order. Their file
// names start with the version number: 0001_init.sql.
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	seen := map[int]string{}
	for _, name := range names {
		base := filepath.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive version number and '_'", base)
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("migration %s: version %d already used by %s", base, v, prev)
		}
		seen[v] = base
		b, err := migrationFS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: base, sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// SchemaVersion returns the newest schema version this binary knows.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

func (s *Store) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return fmt.Errorf("read embedded migrations: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	known := 0
	if len(ms) > 0 {
		known = ms[len(ms)-1].version
	}
	for _, m := range ms {
		if err := s.applyMigration(ctx, m, known); err != nil {
			return err
		}
	}
	// A database with no pending migrations still has to be checked.
	var cur int
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&cur); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if cur > known {
		return tooNew(cur, known)
	}
	return nil
}

func tooNew(cur, known int) error {
	return rampart.Errorf(rampart.EINVALID,
		"database schema version %d is newer than this binary knows (%d); upgrade rampart", cur, known)
}

// applyMigration applies m in its own transaction unless it is applied.
func (s *Store) applyMigration(ctx context.Context, m migration, known int) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %s: %w", m.name, err)
	}
	defer tx.Rollback()
	var cur int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&cur); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if cur > known {
		return tooNew(cur, known)
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&n); err != nil {
		return fmt.Errorf("migration %s: %w", m.name, err)
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("migration %s: %w", m.name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.version, m.name, formatTime(s.Now())); err != nil {
		return fmt.Errorf("migration %s: record version: %w", m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migration %s: commit: %w", m.name, err)
	}
	return nil
}

// now returns the injected clock's time.
func (s *Store) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

// nullTime stores the zero time as NULL.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return formatTime(t)
}

func nullTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return formatTime(*t)
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse time %q: %w", s, err)
	}
	return t.UTC(), nil
}

func parseNullTime(s sql.NullString) (time.Time, error) {
	if !s.Valid {
		return time.Time{}, nil
	}
	return parseTime(s.String)
}

func parseNullTimePtr(s sql.NullString) (*time.Time, error) {
	if !s.Valid {
		return nil, nil
	}
	t, err := parseTime(s.String)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// isUniqueViolation reports whether err is a primary key or unique
// constraint failure.
func isUniqueViolation(err error) bool {
	var e sqlite3.Error
	if errors.As(err, &e) {
		return e.ExtendedCode == sqlite3.ErrConstraintPrimaryKey || e.ExtendedCode == sqlite3.ErrConstraintUnique
	}
	return false
}

// isForeignKeyViolation reports whether err is a foreign key failure.
func isForeignKeyViolation(err error) bool {
	var e sqlite3.Error
	if errors.As(err, &e) {
		return e.ExtendedCode == sqlite3.ErrConstraintForeignKey
	}
	return false
}

// lockWrite takes the store's write turn, or returns ctx's error.
func (s *Store) lockWrite(ctx context.Context) (func(), error) {
	select {
	case s.writer <- struct{}{}:
		return func() { <-s.writer }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// execWrite runs one write statement in the store's write turn.
func (s *Store) execWrite(ctx context.Context, query string, args ...any) (sql.Result, error) {
	unlock, err := s.lockWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return s.db.ExecContext(ctx, query, args...)
}
