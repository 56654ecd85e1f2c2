package prowlerfacts

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/checks"
)

// TestGeneratedIsFresh fails when facts_gen.go no longer matches what the
// generator makes from the committed TSVs: run go generate.
func TestGeneratedIsFresh(t *testing.T) {
	facts, err := Load("testdata/prowler", Services)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Render(facts)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("facts_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("facts_gen.go is stale: run go generate ./checks/internal/prowlerfacts")
	}
}

// TestServicesMatchGenerate fails when Services and the go:generate line
// list different services.
func TestServicesMatchGenerate(t *testing.T) {
	src, err := os.ReadFile("facts.go")
	if err != nil {
		t.Fatal(err)
	}
	want := "-services " + strings.Join(Services, ",") + "\n"
	if !bytes.Contains(src, []byte(want)) {
		t.Errorf("facts.go's go:generate line does not end with %q", want)
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		id       string
		sev      rampart.Severity
		typ      string
		mappings []checks.Mapping // a subset that must be present
	}{
		{"s3_bucket_level_public_access_block", rampart.SeverityHigh, "AwsS3Bucket",
			[]checks.Mapping{{Framework: "CIS-5.0", Requirement: "2.1.4"}}},
		{"iam_root_mfa_enabled", rampart.SeverityCritical, "AwsIamUser",
			[]checks.Mapping{{Framework: "CIS-5.0", Requirement: "1.4"}, {Framework: "NIST-800-53-r5", Requirement: "ac_2_1"}}},
		{"ec2_securitygroup_default_restrict_traffic", rampart.SeverityHigh, "AwsEc2SecurityGroup",
			[]checks.Mapping{{Framework: "CIS-5.0", Requirement: "5.5"}}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			f, ok := Lookup(tt.id)
			if !ok {
				t.Fatalf("Lookup(%q) not found", tt.id)
			}
			if f.Severity != tt.sev || f.ResourceType != tt.typ {
				t.Errorf("got %s/%s, want %s/%s", f.Severity, f.ResourceType, tt.sev, tt.typ)
			}
			for _, m := range tt.mappings {
				if !slices.Contains(f.Compliance, m) {
					t.Errorf("mapping %+v missing from %v", m, f.Compliance)
				}
			}
		})
	}
	if _, ok := Lookup("sagemaker_clarify_exists"); ok {
		t.Error("a service that was not generated is in the table")
	}
}

func TestLoadDeduplicatesRequirements(t *testing.T) {
	// The NIST TSV lists iam_user_mfa_enabled_console_access twice for ac_2_1.
	facts, err := Load("testdata/prowler", []string{"iam"})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range facts["iam_user_mfa_enabled_console_access"].Compliance {
		if m == (checks.Mapping{Framework: "NIST-800-53-r5", Requirement: "ac_2_1"}) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("ac_2_1 listed %d times, want 1", n)
	}
}

func TestFillKeepsCallerFields(t *testing.T) {
	m := Fill(checks.Meta{ID: "s3_bucket_public_access", Severity: rampart.SeverityLow})
	if m.Severity != rampart.SeverityLow {
		t.Errorf("Severity overwritten: %s", m.Severity)
	}
	if m.ResourceType != "AwsS3Bucket" || len(m.Compliance) == 0 {
		t.Errorf("facts not filled: %+v", m)
	}
	if got := Fill(checks.Meta{ID: "rampart_only"}); got.Severity != "" {
		t.Errorf("unknown ID got severity %s", got.Severity)
	}
}
