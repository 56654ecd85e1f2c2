package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/config"
)

func TestLoadExample(t *testing.T) {
	got, err := config.Load("testdata/example.yaml")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := &config.Config{
		LandingZones: []rampart.LandingZone{
			{
				ID:                           "lz-retail-prod",
				Name:                         "Retail Production Landing Zone",
				Cloud:                        "aws",
				Profile:                      "retail-security-audit",
				SSOStartURL:                  "https://retail.awsapps.com/start",
				AuditRoleName:                "SecurityAuditRole",
				Regions:                      []string{"ap-southeast-1", "us-east-1"},
				OwnerTeam:                    "retail-platform-team",
				BusinessUnit:                 "retail",
				Environment:                  "production",
				ScanEnabled:                  true,
				Schedule:                     "@every 6h",
				MaxConcurrentAccounts:        3,
				MaxConcurrentUnitsPerAccount: 2,
				SLADays: map[rampart.Severity]int{
					rampart.SeverityCritical: 3, rampart.SeverityHigh: 14,
					rampart.SeverityMedium: 90, rampart.SeverityLow: 180,
				},
				Accounts: rampart.AccountSource{
					Source: "organizations",
					OUs:    []string{"ou-a1b2-11111111", "ou-a1b2-22222222"},
					Overrides: []rampart.AccountOverride{
						{ID: "111111111111", Name: "retail-payments-prod", OwnerTeam: "payments-team"},
						{ID: "222222222222", Environment: "shared", OwnerTeam: "cloud-platform-team"},
					},
				},
			},
			{
				ID:                           "lz-data-legacy",
				Name:                         "Data Platform (legacy accounts)",
				Cloud:                        "aws",
				AuditRoleName:                "RampartAudit",
				ExternalID:                   "rampart-7f3c2a",
				Regions:                      []string{"eu-west-1", "eu-central-1"},
				OwnerTeam:                    "data-platform-team",
				BusinessUnit:                 "data",
				Environment:                  "staging",
				ScanEnabled:                  true,
				Schedule:                     "30 2 * * mon-fri",
				MaxConcurrentAccounts:        2,
				MaxConcurrentUnitsPerAccount: 2,
				SLADays:                      config.DefaultSLADays(),
				Accounts: rampart.AccountSource{
					Source: "static",
					Static: []rampart.AccountOverride{
						{ID: "333333333333", Name: "data-lake-staging"},
						{ID: "044444444444", Name: "data-sandbox", Environment: "sandbox", OwnerTeam: "data-science-team"},
					},
				},
			},
		},
		AWS: config.AWS{HomeRegion: "us-east-1"},
		Scan: config.Scan{
			UnitTimeout:        15 * time.Minute,
			MaxAttempts:        8,
			MaxBackoff:         20 * time.Second,
			UnitRetries:        2,
			MaxConcurrentUnits: 16, RateControl: "adaptive",
		},
		DataDir:   "/var/lib/rampart",
		Artifacts: "s3://acme-rampart-artifacts/rampart",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Load(example.yaml):\n got %+v\nwant %+v", got, want)
	}
	if lz, ok := got.LandingZone("lz-data-legacy"); !ok || lz.ExternalID != "rampart-7f3c2a" {
		t.Errorf("LandingZone(lz-data-legacy) = %+v, %v", lz, ok)
	}
	if _, ok := got.LandingZone("lz-missing"); ok {
		t.Error("LandingZone(lz-missing) found a landing zone")
	}
}

// TestDefaults checks every default on a minimal file, and that empty AWS
// fields stay empty whatever the SDK environment says: the SDK reads it later.
func TestDefaults(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
	t.Setenv("AWS_CONFIG_FILE", "/tmp/aws-config")
	t.Setenv("AWS_PROFILE", "from-env")
	got, err := config.Load("testdata/minimal.yaml")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := &config.Config{
		LandingZones: []rampart.LandingZone{{
			ID:                           "lz-min",
			Name:                         "Minimal",
			Cloud:                        "aws",
			AuditRoleName:                "SecurityAudit",
			Regions:                      []string{"us-east-1"},
			Environment:                  "production",
			ScanEnabled:                  true,
			MaxConcurrentAccounts:        3,
			MaxConcurrentUnitsPerAccount: 2,
			SLADays: map[rampart.Severity]int{
				rampart.SeverityCritical: 7, rampart.SeverityHigh: 30,
				rampart.SeverityMedium: 90, rampart.SeverityLow: 180,
			},
			Accounts: rampart.AccountSource{Source: "organizations"},
		}},
		AWS: config.AWS{HomeRegion: "us-east-1"},
		Scan: config.Scan{
			UnitTimeout:        10 * time.Minute,
			MaxAttempts:        8,
			MaxBackoff:         20 * time.Second,
			UnitRetries:        2,
			MaxConcurrentUnits: 16, RateControl: "adaptive",
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Load(minimal.yaml):\n got %+v\nwant %+v", got, want)
	}
}

func TestParseValues(t *testing.T) {
	home, err := os.UserHomeDir()
	if err != nil {
		t.Skip("no home directory")
	}
	doc := `
landing_zones:
  - id: lz-a
    name: A
    audit_role_name: path/to/Audit
    regions: [us-gov-west-1, cn-north-1, us-isob-east-1, il-central-1]
    scan_enabled: false
    schedule: "*/15 * * * *"
    sla_days: {Critical: 1, info: 365}
    accounts:
      source: static
      static:
        - id: 012345678901
aws:
  endpoint_url: http://localhost:4566
  home_region: us-gov-west-1
  shared_config_files: [~/.aws/config, ./aws-config]
  shared_credentials_files: [/etc/rampart/credentials]
`
	got, err := config.Parse([]byte(doc), "inline.yaml")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	lz := got.LandingZones[0]
	if want := []string{"us-gov-west-1", "cn-north-1", "us-isob-east-1", "il-central-1"}; !reflect.DeepEqual(lz.Regions, want) {
		t.Errorf("Regions = %q, want %q", lz.Regions, want)
	}
	if lz.ScanEnabled {
		t.Error("ScanEnabled = true, want false")
	}
	if lz.AuditRoleName != "path/to/Audit" {
		t.Errorf("AuditRoleName = %q", lz.AuditRoleName)
	}
	if lz.SLADays[rampart.SeverityCritical] != 1 || lz.SLADays[rampart.SeverityInformational] != 365 || lz.SLADays[rampart.SeverityHigh] != 30 {
		t.Errorf("SLADays = %v", lz.SLADays)
	}
	// Unquoted, the id is a YAML number; its spelling, leading zero
	// included, must survive.
	if want := []rampart.AccountOverride{{ID: "012345678901"}}; !reflect.DeepEqual(lz.Accounts.Static, want) {
		t.Errorf("Static = %+v, want %+v", lz.Accounts.Static, want)
	}
	wantAWS := config.AWS{
		EndpointURL:            "http://localhost:4566",
		HomeRegion:             "us-gov-west-1",
		SharedConfigFiles:      []string{filepath.Join(home, ".aws/config"), "./aws-config"},
		SharedCredentialsFiles: []string{"/etc/rampart/credentials"},
	}
	if !reflect.DeepEqual(got.AWS, wantAWS) {
		t.Errorf("AWS = %+v, want %+v", got.AWS, wantAWS)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"empty.yaml", []string{
			`rampart.yaml: file is empty (want a mapping with landing_zones)`,
		}},
		{"syntax.yaml", []string{
			`rampart.yaml:2: invalid YAML: did not find expected ',' or ']'`,
		}},
		{"two-documents.yaml", []string{
			`rampart.yaml:6: more than one YAML document (remove the extra "---")`,
		}},
		{"top-level-list.yaml", []string{
			`rampart.yaml:1: want a mapping with landing_zones at the top level, got a list`,
		}},
		{"no-landing-zones.yaml", []string{
			`rampart.yaml:1: landing_zones: is required: define at least one landing zone`,
		}},
		{"empty-landing-zones.yaml", []string{
			`rampart.yaml:1: landing_zones: is empty: define at least one landing zone`,
		}},
		{"duplicate-ids.yaml", []string{
			`rampart.yaml:6: landing_zones[1].id: duplicate landing zone id "lz-a" (also landing_zones[0] on line 2)`,
		}},
		{"unknown-fields.yaml", []string{
			`rampart.yaml:5: landing_zones[0].regoins: unknown field (did you mean "regions"?)`,
			`rampart.yaml:7: scna: unknown field (did you mean "scan"?)`,
		}},
		{"required.yaml", []string{
			`rampart.yaml:2: landing_zones[0].id: is required`,
			`rampart.yaml:2: landing_zones[0].name: is required`,
			`rampart.yaml:2: landing_zones[0].audit_role_name: is required`,
			`rampart.yaml:2: landing_zones[0].regions: is required`,
			`rampart.yaml:4: landing_zones[1].name: is required`,
			`rampart.yaml:6: landing_zones[1].regions: is required`,
		}},
		{"regions.yaml", []string{
			`rampart.yaml:7: landing_zones[0].regions[1]: "us-east-9x" is not an AWS region name`,
			`rampart.yaml:8: landing_zones[0].regions[2]: region "us-east-1" is listed twice (first on line 6)`,
		}},
		{"values.yaml", []string{
			`rampart.yaml:2: landing_zones[0].id: "LZ_A" is not a valid id (use lowercase letters, digits and dashes)`,
			`rampart.yaml:4: landing_zones[0].cloud: cloud "azure" is not supported for scanning (only "aws" is)`,
			`rampart.yaml:5: landing_zones[0].sso_start_url: "retail.awsapps.com/start" is not an http(s) URL`,
			`rampart.yaml:6: landing_zones[0].audit_role_name: "arn:aws:iam::111111111111:role/Audit" is not an IAM role name (want the name, not the ARN, e.g. SecurityAuditRole)`,
			`rampart.yaml:7: landing_zones[0].external_id: not a valid external id (2 to 1224 characters of letters, digits and +=,.@:/_-)`,
			`rampart.yaml:9: landing_zones[0].environment: "prod" is not an environment (want one of production, staging, development, sandbox, test, shared)`,
			`rampart.yaml:10: landing_zones[0].scan_enabled: want true or false, got "maybe"`,
			`rampart.yaml:11: landing_zones[0].schedule: "0 25 * * *": hour field "25": 25 is out of range 0-23`,
			`rampart.yaml:12: landing_zones[0].max_concurrent_accounts: 0 is out of range (want 1 to 100)`,
			`rampart.yaml:13: landing_zones[0].max_concurrent_units_per_account: want a whole number, got "two"`,
			`rampart.yaml:16: landing_zones[0].sla_days.urgent: "urgent" is not a severity (want one of critical, high, medium, low, informational)`,
			`rampart.yaml:17: landing_zones[0].sla_days.low: 0 is out of range (want 1 to 3650)`,
		}},
		{"accounts.yaml", []string{
			`rampart.yaml:7: landing_zones[0].accounts.source: "organisations" is not an account source (want organizations or static)`,
			`rampart.yaml:13: landing_zones[1].accounts.ous[1]: "ou-123" is not an organizational unit or root id (want ou-xxxx-xxxxxxxx or r-xxxx)`,
			`rampart.yaml:14: landing_zones[1].accounts.static: only applies to source: static (use overrides to rename accounts found in Organizations)`,
			`rampart.yaml:17: landing_zones[1].accounts.overrides[0].id: "12345" is not an AWS account id (want 12 digits; quote ids with leading zeros)`,
			`rampart.yaml:18: landing_zones[1].accounts.overrides[1].id: is required`,
			`rampart.yaml:20: landing_zones[1].accounts.overrides[2].environment: "qa" is not an environment (want one of production, staging, development, sandbox, test, shared)`,
			`rampart.yaml:21: landing_zones[1].accounts.overrides[3].id: account 222222222222 is listed twice (first on line 19)`,
			`rampart.yaml:27: landing_zones[2].accounts.static: is required`,
			`rampart.yaml:28: landing_zones[2].accounts.ous: only applies to source: organizations`,
		}},
		{"settings.yaml", []string{
			`rampart.yaml:7: aws.endpoint_url: "localhost:4566" is not an http(s) URL`,
			`rampart.yaml:8: aws.home_region: "global" is not an AWS region name`,
			`rampart.yaml:9: aws.shared_config_files: want a list, got "/home/me/.aws/config"`,
			`rampart.yaml:11: scan.unit_timeout: "10" is not a duration (want e.g. "10m" or "30s")`,
			`rampart.yaml:12: scan.max_attempts: 0 is out of range (want 1 to 50)`,
			`rampart.yaml:13: scan.max_backoff: duration must be positive, got "-1s"`,
			`rampart.yaml:14: scan.unit_retries: 11 is out of range (want 0 to 10)`,
			`rampart.yaml:16: scan.max_concurrent_units: repeated field (first set on line 15)`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "bad", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Parse(data, "rampart.yaml")
			if err == nil {
				t.Fatalf("Parse succeeded with %+v, want errors", cfg)
			}
			if cfg != nil {
				t.Errorf("Parse returned a config with its error")
			}
			if got, want := err.Error(), strings.Join(tt.want, "\n"); got != want {
				t.Errorf("error:\n%s\nwant:\n%s", got, want)
			}
			var errs config.Errors
			if !errors.As(err, &errs) || len(errs) != len(tt.want) {
				t.Errorf("errors.As(Errors) = %d problems, want %d", len(errs), len(tt.want))
			}
			if code := rampart.ErrorCode(err); code != rampart.EINVALID {
				t.Errorf("ErrorCode = %q, want %q", code, rampart.EINVALID)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	_, err := config.Load(filepath.Join(t.TempDir(), "missing.yaml"))
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want a not-exist error", err)
	}
	// Load names the file by the path it was given.
	path := filepath.Join(t.TempDir(), "rampart.yaml")
	if err := os.WriteFile(path, []byte("landing_zones: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = config.Load(path)
	if want := path + ":1: landing_zones: is empty: define at least one landing zone"; err == nil || err.Error() != want {
		t.Errorf("Load = %v, want %q", err, want)
	}
}

// TestDocsExample keeps docs/config.md's complete example identical to
// testdata/example.yaml, which TestLoadExample proves valid.
func TestDocsExample(t *testing.T) {
	doc, err := os.ReadFile("../docs/config.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("testdata/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	block := "```yaml\n" + string(example) + "```\n"
	if !strings.Contains(string(doc), block) {
		t.Error("docs/config.md does not contain testdata/example.yaml verbatim in a ```yaml block")
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	bad, _ := filepath.Glob("testdata/bad/*.yaml")
	for _, name := range append(files, bad...) {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := config.Parse(data, "fuzz.yaml")
		if (cfg == nil) == (err == nil) {
			t.Fatalf("Parse = %v, %v: want exactly one of config and error", cfg, err)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "fuzz.yaml") {
			t.Fatalf("error does not name the file: %v", err)
		}
		if cfg != nil && len(cfg.LandingZones) == 0 {
			t.Fatal("valid config without landing zones")
		}
	})
}
