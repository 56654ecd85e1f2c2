package export

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/rampart-cspm/rampart"
)

// OCSF output: one JSON array of OCSF 1.x Detection Finding records (class
// 2004), the shape Prowler's json-ocsf has, so that Security Lake, a SIEM
// or Rampart's own ingester (package ingest) read it. Rampart fields with
// no OCSF attribute go under "unmapped".

const ocsfVersion = "1.4.0"

type ocsfProduct struct {
	Name       string `json:"name"`
	UID        string `json:"uid"`
	VendorName string `json:"vendor_name"`
}

type ocsfFinding struct {
	ActivityID   int    `json:"activity_id"`
	ActivityName string `json:"activity_name"`
	CategoryUID  int    `json:"category_uid"`
	CategoryName string `json:"category_name"`
	ClassUID     int    `json:"class_uid"`
	ClassName    string `json:"class_name"`
	TypeUID      int    `json:"type_uid"`
	TypeName     string `json:"type_name"`
	Metadata     struct {
		EventCode string      `json:"event_code"`
		Product   ocsfProduct `json:"product"`
		Profiles  []string    `json:"profiles"`
		Version   string      `json:"version"`
	} `json:"metadata"`
	Message      string `json:"message"`
	Severity     string `json:"severity"`
	SeverityID   int    `json:"severity_id"`
	Status       string `json:"status"`
	StatusID     int    `json:"status_id"`
	StatusCode   string `json:"status_code"`
	StatusDetail string `json:"status_detail"`
	RiskScore    int    `json:"risk_score"`
	FindingInfo  struct {
		UID           string   `json:"uid"`
		Title         string   `json:"title"`
		Desc          string   `json:"desc"`
		CreatedTime   int64    `json:"created_time"`
		FirstSeenTime int64    `json:"first_seen_time"`
		LastSeenTime  int64    `json:"last_seen_time"`
		ModifiedTime  int64    `json:"modified_time"`
		Types         []string `json:"types,omitempty"`
	} `json:"finding_info"`
	Resources []ocsfResource `json:"resources"`
	Cloud     struct {
		Account struct {
			UID  string `json:"uid"`
			Name string `json:"name,omitempty"`
		} `json:"account"`
		Provider string `json:"provider"`
		Region   string `json:"region"`
	} `json:"cloud"`
	Remediation struct {
		Desc string `json:"desc"`
	} `json:"remediation"`
	Time     int64        `json:"time"`
	Unmapped ocsfUnmapped `json:"unmapped"`
}

type ocsfResource struct {
	UID       string `json:"uid"`
	Name      string `json:"name"`
	Type      string `json:"type"`
	Region    string `json:"region"`
	Namespace string `json:"namespace,omitempty"`
	Group     struct {
		Name string `json:"name"`
	} `json:"group"`
}

type ocsfUnmapped struct {
	Compliance    map[string][]string `json:"compliance,omitempty"`
	LandingZoneID string              `json:"landing_zone_id"`
	ScanID        string              `json:"scan_id"`
	RiskReason    string              `json:"risk_reason"`
	OwnerTeam     string              `json:"owner_team"`
	BusinessUnit  string              `json:"business_unit"`
	Environment   string              `json:"environment"`
	ErrorClass    string              `json:"error_class,omitempty"`
	ResolvedAt    int64               `json:"resolved_time,omitempty"`
	Sources       []string            `json:"sources"`
}

// ocsfSeverityID is OCSF's severity_id for a Rampart severity.
func ocsfSeverityID(s rampart.Severity) int {
	return s.Rank() // informational 1 … critical 5, as OCSF numbers them
}

func millis(t interface{ UnixMilli() int64 }) int64 { return t.UnixMilli() }

// OCSFRecord maps one finding to an OCSF Detection Finding. Times are
// epoch milliseconds, as OCSF defines its timestamps.
func ocsfRecord(f rampart.Finding) ocsfFinding {
	var o ocsfFinding
	o.ActivityID, o.ActivityName = 1, "Create"
	o.CategoryUID, o.CategoryName = 2, "Findings"
	o.ClassUID, o.ClassName = 2004, "Detection Finding"
	o.TypeUID, o.TypeName = 200401, "Detection Finding: Create"
	o.Metadata.EventCode = f.ControlID
	o.Metadata.Product = ocsfProduct{Name: "Rampart", UID: "rampart", VendorName: "Rampart"}
	o.Metadata.Profiles = []string{"cloud", "datetime"}
	o.Metadata.Version = ocsfVersion
	o.Message = f.Title
	o.Severity = severityTitle(f.Severity)
	o.SeverityID = ocsfSeverityID(f.Severity)
	o.Status, o.StatusID = "New", 1
	if f.ResolvedAt != nil {
		o.Status, o.StatusID = "Resolved", 4
	}
	o.StatusCode = string(f.Status)
	o.StatusDetail = f.StatusExtended
	o.RiskScore = f.RiskScore
	o.FindingInfo.UID = f.FindingID
	o.FindingInfo.Title = f.Title
	o.FindingInfo.Desc = f.Title
	o.FindingInfo.CreatedTime = millis(f.FirstSeenAt)
	o.FindingInfo.FirstSeenTime = millis(f.FirstSeenAt)
	o.FindingInfo.LastSeenTime = millis(f.LastSeenAt)
	o.FindingInfo.ModifiedTime = millis(f.LastSeenAt)
	res := ocsfResource{UID: f.ResourceID, Name: f.ResourceName, Type: f.ResourceType, Region: f.Region}
	if f.CloudProvider == "kubernetes" {
		res.Namespace = f.Region
	}
	res.Group.Name = f.Service
	o.Resources = []ocsfResource{res}
	o.Cloud.Account.UID, o.Cloud.Account.Name = f.AccountID, f.AccountName
	o.Cloud.Provider, o.Cloud.Region = f.CloudProvider, f.Region
	o.Remediation.Desc = f.Remediation
	o.Time = millis(f.LastSeenAt)
	u := ocsfUnmapped{LandingZoneID: f.LandingZoneID, ScanID: f.ScanID, RiskReason: f.RiskReason,
		OwnerTeam: f.OwnerTeam, BusinessUnit: f.BusinessUnit, Environment: f.Environment,
		ErrorClass: string(f.ErrorClass), Sources: f.Sources}
	if u.Sources == nil {
		u.Sources = []string{}
	}
	if f.Framework != "" && f.RequirementID != "" {
		u.Compliance = map[string][]string{f.Framework: {f.RequirementID}}
	}
	if f.ResolvedAt != nil {
		u.ResolvedAt = millis(*f.ResolvedAt)
	}
	o.Unmapped = u
	return o
}

// severityTitle is OCSF's severity caption: "Critical", "Informational".
func severityTitle(s rampart.Severity) string {
	if s == "" {
		return "Unknown"
	}
	return string(s[0]-'a'+'A') + string(s[1:])
}

func writeOCSF(w io.Writer, findings []rampart.Finding) error {
	if _, err := io.WriteString(w, "["); err != nil {
		return fmt.Errorf("export: ocsf: %w", err)
	}
	for i, f := range findings {
		b, err := json.Marshal(ocsfRecord(f))
		if err != nil {
			return fmt.Errorf("export: ocsf: finding %s: %w", f.FindingID, err)
		}
		sep := "\n"
		if i > 0 {
			sep = ",\n"
		}
		if _, err := io.WriteString(w, sep); err != nil {
			return fmt.Errorf("export: ocsf: %w", err)
		}
		if _, err := w.Write(b); err != nil {
			return fmt.Errorf("export: ocsf: %w", err)
		}
	}
	if _, err := io.WriteString(w, "\n]\n"); err != nil {
		return fmt.Errorf("export: ocsf: %w", err)
	}
	return nil
}
