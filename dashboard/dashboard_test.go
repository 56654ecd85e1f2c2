package dashboard_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/dashboard"
)

type fakeStore struct {
	findings []rampart.Finding
	scans    []rampart.Scan
}

func (f *fakeStore) ListFindings(ctx context.Context, flt rampart.FindingFilter) ([]rampart.Finding, error) {
	return f.findings, nil
}
func (f *fakeStore) ListScans(ctx context.Context, lz string, limit int) ([]rampart.Scan, error) {
	return f.scans, nil
}

func TestHomeShowsPosturePerLZ(t *testing.T) {
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	st := &fakeStore{
		findings: []rampart.Finding{
			{LandingZoneID: "lz-retail", Severity: rampart.SeverityCritical, Status: rampart.StatusFail, ControlID: "s3_bucket_public_access", ResourceID: "arn:aws:s3:::<script>", FirstSeenAt: now},
			{LandingZoneID: "lz-retail", Severity: rampart.SeverityHigh, Status: rampart.StatusFail, ControlID: "iam_root_mfa_enabled", FirstSeenAt: now},
			{LandingZoneID: "lz-data", Severity: rampart.SeverityLow, Status: rampart.StatusFail, ControlID: "s3_bucket_versioning_enabled", FirstSeenAt: now},
		},
		scans: []rampart.Scan{{ID: "scan_1", LandingZoneID: "lz-data", Status: rampart.UnitPartial, StartedAt: now}},
	}
	srv := httptest.NewServer(dashboard.New(st, nil))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	page := string(body)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for _, want := range []string{"lz-retail — 2 open", "lz-data — 1 open", "critical 1", "high 1", "low 1", "Last scan scan_1: partial", "3 open failing findings"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script>") {
		t.Error("resource id not escaped")
	}
	if resp, _ := http.Get(srv.URL + "/nope"); resp.StatusCode != 404 {
		t.Errorf("unknown path: %d, want 404", resp.StatusCode)
	}
}
