package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-cspm/rampart/awssim"
)

// TestScanRunsConfiguredProwler: scan.prowler.path in rampart.yaml makes
// `rampart scan` run that executable (the stand-in of pipeline/testdata,
// which writes Prowler's example json-ocsf output) in every unit, and its
// findings are stored beside the native ones with the source prowler. A
// configured path that does not exist is a usage error naming the key.
func TestScanRunsConfiguredProwler(t *testing.T) {
	fake, err := filepath.Abs(filepath.Join("..", "..", "pipeline", "testdata", "fake-prowler.sh"))
	if err != nil {
		t.Fatal(err)
	}
	fixture, err := filepath.Abs(filepath.Join("..", "..", "ingest", "testdata", "example_output_aws.ocsf.json"))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("FAKE_PROWLER_FIXTURE", fixture)
	sim := awssim.New(awssim.DemoEstate(), awssim.Options{})
	endpoint, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	data := t.TempDir()
	cfgPath, err := writeDemoConfig(data, endpoint, awssim.DemoEstate())
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	withProwler := func(block string) string {
		t.Helper()
		s := strings.Replace(string(raw), "  prowler:\n    enabled: false\n", block, 1)
		if s == string(raw) {
			t.Fatal("the demo config has no scan.prowler block to replace")
		}
		p := filepath.Join(t.TempDir(), "rampart.yaml")
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}

	missing := withProwler("  prowler:\n    path: /nonexistent/prowler\n")
	code, _, errOut := run(t, "scan", "--config", missing, "--data", t.TempDir(), "--lz", "lz-retail", "--modules", "s3", "--log-level", "warn")
	if code != 2 || !strings.Contains(errOut, `scan.prowler: executable "/nonexistent/prowler"`) {
		t.Fatalf("missing prowler: exit %d, stderr %q; want 2 naming scan.prowler", code, errOut)
	}

	cfg := withProwler("  prowler:\n    path: " + fake + "\n    timeout: 1m\n")
	code, out, errOut := run(t, "scan", "--config", cfg, "--data", data, "--lz", "lz-retail", "--modules", "s3", "--log-level", "warn")
	if code != 0 {
		t.Fatalf("scan exited %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	code, out, errOut = run(t, "findings", "--data", data, "--status", "all", "--format", "json")
	if code != 0 {
		t.Fatalf("findings exited %d: %s", code, errOut)
	}
	var rows []struct {
		ControlID string   `json:"control_id"`
		Service   string   `json:"service"`
		Sources   []string `json:"sources"`
	}
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatal(err)
	}
	prowler, native := 0, 0
	for _, r := range rows {
		for _, s := range r.Sources {
			switch s {
			case "prowler":
				prowler++
			case "native":
				native++
			}
		}
	}
	if prowler == 0 || native == 0 {
		t.Fatalf("%d findings: %d from prowler, %d native; want both", len(rows), prowler, native)
	}
}
