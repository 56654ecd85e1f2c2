package mutelist

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rampart-cspm/rampart"
)

func load(t *testing.T) *List {
	t.Helper()
	l, err := Load("testdata/mutelist.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestMatch(t *testing.T) {
	l := load(t)
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	base := func(mod func(f *rampart.Finding)) rampart.Finding {
		f := rampart.Finding{AccountID: "111122223333", ControlID: "s3_bucket_default_encryption",
			Region: "eu-west-1", ResourceID: "logs-2026", ResourceName: "logs-2026"}
		if mod != nil {
			mod(&f)
		}
		return f
	}
	tests := []struct {
		name   string
		f      rampart.Finding
		now    time.Time
		reason string // "" = not muted
	}{
		{"all match", base(nil), now, "log buckets use SSE-S3 by design"},
		{"other account", base(func(f *rampart.Finding) { f.AccountID = "999988887777" }), now, ""},
		{"other check", base(func(f *rampart.Finding) { f.ControlID = "s3_bucket_versioning" }), now, ""},
		{"other region", base(func(f *rampart.Finding) { f.Region = "us-east-1" }), now, ""},
		{"resource regex misses", base(func(f *rampart.Finding) { f.ResourceID, f.ResourceName = "data-logs", "data-logs" }), now, ""},
		{"resource regex hits the name", base(func(f *rampart.Finding) { f.ResourceID = "arn:aws:s3:::x" }), now, "log buckets use SSE-S3 by design"},
		{"check pattern and both tags", base(func(f *rampart.Finding) {
			f.ControlID, f.Region, f.ResourceID = "ec2_instance_imdsv2_enabled", "us-east-1", "i-1"
			f.Context = map[string]string{"tag:env": "dev", "tag:team": "platform", "public": "true"}
		}), now, "dev instances owned by platform"},
		{"one tag missing", base(func(f *rampart.Finding) {
			f.ControlID, f.ResourceID = "ec2_instance_imdsv2_enabled", "i-1"
			f.Context = map[string]string{"tag:env": "dev"}
		}), now, ""},
		{"tag value differs", base(func(f *rampart.Finding) {
			f.ControlID, f.ResourceID = "ec2_instance_imdsv2_enabled", "i-1"
			f.Context = map[string]string{"tag:env": "prod", "tag:team": "platform"}
		}), now, ""},
		{"pattern is not a prefix of another service", base(func(f *rampart.Finding) {
			f.ControlID = "rds_ec2_thing"
			f.Context = map[string]string{"tag:env": "dev", "tag:team": "platform"}
		}), now, ""},
		{"before expiry", base(func(f *rampart.Finding) {
			f.ControlID, f.Region, f.ResourceID = "iam_root_mfa_enabled", "global", "root"
		}),
			time.Date(2026, 6, 30, 23, 59, 0, 0, time.UTC), "break-glass account, ticket SEC-9"},
		{"expired", base(func(f *rampart.Finding) {
			f.ControlID, f.Region, f.ResourceID = "iam_root_mfa_enabled", "global", "root"
		}),
			time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), ""},
		{"wildcard account and check", base(func(f *rampart.Finding) {
			f.AccountID, f.ControlID, f.Region, f.ResourceID = "444455556666", "rds_instance_no_public_access", "us-west-2", "db-sandbox-1"
		}), now, "sandbox resources everywhere"},
		{"wildcard entry, wrong region", base(func(f *rampart.Finding) {
			f.AccountID, f.Region, f.ResourceID = "444455556666", "eu-west-1", "db-sandbox-1"
		}), now, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.f
			got := l.Apply(&f, tt.now)
			if got != (tt.reason != "") || f.Muted != got || f.MuteReason != tt.reason {
				t.Errorf("Apply = %v, muted=%v reason=%q; want reason %q", got, f.Muted, f.MuteReason, tt.reason)
			}
		})
	}
}

func TestAccountEntriesBeforeWildcard(t *testing.T) {
	l, err := Parse([]byte(`Mutelist:
  Accounts:
    "*":
      Checks:
        "*": {Regions: ["*"], Resources: ["*"], Reason: wildcard}
    "111122223333":
      Checks:
        "*": {Regions: ["*"], Resources: ["*"], Reason: own account}
`), "m.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f := rampart.Finding{AccountID: "111122223333", ControlID: "x", Region: "r", ResourceID: "a"}
	if e, ok := l.Match(&f, time.Now()); !ok || e.Reason != "own account" {
		t.Fatalf("Match = %+v, %v; want the account's own entry", e, ok)
	}
}

func TestNilListMutesNothing(t *testing.T) {
	var l *List
	f := rampart.Finding{AccountID: "111122223333"}
	if l.Apply(&f, time.Now()) || f.Muted {
		t.Fatal("nil list muted a finding")
	}
}

func TestParseErrorsNameFileAndLine(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"syntax", "Mutelist:\n  Accounts: [\n", []string{"m.yaml:2: invalid YAML"}},
		{"empty", "", []string{"m.yaml: file is empty"}},
		{"no Mutelist", "Accounts: {}\n", []string{"m.yaml:1: Accounts: unknown key"}},
		{"bad entry", `Mutelist:
  Accounts:
    "12345":
      Checks:
        "s3_*":
          Regions: ["*"]
          Resources: ["(unclosed"]
          Expires: tomorrow
          Colour: red
`, []string{
			`m.yaml:3: Mutelist.Accounts.12345: account "12345" is not a 12-digit account id`,
			`m.yaml:5: Mutelist.Accounts.12345.Checks.s3_*: missing Reason`,
			`m.yaml:7: Mutelist.Accounts.12345.Checks.s3_*.Resources: "(unclosed" is not a regular expression`,
			`m.yaml:8: Mutelist.Accounts.12345.Checks.s3_*.Expires: "tomorrow" is not a date`,
			`m.yaml:9: Mutelist.Accounts.12345.Checks.s3_*.Colour: unknown key`,
		}},
		{"missing regions", `Mutelist:
  Accounts:
    "*":
      Checks:
        "*": {Resources: ["*"], Reason: r}
`, []string{`m.yaml:5: Mutelist.Accounts.*.Checks.*: missing Regions`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.src), "m.yaml")
			if err == nil {
				t.Fatal("no error")
			}
			var re *rampart.Error
			if !errors.As(err, &re) || re.Code != rampart.EINVALID {
				t.Errorf("error %v is not EINVALID", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%v\nlacks %q", err, w)
				}
			}
		})
	}
}
