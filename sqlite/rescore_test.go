package sqlite

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/internal/storetest"
)

// Context fields round-trip through the row and the event snapshot alike;
// a rescore writes a changed event per changed row and Reindex reproduces
// the rescored rows.
func TestRiskContextRoundTripAndRescore(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	if err := s.UpsertLandingZone(ctx, rampart.LandingZone{ID: "lz"}); err != nil {
		t.Fatal(err)
	}
	u := rampart.ScanUnit{ID: rampart.UnitID("s1", "1", "us-east-1"), AccountID: "1", Region: "us-east-1"}
	if err := s.CreateScan(ctx, rampart.Scan{ID: "s1", LandingZoneID: "lz", Scanner: "native", StartedAt: storetest.T0}, []rampart.ScanUnit{u}); err != nil {
		t.Fatal(err)
	}
	due := storetest.T0.Add(7 * 24 * time.Hour)
	mk := func(res string, public bool) rampart.Finding {
		f := rampart.Finding{LandingZoneID: "lz", AccountID: "1", Region: "us-east-1", CloudProvider: "aws",
			Service: "s3", ResourceID: res, ControlID: "s3_bucket_public_access",
			Status: rampart.StatusFail, Severity: rampart.SeverityCritical, Sources: []string{"native"},
			RiskScore: 100, RiskReason: "severity critical +45; production +15; internet-exposed +20; holds PII +25; capped to 0..100 -5",
			RiskLevel: "critical", Public: public, DataSensitivity: "pii", Privileged: false,
			CompensatingControls: []string{"no-public-ip", "ztna"}, OwnerSource: "tag", OwnerTeam: "data-lake",
			DueAt: &due, Context: map[string]string{"public": "true", "tag:DataClassification": "PII"}}
		f.ComputeID()
		return f
	}
	a, b := mk("arn:aws:s3:::a", true), mk("arn:aws:s3:::b", false)
	u.State, u.Services = rampart.UnitSucceeded, []rampart.ServiceResult{{Service: "s3", Status: rampart.ServiceOK}}
	if _, err := s.CommitUnit(ctx, rampart.UnitResult{Unit: u, Findings: []rampart.Finding{a, b}, At: storetest.T0}); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetFinding(ctx, a.FindingID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Public || got.RiskLevel != "critical" || got.DataSensitivity != "pii" || got.OwnerSource != "tag" ||
		!reflect.DeepEqual(got.CompensatingControls, a.CompensatingControls) || got.DueAt == nil || !got.DueAt.Equal(due) ||
		!reflect.DeepEqual(got.Context, a.Context) {
		t.Fatalf("row lost context: %+v", got)
	}

	at := storetest.T0.Add(time.Hour)
	n, err := s.Rescore(ctx, at, func(f *rampart.Finding) error {
		if f.Public {
			f.RiskScore, f.RiskReason, f.RiskLevel = 40, "severity critical +45; data classified public -5", "medium"
			f.DataSensitivity = "public"
		}
		return nil
	})
	if err != nil || n != 1 {
		t.Fatalf("Rescore = %d, %v; want 1 changed row", n, err)
	}
	evs, err := s.ListFindingEvents(ctx, a.FindingID)
	if err != nil {
		t.Fatal(err)
	}
	last := evs[len(evs)-1]
	if last.Type != rampart.EventChanged || last.ScanID != RescoreID(at) || last.Snapshot == nil || last.Snapshot.RiskScore != 40 {
		t.Fatalf("last event %+v, want a changed event with the new score", last)
	}
	if evs, _ := s.ListFindingEvents(ctx, b.FindingID); len(evs) != 1 {
		t.Errorf("unchanged row got %d events, want only its detection", len(evs))
	}
	before := dump(t, s)
	if _, err := s.Reindex(ctx); err != nil {
		t.Fatal(err)
	}
	if after := dump(t, s); !reflect.DeepEqual(before, after) {
		t.Fatalf("reindex changed rows:\nlive    %v\nreindex %v", before, after)
	}
	if n, err := s.Rescore(ctx, at, func(*rampart.Finding) error { return nil }); err != nil || n != 0 {
		t.Errorf("no-op rescore = %d, %v; want 0", n, err)
	}
}
