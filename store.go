package rampart

import (
	"context"
	"io"
	"time"
)

// Artifact is a pointer to raw scanner output kept in an ArtifactStore. The
// database keeps pointers only, never the bytes.
type Artifact struct {
	ID          string
	ScanID      string
	UnitID      string
	Kind        string // e.g. "native-raw", "prowler-ocsf"
	URI         string // file:///..., s3://bucket/key
	SHA256      string
	Size        int64
	ContentType string
	CreatedAt   time.Time
}

// ArtifactStore keeps raw artifacts: a local directory by default, or any
// S3-compatible store.
type ArtifactStore interface {
	// Put stores r under key and returns its pointer (URI, sha256, size,
	// content type). Writes are atomic: a failed Put leaves nothing readable.
	Put(ctx context.Context, key, contentType string, r io.Reader) (Artifact, error)
	// Open returns the bytes behind uri, or an ENOTFOUND error.
	Open(ctx context.Context, uri string) (io.ReadCloser, error)
}

// UnitResult is everything one scan unit produced. A Store commits it in one
// transaction: the unit's final state, its findings' lifecycle, its events
// and its artifact pointers, or nothing.
type UnitResult struct {
	Unit      ScanUnit
	Findings  []Finding // observations, FindingID computed
	Artifacts []Artifact
	At        time.Time // observation time of the unit
}

// CommitStats counts the lifecycle events one commit wrote.
type CommitStats struct {
	Detected, Resolved, Reopened, Changed, Seen, Ignored int
}

// Add adds o to s.
func (s *CommitStats) Add(o CommitStats) {
	s.Detected += o.Detected
	s.Resolved += o.Resolved
	s.Reopened += o.Reopened
	s.Changed += o.Changed
	s.Seen += o.Seen
	s.Ignored += o.Ignored
}

// Count adds one event of type t.
func (s *CommitStats) Count(t EventType) {
	switch t {
	case EventDetected:
		s.Detected++
	case EventResolved:
		s.Resolved++
	case EventReopened:
		s.Reopened++
	case EventChanged:
		s.Changed++
	case EventSeen:
		s.Seen++
	}
}

// Store keeps Rampart's metadata. SQLite is the embedded default; every
// implementation passes the conformance suite in internal/storetest.
type Store interface {
	// UpsertLandingZone records or updates a landing zone.
	UpsertLandingZone(ctx context.Context, lz LandingZone) error
	// ReplaceAccounts records the accounts of an LZ as last enumerated.
	// Accounts no longer listed are kept with status "REMOVED".
	ReplaceAccounts(ctx context.Context, lzID string, accounts []Account) error
	ListAccounts(ctx context.Context, lzID string) ([]Account, error)

	CreateScan(ctx context.Context, scan Scan, units []ScanUnit) error
	FinishScan(ctx context.Context, scan Scan) error
	GetScan(ctx context.Context, id string) (Scan, error) // ENOTFOUND if missing
	ListScans(ctx context.Context, lzID string, limit int) ([]Scan, error)
	ListUnits(ctx context.Context, scanID string) ([]ScanUnit, error)
	// MarkUnitRunning moves a unit to running and counts an attempt.
	MarkUnitRunning(ctx context.Context, unitID string, at time.Time) error
	// CommitUnit applies a unit's result atomically. Committing the same
	// unit twice returns ECONFLICT and writes nothing.
	CommitUnit(ctx context.Context, res UnitResult) (CommitStats, error)

	ListFindings(ctx context.Context, f FindingFilter) ([]Finding, error)
	GetFinding(ctx context.Context, id string) (Finding, error)
	ListFindingEvents(ctx context.Context, findingID string) ([]FindingEvent, error)
	ListArtifacts(ctx context.Context, scanID string) ([]Artifact, error)

	// Reindex rebuilds the findings table from finding_events.
	Reindex(ctx context.Context) (int, error)

	Close() error
}
