package export_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/export"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// fixture returns findings that exercise every column: a resolved finding,
// quotes, commas and a newline in text, a long ARN, a NOT_EVALUATED row
// with an error class, and non-ASCII text.
func fixture() []rampart.Finding {
	first := time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)
	last := time.Date(2026, 4, 28, 9, 30, 15, 0, time.UTC)
	resolved := time.Date(2026, 4, 29, 10, 0, 0, 0, time.FixedZone("ICT", 7*3600))
	fs := []rampart.Finding{
		{
			ScanID: "scan_20260428_001", LandingZoneID: "lz-retail-prod",
			AccountID: "111111111111", AccountName: "retail-payments-prod",
			Region: "ap-southeast-1", CloudProvider: "aws",
			ResourceID:   "arn:aws:s3:::retail-customer-exports-ap-southeast-1-production-archive",
			ResourceType: "AwsS3Bucket", ResourceName: "retail-customer-exports-ap-southeast-1-production-archive",
			Service: "s3", ControlID: "s3_bucket_public_access",
			Title:    `S3 bucket "retail-customer-exports" allows public read, via ACL, bucket policy, and object ownership settings that predate BPA`,
			Severity: rampart.SeverityCritical, Status: rampart.StatusFail,
			RiskScore: 95, RiskReason: "production, public, holds customer data",
			Remediation: "Enable S3 Block Public Access.\nThen review the bucket policy.",
			Framework:   "CIS-2.0", RequirementID: "2.1.4",
			OwnerTeam: "payments-team", BusinessUnit: "retail", Environment: "production",
			FirstSeenAt: first, LastSeenAt: last,
			StatusExtended: "Bucket policy grants s3:GetObject to *.",
			Sources:        []string{rampart.SourceNative, rampart.SourceProwler},
		},
		{
			ScanID: "scan_20260428_001", LandingZoneID: "lz-retail-prod",
			AccountID: "111111111111", AccountName: "retail-payments-prod",
			Region: rampart.GlobalRegion, CloudProvider: "aws",
			ResourceID: "arn:aws:iam::111111111111:root", ResourceType: "AwsAccount", ResourceName: "root",
			Service: "iam", ControlID: "iam_root_mfa_enabled", Title: "Root account has MFA",
			Severity: rampart.SeverityHigh, Status: rampart.StatusPass,
			Framework: "CIS-2.0", RequirementID: "1.5",
			Environment: "production", FirstSeenAt: first, LastSeenAt: last, ResolvedAt: &resolved,
			StatusExtended: "MFA is enabled for the root user.",
			Sources:        []string{rampart.SourceNative},
		},
		{
			ScanID: "scan_20260428_002", LandingZoneID: "lz-data-legacy",
			AccountID: "044444444444", Region: "eu-west-1", CloudProvider: "aws",
			ResourceID: "sg-0abc", ResourceType: "AwsEc2SecurityGroup",
			Service: "ec2", ControlID: "ec2_sg_open_ssh", Title: "Groupe de sécurité ouvert\tà 0.0.0.0/0",
			Severity: rampart.SeverityMedium, Status: rampart.StatusNotEvaluated,
			RiskScore: 0, ErrorClass: rampart.ErrClassAccessDenied,
			Environment: "sandbox", FirstSeenAt: last, LastSeenAt: last,
			StatusExtended: "ec2:DescribeSecurityGroups was denied by an SCP",
		},
	}
	for i := range fs {
		fs[i].ComputeID()
	}
	return fs
}

func TestGolden(t *testing.T) {
	for _, format := range export.Formats() {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := export.Write(&buf, format, fixture()); err != nil {
				t.Fatalf("Write: %v", err)
			}
			golden := filepath.Join("testdata", "findings."+format)
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got := buf.String(); got != string(want) {
				t.Errorf("%s output differs from %s (go test -update rewrites it):\n got:\n%s\nwant:\n%s", format, golden, got, want)
			}
		})
	}
}

func TestEmpty(t *testing.T) {
	tests := []struct{ format, want string }{
		{"json", "[]\n"},
		{"csv", strings.Join(export.CSVHeader(), ",") + "\n"},
		{"table", "SEVERITY  STATUS  LZ  ACCOUNT  REGION  SERVICE  CONTROL  RESOURCE  TITLE\n"},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		if err := export.Write(&buf, tt.format, nil); err != nil {
			t.Fatalf("Write(%s, nil): %v", tt.format, err)
		}
		if buf.String() != tt.want {
			t.Errorf("Write(%s, nil) = %q, want %q", tt.format, buf.String(), tt.want)
		}
	}
}

func TestUnknownFormat(t *testing.T) {
	var buf bytes.Buffer
	err := export.Write(&buf, "xml", fixture())
	want := `rampart: invalid: unknown export format "xml" (want one of table, json, csv, ocsf, asff)`
	if err == nil || err.Error() != want {
		t.Errorf("Write(xml) = %v, want %q", err, want)
	}
	if rampart.ErrorCode(err) != rampart.EINVALID {
		t.Errorf("ErrorCode = %q, want %q", rampart.ErrorCode(err), rampart.EINVALID)
	}
	if buf.Len() != 0 {
		t.Errorf("Write(xml) wrote %q", buf.String())
	}
	// Format names are case-insensitive.
	if err := export.Write(&buf, "JSON", nil); err != nil {
		t.Errorf("Write(JSON): %v", err)
	}
}

// schemaFields are the shared schema's field names, as published.
var schemaFields = []string{
	"finding_id", "scan_id", "landing_zone_id", "account_id", "account_name", "region", "cloud_provider",
	"resource_id", "resource_type", "resource_name", "service",
	"control_id", "title", "severity", "status", "risk_score", "risk_reason", "remediation",
	"framework", "requirement_id",
	"owner_team", "business_unit", "environment",
	"first_seen_at", "last_seen_at", "resolved_at",
}

func TestJSONFields(t *testing.T) {
	var buf bytes.Buffer
	if err := export.Write(&buf, "json", fixture()); err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rows); err != nil {
		t.Fatalf("output is not a JSON array of objects: %v", err)
	}
	if len(rows) != len(fixture()) {
		t.Fatalf("got %d objects, want %d", len(rows), len(fixture()))
	}
	for i, row := range rows {
		for _, name := range schemaFields {
			if _, ok := row[name]; !ok {
				t.Errorf("object %d has no %q", i, name)
			}
		}
	}
	if rows[0]["resolved_at"] != nil {
		t.Errorf("resolved_at = %v, want null for an open finding", rows[0]["resolved_at"])
	}
	if rows[1]["resolved_at"] != "2026-04-29T10:00:00+07:00" {
		t.Errorf("resolved_at = %v", rows[1]["resolved_at"])
	}
	// Decoding back gives the same findings.
	var back []rampart.Finding
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	for i, f := range fixture() {
		if !findingsEqual(back[i], f) {
			t.Errorf("finding %d round-trips as\n%+v\nwant\n%+v", i, back[i], f)
		}
	}
}

func TestCSVHeaderMatchesSchema(t *testing.T) {
	header := export.CSVHeader()
	// The schema's fields come first, in order; fields added to
	// rampart.Finding after them follow.
	if len(header) < len(schemaFields) || !reflect.DeepEqual(header[:len(schemaFields)], schemaFields) {
		t.Errorf("CSV header = %q, want it to start with %q", header, schemaFields)
	}
}

func TestCSVRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	want := fixture()
	if err := export.Write(&buf, "csv", want); err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("encoding/csv cannot read the output back: %v", err)
	}
	if len(records) != len(want)+1 {
		t.Fatalf("got %d records, want a header and %d rows", len(records), len(want))
	}
	header := records[0]
	if !reflect.DeepEqual(header, export.CSVHeader()) {
		t.Errorf("header = %q, want %q", header, export.CSVHeader())
	}
	for i, rec := range records[1:] {
		got := map[string]string{}
		for j, name := range header {
			got[name] = rec[j]
		}
		f := want[i]
		resolved := ""
		if f.ResolvedAt != nil {
			resolved = f.ResolvedAt.Format(time.RFC3339)
		}
		wantRow := map[string]string{
			"finding_id": f.FindingID, "scan_id": f.ScanID, "landing_zone_id": f.LandingZoneID,
			"account_id": f.AccountID, "account_name": f.AccountName, "region": f.Region,
			"cloud_provider": f.CloudProvider, "resource_id": f.ResourceID, "resource_type": f.ResourceType,
			"resource_name": f.ResourceName, "service": f.Service, "control_id": f.ControlID,
			"title": f.Title, "severity": string(f.Severity), "status": string(f.Status),
			"risk_score": itoa(f.RiskScore), "risk_reason": f.RiskReason, "remediation": f.Remediation,
			"framework": f.Framework, "requirement_id": f.RequirementID, "owner_team": f.OwnerTeam,
			"business_unit": f.BusinessUnit, "environment": f.Environment,
			"first_seen_at": f.FirstSeenAt.Format(time.RFC3339), "last_seen_at": f.LastSeenAt.Format(time.RFC3339),
			"resolved_at": resolved, "status_extended": f.StatusExtended, "error_class": string(f.ErrorClass),
			"sources": strings.Join(f.Sources, ","),
		}
		// The schema's fields round-trip exactly; context columns added
		// after them are checked by the golden file.
		for k := range got {
			if _, ok := wantRow[k]; !ok {
				delete(got, k)
			}
		}
		if !reflect.DeepEqual(got, wantRow) {
			t.Errorf("row %d:\n got %q\nwant %q", i, got, wantRow)
		}
		// Times parse back to the same instants.
		for _, name := range []string{"first_seen_at", "last_seen_at"} {
			if _, err := time.Parse(time.RFC3339, got[name]); err != nil {
				t.Errorf("row %d %s: %v", i, name, err)
			}
		}
	}
}

func TestTableTruncates(t *testing.T) {
	var buf bytes.Buffer
	if err := export.Write(&buf, "table", fixture()[:1]); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want header and 1 row:\n%s", len(lines), buf.String())
	}
	row := lines[1]
	// The ARN keeps its end, the title its start.
	if !strings.Contains(row, "…tomer-exports-ap-southeast-1-production-archive ") || strings.Contains(row, "arn:aws:s3:::") {
		t.Errorf("resource not cut from the left: %q", row)
	}
	if !strings.Contains(row, `S3 bucket "retail-customer-exports"`) || strings.Contains(row, "predate BPA") {
		t.Errorf("title not cut on the right: %q", row)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func findingsEqual(a, b rampart.Finding) bool {
	if (a.ResolvedAt == nil) != (b.ResolvedAt == nil) ||
		(a.ResolvedAt != nil && !a.ResolvedAt.Equal(*b.ResolvedAt)) ||
		!a.FirstSeenAt.Equal(b.FirstSeenAt) || !a.LastSeenAt.Equal(b.LastSeenAt) {
		return false
	}
	a.ResolvedAt, b.ResolvedAt = nil, nil
	a.FirstSeenAt, b.FirstSeenAt = time.Time{}, time.Time{}
	a.LastSeenAt, b.LastSeenAt = time.Time{}, time.Time{}
	return reflect.DeepEqual(a, b)
}
