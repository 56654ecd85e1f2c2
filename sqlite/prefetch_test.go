package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/rampart-cspm/rampart"
)

// TestPrefetchChangesNothing runs the same ingests into two stores, one
// calling Prefetch before each batch and one not, and compares every
// findings, events and units row and the lifecycle counts. The batches
// repeat findings (a later failure overrides an earlier pass), change
// statuses, and mix known scopes, fresh scopes and scopes met for the first
// time within a batch; some batches are prefetched and then observed in a
// different order, or observed without their prefetch.
func TestPrefetchChangesNothing(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	open := func() *Store {
		s := mustOpen(t)
		if err := s.GenerateDataset(ctx, GenerateOptions{Findings: 600, Seed: 4, Now: now, LandingZones: 1, AccountsPerLZ: 3, Scans: 1}); err != nil {
			t.Fatal(err)
		}
		return s
	}
	with, without := open(), open()
	base, err := with.ListFindings(ctx, rampart.FindingFilter{})
	if err != nil || len(base) < 300 {
		t.Fatalf("%d findings, %v", len(base), err)
	}
	statuses := []rampart.Status{rampart.StatusFail, rampart.StatusPass, rampart.StatusFail, rampart.StatusNotEvaluated}
	prefetches := 0
	for round := range 3 {
		r := rand.New(rand.NewPCG(uint64(round), 7))
		// Observations of this round, in batches.
		var batches [][]rampart.Finding
		for range 6 {
			var b []rampart.Finding
			for range 20 + r.IntN(60) {
				var f rampart.Finding
				switch k := r.IntN(10); {
				case k < 6: // a stored finding (known scope)
					f = base[r.IntN(len(base))]
				case k < 8: // a new finding of a scope the store holds
					f = base[r.IntN(len(base))]
					f.ResourceID = fmt.Sprintf("arn:aws:s3:::new-%d", r.IntN(40))
					f.ComputeID()
				default: // a scope the store has never seen
					f = base[r.IntN(len(base))]
					f.Region, f.Scope = "sa-east-1", "sa-east-1"
					f.ResourceID = fmt.Sprintf("arn:aws:s3:::fresh-%d", r.IntN(40))
					f.ComputeID()
				}
				if r.IntN(2) == 0 { // else as stored: seen again if unchanged
					f.Status = statuses[r.IntN(len(statuses))]
					f.RiskScore = r.IntN(3) * 10
				}
				b = append(b, f)
				if r.IntN(8) == 0 { // the same finding again in the batch
					b = append(b, f)
					b[len(b)-1].Status = statuses[r.IntN(len(statuses))]
				}
			}
			batches = append(batches, b)
		}
		scanID := fmt.Sprintf("scan-round-%d", round)
		at := now.Add(time.Duration(round+1) * time.Hour)
		var stats [2]rampart.CommitStats
		for i, s := range []*Store{with, without} {
			in, err := s.BeginIngest(ctx, rampart.Scan{ID: scanID, LandingZoneID: base[0].LandingZoneID, Scanner: rampart.SourceProwler})
			if err != nil {
				t.Fatal(err)
			}
			for j, b := range batches {
				if s == with && j%3 != 2 {
					ahead := b
					if j%3 == 1 { // prefetched, then observed in reverse
						ahead = append([]rampart.Finding(nil), b...)
						for l, m := 0, len(b)-1; l < m; l, m = l+1, m-1 {
							b[l], b[m] = b[m], b[l]
						}
					}
					if err := in.Prefetch(ahead); err != nil {
						t.Fatal(err)
					}
					prefetches++
				}
				for _, f := range b {
					if err := in.Observe(f, at); err != nil {
						t.Fatal(err)
					}
				}
			}
			if stats[i], _, err = in.Finish(nil, at); err != nil {
				t.Fatal(err)
			}
		}
		if stats[0] != stats[1] {
			t.Errorf("round %d: counts with prefetch %+v, without %+v", round, stats[0], stats[1])
		}
		if stats[0].Seen == 0 || stats[0].Detected == 0 || stats[0].Resolved == 0 || stats[0].Ignored == 0 {
			t.Errorf("round %d: %+v: a lifecycle case is missing", round, stats[0])
		}
	}
	if prefetches == 0 {
		t.Fatal("nothing was prefetched")
	}
	dump := func(s *Store, q string) []string { t.Helper(); return dumpQuery(t, s, q) }
	for _, q := range []string{
		`SELECT * FROM findings ORDER BY finding_id`,
		`SELECT * FROM finding_events ORDER BY id`,
		`SELECT * FROM scan_units ORDER BY id`,
	} {
		a, b := dump(with, q), dump(without, q)
		if !reflect.DeepEqual(a, b) {
			n := 0
			for n < len(a) && n < len(b) && a[n] == b[n] {
				n++
			}
			t.Errorf("%s: %d rows with prefetch, %d without; first difference at %d", q, len(a), len(b), n)
		}
	}
}
