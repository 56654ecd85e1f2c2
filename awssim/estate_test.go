package awssim

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const minimalEstate = `regions: [{name: us-east-1}, {name: ap-east-1, opt_in: true}]
organizations:
  - id: o-test
    management_account: "123456789012"
    ous:
      - {id: ou-test-a, name: A}
    accounts:
      - id: "123456789012"
        name: mgmt
        access_keys: [{id: AKIATESTMGMT00000001, secret: s}]
`

func TestParseEstateErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // substrings of the error
	}{
		{"unknown field", minimalEstate + "        colour: blue\n",
			[]string{"test.yaml", "line 11", "colour"}},
		{"duplicate account", minimalEstate + "      - {id: \"123456789012\", name: again}\n",
			[]string{"test.yaml:11:", "organizations[0].accounts[1].id", "duplicate account id \"123456789012\"", "line 8"}},
		{"unknown OU parent", strings.Replace(minimalEstate, "{id: ou-test-a, name: A}", "{id: ou-test-a, name: A, parent: ou-nope-x}", 1),
			[]string{"test.yaml:6:", "organizations[0].ous[0].parent", "unknown parent OU \"ou-nope-x\""}},
		{"bad region", strings.Replace(minimalEstate, "{name: us-east-1}", "{name: mars-1}", 1),
			[]string{"test.yaml:1:", "regions[0].name", "bad region name \"mars-1\""}},
		{"undeclared region", minimalEstate + "        enabled_regions: [eu-west-9]\n",
			[]string{"test.yaml:11:", "enabled_regions[0]", "unknown region \"eu-west-9\""}},
		{"account OU", minimalEstate + "        ou: ou-missing-1\n",
			[]string{"test.yaml:11:", "accounts[0].ou", "unknown OU"}},
		{"short account id", strings.Replace(minimalEstate, `id: "123456789012"`, `id: "1234"`, 1),
			[]string{"accounts[0].id", "must be 12 digits"}},
		{"bad fault", minimalEstate + "faults: [{kind: explode}]\n",
			[]string{"test.yaml:11:", "faults[0]", "fault kind"}},
		{"bad policy JSON", minimalEstate + "        s3: [{name: my-bucket, policy: \"{nope\"}]\n",
			[]string{"accounts[0].s3[0].policy", "not valid JSON"}},
		{"ec2 reference", minimalEstate + "        ec2:\n          us-east-1:\n            instances: [{name: i1, subnet: nowhere}]\n",
			[]string{"test.yaml:13:", "instances[0].subnet", "unknown subnet \"nowhere\""}},
		{"ec2 in disabled region", minimalEstate + "        ec2:\n          ap-east-1: {vpcs: [{cidr: 10.0.0.0/16}]}\n",
			[]string{"ec2.ap-east-1", "not enabled"}},
		{"bad rule", minimalEstate + "        ec2:\n          us-east-1:\n            security_groups: [{name: g, ingress: [{protocol: tcp, cidrs: [0.0.0.0/0]}]}]\n",
			[]string{"ingress[0]", "needs port"}},
		{"missing management account", strings.Replace(minimalEstate, `management_account: "123456789012"`, `management_account: "999999999999"`, 1),
			[]string{"management_account", "not one of the organization's accounts"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseEstate([]byte(tt.yaml), "test.yaml")
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestLoadEstate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "estate.yaml")
	if err := os.WriteFile(path, []byte(minimalEstate), 0o600); err != nil {
		t.Fatal(err)
	}
	e, err := LoadEstate(path)
	if err != nil {
		t.Fatal(err)
	}
	o := e.Organizations[0]
	if e.Name != "estate" || o.RootID == "" || o.OUs[0].Parent != o.RootID || o.Accounts[0].Status != "ACTIVE" || o.Accounts[0].OU != o.RootID {
		t.Errorf("defaults not filled: %+v %+v %+v", e, o, o.Accounts[0])
	}
	if _, err := LoadEstate(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file error = %v", err)
	}
}

func TestDemoEstateGroundTruth(t *testing.T) {
	e := DemoEstate()
	orgs := map[string]int{}
	for _, o := range e.Organizations {
		orgs[o.ID] = len(o.Accounts)
	}
	if orgs["o-retail"] != 9 || orgs["o-payments"] != 8 || orgs["o-data"] != 8 {
		t.Errorf("accounts per org = %v", orgs)
	}
	if a := e.Account("111100000008"); a.Status != "SUSPENDED" {
		t.Errorf("111100000008 status = %s", a.Status)
	}
	if a := e.Account("111100000007"); len(a.Roles) != 0 {
		t.Errorf("111100000007 should lack the audit role")
	}
	web := e.Account("111100000003")
	for _, region := range []string{"us-east-1", "eu-west-1"} {
		var found bool
		for _, g := range web.EC2[region].SecurityGroups {
			if g.Name == "legacy-bastion" && g.Ingress[0].CIDRs[0] == "0.0.0.0/0" && *g.Ingress[0].FromPort == 22 {
				found = true
			}
		}
		if !found {
			t.Errorf("legacy-bastion open SSH missing in %s", region)
		}
	}
	optIn := 0
	for _, o := range e.Organizations {
		for _, a := range o.Accounts {
			if e.RegionEnabled(a, "ap-east-1") {
				optIn++
			}
		}
	}
	if optIn < 2 || optIn == e.AccountCount() {
		t.Errorf("ap-east-1 enabled in %d accounts, want a couple", optIn)
	}
	for _, name := range []string{"retail-web-assets-prod", "data-lake-public-exports"} {
		if b, _ := e.Bucket(name); b == nil || !policyIsPublic(b.Policy) {
			t.Errorf("%s should be public via policy", name)
		}
	}
	if b, _ := e.Bucket("retail-mgmt-cloudtrail"); policyIsPublic(b.Policy) || b.Encryption != "aws:kms" {
		t.Errorf("retail-mgmt-cloudtrail should be clean")
	}
	if DemoEstate() == e || DemoEstate().Account("111100000003") == web {
		t.Error("DemoEstate must return a fresh copy")
	}
}

func TestPolicyIsPublic(t *testing.T) {
	tests := []struct {
		policy string
		want   bool
	}{
		{`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}]}`, true},
		{`{"Statement":{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::1:root","*"]}}}`, true},
		{`{"Statement":[{"Effect":"Deny","Principal":"*"}]}`, false},
		{`{"Statement":[{"Effect":"Allow","Principal":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`, false},
		{`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111100000001:root"}}]}`, false},
		{`not json`, false},
	}
	for _, tt := range tests {
		if got := policyIsPublic(tt.policy); got != tt.want {
			t.Errorf("policyIsPublic(%s) = %v, want %v", tt.policy, got, tt.want)
		}
	}
}

// FuzzParseEstate checks that no input makes the parser or validator panic
// and that every accepted estate survives re-validation.
func FuzzParseEstate(f *testing.F) {
	f.Add([]byte(minimalEstate))
	f.Add(DemoEstateYAML())
	f.Add([]byte("regions: [{name: us-east-1}]\norganizations: [{id: o-abcd}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := ParseEstate(data, "fuzz.yaml")
		if err != nil {
			return
		}
		v := &validator{file: "again"}
		v.estate(e)
		if len(v.errs) > 0 {
			t.Fatalf("accepted estate fails re-validation: %v", v.errs)
		}
	})
}
