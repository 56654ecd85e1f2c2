package sqlite

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/internal/storetest"
)

// A native and a Prowler observation with the same dedup key are one row
// listing both sources; the list survives Reindex byte for byte.
func TestSourcesMergeAndReindex(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	if err := s.UpsertLandingZone(ctx, rampart.LandingZone{ID: "lz"}); err != nil {
		t.Fatal(err)
	}
	commit := func(scanID, source string, at time.Time) rampart.CommitStats {
		t.Helper()
		u := rampart.ScanUnit{ID: rampart.UnitID(scanID, "1", "us-east-1"), AccountID: "1", Region: "us-east-1"}
		if err := s.CreateScan(ctx, rampart.Scan{ID: scanID, LandingZoneID: "lz", Scanner: source, StartedAt: at}, []rampart.ScanUnit{u}); err != nil {
			t.Fatal(err)
		}
		f := rampart.Finding{LandingZoneID: "lz", AccountID: "1", Region: "us-east-1", CloudProvider: "aws",
			Service: "s3", ResourceID: "arn:aws:s3:::b", ControlID: "s3_bucket_default_encryption",
			Status: rampart.StatusFail, Severity: rampart.SeverityMedium, Sources: []string{source}}
		f.ComputeID()
		u.State, u.Services = rampart.UnitSucceeded, []rampart.ServiceResult{{Service: "s3", Status: rampart.ServiceOK}}
		stats, err := s.CommitUnit(ctx, rampart.UnitResult{Unit: u, Findings: []rampart.Finding{f}, At: at})
		if err != nil {
			t.Fatal(err)
		}
		return stats
	}
	if got := commit("s1", rampart.SourceNative, storetest.T0); got != (rampart.CommitStats{Detected: 1}) {
		t.Fatalf("native commit stats = %+v", got)
	}
	if got := commit("s2", rampart.SourceProwler, storetest.T0.Add(time.Minute)); got != (rampart.CommitStats{Changed: 1}) {
		t.Fatalf("prowler commit stats = %+v, want one change (a source added)", got)
	}
	if got := commit("s3", rampart.SourceNative, storetest.T0.Add(2*time.Minute)); got != (rampart.CommitStats{Seen: 1}) {
		t.Fatalf("second native commit stats = %+v, want seen (sources unchanged)", got)
	}
	all, err := s.ListFindings(ctx, rampart.FindingFilter{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{rampart.SourceNative, rampart.SourceProwler}
	if len(all) != 1 || !reflect.DeepEqual(all[0].Sources, want) || !all[0].FirstSeenAt.Equal(storetest.T0) {
		t.Fatalf("rows = %+v, want one row with sources %v first seen at T0", all, want)
	}
	before := dump(t, s)
	if _, err := s.Reindex(ctx); err != nil {
		t.Fatal(err)
	}
	if after := dump(t, s); !reflect.DeepEqual(before, after) {
		t.Fatalf("reindex changed rows:\nlive    %v\nreindex %v", before, after)
	}
}
