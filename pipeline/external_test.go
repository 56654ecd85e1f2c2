package pipeline_test

import (
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/internal/scantest"
	"github.com/rampart-cspm/rampart/pipeline"
)

// Prowler as a scanner in every unit, played by a stand-in executable that
// writes Prowler's real json-ocsf example output: its findings join the
// units' results, and one with the key of a native finding is that finding
// with both sources.
func TestProwlerExternalScanner(t *testing.T) {
	h := scantest.Start(t, smallEstate(t), scantest.Options{})
	h.Scan(t)
	native := failing(h.Findings(t, rampart.FindingFilter{AccountID: prod}), userMFA)
	if len(native) == 0 {
		t.Fatalf("no native %s finding in %s to pair with", userMFA, prod)
	}
	fixture, err := filepath.Abs(filepath.Join("..", "ingest", "testdata", "example_output_aws.ocsf.json"))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("FAKE_PROWLER_FIXTURE", fixture)
	t.Setenv("FAKE_PROWLER_IAM_RESOURCE", native[0].ResourceID)
	h.Engine.Externals = []pipeline.External{&pipeline.Prowler{Path: "testdata/fake-prowler.sh", Timeout: time.Minute, TempDir: t.TempDir()}}
	h.Clock.Advance(time.Hour)
	rep := h.Scan(t)
	prowlerFailures := func(scanID string) int {
		t.Helper()
		units, err := h.Store.ListUnits(t.Context(), scanID)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, u := range units {
			for _, s := range u.Services {
				if s.Service == "prowler" && s.Status == rampart.ServiceFailed {
					n++
				}
			}
		}
		return n
	}
	if n := prowlerFailures(rep.LandingZones[0].Scan.ID); n != 0 {
		t.Fatalf("prowler failed in %d units", n)
	}
	got, err := h.Store.GetFinding(t.Context(), native[0].FindingID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Sources, []string{"native", "prowler"}) {
		t.Errorf("native finding's sources = %q, want [native prowler]", got.Sources)
	}
	// accessanalyzer_enabled (FAIL in the fixture) now exists per regional
	// unit of the account, from Prowler only.
	// The native logging module has the same check on another resource id
	// (the fixture's placeholder uid), so keep the Prowler rows.
	var aa []rampart.Finding
	for _, f := range failing(h.Findings(t, rampart.FindingFilter{AccountID: prod, ControlID: "accessanalyzer_enabled"}), "accessanalyzer_enabled") {
		if slices.Contains(f.Sources, "prowler") {
			aa = append(aa, f)
		}
	}
	if len(aa) < 2 {
		t.Fatalf("%d accessanalyzer_enabled findings in %s, want one per region", len(aa), prod)
	}
	for _, f := range aa {
		if !reflect.DeepEqual(f.Sources, []string{"prowler"}) || f.LandingZoneID == "" || f.OwnerTeam == "" && f.Environment == "" {
			t.Errorf("prowler finding %+v: want source prowler and the LZ's context", f)
		}
	}

	// A failing Prowler run makes units partial, keeps the native results.
	t.Setenv("FAKE_PROWLER_FAIL", "boom")
	h.Clock.Advance(time.Hour)
	rep = h.Scan(t)
	if n := prowlerFailures(rep.LandingZones[0].Scan.ID); n == 0 {
		t.Errorf("units %v: want prowler failures recorded when it fails", rep.LandingZones[0].Units)
	}
	got, err = h.Store.GetFinding(t.Context(), native[0].FindingID)
	if err != nil || got.ResolvedAt != nil {
		t.Errorf("native finding after a failed prowler run: %+v, %v; want still open", got, err)
	}
}
