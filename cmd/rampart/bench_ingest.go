package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/artifact"
	"github.com/rampart-cspm/rampart/ingest"
	"github.com/rampart-cspm/rampart/postgres"
	"github.com/rampart-cspm/rampart/sqlite"
)

// benchCommand groups benchmarks that print figures.
func (a *app) benchCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "Benchmarks that print figures"}
	cmd.AddCommand(a.benchQueryCommand(), a.benchIngestCommand(), a.benchScanCommand(), a.benchWorkersCommand())
	return cmd
}

// ingestBench is what `rampart bench ingest --json` prints.
type ingestBench struct {
	SizeMB         float64 `json:"size_mb"`
	Findings       int     `json:"findings"`
	FindingsPerS   float64 `json:"findings_per_s"`
	MBPerS         float64 `json:"mb_per_s"`
	PeakRSSMB      float64 `json:"peak_rss_mb"`
	BareInsertPerS float64 `json:"bare_insert_per_s"`
	RatioToBare    float64 `json:"ratio_to_bare"`
	// With --index-floor: the same bare insert maintaining every index row
	// by row, and into a findings table without its secondary indexes
	// (never rebuilt), i.e. what the read model's indexes cost.
	RowIndexedInsertPerS float64 `json:"bare_insert_row_indexed_per_s,omitempty"`
	NoIndexInsertPerS    float64 `json:"bare_insert_no_index_per_s,omitempty"`
	// With --rescan: the next day's scan of the same estate (every finding
	// seen again) ingested into the store the first ingest left, the path
	// a daily ingest takes; its peak RSS is the process's after it.
	RescanFindingsPerS float64 `json:"rescan_findings_per_s,omitempty"`
	RescanMBPerS       float64 `json:"rescan_mb_per_s,omitempty"`
	RescanPeakRSSMB    float64 `json:"rescan_peak_rss_mb,omitempty"`
	// With --postgres: the same file ingested end to end into a fresh
	// schema of that server (postgres.Ingest), and with --rescan the next
	// day's file after it.
	PostgresFindingsPerS       float64 `json:"postgres_findings_per_s,omitempty"`
	PostgresRescanFindingsPerS float64 `json:"postgres_rescan_findings_per_s,omitempty"`
	// Phases is where the end-to-end ingest's wall time went, in seconds
	// (ingest.Result.Phases): hash, records, artifact, finish and the
	// store's parts of finish (finish.index_build, finish.commit, ...).
	Phases map[string]float64 `json:"phases_s"`
}

func (a *app) benchIngestCommand() *cobra.Command {
	var (
		sizeMB  int
		dir     string
		asJSON  bool
		keepDir bool
		cpuProf string
		floor   bool
		rescan  bool
		pgURL   string
	)
	cmd := &cobra.Command{
		Use:   "ingest --size-mb N [--json] [--dir DIR]",
		Short: "Generate an OCSF file of N MB, ingest it end to end into a fresh SQLite store, and bulk-insert the same rows bare",
		Long: `Generates a Prowler json-ocsf file of about N MB, ingests it end to end
(parse, normalize, dedup, lifecycle events, artifact) into a fresh SQLite
store, then, in the same run, inserts the same finding rows bare (one
prepared INSERT per row, one transaction, no lookups, no events; parsing
is outside the timer) into another fresh store: the storage limit. The
bare insert loads in bulk as the ingest does: the findings table's
secondary indexes are dropped first and re-created before the commit,
inside the timer. With --index-floor, two more fresh stores take the same
bare insert maintaining every index row by row, and without secondary
indexes at all (never rebuilt): what the read model's indexes cost. With
--rescan, the next day's scan of the same estate (the same records, one day
later: every finding seen again) is then ingested into the end-to-end
store, the path of a daily ingest. Peak RSS is the process's VmHWM read
when the end-to-end ingest ends (generating the file included), before the
rescan and the bare phase. With --postgres URL, the same file (and with
--rescan the next day's) is then ingested end to end into a fresh schema
of that PostgreSQL server, dropped afterwards.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if sizeMB <= 0 {
				return rampart.Errorf(rampart.EINVALID, "--size-mb must be positive")
			}
			if dir == "" {
				d, err := os.MkdirTemp("", "rampart-bench-")
				if err != nil {
					return err
				}
				dir = d
				if !keepDir {
					defer os.RemoveAll(d)
				}
			}
			path := filepath.Join(dir, "bench.ocsf.json")
			n, size, err := generateFile(path, int64(sizeMB)<<20, ingest.GeneratedAt)
			if err != nil {
				return err
			}
			lz := rampart.LandingZone{ID: "lz-bench", OwnerTeam: "bench", Environment: "production"}

			// End to end.
			store, err := sqlite.Open(ctx, filepath.Join(dir, "ingest"))
			if err != nil {
				return err
			}
			defer store.Close()
			if err := store.UpsertLandingZone(ctx, lz); err != nil {
				return err
			}
			arts, err := artifact.NewLocal(filepath.Join(dir, "ingest", "artifacts"))
			if err != nil {
				return err
			}
			g := &ingest.Ingester{Store: ingestStore{store}, Artifacts: arts, LandingZone: lz}
			if cpuProf != "" {
				pf, err := os.Create(cpuProf)
				if err != nil {
					return err
				}
				if err := pprof.StartCPUProfile(pf); err != nil {
					pf.Close()
					return err
				}
			}
			start := time.Now()
			res, err := g.File(ctx, path)
			elapsed := time.Since(start).Seconds()
			// The peak of the end-to-end ingest (the generator before it
			// included), read before the bare phase adds its own batches.
			peakRSS := peakRSSMB()
			if cpuProf != "" {
				pprof.StopCPUProfile()
			}
			if err != nil {
				return err
			}
			var rescanSecs, rescanPeak float64
			var rescanSize int64
			if rescan {
				if rescanSecs, rescanSize, err = benchRescan(ctx, g, dir, int64(sizeMB)<<20, n); err != nil {
					return err
				}
				rescanPeak = peakRSSMB()
			}

			// Bare: the same rows, parsed and enriched the same way outside
			// the timer, inserted in batches inside it.
			bare, err := sqlite.Open(ctx, filepath.Join(dir, "bare"))
			if err != nil {
				return err
			}
			defer bare.Close()
			bareSecs, bareRows, err := bareInsert(ctx, bare, path, lz, sqlite.BareDeferred)
			if err != nil {
				return err
			}
			var rowSecs, floorSecs float64
			if floor {
				for _, m := range []struct {
					name string
					mode sqlite.BareMode
					secs *float64
				}{{"row-indexed", sqlite.BareRowIndexed, &rowSecs}, {"floor", sqlite.BareNoIndex, &floorSecs}} {
					fs, err := sqlite.Open(ctx, filepath.Join(dir, m.name))
					if err != nil {
						return err
					}
					defer fs.Close()
					if *m.secs, _, err = bareInsert(ctx, fs, path, lz, m.mode); err != nil {
						return err
					}
				}
			}
			var pgSecs, pgRescanSecs float64
			if pgURL != "" {
				if pgSecs, pgRescanSecs, err = benchPostgresIngest(ctx, pgURL, dir, path, lz, rescan, int64(sizeMB)<<20, n); err != nil {
					return err
				}
			}
			out := ingestBench{
				SizeMB:       round(float64(size)/(1<<20), 1),
				Findings:     res.Records,
				FindingsPerS: round(float64(res.Records)/elapsed, 0),
				MBPerS:       round(float64(size)/(1<<20)/elapsed, 1),
				PeakRSSMB:    round(peakRSS, 1),
				Phases:       map[string]float64{},
			}
			var phases []string
			for _, p := range res.Phases {
				out.Phases[p.Name] = round(p.Duration.Seconds(), 2)
				phases = append(phases, fmt.Sprintf("%s %.2fs", p.Name, p.Duration.Seconds()))
			}
			if bareSecs > 0 {
				out.BareInsertPerS = round(float64(bareRows)/bareSecs, 0)
				out.RatioToBare = round(out.FindingsPerS/out.BareInsertPerS, 2)
			}
			if rowSecs > 0 {
				out.RowIndexedInsertPerS = round(float64(bareRows)/rowSecs, 0)
			}
			if floorSecs > 0 {
				out.NoIndexInsertPerS = round(float64(bareRows)/floorSecs, 0)
			}
			if rescanSecs > 0 {
				out.RescanFindingsPerS = round(float64(n)/rescanSecs, 0)
				out.RescanMBPerS = round(float64(rescanSize)/(1<<20)/rescanSecs, 1)
				out.RescanPeakRSSMB = round(rescanPeak, 1)
			}
			if pgSecs > 0 {
				out.PostgresFindingsPerS = round(float64(n)/pgSecs, 0)
			}
			if pgRescanSecs > 0 {
				out.PostgresRescanFindingsPerS = round(float64(n)/pgRescanSecs, 0)
			}
			if res.Records != n {
				return fmt.Errorf("bench: generated %d records, ingested %d", n, res.Records)
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				return enc.Encode(out)
			}
			fmt.Fprintf(a.stdout, "size %.1f MB, %d findings in %.2fs: %.0f findings/s, %.1f MB/s, peak RSS %.1f MB; bare insert %.0f rows/s; ratio %.2f\n",
				out.SizeMB, out.Findings, elapsed, out.FindingsPerS, out.MBPerS, out.PeakRSSMB, out.BareInsertPerS, out.RatioToBare)
			fmt.Fprintf(a.stdout, "where the end-to-end ingest's time went: %s\n", strings.Join(phases, ", "))
			if rescan {
				fmt.Fprintf(a.stdout, "rescan (the next day's scan, every finding seen again): %.0f findings/s, %.1f MB/s, peak RSS %.1f MB\n",
					out.RescanFindingsPerS, out.RescanMBPerS, out.RescanPeakRSSMB)
			}
			if floor {
				fmt.Fprintf(a.stdout, "bare insert maintaining every index row by row: %.0f rows/s; without the findings table's secondary indexes: %.0f rows/s\n",
					out.RowIndexedInsertPerS, out.NoIndexInsertPerS)
			}
			if pgURL != "" {
				fmt.Fprintf(a.stdout, "postgres: %.0f findings/s", out.PostgresFindingsPerS)
				if rescan {
					fmt.Fprintf(a.stdout, "; rescan %.0f findings/s", out.PostgresRescanFindingsPerS)
				}
				fmt.Fprintln(a.stdout)
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&sizeMB, "size-mb", 64, "size of the generated OCSF file in MB")
	cmd.Flags().StringVar(&dir, "dir", "", "working directory (default: a temporary one, removed after)")
	cmd.Flags().BoolVar(&keepDir, "keep", false, "keep the temporary directory")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	cmd.Flags().BoolVar(&floor, "index-floor", false, "also time the bare insert maintaining indexes row by row, and into a findings table without secondary indexes")
	cmd.Flags().BoolVar(&rescan, "rescan", false, "also ingest the next day's scan of the same estate into the end-to-end store (every finding seen again)")
	cmd.Flags().StringVar(&pgURL, "postgres", "", "also ingest into a fresh schema of this PostgreSQL server (postgres://...)")
	cmd.Flags().StringVar(&cpuProf, "cpuprofile", "", "write a CPU profile of the end-to-end ingest to this file")
	return cmd
}

// benchPostgresIngest ingests the file at path (n records) into a fresh
// schema of the server at base and, with rescan, the next day's file
// after it, and returns both ingests' seconds.
func benchPostgresIngest(ctx context.Context, base, dir, path string, lz rampart.LandingZone, rescan bool, size int64, n int) (float64, float64, error) {
	schemaURL, drop, err := freshSchema(ctx, base)
	if err != nil {
		return 0, 0, fmt.Errorf("--postgres: %w", err)
	}
	defer drop()
	store, err := postgres.Open(ctx, schemaURL)
	if err != nil {
		return 0, 0, fmt.Errorf("--postgres: %w", err)
	}
	defer store.Close()
	if err := store.UpsertLandingZone(ctx, lz); err != nil {
		return 0, 0, err
	}
	arts, err := artifact.NewLocal(filepath.Join(dir, "postgres-artifacts"))
	if err != nil {
		return 0, 0, err
	}
	g := &ingest.Ingester{Store: pgIngestStore{store}, Artifacts: arts, LandingZone: lz}
	start := time.Now()
	res, err := g.File(ctx, path)
	secs := time.Since(start).Seconds()
	if err != nil {
		return 0, 0, fmt.Errorf("--postgres: %w", err)
	}
	if res.Records != n {
		return 0, 0, fmt.Errorf("--postgres: generated %d records, ingested %d", n, res.Records)
	}
	if !rescan {
		return secs, 0, nil
	}
	rescanSecs, _, err := benchRescan(ctx, g, dir, size, n)
	if err != nil {
		return 0, 0, fmt.Errorf("--postgres: %w", err)
	}
	return secs, rescanSecs, nil
}

// benchRescan generates the next day's scan of the estate Generate(size,
// 42) described (n records), ingests it with g and returns the ingest's
// seconds and the file's size. Every record must be a finding seen again.
func benchRescan(ctx context.Context, g *ingest.Ingester, dir string, size int64, n int) (float64, int64, error) {
	path := filepath.Join(dir, "bench-next-day.ocsf.json")
	m, written, err := generateFile(path, size, ingest.GeneratedAt.Add(24*time.Hour))
	if err != nil {
		return 0, 0, fmt.Errorf("rescan: %w", err)
	}
	start := time.Now()
	res, err := g.File(ctx, path)
	secs := time.Since(start).Seconds()
	if err != nil {
		return 0, 0, fmt.Errorf("rescan: %w", err)
	}
	if m != n || res.Records != n || res.Stats.Seen != n {
		return 0, 0, fmt.Errorf("rescan: %d records generated, %d ingested, %d seen again; want %d", m, res.Records, res.Stats.Seen, n)
	}
	return secs, written, nil
}

// generateFile writes the bench's OCSF file (seed 42, about size bytes,
// scanned at at) to path and returns its records and its size. The file
// is on disk before the timer starts, as a scanner's output is: otherwise
// the kernel writes it back while the ingest runs, and the ingest's own
// writes wait for it.
func generateFile(path string, size int64, at time.Time) (int, int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, 0, err
	}
	n, err := ingest.GenerateAt(f, size, 42, at)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, 0, fmt.Errorf("generate %s: %w", path, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return 0, 0, err
	}
	return n, st.Size(), nil
}

// bareInsert parses the file as ingest does, a batch at a time outside
// the timer, and times the inserts of every batch and the commit of the
// one transaction that holds them all.
func bareInsert(ctx context.Context, s *sqlite.Store, path string, lz rampart.LandingZone, mode sqlite.BareMode) (float64, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	r, _, err := ingest.Open(f, filepath.Base(path), ingest.Options{LandingZoneID: lz.ID})
	if err != nil {
		return 0, 0, err
	}
	b, err := s.BeginBare(ctx, mode)
	if err != nil {
		return 0, 0, err
	}
	defer b.Rollback()
	const batch = 4096
	rows := make([]rampart.Finding, 0, batch)
	var secs float64
	n := 0
	seen := map[string]bool{}
	flush := func() error {
		start := time.Now()
		if err := b.Insert(rows); err != nil {
			return err
		}
		secs += time.Since(start).Seconds()
		n += len(rows)
		rows = rows[:0]
		return nil
	}
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, 0, err
		}
		fd := rec.Finding
		if seen[fd.FindingID] {
			continue
		}
		seen[fd.FindingID] = true
		ingest.Enrich(&fd, lz, rampart.Account{})
		fd.ScanID, fd.FirstSeenAt, fd.LastSeenAt = "bare", rec.Time, rec.Time
		rows = append(rows, fd)
		if len(rows) == batch {
			if err := flush(); err != nil {
				return 0, 0, err
			}
		}
	}
	if err := flush(); err != nil {
		return 0, 0, err
	}
	start := time.Now()
	if err := b.Commit(); err != nil {
		return 0, 0, err
	}
	secs += time.Since(start).Seconds()
	return secs, n, nil
}

// peakRSSMB reads the process's peak resident set (VmHWM) in MB; 0 where
// /proc is not available.
func peakRSSMB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}

func round(x float64, digits int) float64 {
	p := 1.0
	for range digits {
		p *= 10
	}
	return float64(int64(x*p+0.5)) / p
}
