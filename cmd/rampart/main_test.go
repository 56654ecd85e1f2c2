package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-cspm/rampart/checks/all"
)

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestDemoOnceEndToEnd runs the demo as a user would, then reads the
// results back through the CLI.
func TestDemoOnceEndToEnd(t *testing.T) {
	data := t.TempDir()
	code, out, errOut := run(t, "demo", "--once", "--data", data, "--log-level", "warn")
	if code != 0 {
		t.Fatalf("demo exited %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"lz-retail", "lz-payments", "lz-data-platform", "open findings (FAIL)", "units: succeeded",
		"not scanned: 111100000008 (SUSPENDED)", "region_disabled", "credentials"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo summary lacks %q:\n%s", want, out)
		}
	}

	code, out, errOut = run(t, "findings", "--data", data, "--status", "all", "--format", "json")
	if code != 0 {
		t.Fatalf("findings exited %d: %s", code, errOut)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("findings json: %v", err)
	}
	schema := []string{"finding_id", "scan_id", "landing_zone_id", "account_id", "account_name", "region", "cloud_provider",
		"resource_id", "resource_type", "resource_name", "service", "control_id", "title", "severity", "status", "risk_score",
		"risk_reason", "remediation", "framework", "requirement_id", "owner_team", "business_unit", "environment",
		"first_seen_at", "last_seen_at", "resolved_at"}
	for _, k := range schema {
		if _, ok := rows[0][k]; !ok {
			t.Errorf("json row lacks schema field %q", k)
		}
	}

	// Every check fails on some resource of the demo estate and passes on
	// another, and every module shows findings.
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	statuses := map[string]map[string]int{}
	modules := map[string]int{}
	for _, r := range rows {
		id := r["control_id"].(string)
		if statuses[id] == nil {
			statuses[id] = map[string]int{}
		}
		statuses[id][r["status"].(string)]++
		if m, ok := reg.Check(id); ok && r["status"] == "FAIL" {
			modules[m.Module]++
		}
	}
	for _, m := range reg.AllChecks() {
		if statuses[m.ID]["FAIL"] == 0 || statuses[m.ID]["PASS"] == 0 {
			t.Errorf("check %s: %v in the demo, want at least one FAIL and one PASS", m.ID, statuses[m.ID])
		}
	}
	for _, m := range reg.Modules() {
		if modules[m.Name()] == 0 {
			t.Errorf("module %s has no failing finding in the demo", m.Name())
		}
	}

	// Reindex reproduces the findings table.
	before := out
	if code, out, errOut = run(t, "reindex", "--data", data); code != 0 || !strings.Contains(out, "reindexed") {
		t.Fatalf("reindex exited %d: %s %s", code, out, errOut)
	}
	if _, after, _ := run(t, "findings", "--data", data, "--status", "all", "--format", "json"); after != before {
		t.Error("reindex changed the findings")
	}

	// A second demo run is a rescan: no new rows.
	if code, _, errOut = run(t, "demo", "--once", "--data", data, "--log-level", "warn"); code != 0 {
		t.Fatalf("second demo exited %d: %s", code, errOut)
	}
	_, again, _ := run(t, "findings", "--data", data, "--status", "all", "--include-resolved", "--format", "json")
	var rows2 []map[string]any
	if err := json.Unmarshal([]byte(again), &rows2); err != nil {
		t.Fatal(err)
	}
	if len(rows2) != len(rows) {
		t.Errorf("rescan changed the number of findings: %d → %d", len(rows), len(rows2))
	}

	// scans list / show say where things failed.
	code, out, _ = run(t, "scans", "list", "--data", data)
	// The first demo run replays its history scans, then scans now; the
	// second scans once.
	if code != 0 || strings.Count(out, "lz-retail") != len(demoHistory())+2 {
		t.Fatalf("scans list: %d\n%s", code, out)
	}
	id := strings.Fields(strings.Split(out, "\n")[1])[0]
	code, out, _ = run(t, "scans", "show", id, "--data", data)
	if code != 0 || !strings.Contains(out, "STATE") {
		t.Errorf("scans show %s: %d\n%s", id, code, out)
	}
}

func TestBadInputExitsWithClearErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "rampart.yaml")
	if err := os.WriteFile(bad, []byte("landing_zones:\n  - id: lz-a\n    name: A\n    audit_role_name: R\n    regions: [us-east-9x]\n    colour: blue\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"config errors name file, line and field", []string{"scan", "--config", bad, "--data", dir},
			2, []string{"rampart.yaml:5", "regions[0]", "rampart.yaml:6", "colour"}},
		{"missing config", []string{"scan", "--config", filepath.Join(dir, "nope.yaml")}, 2, []string{"nope.yaml"}},
		{"findings without data", []string{"findings", "--data", filepath.Join(dir, "empty")}, 2, []string{"no Rampart data"}},
		{"bad severity", []string{"findings", "--data", dir, "--severity", "urgent"}, 2, []string{"urgent"}},
		{"bad format", []string{"findings", "--data", dir, "--format", "xml"}, 2, []string{"xml"}},
		{"unknown command", []string{"frobnicate"}, 2, []string{"unknown command"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := run(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.code, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q: %q", w, errOut)
				}
			}
		})
	}
}

func TestChecksList(t *testing.T) {
	code, out, _ := run(t, "checks", "list", "--format", "json")
	if code != 0 {
		t.Fatal(code)
	}
	var metas []map[string]any
	if err := json.Unmarshal([]byte(out), &metas); err != nil || len(metas) < 20 {
		t.Fatalf("checks list: %v, %d checks", err, len(metas))
	}
}
