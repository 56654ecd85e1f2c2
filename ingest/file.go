package ingest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/risk"
)

// Tx is one external scan being written atomically (sqlite.Ingest).
type Tx interface {
	Observe(f rampart.Finding, at time.Time) error
	Finish(arts []rampart.Artifact, finished time.Time) (rampart.CommitStats, []rampart.ScanUnit, error)
	Rollback()
}

// PhaseTimer is a Tx that times the parts of its Finish (sqlite.Ingest:
// absence resolutions, index builds, commit); they are added to
// Result.Phases as "finish.<name>".
type PhaseTimer interface {
	Phases(yield func(name string, d time.Duration))
}

// Phase is how long one part of an ingest took.
type Phase struct {
	Name     string
	Duration time.Duration
}

// Prefetcher is a Tx that can read ahead, in a few queries, the stored
// rows of a batch of findings it is about to observe (sqlite.Ingest).
// Observe must give the same result with or without it.
type Prefetcher interface {
	Prefetch(fs []rampart.Finding) error
}

// Store is what ingesting a file needs from the store.
type Store interface {
	// ArtifactBySHA256 finds an artifact of a scan of landing zone lzID
	// with a kind starting with kindPrefix.
	ArtifactBySHA256(ctx context.Context, lzID, kindPrefix, sha string) (rampart.Artifact, bool, error)
	// Begin starts the scan's transaction. Ingests take turns: Begin
	// returns once every ingest begun before it has committed or rolled
	// back, so what they stored is visible to ArtifactBySHA256.
	Begin(ctx context.Context, scan rampart.Scan) (Tx, error)
	ListAccounts(ctx context.Context, lzID string) ([]rampart.Account, error)
}

// Ingester ingests Prowler files as scans of one landing zone.
type Ingester struct {
	Store     Store
	Artifacts rampart.ArtifactStore
	// LandingZone gives owner, business unit and environment to accounts
	// the store does not know; only its ID is required.
	LandingZone rampart.LandingZone
	// DefaultAccount is the Kubernetes cluster of records that name none.
	DefaultAccount string
	// SkipInvalid skips records that cannot be mapped (counted in
	// Result.Skipped) instead of failing the file.
	SkipInvalid bool
	Now         func() time.Time
}

// Result is the outcome of ingesting one file.
type Result struct {
	File      string
	Format    Format
	SHA256    string
	Size      int64
	Duplicate bool // the same bytes were ingested before: nothing changed
	ScanID    string
	Records   int // records read and applied (duplicates in the file included)
	Skipped   int // invalid records skipped (SkipInvalid)
	Muted     int
	Units     []rampart.ScanUnit
	Stats     rampart.CommitStats
	// Phases is where the wall time went, in order: "hash" (hash and
	// duplicate check), "records" (parse and observe, until the last
	// record), "artifact" (waiting for the artifact's copy), "finish"
	// (the store's Finish and commit), then the store's own parts of it.
	Phases []Phase
}

// readBatch is how many records the parser hands the writer at a time.
const readBatch = 1024

// ArtifactKind is the kind prefix of ingested Prowler files.
const ArtifactKind = "prowler-"

// File ingests the Prowler output at path as one scan (scanner "prowler"):
// the file is hashed, streamed and committed in one transaction with a
// unit per (account, region), and stored as an artifact (copied while it
// parses when the artifact store can remove the copy again). A file whose
// sha256 was ingested into the landing zone before is reported as a
// duplicate and changes nothing. A record that cannot be mapped fails the
// whole file, leaving the store and the artifact store as they were,
// unless SkipInvalid; a malformed or truncated file always fails, and so
// does a file that changes while it is ingested.
func (g *Ingester) File(ctx context.Context, path string) (_ Result, err error) {
	res := Result{File: path}
	now := time.Now
	if g.Now != nil {
		now = g.Now
	}
	mark := time.Now()
	phase := func(name string) {
		t := time.Now()
		res.Phases = append(res.Phases, Phase{Name: name, Duration: t.Sub(mark)})
		mark = t
	}
	f, err := os.Open(path)
	if err != nil {
		return res, fmt.Errorf("ingest %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if res.Size, err = io.Copy(h, f); err != nil {
		return res, fmt.Errorf("ingest %s: read: %w", path, err)
	}
	res.SHA256 = hex.EncodeToString(h.Sum(nil))
	duplicate := func() (bool, error) {
		prev, ok, err := g.Store.ArtifactBySHA256(ctx, g.LandingZone.ID, ArtifactKind, res.SHA256)
		if err != nil {
			return false, fmt.Errorf("ingest %s: %w", path, err)
		}
		if ok {
			res.Duplicate, res.ScanID = true, prev.ScanID
		}
		return ok, nil
	}
	if dup, err := duplicate(); err != nil || dup {
		return res, err
	}
	phase("hash")
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return res, fmt.Errorf("ingest %s: %w", path, err)
	}
	name := filepath.Base(path)
	r, format, err := Open(f, name, Options{LandingZoneID: g.LandingZone.ID, DefaultAccount: g.DefaultAccount})
	if err != nil {
		return res, fmt.Errorf("ingest: %w", err)
	}
	res.Format = format

	accounts := map[string]rampart.Account{}
	if list, err := g.Store.ListAccounts(ctx, g.LandingZone.ID); err == nil {
		for _, a := range list {
			accounts[a.ID] = a
		}
	}
	started := now().UTC()
	scan := rampart.Scan{ID: newScanID(started), LandingZoneID: g.LandingZone.ID, Scanner: rampart.SourceProwler, StartedAt: started}
	tx, err := g.Store.Begin(ctx, scan)
	if err != nil {
		return res, fmt.Errorf("ingest %s: %w", path, err)
	}
	defer tx.Rollback()
	// Ingests take turns in the store: the same file ingested at the same
	// time by another process or goroutine passed the check above too, but
	// has committed by the time this one has its turn.
	if dup, err := duplicate(); err != nil || dup {
		return res, err
	}
	ext := map[Format]string{FormatOCSF: ".ocsf.json", FormatASFF: ".asff.json", FormatCSV: ".csv"}[format]
	ctype := "application/json"
	if format == FormatCSV {
		ctype = "text/csv"
	}
	key := "prowler/" + res.SHA256 + ext
	// The artifact store takes its copy of the file while the file parses
	// when it can take the copy back should the ingest fail: the store
	// keeps nothing of a failed ingest. tx holds the store's write turn, so
	// no other ingest writes or points at key meanwhile.
	var copying *artifactCopy
	if rs, ok := g.Artifacts.(removableArtifacts); ok {
		existed, err := rs.Has(ctx, key)
		if err != nil {
			return res, fmt.Errorf("ingest %s: %w", path, err)
		}
		// An object already under key is another scan's: it is not
		// overwritten while this ingest may still fail.
		if !existed {
			// A new object: the Put's own sha256 is checked after it, and
			// the copy removed if the file changed.
			copying = startCopy(ctx, g.Artifacts, rs, key, ctype, io.NewSectionReader(f, 0, res.Size))
			defer func() {
				if rerr := copying.abandon(ctx); rerr != nil {
					err = errors.Join(err, rerr)
				}
			}()
		}
	}
	// Parsing and normalizing run on their own goroutine, a batch ahead of
	// the store's writes: the two overlap on a multi-core machine, and at
	// most a few batches are in memory.
	batches := make(chan []Record, 2)
	readErr := make(chan error, 1)
	readCtx, stopRead := context.WithCancel(ctx)
	defer stopRead()
	go func() {
		defer close(batches)
		batch := make([]Record, 0, readBatch)
		for {
			rec, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				if g.SkipInvalid && Skippable(err) {
					rec.Number = -1 // counted as skipped below
					batch = append(batch, rec)
					continue
				}
				readErr <- err
				return
			}
			Enrich(&rec.Finding, g.LandingZone, accounts[rec.Finding.AccountID])
			batch = append(batch, rec)
			if len(batch) == readBatch {
				select {
				case batches <- batch:
				case <-readCtx.Done():
					return
				}
				batch = make([]Record, 0, readBatch)
			}
		}
		if len(batch) > 0 {
			select {
			case batches <- batch:
			case <-readCtx.Done():
			}
		}
		readErr <- nil
	}()
	pre, _ := tx.(Prefetcher)
	var ahead []rampart.Finding
	for batch := range batches {
		if pre != nil {
			ahead = ahead[:0]
			for i := range batch {
				if batch[i].Number >= 0 {
					ahead = append(ahead, batch[i].Finding)
				}
			}
			if err := pre.Prefetch(ahead); err != nil {
				return res, fmt.Errorf("ingest %s: %w", path, err)
			}
		}
		for _, rec := range batch {
			if rec.Number < 0 {
				res.Skipped++
				continue
			}
			at := rec.Time
			if at.IsZero() {
				at = started
			}
			if err := tx.Observe(rec.Finding, at); err != nil {
				return res, fmt.Errorf("ingest %s: record %d (byte %d): %w (nothing from this file was stored)", name, rec.Number, rec.Offset, err)
			}
			res.Records++
			if rec.Muted {
				res.Muted++
			}
		}
	}
	if err := <-readErr; err != nil {
		return res, fmt.Errorf("ingest: %w (nothing from this file was stored)", err)
	}
	phase("records")
	var art rampart.Artifact
	if copying != nil {
		art, err = copying.wait()
	} else {
		// The bytes go to the artifact store once the file has parsed,
		// over the object already there: a Put whose reader fails stores
		// nothing, and the checked reader fails if the bytes are not the
		// ones hashed.
		art, err = g.Artifacts.Put(ctx, key, ctype, newCheckedReader(io.NewSectionReader(f, 0, res.Size), res.SHA256))
	}
	if err != nil {
		return res, fmt.Errorf("ingest %s: store artifact: %w", path, err)
	}
	if art.SHA256 != res.SHA256 {
		return res, rampart.Errorf(rampart.ECONFLICT, "ingest %s: the file changed while it was ingested (sha256 %s, then %s); nothing from it was stored", path, res.SHA256, art.SHA256)
	}
	art.ID, art.ScanID, art.Kind = scan.ID+"/"+ArtifactKind+string(format), scan.ID, ArtifactKind+string(format)
	art.CreatedAt = now().UTC()
	phase("artifact")
	stats, units, err := tx.Finish([]rampart.Artifact{art}, now().UTC())
	if err != nil {
		return res, fmt.Errorf("ingest %s: %w", path, err)
	}
	phase("finish")
	if pt, ok := tx.(PhaseTimer); ok {
		pt.Phases(func(name string, d time.Duration) {
			res.Phases = append(res.Phases, Phase{Name: "finish." + name, Duration: d})
		})
	}
	if copying != nil {
		copying.keep() // the scan points at it now
	}
	res.ScanID, res.Units, res.Stats = scan.ID, units, stats
	return res, nil
}

// checkedReader reads r and, at its end, fails instead of returning
// io.EOF if what it read does not hash to sha (hex): a Put fed by it
// stores nothing (ArtifactStore.Put is atomic), so a file changed since
// it was hashed never replaces an object stored under its hash.
type checkedReader struct {
	r    io.Reader
	h    hash.Hash
	want string
}

func newCheckedReader(r io.Reader, sha string) *checkedReader {
	return &checkedReader{r: r, h: sha256.New(), want: sha}
}

func (c *checkedReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	if errors.Is(err, io.EOF) {
		if got := hex.EncodeToString(c.h.Sum(nil)); got != c.want {
			return n, fmt.Errorf("the file changed while it was ingested (sha256 %s, then %s)", c.want, got)
		}
	}
	return n, err
}

// removableArtifacts is an artifact store that can tell whether a key
// holds an object and take back one it stored (artifact.Local, artifact.S3).
type removableArtifacts interface {
	Has(ctx context.Context, key string) (bool, error)
	Remove(ctx context.Context, key string) error
}

// artifactCopy is a Put running beside the parse.
type artifactCopy struct {
	rs     removableArtifacts
	key    string
	cancel context.CancelFunc
	done   chan struct{}
	art    rampart.Artifact
	err    error
	kept   bool
}

func startCopy(ctx context.Context, store rampart.ArtifactStore, rs removableArtifacts, key, ctype string, r io.Reader) *artifactCopy {
	cctx, cancel := context.WithCancel(ctx)
	c := &artifactCopy{rs: rs, key: key, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		c.art, c.err = store.Put(cctx, key, ctype, r)
	}()
	return c
}

// wait returns the Put's outcome.
func (c *artifactCopy) wait() (rampart.Artifact, error) {
	<-c.done
	return c.art, c.err
}

// keep marks the copy as pointed at by a committed scan.
func (c *artifactCopy) keep() { c.kept = true }

// abandon stops the copy and removes what it stored, unless kept. The
// ingest has failed when it runs: its error names the copy it could not
// remove.
func (c *artifactCopy) abandon(ctx context.Context) error {
	c.cancel() // a kept copy's Put is done: this only releases its context
	if c.kept {
		return nil
	}
	<-c.done
	if c.err != nil {
		return nil // Put stores nothing when it fails
	}
	if err := c.rs.Remove(context.WithoutCancel(ctx), c.key); err != nil {
		return fmt.Errorf("take back the artifact copy %s: %w", c.key, err)
	}
	return nil
}

// Enrich sets what the landing zone and the account know of a finding:
// account name (when the record has none), owner team, business unit,
// environment, and the risk score.
func Enrich(f *rampart.Finding, lz rampart.LandingZone, acct rampart.Account) {
	if f.AccountName == "" {
		f.AccountName = acct.Name
	}
	f.OwnerTeam = firstNonEmpty(acct.OwnerTeam, lz.OwnerTeam)
	f.BusinessUnit = firstNonEmpty(acct.BusinessUnit, lz.BusinessUnit)
	f.Environment = firstNonEmpty(acct.Environment, lz.Environment)
	f.RiskScore, f.RiskReason = risk.Score(f)
}

func firstNonEmpty(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}

func newScanID(now time.Time) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return "scan_" + now.Format("20060102T150405Z") + "_prowler_" + hex.EncodeToString(b)
}
