package export_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/export"
	"github.com/rampart-cspm/rampart/ingest"
)

// The OCSF export reads back through the Prowler OCSF ingester into the
// same findings: same dedup key, and every field the format carries.
func TestOCSFRoundTrip(t *testing.T) {
	want := fixture()
	k8s := want[0]
	k8s.CloudProvider, k8s.AccountID, k8s.Region, k8s.Service, k8s.ControlID = "kubernetes", "prod-eks", "kube-system", "apiserver", "apiserver_anonymous_requests"
	k8s.ComputeID()
	want = append(want, k8s)
	var buf bytes.Buffer
	if err := export.Write(&buf, export.FormatOCSF, want); err != nil {
		t.Fatal(err)
	}
	for i := range want {
		r, format, err := ingest.Open(bytes.NewReader(buf.Bytes()), "export.ocsf.json", ingest.Options{LandingZoneID: want[i].LandingZoneID})
		if err != nil || format != ingest.FormatOCSF {
			t.Fatalf("open: %v %s", err, format)
		}
		var got rampart.Finding
		var at time.Time
		for j := 0; j <= i; j++ {
			rec, err := r.Next()
			if err != nil {
				t.Fatalf("record %d: %v", j+1, err)
			}
			got, at = rec.Finding, rec.Time
		}
		w := want[i]
		for _, c := range []struct{ name, got, want string }{
			{"finding_id", got.FindingID, w.FindingID},
			{"cloud_provider", got.CloudProvider, w.CloudProvider},
			{"account_id", got.AccountID, w.AccountID},
			{"account_name", got.AccountName, w.AccountName},
			{"region", got.Region, w.Region},
			{"resource_id", got.ResourceID, w.ResourceID},
			{"resource_type", got.ResourceType, w.ResourceType},
			{"resource_name", got.ResourceName, firstNonEmpty(w.ResourceName, w.ResourceID)},
			{"service", got.Service, w.Service},
			{"control_id", got.ControlID, w.ControlID},
			{"title", got.Title, w.Title},
			{"severity", string(got.Severity), string(w.Severity)},
			{"status", string(got.Status), string(w.Status)},
			{"status_extended", got.StatusExtended, w.StatusExtended},
			{"remediation", got.Remediation, w.Remediation},
			{"framework", got.Framework, w.Framework},
			{"requirement_id", got.RequirementID, w.RequirementID},
		} {
			if c.got != c.want {
				t.Errorf("finding %d %s = %q, want %q", i, c.name, c.got, c.want)
			}
		}
		if !at.Equal(w.LastSeenAt) {
			t.Errorf("finding %d time = %v, want last seen %v", i, at, w.LastSeenAt)
		}
	}
}

func firstNonEmpty(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}

var (
	asffAccount    = regexp.MustCompile(`^\d{12}$`)
	asffProductArn = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:securityhub:[a-z0-9-]+:\d{12}:product/\d{12}/default$`)
	asffLabels     = map[string]bool{"INFORMATIONAL": true, "LOW": true, "MEDIUM": true, "HIGH": true, "CRITICAL": true}
	asffCompliance = map[string]bool{"PASSED": true, "WARNING": true, "FAILED": true, "NOT_AVAILABLE": true}
)

// validateASFF checks one record against what BatchImportFindings
// requires: SchemaVersion, Id, ProductArn, GeneratorId, AwsAccountId,
// Types, CreatedAt, UpdatedAt, Severity.Label, Title, Description and
// Resources[].Type/Id, with their formats and length limits.
func validateASFF(raw map[string]any) error {
	str := func(k string) string { s, _ := raw[k].(string); return s }
	for _, k := range []string{"SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId", "CreatedAt", "UpdatedAt", "Title", "Description"} {
		if str(k) == "" {
			return fmt.Errorf("required %s missing", k)
		}
	}
	if str("SchemaVersion") != "2018-10-08" {
		return fmt.Errorf("SchemaVersion %q", str("SchemaVersion"))
	}
	if !asffAccount.MatchString(str("AwsAccountId")) {
		return fmt.Errorf("AwsAccountId %q is not 12 digits", str("AwsAccountId"))
	}
	if !asffProductArn.MatchString(str("ProductArn")) {
		return fmt.Errorf("ProductArn %q", str("ProductArn"))
	}
	for _, k := range []string{"CreatedAt", "UpdatedAt"} {
		if _, err := time.Parse(time.RFC3339Nano, str(k)); err != nil {
			return fmt.Errorf("%s: %v", k, err)
		}
	}
	if n := len([]rune(str("Title"))); n > 256 {
		return fmt.Errorf("Title has %d characters (max 256)", n)
	}
	if n := len([]rune(str("Description"))); n > 1024 {
		return fmt.Errorf("Description has %d characters (max 1024)", n)
	}
	if len(str("Id")) > 512 || len(str("GeneratorId")) > 512 {
		return errors.New("Id or GeneratorId longer than 512")
	}
	types, _ := raw["Types"].([]any)
	if len(types) == 0 || len(types) > 50 {
		return fmt.Errorf("Types has %d entries", len(types))
	}
	sev, _ := raw["Severity"].(map[string]any)
	if label, _ := sev["Label"].(string); !asffLabels[label] {
		return fmt.Errorf("Severity.Label %q", sev["Label"])
	}
	res, _ := raw["Resources"].([]any)
	if len(res) == 0 || len(res) > 32 {
		return fmt.Errorf("Resources has %d entries", len(res))
	}
	for _, r := range res {
		m, _ := r.(map[string]any)
		if t, _ := m["Type"].(string); t == "" {
			return errors.New("Resources[].Type missing")
		}
		if id, _ := m["Id"].(string); id == "" {
			return errors.New("Resources[].Id missing")
		}
	}
	if c, ok := raw["Compliance"].(map[string]any); ok {
		if s, _ := c["Status"].(string); !asffCompliance[s] {
			return fmt.Errorf("Compliance.Status %q", s)
		}
	}
	return nil
}

func TestASFFValidBatches(t *testing.T) {
	base := fixture()
	var fs []rampart.Finding
	for i := range 250 {
		f := base[i%len(base)]
		f.ResourceID = fmt.Sprintf("%s-%d", f.ResourceID, i)
		f.Title = strings.Repeat("long title ", 40) // cut to 256
		f.ComputeID()
		fs = append(fs, f)
	}
	gcp := base[0]
	gcp.CloudProvider, gcp.AccountID = "gcp", "my-project"
	gcp.ComputeID()
	fs = append(fs, gcp)
	var buf bytes.Buffer
	if err := export.Write(&buf, export.FormatASFF, fs); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&buf)
	sc.Buffer(nil, 16<<20)
	var sizes []int
	ids := map[string]bool{}
	for sc.Scan() {
		var batch []map[string]any
		if err := json.Unmarshal(sc.Bytes(), &batch); err != nil {
			t.Fatalf("line %d is not a JSON array: %v", len(sizes)+1, err)
		}
		sizes = append(sizes, len(batch))
		for i, rec := range batch {
			if err := validateASFF(rec); err != nil {
				t.Errorf("batch %d record %d: %v", len(sizes), i, err)
			}
			id, _ := rec["Id"].(string)
			if ids[id] {
				t.Errorf("duplicate Id %s", id)
			}
			ids[id] = true
		}
	}
	if fmt.Sprint(sizes) != "[100 100 50]" {
		t.Errorf("batch sizes %v, want [100 100 50] (the GCP finding has no AWS account and is left out)", sizes)
	}
}

// The validator itself rejects what Security Hub rejects.
func TestValidateASFFRejects(t *testing.T) {
	good, _ := export.ASFFRecord(fixture()[0])
	b, _ := json.Marshal(good)
	for _, mutate := range []func(m map[string]any){
		func(m map[string]any) { delete(m, "GeneratorId") },
		func(m map[string]any) { m["AwsAccountId"] = "12345" },
		func(m map[string]any) { m["Severity"] = map[string]any{"Label": "SEVERE"} },
		func(m map[string]any) { m["Resources"] = []any{} },
		func(m map[string]any) { m["UpdatedAt"] = "yesterday" },
	} {
		var m map[string]any
		json.Unmarshal(b, &m)
		if err := validateASFF(m); err != nil {
			t.Fatalf("good record rejected: %v", err)
		}
		mutate(m)
		if validateASFF(m) == nil {
			t.Errorf("mutated record accepted: %v", m)
		}
	}
}

// ASFF records read back through the ingester keep the dedup key.
func TestASFFReadsBack(t *testing.T) {
	want := fixture()[:1]
	var buf bytes.Buffer
	if err := export.Write(&buf, export.FormatASFF, want); err != nil {
		t.Fatal(err)
	}
	r, _, err := ingest.Open(&buf, "x.asff.json", ingest.Options{LandingZoneID: want[0].LandingZoneID})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if rec.Finding.FindingID != want[0].FindingID {
		t.Errorf("finding id %s, want %s (%+v)", rec.Finding.FindingID, want[0].FindingID, rec.Finding)
	}
	if _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("after the record: %v, want EOF", err)
	}
}
