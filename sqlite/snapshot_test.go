package sqlite

import (
	"database/sql"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/rampart-cspm/rampart"
)

// snapshotCases are findings whose snapshots must round trip: typical,
// empty and nil sets, invalid UTF-8 in each kind of string, control
// characters, zero values.
func snapshotCases() map[string]rampart.Finding {
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
		"control characters": func(f *rampart.Finding) {
			f.Title, f.Remediation = "a\x00b\x1fc\x7f\"\\/", "\r\n\t\b\f<>&"
		},
		"zero times, zero score": func(f *rampart.Finding) {
			var zero time.Time
			f.FirstSeenAt, f.LastSeenAt, f.ResolvedAt, f.DueAt, f.RiskScore = zero, zero, &zero, &zero, 0
		},
		"negative score": func(f *rampart.Finding) { f.RiskScore = -3 },
		"muted, not evaluated": func(f *rampart.Finding) {
			f.Muted, f.MuteReason, f.Status, f.ErrorClass = true, "accepted", rampart.StatusNotEvaluated, rampart.ErrorClass("throttling")
		},
	}
	out := map[string]rampart.Finding{"zero": {}}
	for name, mod := range cases {
		f := base
		mod(&f)
		out[name] = f
	}
	return out
}

// The row written with an event must be the row Reindex reads back from
// the event's snapshot, whatever the finding holds.
func TestSnapshotRowMatchesDecodedSnapshot(t *testing.T) {
	var buf []byte
	for name, f := range snapshotCases() {
		t.Run(name, func(t *testing.T) {
			snap, got, err := encodeSnapshotRow(&buf, &f)
			if err != nil {
				t.Fatal(err)
			}
			want, err := decodeSnapshot(sql.NullString{String: snap, Valid: true})
			if err != nil {
				t.Fatal(err)
			}
			if g, w := findingArgs(got), findingArgs(want); !reflect.DeepEqual(g, w) {
				t.Errorf("columns differ:\n got %q\nwant %q", g, w)
			}
		})
	}
}

// Snapshots written by encoding/json (every key, before appendSnapshot)
// and by appendSnapshot (zero values left out) must decode to the same
// columns: stores hold both.
func TestSnapshotDecodesAsEncodingJSON(t *testing.T) {
	for name, f := range snapshotCases() {
		t.Run(name, func(t *testing.T) {
			checkSnapshotAsEncodingJSON(t, &f)
		})
	}
}

func checkSnapshotAsEncodingJSON(t *testing.T, f *rampart.Finding) {
	t.Helper()
	old, oerr := json.Marshal(snapshotJSON{Finding: f, Scope: f.Scope})
	b, valid, err := appendSnapshot(nil, f)
	if (err != nil) != (oerr != nil) {
		t.Fatalf("appendSnapshot error %v, encoding/json error %v", err, oerr)
	}
	if err != nil {
		return
	}
	if !json.Valid(b) {
		t.Fatalf("not JSON: %s", b)
	}
	got, err := decodeSnapshot(sql.NullString{String: string(b), Valid: true})
	if err != nil {
		t.Fatal(err)
	}
	want, err := decodeSnapshot(sql.NullString{String: string(old), Valid: true})
	if err != nil {
		t.Fatal(err)
	}
	if g, w := findingArgs(got), findingArgs(want); !reflect.DeepEqual(g, w) {
		t.Errorf("columns differ:\n appendSnapshot %q\n encoding/json  %q\n%s\n%s", g, w, b, old)
	}
	if !valid {
		return
	}
	// valid promises that the snapshot gives f's own columns back.
	if g, w := findingArgs(got), findingArgs(f); !reflect.DeepEqual(g, w) {
		t.Errorf("valid, but the decoded columns differ from the finding's:\n got %q\nwant %q", g, w)
	}
}

func TestSnapshotTimeOutOfRange(t *testing.T) {
	f := rampart.Finding{FindingID: "f1", FirstSeenAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	if _, _, err := appendSnapshot(nil, &f); err == nil {
		t.Fatal("year 10000 encoded")
	}
}

// FuzzSnapshot: arbitrary strings, flags and times decode from
// appendSnapshot's output as from encoding/json's.
func FuzzSnapshot(f *testing.F) {
	f.Add("f1", "Check \"x\"", "line\n\x01\xff", "tag:a", "v\u2028", int64(0), true, 70)
	f.Add("", "", "", "", "", int64(-62135596800), false, 0)
	f.Add("\xc3", "\\", "\x7f<>&", "\x00", "ü", int64(253402300799), true, -5)
	f.Fuzz(func(t *testing.T, id, title, ext, tagKey, tagVal string, unix int64, flag bool, score int) {
		at := time.Unix(unix, int64(score)&0x3fffffff).UTC()
		fd := rampart.Finding{FindingID: id, Title: title, StatusExtended: ext, Remediation: title + ext,
			FirstSeenAt: at, LastSeenAt: at, RiskScore: score, Muted: flag, Public: !flag, MuteReason: tagVal,
			Sources: []string{id, tagVal}, Context: map[string]string{tagKey: tagVal}, Scope: ext}
		if flag {
			fd.ResolvedAt = &at
			fd.CompensatingControls = []string{tagKey}
		}
		checkSnapshotAsEncodingJSON(t, &fd)
	})
}
