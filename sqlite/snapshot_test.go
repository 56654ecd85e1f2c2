package sqlite

import (
	"database/sql"
	"reflect"
	"testing"
	"time"

	"github.com/rampart-cspm/rampart"
)

// snapshotRow must give the columns Reindex gives: the ones of the decoded
// snapshot, whatever the finding holds.
func TestSnapshotRowMatchesDecodedSnapshot(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 891011121, time.FixedZone("x", 3600))
	resolved := at.Add(time.Hour)
	base := rampart.Finding{FindingID: "f1", ScanID: "s1", LandingZoneID: "lz", AccountID: "111122223333",
		AccountName: "prod <main> & co", Region: "eu-west-1", CloudProvider: "aws", ResourceID: "arn:aws:s3:::b",
		ResourceType: "AwsS3Bucket", ResourceName: "b", Service: "s3", ControlID: "s3_x", Title: "T \"quoted\"",
		Severity: rampart.SeverityHigh, Status: rampart.StatusFail, RiskScore: 70, RiskReason: "severity high +35",
		Remediation: "line1\nline2\t\u2028", Framework: "CIS-5.0", RequirementID: "2.1.1", OwnerTeam: "team",
		BusinessUnit: "bu", Environment: "production", FirstSeenAt: at, LastSeenAt: at, StatusExtended: "ünïcode ✓",
		Sources: []string{"native", "prowler"}, RiskLevel: "high", Public: true, DataSensitivity: "pii",
		CompensatingControls: []string{"vpn"}, OwnerSource: "tag", DueAt: &resolved,
		Context: map[string]string{"tag:Owner": "x", "public": "true"}, Scope: "eu-west-1"}
	cases := map[string]func(f *rampart.Finding){
		"typical": func(f *rampart.Finding) {},
		"resolved, empty sets": func(f *rampart.Finding) {
			f.ResolvedAt = &resolved
			f.Sources = []string{}
			f.CompensatingControls = []string{}
			f.Context = map[string]string{}
		},
		"nil sets":             func(f *rampart.Finding) { f.Sources, f.CompensatingControls, f.Context, f.DueAt = nil, nil, nil, nil },
		"invalid UTF-8 title":  func(f *rampart.Finding) { f.Title = "bad \xff\xfe bytes" },
		"invalid UTF-8 tag":    func(f *rampart.Finding) { f.Context = map[string]string{"tag:a\xff": "1", "tag:a\xfe": "2"} },
		"invalid UTF-8 source": func(f *rampart.Finding) { f.Sources = []string{"na\xc3tive"} },
		"muted, not evaluated": func(f *rampart.Finding) {
			f.Muted, f.MuteReason, f.Status, f.ErrorClass = true, "accepted", rampart.StatusNotEvaluated, rampart.ErrorClass("throttling")
		},
	}
	for name, mod := range cases {
		t.Run(name, func(t *testing.T) {
			f := base
			mod(&f)
			snap, err := encodeSnapshot(&f)
			if err != nil {
				t.Fatal(err)
			}
			got, err := snapshotRow(&f, snap)
			if err != nil {
				t.Fatal(err)
			}
			want, err := decodeSnapshot(sql.NullString{String: snap.(string), Valid: true})
			if err != nil {
				t.Fatal(err)
			}
			if g, w := findingArgs(got), findingArgs(want); !reflect.DeepEqual(g, w) {
				t.Errorf("columns differ:\n got %q\nwant %q", g, w)
			}
		})
	}
}
