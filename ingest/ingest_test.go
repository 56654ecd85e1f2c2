package ingest_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/ingest"
)

var opts = ingest.Options{LandingZoneID: "lz-test", DefaultAccount: "cluster-1"}

// readAll reads every record of a file, failing on any error.
func readAll(t *testing.T, path string, o ingest.Options) ([]ingest.Record, ingest.Format) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, format, err := ingest.Open(f, filepath.Base(path), o)
	if err != nil {
		t.Fatal(err)
	}
	var out []ingest.Record
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out, format
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, rec)
	}
}

// want is every schema field a Prowler record fills.
type want struct {
	provider, account, accountName, region, resourceID, resourceType, resourceName string
	service, control, title                                                        string
	severity                                                                       rampart.Severity
	status                                                                         rampart.Status
	framework, requirement, remediationPrefix, statusExtPrefix                     string
	time                                                                           time.Time
	muted                                                                          bool
}

func check(t *testing.T, rec ingest.Record, w want) {
	t.Helper()
	f := rec.Finding
	for _, c := range []struct{ name, got, want string }{
		{"cloud_provider", f.CloudProvider, w.provider},
		{"landing_zone_id", f.LandingZoneID, opts.LandingZoneID},
		{"account_id", f.AccountID, w.account},
		{"account_name", f.AccountName, w.accountName},
		{"region", f.Region, w.region},
		{"scope", f.Scope, w.region},
		{"resource_id", f.ResourceID, w.resourceID},
		{"resource_type", f.ResourceType, w.resourceType},
		{"resource_name", f.ResourceName, w.resourceName},
		{"service", f.Service, w.service},
		{"control_id", f.ControlID, w.control},
		{"title", f.Title, w.title},
		{"severity", string(f.Severity), string(w.severity)},
		{"status", string(f.Status), string(w.status)},
		{"framework", f.Framework, w.framework},
		{"requirement_id", f.RequirementID, w.requirement},
		{"finding_id", f.FindingID, rampart.FindingID(w.provider, opts.LandingZoneID, w.account, w.region, w.service, w.resourceID, w.control)},
	} {
		if c.got != c.want {
			t.Errorf("record %d %s = %q, want %q", rec.Number, c.name, c.got, c.want)
		}
	}
	if !strings.HasPrefix(f.Remediation, w.remediationPrefix) {
		t.Errorf("record %d remediation = %q, want prefix %q", rec.Number, f.Remediation, w.remediationPrefix)
	}
	if !strings.HasPrefix(f.StatusExtended, w.statusExtPrefix) {
		t.Errorf("record %d status_extended = %q, want prefix %q", rec.Number, f.StatusExtended, w.statusExtPrefix)
	}
	if len(f.Sources) != 1 || f.Sources[0] != rampart.SourceProwler {
		t.Errorf("record %d sources = %q, want [prowler]", rec.Number, f.Sources)
	}
	if !rec.Time.Equal(w.time) {
		t.Errorf("record %d time = %v, want %v", rec.Number, rec.Time, w.time)
	}
	if rec.Muted != w.muted {
		t.Errorf("record %d muted = %v, want %v", rec.Number, rec.Muted, w.muted)
	}
}

func TestFixtures(t *testing.T) {
	tests := []struct {
		file   string
		format ingest.Format
		count  int
		index  int // the record checked field by field
		want   want
	}{
		{"example_output_aws.ocsf.json", ingest.FormatOCSF, 5, 0, want{
			provider: "aws", account: "<account_uid>", region: "<region>", resourceID: "<resource_uid>",
			resourceType: "Other", resourceName: "<resource_name>", service: "accessanalyzer",
			control: "accessanalyzer_enabled", title: "Check if IAM Access Analyzer is enabled",
			severity: rampart.SeverityLow, status: rampart.StatusFail, framework: "CIS-3.0", requirement: "1.20",
			remediationPrefix: "Enable IAM Access Analyzer for all accounts", statusExtPrefix: "IAM Access Analyzer in account <account_uid> is not enabled.",
			time: time.Unix(1739539623, 0).UTC(),
		}},
		{"example_output_aws.ocsf.json", ingest.FormatOCSF, 5, 1, want{
			// account is a global service: region "global", as native findings.
			provider: "aws", account: "<account_uid>", region: "global", resourceID: "arn:aws:iam::<account_uid>:root",
			resourceType: "Other", resourceName: "<account_uid>", service: "account",
			control: "account_maintain_current_contact_details", title: "Maintain current contact details.",
			severity: rampart.SeverityMedium, status: rampart.StatusManual, framework: "CIS-3.0", requirement: "1.1",
			remediationPrefix: "Using the Billing and Cost Management console", statusExtPrefix: "Login to the AWS Console.",
			time: time.Unix(1739539623, 0).UTC(),
		}},
		{"example_output_azure.ocsf.json", ingest.FormatOCSF, 5, 0, want{
			provider: "azure", account: "<subscription_uid>", accountName: "<subscription_name>", region: "global",
			resourceID: "AppInsights", resourceType: "Microsoft.Insights/components", resourceName: "AppInsights",
			service: "appinsights", control: "appinsights_ensure_is_configured",
			title: "Ensure Application Insights are Configured.", severity: rampart.SeverityLow, status: rampart.StatusFail,
			framework: "CIS-3.0", requirement: "6.3.1", remediationPrefix: "1. Navigate to Application Insights",
			statusExtPrefix: "There are no AppInsight configured in subscription", time: time.Unix(1739539650, 0).UTC(),
		}},
		{"example_output_gcp.ocsf.json", ingest.FormatOCSF, 5, 4, want{
			provider: "gcp", account: "<project_id>", accountName: "<project_name>", region: "global",
			resourceID: "<uid>", resourceType: "FirewallRule", resourceName: "<resource_id>", service: "networking",
			control: "compute_firewall_rdp_access_from_the_internet_allowed",
			title:   "Ensure That RDP Access Is Restricted From the Internet", severity: rampart.SeverityCritical,
			status: rampart.StatusFail, framework: "CIS-3.0", requirement: "3.7", remediationPrefix: "Ensure that Google Cloud Virtual Private Cloud",
			statusExtPrefix: "Firewall <resource_id> does exposes port 3389 (RDP) to the internet.", time: time.Unix(1739539640, 0).UTC(),
		}},
		{"example_output_kubernetes.ocsf.json", ingest.FormatOCSF, 6, 1, want{
			// No cloud object: the cluster is the default account; the namespace is the region.
			provider: "kubernetes", account: "cluster-1", region: "<namespace>", resourceID: "<resource_uid>",
			resourceType: "KubernetesAPIServer", resourceName: "<pod>", service: "apiserver",
			control: "apiserver_anonymous_requests", title: "Ensure that the --anonymous-auth argument is set to false",
			severity: rampart.SeverityHigh, status: rampart.StatusPass, framework: "CIS-1.10", requirement: "1.2.1",
			remediationPrefix: "Ensure the --anonymous-auth argument in the API server is set to false",
			statusExtPrefix:   "API Server does not have anonymous-auth enabled in pod <pod>.", time: time.Unix(1739539658, 0).UTC(),
		}},
		{"example_output_aws.csv", ingest.FormatCSV, 4, 0, want{
			provider: "aws", account: "<account_uid>", region: "<region>", resourceID: "<resource_uid>",
			resourceType: "Other", resourceName: "<resource_name>", service: "accessanalyzer",
			control: "accessanalyzer_enabled", title: "Check if IAM Access Analyzer is enabled",
			severity: rampart.SeverityLow, status: rampart.StatusFail, framework: "CIS-3.0", requirement: "1.20",
			remediationPrefix: "Enable IAM Access Analyzer for all accounts", statusExtPrefix: "IAM Access Analyzer in account <account_uid> is not enabled.",
			time: time.Date(2025, 2, 14, 14, 27, 3, 913874000, time.UTC),
		}},
		{"prowler_aws.asff.json", ingest.FormatASFF, 2, 0, want{
			provider: "aws", account: "123456789012", region: "eu-west-1", resourceID: "arn:aws:s3:::retail-exports",
			resourceType: "AwsS3Bucket", resourceName: "retail-exports", service: "s3",
			control: "s3_bucket_default_encryption", title: "Check if S3 buckets have default encryption (SSE) enabled",
			severity: rampart.SeverityMedium, status: rampart.StatusFail, framework: "CIS-5.0", requirement: "2.1.1",
			remediationPrefix: "Enable default encryption. (https://docs.aws.amazon.com/", statusExtPrefix: "S3 Bucket retail-exports does not",
			time: time.Date(2025, 2, 14, 13, 27, 3, 0, time.UTC),
		}},
		{"prowler_aws.asff.json", ingest.FormatASFF, 2, 1, want{
			provider: "aws", account: "123456789012", region: "global", resourceID: "arn:aws:iam::123456789012:root",
			resourceType: "AwsAccount", resourceName: "arn:aws:iam::123456789012:root", service: "iam",
			control: "iam_root_mfa_enabled", title: "Ensure MFA is enabled for the root account",
			severity: rampart.SeverityCritical, status: rampart.StatusPass, framework: "CIS-5.0", requirement: "1.4",
			statusExtPrefix: "Muted in Prowler. MFA is enabled", time: time.Date(2025, 2, 14, 13, 27, 3, 0, time.UTC), muted: true,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.want.control, func(t *testing.T) {
			recs, format := readAll(t, filepath.Join("testdata", tt.file), opts)
			if format != tt.format {
				t.Errorf("format = %s, want %s", format, tt.format)
			}
			if len(recs) != tt.count {
				t.Fatalf("%d records, want %d", len(recs), tt.count)
			}
			for i, r := range recs {
				if r.Number != i+1 {
					t.Errorf("record %d numbered %d", i+1, r.Number)
				}
			}
			check(t, recs[tt.index], tt.want)
		})
	}
}

func TestPrimaryMapping(t *testing.T) {
	tests := []struct {
		in            map[string][]string
		fw, requireID string
	}{
		{nil, "", ""},
		{map[string][]string{"CIS-1.4": {"1.20"}, "CIS-10.0": {"2.1"}, "CIS-3.0": {"1.19"}, "SOC2": {"cc_1"}}, "CIS-10.0", "2.1"},
		{map[string][]string{"SOC2": {"cc_1"}, "PCI-4.0": {"1.2"}, "NIST-800-53-Revision-5": {"ac_2"}}, "PCI-4.0", "1.2"},
		{map[string][]string{"MITRE-ATTACK": {"T1190"}, "ENS-RD2022": {"op.1"}, "CIS-2.0": {}}, "ENS-RD2022", "op.1"},
	}
	for _, tt := range tests {
		fw, req := ingest.PrimaryMapping(tt.in)
		if fw != tt.fw || req != tt.requireID {
			t.Errorf("PrimaryMapping(%v) = %q %q, want %q %q", tt.in, fw, req, tt.fw, tt.requireID)
		}
	}
}

// Bad input: a clear error naming the file, the record and the offset.
func TestBadInput(t *testing.T) {
	good := `{"metadata":{"event_code":"s3_x"},"severity":"High","status_code":"FAIL","cloud":{"provider":"aws","account":{"uid":"1"}},"resources":[{"uid":"b","region":"eu-west-1","group":{"name":"s3"}}]}`
	tests := []struct {
		name, body string
		wantErr    string
		fatal      bool
		skippedOK  int // records read fine before/around the error
	}{
		{"truncated", "[" + good + "," + good[:40], "f.json: record 2 (byte", true, 1},
		{"not an array", "{}", "not an array", true, 0},
		{"wrong format", "hello;world\n", "unknown format", true, 0},
		{"empty", "", "empty file", true, 0},
		{"unknown provider", "[" + strings.Replace(good, `"aws"`, `"oracle"`, 1) + "]", `record 1 (byte 1): unknown provider "oracle"`, false, 0},
		{"missing check id", "[" + good + "," + strings.Replace(good, `"event_code":"s3_x"`, `"x":1`, 1) + "]", "record 2 (byte 192): no check id", false, 1},
		{"missing account", "[" + strings.Replace(good, `"uid":"1"`, `"uid":""`, 1) + "]", "no account", false, 0},
		{"bad status", "[" + strings.Replace(good, `"FAIL"`, `"MAYBE"`, 1) + "]", `status_code "MAYBE"`, false, 0},
		{"wrong type", "[" + strings.Replace(good, `"High"`, `7`, 1) + "," + good + "]", "field severity", false, 1},
		{"not a detection finding", `[{"class_uid": 2001}]`, "class_uid 2001", false, 0},
		{"trailing data", "[" + good + "] x", "after the closing", true, 1},
		{"csv missing column", "CHECK_ID;STATUS\nx;FAIL\n", "lacks column(s) PROVIDER", true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _, err := ingest.Open(strings.NewReader(tt.body), "f.json", opts)
			ok := 0
			var firstErr error
			if err != nil {
				firstErr = err
			} else {
				for {
					_, err := r.Next()
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						if firstErr == nil {
							firstErr = err
						}
						if !ingest.Skippable(err) {
							break
						}
						continue
					}
					ok++
				}
			}
			if firstErr == nil || !strings.Contains(firstErr.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want it to contain %q", firstErr, tt.wantErr)
			}
			if ingest.Skippable(firstErr) == tt.fatal {
				t.Errorf("skippable = %v, want %v", ingest.Skippable(firstErr), !tt.fatal)
			}
			if ok != tt.skippedOK {
				t.Errorf("%d good records, want %d", ok, tt.skippedOK)
			}
		})
	}
}

// readOCSF reads every record of an OCSF document, failing on an error.
func readOCSF(t *testing.T, doc string) []ingest.Record {
	t.Helper()
	r := ingest.NewOCSFReader(strings.NewReader(doc), "gen", opts)
	var recs []ingest.Record
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return recs
		}
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
}

func TestGenerate(t *testing.T) {
	var b strings.Builder
	n, err := ingest.Generate(&b, 256<<10, 1)
	if err != nil {
		t.Fatal(err)
	}
	if b.Len() < 250<<10 || b.Len() > 262<<10 {
		t.Errorf("generated %d bytes, want about 256 KiB", b.Len())
	}
	recs := readOCSF(t, b.String())
	got, muted := len(recs), 0
	for _, rec := range recs {
		if rec.Muted {
			muted++
		}
	}
	if got != n || muted == 0 {
		t.Fatalf("read %d records (%d muted), generated %d", got, muted, n)
	}
}

// TestGenerateAtRescansTheSameEstate: the same seed and size at a later
// time gives the same findings (IDs, statuses, muting) with the later time.
func TestGenerateAtRescansTheSameEstate(t *testing.T) {
	next := ingest.GeneratedAt.Add(24 * time.Hour)
	read := func(at time.Time) []ingest.Record {
		t.Helper()
		var b strings.Builder
		n, err := ingest.GenerateAt(&b, 128<<10, 9, at)
		if err != nil {
			t.Fatal(err)
		}
		recs := readOCSF(t, b.String())
		if len(recs) != n {
			t.Fatalf("read %d records, generated %d", len(recs), n)
		}
		return recs
	}
	day1, day2 := read(ingest.GeneratedAt), read(next)
	if len(day1) != len(day2) || len(day1) < 10 {
		t.Fatalf("%d and %d records", len(day1), len(day2))
	}
	for i := range day1 {
		a, b := day1[i], day2[i]
		if a.Finding.FindingID != b.Finding.FindingID || a.Finding.Status != b.Finding.Status || a.Muted != b.Muted {
			t.Fatalf("record %d: %s %s %v, next day %s %s %v", i, a.Finding.FindingID, a.Finding.Status, a.Muted,
				b.Finding.FindingID, b.Finding.Status, b.Muted)
		}
		if !a.Time.Equal(ingest.GeneratedAt) || !b.Time.Equal(next) {
			t.Fatalf("record %d: times %s and %s, want %s and %s", i, a.Time, b.Time, ingest.GeneratedAt, next)
		}
	}
}
