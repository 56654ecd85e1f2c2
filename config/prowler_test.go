package config_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampart-cspm/rampart/config"
)

const prowlerBase = `landing_zones:
  - id: lz-a
    name: A
    audit_role_name: Audit
    profile: audit
    regions: [us-east-1]
`

func TestProwlerConfig(t *testing.T) {
	found := func(name string) (string, error) { return "/opt/bin/" + filepath.Base(name), nil }
	missing := func(name string) (string, error) { return "", errors.New("not found") }
	for _, tc := range []struct {
		name, yaml string
		look       func(string) (string, error)
		want       string // resolved executable; "" is off
		wantErr    string
		timeout    time.Duration
		args       []string
	}{
		{name: "absent, on PATH", look: found, want: "/opt/bin/prowler"},
		{name: "absent, not on PATH", look: missing, want: ""},
		{name: "disabled", yaml: "scan:\n  prowler:\n    enabled: false\n", look: found, want: ""},
		{name: "enabled, not on PATH", yaml: "scan:\n  prowler:\n    enabled: true\n", look: missing, wantErr: `scan.prowler: executable "prowler"`},
		{name: "path and timeout", yaml: "scan:\n  prowler:\n    path: /usr/local/bin/prowler\n    timeout: 45m\n    args: [--compliance, cis_4.0_aws]\n",
			look: func(p string) (string, error) { return p, nil }, want: "/usr/local/bin/prowler", timeout: 45 * time.Minute, args: []string{"--compliance", "cis_4.0_aws"}},
		{name: "relative path is the config file's", yaml: "scan:\n  prowler:\n    path: bin/fake-prowler.sh\n",
			look: func(p string) (string, error) { return p, nil }, want: "/etc/rampart/bin/fake-prowler.sh"},
		{name: "path missing", yaml: "scan:\n  prowler:\n    path: /nope/prowler\n", look: missing, wantErr: `executable "/nope/prowler"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Parse([]byte(prowlerBase+tc.yaml), "/etc/rampart/rampart.yaml")
			if err != nil {
				t.Fatal(err)
			}
			got, err := cfg.Scan.Prowler.Resolve(tc.look)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Resolve = %q, %v; want %q", got, err, tc.want)
			}
			if cfg.Scan.Prowler.Timeout != tc.timeout || strings.Join(cfg.Scan.Prowler.Args, " ") != strings.Join(tc.args, " ") {
				t.Errorf("timeout %v args %v, want %v %v", cfg.Scan.Prowler.Timeout, cfg.Scan.Prowler.Args, tc.timeout, tc.args)
			}
		})
	}
	if _, err := config.Parse([]byte(prowlerBase+"scan:\n  prowler:\n    timeot: 5m\n"), "rampart.yaml"); err == nil ||
		!strings.Contains(err.Error(), "scan.prowler.timeot: unknown field") {
		t.Errorf("typo: err = %v", err)
	}
}
