package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rampart-cspm/rampart/internal/pgtest"
)

// TestBenchIngestPrintsEveryFigure runs the benchmark on a small file, with
// the rescan and the index floor, and checks that each figure is there and
// that they agree with each other.
func TestBenchIngestPrintsEveryFigure(t *testing.T) {
	code, out, errOut := run(t, "bench", "ingest", "--size-mb", "2", "--json", "--rescan", "--index-floor", "--dir", t.TempDir(),
		"--postgres", postgresBase(t), "--log-level", "warn")
	if code != 0 {
		t.Fatalf("bench ingest exited %d: %s", code, errOut)
	}
	var b ingestBench
	if err := json.Unmarshal([]byte(out), &b); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if b.SizeMB < 1.9 || b.SizeMB > 2.1 || b.Findings < 500 {
		t.Errorf("size %v MB, %d findings: want a 2 MB file of about a thousand findings", b.SizeMB, b.Findings)
	}
	for name, v := range map[string]float64{"findings_per_s": b.FindingsPerS, "mb_per_s": b.MBPerS, "peak_rss_mb": b.PeakRSSMB,
		"bare_insert_per_s": b.BareInsertPerS, "bare_insert_row_indexed_per_s": b.RowIndexedInsertPerS,
		"bare_insert_no_index_per_s": b.NoIndexInsertPerS, "rescan_findings_per_s": b.RescanFindingsPerS,
		"rescan_mb_per_s": b.RescanMBPerS, "rescan_peak_rss_mb": b.RescanPeakRSSMB,
		"postgres_findings_per_s": b.PostgresFindingsPerS, "postgres_rescan_findings_per_s": b.PostgresRescanFindingsPerS} {
		if v <= 0 {
			t.Errorf("%s = %v, want a positive figure", name, v)
		}
	}
	if r := b.FindingsPerS / b.BareInsertPerS; b.RatioToBare < r-0.01 || b.RatioToBare > r+0.01 {
		t.Errorf("ratio_to_bare %v, findings_per_s / bare_insert_per_s = %v", b.RatioToBare, r)
	}
	// The phases are the end-to-end ingest's wall time, split.
	var top float64
	for _, name := range []string{"hash", "records", "artifact", "finish", "finish.index_build", "finish.commit"} {
		v, ok := b.Phases[name]
		if !ok || v < 0 {
			t.Errorf("phase %s: %v (present %v), want a figure", name, v, ok)
		}
		if !strings.Contains(name, ".") {
			top += v
		}
	}
	if elapsed := float64(b.Findings) / b.FindingsPerS; top > elapsed+0.05 || top < elapsed-0.05 {
		t.Errorf("phases add up to %.2fs, the ingest took %.2fs", top, elapsed)
	}
	if b.RescanPeakRSSMB < b.PeakRSSMB {
		t.Errorf("rescan peak %v MB below the first ingest's %v MB: both are the process's peak", b.RescanPeakRSSMB, b.PeakRSSMB)
	}
}

// postgresBase is the local test server's URL, after checking that it
// answers (skipped, or failed under CI=true, when it does not).
func postgresBase(t *testing.T) string {
	t.Helper()
	pgtest.Schema(t) // reaches the server, or skips / fails
	return pgtest.BaseURL()
}
