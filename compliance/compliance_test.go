package compliance

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/checks"
	"github.com/rampart-cspm/rampart/checks/all"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// fakeStore filters like a Store does on landing zone and account.
type fakeStore []rampart.Finding

func (s fakeStore) ListFindings(_ context.Context, f rampart.FindingFilter) ([]rampart.Finding, error) {
	var out []rampart.Finding
	for _, x := range s {
		if (f.LandingZoneID == "" || x.LandingZoneID == f.LandingZoneID) && (f.AccountID == "" || x.AccountID == f.AccountID) {
			out = append(out, x)
		}
	}
	return out, nil
}

var metas = []checks.Meta{
	{ID: "chk_a", Compliance: []checks.Mapping{{Framework: "CIS-5.0", Requirement: "1.4"}, {Framework: "SOC2", Requirement: "cc_1_3"}}},
	{ID: "chk_b", Compliance: []checks.Mapping{{Framework: "CIS-5.0", Requirement: "1.4"}}},
	{ID: "chk_c", Compliance: []checks.Mapping{{Framework: "CIS-5.0", Requirement: "3.1"}}},
	{ID: "chk_d", Compliance: []checks.Mapping{{Framework: "CIS-5.0", Requirement: "5.1.1"}}},
	{ID: "chk_x"},
}

func smallStore() fakeStore {
	gone := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	f := func(lz, acct, check string, st rampart.Status, mod ...func(*rampart.Finding)) rampart.Finding {
		x := rampart.Finding{LandingZoneID: lz, AccountID: acct, AccountName: "name-" + acct, ControlID: check, Status: st}
		for _, m := range mod {
			m(&x)
		}
		return x
	}
	return fakeStore{
		f("lz-1", "111111111111", "chk_a", rampart.StatusPass),
		f("lz-1", "111111111111", "chk_a", rampart.StatusFail),
		f("lz-1", "111111111111", "chk_b", rampart.StatusFail, func(x *rampart.Finding) { x.Muted, x.MuteReason = true, "accepted" }),
		f("lz-1", "111111111111", "chk_c", rampart.StatusNotEvaluated),
		f("lz-1", "222222222222", "chk_a", rampart.StatusFail),
		f("lz-1", "222222222222", "chk_a", rampart.StatusFail, func(x *rampart.Finding) { x.ResolvedAt = &gone }),
		f("lz-1", "222222222222", "chk_c", rampart.StatusPass),
		f("lz-2", "333333333333", "chk_x", rampart.StatusPass),
	}
}

func TestSummarizeGolden(t *testing.T) {
	rep, err := Summarize(context.Background(), smallStore(), metas, "CIS-5.0", Filter{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "cis-small.golden.json")
	if *update {
		if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(append(got, '\n'), want) {
		t.Errorf("report differs from %s (run with -update to accept):\n%s", golden, got)
	}
	if bytes.Contains(bytes.ToLower(got), []byte("compliant")) || bytes.Contains(got, []byte("percent")) {
		t.Error("the report carries a compliance score")
	}
}

func TestSummarizeCounts(t *testing.T) {
	rep, err := Summarize(context.Background(), smallStore(), metas, "cis-5.0", Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Framework != "CIS-5.0" || rep.Version != "5.0" {
		t.Errorf("framework %q version %q, want CIS-5.0 5.0", rep.Framework, rep.Version)
	}
	reqs := map[string]RequirementReport{}
	for _, r := range rep.Requirements {
		reqs[r.ID] = r
	}
	if len(rep.Requirements) != rep.Coverage.Requirements || rep.Coverage.Requirements < 60 {
		t.Errorf("%d requirements, coverage says %d; CIS 5.0 has over 60", len(rep.Requirements), rep.Coverage.Requirements)
	}
	if rep.Coverage.Mapped != 3 || rep.Coverage.WithEvidence != 2 {
		t.Errorf("coverage %+v, want mapped 3 (1.4, 3.1, 5.1.1), with evidence 2", rep.Coverage)
	}
	if r := reqs["1.1"]; r.Evidence != EvidenceNoAutomated || len(r.Checks) != 0 || len(r.Accounts) != 0 {
		t.Errorf("1.1 = %+v, want no automated evidence", r)
	}
	r14 := reqs["1.4"]
	if r14.Evidence != EvidenceFindings || len(r14.Checks) != 2 {
		t.Fatalf("1.4 = %+v", r14)
	}
	// chk_a/chk_b over the store: acct1 pass 1 fail 1 muted 1; acct2 fail 1
	// (the resolved failure is a resource that is gone), chk_b missing;
	// acct3 has neither check.
	want14 := Counts{Pass: 1, Fail: 2, Muted: 1, NoEvidence: 1 + 2}
	if r14.Counts != want14 {
		t.Errorf("1.4 counts %+v, want %+v", r14.Counts, want14)
	}
	wantAcct := map[string]Counts{
		"111111111111": {Pass: 1, Fail: 1, Muted: 1},
		"222222222222": {Fail: 1, NoEvidence: 1},
		"333333333333": {NoEvidence: 2},
	}
	if len(r14.Accounts) != 3 {
		t.Fatalf("1.4 accounts %+v", r14.Accounts)
	}
	for _, a := range r14.Accounts {
		if a.Counts != wantAcct[a.AccountID] {
			t.Errorf("1.4 in %s: %+v, want %+v", a.AccountID, a.Counts, wantAcct[a.AccountID])
		}
	}
	if r := reqs["5.1.1"]; r.Evidence != EvidenceNoFindings || r.Counts != (Counts{NoEvidence: 3}) {
		t.Errorf("5.1.1 = %+v, want no findings from its one check in 3 accounts", r)
	}
	if r := reqs["3.1"]; r.Counts != (Counts{Pass: 1, NotEvaluated: 1, NoEvidence: 1}) {
		t.Errorf("3.1 counts %+v", r.Counts)
	}
	// Totals are the sum of the requirements' counts.
	var sum Counts
	for _, r := range rep.Requirements {
		sum.Pass += r.Counts.Pass
		sum.Fail += r.Counts.Fail
		sum.Muted += r.Counts.Muted
		sum.NotEvaluated += r.Counts.NotEvaluated
		sum.Manual += r.Counts.Manual
		sum.NoEvidence += r.Counts.NoEvidence
	}
	if sum != rep.Totals {
		t.Errorf("totals %+v, sum of requirements %+v", rep.Totals, sum)
	}
}

func TestSummarizeScope(t *testing.T) {
	rep, err := Summarize(context.Background(), smallStore(), metas, "CIS-5.0", Filter{LandingZoneID: "lz-1", AccountID: "222222222222"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Requirements {
		for _, a := range r.Accounts {
			if a.AccountID != "222222222222" {
				t.Errorf("%s lists account %s outside the scope", r.ID, a.AccountID)
			}
		}
		if r.ID == "1.4" && r.Counts != (Counts{Fail: 1, NoEvidence: 1}) {
			t.Errorf("1.4 in 222222222222: %+v", r.Counts)
		}
	}
}

func TestUnknownFramework(t *testing.T) {
	_, err := Summarize(context.Background(), smallStore(), metas, "CIS-9", Filter{})
	if rampart.ErrorCode(err) != rampart.EINVALID {
		t.Fatalf("err = %v, want EINVALID naming the frameworks", err)
	}
}

// Every requirement the shipped checks map to is in the embedded list of
// its framework, so no evidence is lost.
func TestShippedMappingsAreListed(t *testing.T) {
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]map[string]bool{}
	for _, name := range Frameworks() {
		fw, err := LookupFramework(name)
		if err != nil {
			t.Fatal(err)
		}
		if len(fw.Requirements) == 0 || fw.Version == "" {
			t.Errorf("%s: %d requirements, version %q", name, len(fw.Requirements), fw.Version)
		}
		listed[name] = map[string]bool{}
		for _, r := range fw.Requirements {
			listed[name][r.ID] = true
		}
	}
	for _, m := range reg.AllChecks() {
		for _, c := range m.Compliance {
			if listed[c.Framework] == nil {
				t.Errorf("check %s maps to unknown framework %q", m.ID, c.Framework)
			} else if !listed[c.Framework][c.Requirement] {
				t.Errorf("check %s maps to %s %s, which is not in the framework's requirement list", m.ID, c.Framework, c.Requirement)
			}
		}
	}
}
