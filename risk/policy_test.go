package risk_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/risk"
)

func TestPolicyErrorsNameFileAndLine(t *testing.T) {
	valid := string(risk.DefaultPolicyYAML())
	tests := []struct {
		name, doc string
		want      string // substring after "file:line: "
		line      int
	}{
		{"yaml syntax", "version: 1\nrules: [\n", "did not find expected node content", 2},
		{"unknown key", "version: 1\nseverity_pointz: {}\n", "field severity_pointz not found", 2},
		{"unknown variable", strings.Replace(valid, "when: production\n", "when: prodution\n", 1), "undeclared reference to 'prodution'", 0},
		{"not a bool", strings.Replace(valid, "when: production\n", "when: environment\n", 1), "must be a bool expression", 0},
		{"bad version", strings.Replace(valid, "version: 1", "version: 9", 1), "this binary reads policy version 1", 0},
		{"unknown rule in lz override", valid + "landing_zones:\n  lz-a:\n    points: {nope: 3}\n", `no rule named "nope"`, 0},
		{"bad severity", strings.Replace(valid, "low: 10,", "lowest: 10,", 1), `unknown severity "lowest"`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := risk.ParsePolicy("team.yaml", []byte(tt.doc))
			var pe *risk.PolicyError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v, want a *PolicyError", err)
			}
			if pe.File != "team.yaml" || pe.Line <= 0 {
				t.Errorf("error %q: want file team.yaml and a line", err)
			}
			if tt.line > 0 && pe.Line != tt.line {
				t.Errorf("error %q: line %d, want %d", err, pe.Line, tt.line)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "team.yaml:") {
				t.Errorf("error %q: want it to start with team.yaml: and contain %q", err, tt.want)
			}
		})
	}
}

func TestUnknownVariableLineIsTheRulesLine(t *testing.T) {
	doc := strings.Replace(string(risk.DefaultPolicyYAML()), "when: production\n", "when: prodution\n", 1)
	want := 0
	for i, l := range strings.Split(doc, "\n") {
		if strings.Contains(l, "when: prodution") {
			want = i + 1
		}
	}
	_, err := risk.ParsePolicy("p.yaml", []byte(doc))
	var pe *risk.PolicyError
	if !errors.As(err, &pe) || pe.Line != want {
		t.Fatalf("error %v, want line %d", err, want)
	}
}

func TestHolderKeepsPreviousPolicyOnBadFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	doc := strings.Replace(string(risk.DefaultPolicyYAML()), "    when: production\n    points: 15", "    when: production\n    points: 30", 1)
	if err := os.WriteFile(good, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	badDoc := strings.Replace(string(risk.DefaultPolicyYAML()), "when: production\n", "when: nosuch > 1\n", 1)
	badLine := 1 + strings.Count(badDoc[:strings.Index(badDoc, "when: nosuch")], "\n")
	if err := os.WriteFile(bad, []byte(badDoc), 0o600); err != nil {
		t.Fatal(err)
	}
	h := risk.NewHolder(nil)
	if err := h.Load(good); err != nil {
		t.Fatal(err)
	}
	err := h.Load(bad)
	if err == nil || !strings.HasPrefix(err.Error(), fmt.Sprintf("%s:%d:", bad, badLine)) {
		t.Fatalf("Load(bad) = %v, want an error at %s:%d", err, bad, badLine)
	}
	if h.Policy().Source != good {
		t.Errorf("policy in force is %s, want the previous one %s", h.Policy().Source, good)
	}
	f := failing(rampart.SeverityHigh, nil)
	h.Policy().Enrich(&f, risk.Input{Now: now})
	if !strings.Contains(f.RiskReason, "production +30") {
		t.Errorf("reason %q: the previous policy's points should apply", f.RiskReason)
	}
}

func TestPerLandingZoneOverride(t *testing.T) {
	doc := string(risk.DefaultPolicyYAML()) + `
landing_zones:
  lz-sandbox:
    points: {production: 5}
    disable: [no owner]
    rules:
      - name: cardholder account
        when: account_id == "222200000003"
        points: 20
`
	p, err := risk.ParsePolicy("p.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	f := failing(rampart.SeverityHigh, nil)
	f.LandingZoneID, f.AccountID = "lz-sandbox", "222200000003"
	p.Enrich(&f, risk.Input{Now: now})
	for _, want := range []string{"production +5", "cardholder account +20"} {
		if !strings.Contains(f.RiskReason, want) {
			t.Errorf("reason %q lacks %q", f.RiskReason, want)
		}
	}
	if strings.Contains(f.RiskReason, "no owner") {
		t.Errorf("reason %q: disabled rule applied", f.RiskReason)
	}
	g := failing(rampart.SeverityHigh, nil)
	g.LandingZoneID = "lz-other"
	p.Enrich(&g, risk.Input{Now: now})
	if !strings.Contains(g.RiskReason, "production +15") || !strings.Contains(g.RiskReason, "no owner +5") {
		t.Errorf("other LZ reason %q: want the base rules", g.RiskReason)
	}
}

var now = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

func failing(sev rampart.Severity, ctx map[string]string) rampart.Finding {
	return rampart.Finding{Severity: sev, Status: rampart.StatusFail, Context: ctx}
}
