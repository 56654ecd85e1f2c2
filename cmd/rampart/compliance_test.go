package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/awssim"
	"github.com/rampart-cspm/rampart/compliance"
	"github.com/rampart-cspm/rampart/internal/scantest"
)

// A scan with a mutelist from the config file keeps muted findings, which
// "rampart findings" hides unless --include-muted; "rampart compliance"
// counts agree with the findings the CLI prints.
func TestScanWithMutelistAndCompliance(t *testing.T) {
	estate, err := awssim.LoadEstate(filepath.Join("..", "..", "pipeline", "testdata", "small.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	h := scantest.Start(t, estate, scantest.Options{})
	cfgPath := filepath.Join(h.Dir, "rampart.yaml")
	cfg, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	// Relative to the config file.
	if err := os.WriteFile(cfgPath, append(cfg, []byte("mutelist: mutes.yaml\n")...), 0o600); err != nil {
		t.Fatal(err)
	}
	mutes := `Mutelist:
  Accounts:
    "900000000002":
      Checks:
        "*":
          Regions: ["*"]
          Resources: ["*"]
          Reason: "prod accepted for this test"
`
	if err := os.WriteFile(filepath.Join(h.Dir, "mutes.yaml"), []byte(mutes), 0o600); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	if code, out, errOut := run(t, "scan", "--config", cfgPath, "--data", data, "--log-level", "warn"); code != 0 {
		t.Fatalf("scan exited %d\n%s\n%s", code, out, errOut)
	}
	list := func(args ...string) []rampart.Finding {
		t.Helper()
		code, out, errOut := run(t, append([]string{"findings", "--data", data, "--format", "json"}, args...)...)
		if code != 0 {
			t.Fatalf("findings %v exited %d: %s", args, code, errOut)
		}
		var fs []rampart.Finding
		if err := json.Unmarshal([]byte(out), &fs); err != nil {
			t.Fatal(err)
		}
		return fs
	}
	shown, withMuted := list(), list("--include-muted")
	muted := 0
	for _, f := range withMuted {
		if f.AccountID == "900000000002" {
			if !f.Muted || f.MuteReason != "prod accepted for this test" {
				t.Errorf("prod finding %s %s not muted: %+v", f.ControlID, f.ResourceID, f)
			}
			muted++
		} else if f.Muted {
			t.Errorf("%s in %s muted", f.ControlID, f.AccountID)
		}
	}
	if muted == 0 || len(shown) != len(withMuted)-muted {
		t.Errorf("findings shows %d rows, with muted %d (%d muted)", len(shown), len(withMuted), muted)
	}
	for _, f := range shown {
		if f.Muted {
			t.Errorf("findings without --include-muted shows muted %s", f.FindingID)
		}
	}

	// Compliance counts for one account against the findings of that account.
	const acct = "900000000001"
	code, out, errOut := run(t, "compliance", "--data", data, "--framework", "CIS-5.0", "--account", acct, "--format", "json")
	if code != 0 {
		t.Fatalf("compliance exited %d: %s", code, errOut)
	}
	var rep compliance.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	rows := list("--include-muted", "--status", "all", "--account", acct)
	byControl := map[string]map[rampart.Status]int{}
	for _, f := range rows {
		if byControl[f.ControlID] == nil {
			byControl[f.ControlID] = map[rampart.Status]int{}
		}
		byControl[f.ControlID][f.Status]++
	}
	checked := 0
	for _, r := range rep.Requirements {
		var want compliance.Counts
		for _, id := range r.Checks {
			c := byControl[id]
			want.Pass += c[rampart.StatusPass]
			want.Fail += c[rampart.StatusFail]
			want.NotEvaluated += c[rampart.StatusNotEvaluated]
			want.Manual += c[rampart.StatusManual]
			if len(c) == 0 {
				want.NoEvidence++
			}
		}
		if r.Counts != want {
			t.Errorf("CIS %s in %s: counts %+v, findings say %+v", r.ID, acct, r.Counts, want)
		}
		if len(r.Checks) == 0 && r.Evidence != compliance.EvidenceNoAutomated {
			t.Errorf("CIS %s has no checks but evidence %q", r.ID, r.Evidence)
		}
		if r.Counts.Fail > 0 {
			checked++
		}
	}
	if checked == 0 {
		t.Error("no CIS requirement with a failure in the account: the comparison proved nothing")
	}
	code, out, _ = run(t, "compliance", "--data", data, "--framework", "CIS-5.0")
	if code != 0 || !strings.Contains(out, "coverage: ") || !strings.Contains(out, "no automated evidence") || strings.Contains(out, "%") {
		t.Errorf("compliance table exited %d:\n%s", code, out)
	}
	if code, _, errOut := run(t, "compliance", "--data", data, "--framework", "CIS-9"); code != 2 || !strings.Contains(errOut, "CIS-5.0") {
		t.Errorf("unknown framework: exit %d, %s", code, errOut)
	}

}
