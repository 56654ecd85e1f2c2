package export

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rampart-cspm/rampart"
)

// ASFF output: AWS Security Finding Format records valid for Security Hub's
// BatchImportFindings, written as JSON Lines of batches: each line is one
// JSON array of at most ASFFBatchSize findings, the value of one call's
// Findings parameter (e.g. `aws securityhub batch-import-findings
// --findings "$line"`). Findings that are not AWS (azure, gcp, kubernetes)
// have no AWS account and are left out. The product is the importing
// account's default product: arn:aws:securityhub:REGION:ACCOUNT:product/ACCOUNT/default.

// ASFFBatchSize is BatchImportFindings' limit of findings per call.
const ASFFBatchSize = 100

// ASFFHomeRegion is the region of the product ARN and resources of global
// findings (region "global").
var ASFFHomeRegion = "us-east-1"

// ASFF field limits Security Hub enforces.
const (
	asffTitleMax       = 256
	asffDescriptionMax = 1024
	asffTextMax        = 512
)

// ASFFFinding is one AWS Security Finding Format record as Rampart writes it.
type ASFFFinding struct {
	SchemaVersion   string            `json:"SchemaVersion"`
	ID              string            `json:"Id"`
	ProductArn      string            `json:"ProductArn"`
	GeneratorID     string            `json:"GeneratorId"`
	AwsAccountID    string            `json:"AwsAccountId"`
	Types           []string          `json:"Types"`
	CreatedAt       string            `json:"CreatedAt"`
	UpdatedAt       string            `json:"UpdatedAt"`
	FirstObservedAt string            `json:"FirstObservedAt,omitempty"`
	LastObservedAt  string            `json:"LastObservedAt,omitempty"`
	Severity        ASFFSeverity      `json:"Severity"`
	Title           string            `json:"Title"`
	Description     string            `json:"Description"`
	Resources       []ASFFResource    `json:"Resources"`
	Compliance      *ASFFCompliance   `json:"Compliance,omitempty"`
	Remediation     *ASFFRemediation  `json:"Remediation,omitempty"`
	ProductFields   map[string]string `json:"ProductFields,omitempty"`
	RecordState     string            `json:"RecordState"`
	Workflow        struct {
		Status string `json:"Status"`
	} `json:"Workflow"`
	Region string `json:"Region,omitempty"`
}

// ASFFSeverity is Severity: the label Security Hub requires and the
// scanner's own value.
type ASFFSeverity struct {
	Label    string `json:"Label"`
	Original string `json:"Original,omitempty"`
}

// ASFFResource is one Resources entry.
type ASFFResource struct {
	Type      string `json:"Type"`
	ID        string `json:"Id"`
	Partition string `json:"Partition,omitempty"`
	Region    string `json:"Region,omitempty"`
}

// ASFFCompliance is the Compliance object.
type ASFFCompliance struct {
	Status              string   `json:"Status"`
	RelatedRequirements []string `json:"RelatedRequirements,omitempty"`
}

// ASFFRemediation is the Remediation object.
type ASFFRemediation struct {
	Recommendation struct {
		Text string `json:"Text"`
	} `json:"Recommendation"`
}

// ASFFRecord maps a finding to ASFF; ok is false for findings that are not
// AWS (they have no AWS account).
func ASFFRecord(f rampart.Finding) (ASFFFinding, bool) {
	if f.CloudProvider != rampart.CloudAWS {
		return ASFFFinding{}, false
	}
	region := f.Region
	if region == "" || region == rampart.GlobalRegion {
		region = ASFFHomeRegion
	}
	partition := "aws"
	if strings.HasPrefix(region, "cn-") {
		partition = "aws-cn"
	} else if strings.HasPrefix(region, "us-gov-") {
		partition = "aws-us-gov"
	}
	a := ASFFFinding{
		SchemaVersion: "2018-10-08",
		ID:            f.FindingID,
		ProductArn:    fmt.Sprintf("arn:%s:securityhub:%s:%s:product/%s/default", partition, region, f.AccountID, f.AccountID),
		GeneratorID:   f.ControlID,
		AwsAccountID:  f.AccountID,
		Types:         []string{"Software and Configuration Checks"},
		CreatedAt:     asffTime(f.FirstSeenAt),
		UpdatedAt:     asffTime(f.LastSeenAt),
		Severity:      ASFFSeverity{Label: strings.ToUpper(string(f.Severity)), Original: string(f.Severity)},
		Title:         cut(f.Title, asffTitleMax),
		Description:   cut(firstNonEmpty(f.StatusExtended, f.Title, f.ControlID), asffDescriptionMax),
		RecordState:   "ACTIVE",
		Region:        region,
	}
	if a.Severity.Label == "" {
		a.Severity.Label = "INFORMATIONAL"
	}
	if a.Title == "" {
		a.Title = f.ControlID
	}
	if f.Framework != "" {
		a.Types = []string{"Software and Configuration Checks/Industry and Regulatory Standards/" + f.Framework}
	}
	a.FirstObservedAt, a.LastObservedAt = a.CreatedAt, a.UpdatedAt
	a.Resources = []ASFFResource{{
		Type:      firstNonEmpty(f.ResourceType, "Other"),
		ID:        firstNonEmpty(f.ResourceID, f.ResourceName, "arn:"+partition+":iam::"+f.AccountID+":root"),
		Partition: partition, Region: region,
	}}
	c := &ASFFCompliance{}
	switch f.Status {
	case rampart.StatusPass:
		c.Status = "PASSED"
	case rampart.StatusFail:
		c.Status = "FAILED"
	case rampart.StatusManual:
		c.Status = "WARNING"
	default:
		c.Status = "NOT_AVAILABLE"
	}
	if f.Framework != "" && f.RequirementID != "" {
		c.RelatedRequirements = []string{f.Framework + ": " + f.RequirementID}
	}
	a.Compliance = c
	if f.Remediation != "" {
		a.Remediation = &ASFFRemediation{}
		a.Remediation.Recommendation.Text = cut(f.Remediation, asffTextMax)
	}
	a.Workflow.Status = "NEW"
	if f.ResolvedAt != nil {
		a.Workflow.Status, a.RecordState = "RESOLVED", "ARCHIVED"
	}
	a.ProductFields = map[string]string{
		"rampart/control_id":      f.ControlID,
		"rampart/service":         f.Service,
		"rampart/landing_zone_id": f.LandingZoneID,
		"rampart/resource_name":   f.ResourceName,
		"rampart/risk_score":      fmt.Sprint(f.RiskScore),
		"rampart/sources":         strings.Join(f.Sources, ","),
	}
	return a, true
}

func asffTime(t time.Time) string {
	if t.IsZero() {
		t = time.Unix(0, 0)
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// cut keeps at most n runes of s.
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

func firstNonEmpty(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}

func writeASFF(w io.Writer, findings []rampart.Finding) error {
	batch := make([]ASFFFinding, 0, ASFFBatchSize)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		b, err := json.Marshal(batch)
		if err != nil {
			return fmt.Errorf("export: asff: %w", err)
		}
		b = append(b, '\n')
		if _, err := w.Write(b); err != nil {
			return fmt.Errorf("export: asff: %w", err)
		}
		batch = batch[:0]
		return nil
	}
	for _, f := range findings {
		a, ok := ASFFRecord(f)
		if !ok {
			continue
		}
		batch = append(batch, a)
		if len(batch) == ASFFBatchSize {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}
