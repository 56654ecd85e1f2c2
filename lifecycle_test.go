package rampart_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/rampart-cspm/rampart"
)

func TestCovers(t *testing.T) {
	u := rampart.ScanUnit{Services: []rampart.ServiceResult{
		{Service: "networking", Status: rampart.ServiceOK, Checks: []string{"ec2_a", "ec2_b"}, ChecksErrored: []string{"ec2_b"}},
		{Service: "iam", Status: rampart.ServiceFailed, Checks: []string{"iam_a"}},
		{Service: "prowler-s3", Status: rampart.ServiceOK}, // external: no check list
	}}
	tests := []struct {
		service, control string
		want             bool
	}{
		{"ec2", "ec2_a", true},
		{"ec2", "ec2_b", false}, // errored
		{"iam", "iam_a", false}, // module failed
		{"prowler-s3", "anything", true},
		{"s3", "s3_x", false}, // not scanned at all
	}
	for _, tt := range tests {
		if got := u.Covers(tt.service, tt.control); got != tt.want {
			t.Errorf("Covers(%s, %s) = %v, want %v", tt.service, tt.control, got, tt.want)
		}
	}
}

func TestObserveTransitions(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Hour)
	obs := func(st rampart.Status) rampart.Finding {
		return rampart.Finding{FindingID: "f", ScanID: "s", Status: st, Severity: rampart.SeverityHigh}
	}
	resolved := func(st rampart.Status) *rampart.Finding {
		f := obs(st)
		f.FirstSeenAt, f.LastSeenAt, f.ResolvedAt = t0, t0, &t0
		return &f
	}
	open := func(st rampart.Status) *rampart.Finding {
		f := obs(st)
		f.FirstSeenAt, f.LastSeenAt = t0, t0
		return &f
	}
	tests := []struct {
		name         string
		cur          *rampart.Finding
		obs          rampart.Status
		want         rampart.EventType // "" = ignored
		wantResolved bool
	}{
		{"new", nil, rampart.StatusFail, rampart.EventDetected, false},
		{"still failing", open(rampart.StatusFail), rampart.StatusFail, rampart.EventSeen, false},
		{"fixed", open(rampart.StatusFail), rampart.StatusPass, rampart.EventResolved, true},
		{"regressed", resolved(rampart.StatusPass), rampart.StatusFail, rampart.EventReopened, false},
		{"passing starts failing", open(rampart.StatusPass), rampart.StatusFail, rampart.EventDetected, false},
		{"not evaluated never hides a failure", open(rampart.StatusFail), rampart.StatusNotEvaluated, "", false},
		{"not evaluated over pass", open(rampart.StatusPass), rampart.StatusNotEvaluated, rampart.EventChanged, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			row, evs := rampart.Observe(tt.cur, obs(tt.obs), "u", t1)
			if tt.want == "" {
				if row != nil || evs != nil {
					t.Fatalf("want ignored, got %+v %+v", row, evs)
				}
				return
			}
			if len(evs) != 1 || evs[0].Type != tt.want {
				t.Fatalf("events %+v, want one %s", evs, tt.want)
			}
			if (row.ResolvedAt != nil) != tt.wantResolved {
				t.Errorf("resolved_at %v, want resolved=%v", row.ResolvedAt, tt.wantResolved)
			}
			if !row.LastSeenAt.Equal(t1) {
				t.Errorf("last_seen_at %v, want %v", row.LastSeenAt, t1)
			}
			if tt.cur != nil && !row.FirstSeenAt.Equal(t0) {
				t.Errorf("first_seen_at %v, want kept %v", row.FirstSeenAt, t0)
			}
			// Replaying the event gives the same row.
			if got := rampart.ApplyEvent(tt.cur, evs[0]); got.Status != row.Status || (got.ResolvedAt == nil) != (row.ResolvedAt == nil) || !got.LastSeenAt.Equal(row.LastSeenAt) {
				t.Errorf("ApplyEvent gives %+v, Observe %+v", got, row)
			}
		})
	}
}

func TestFindingIDUsesTheWholeKey(t *testing.T) {
	base := []string{"aws", "lz", "111111111111", "us-east-1", "ec2", "sg-1", "ctl"}
	id := rampart.FindingID(base[0], base[1], base[2], base[3], base[4], base[5], base[6])
	for i := range base {
		k := append([]string(nil), base...)
		k[i] += "x"
		if rampart.FindingID(k[0], k[1], k[2], k[3], k[4], k[5], k[6]) == id {
			t.Errorf("changing key part %d kept the same finding_id", i)
		}
	}
	// Field boundaries matter: ("ab","c") differs from ("a","bc").
	if rampart.FindingID("a", "bc", "", "", "", "", "") == rampart.FindingID("ab", "c", "", "", "", "", "") {
		t.Error("key parts are not delimited")
	}
}

func TestIngestUnitDone(t *testing.T) {
	scan := rampart.Scan{ID: "s1", LandingZoneID: "lz"}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	finished := t0.Add(time.Hour)

	empty := rampart.NewIngestUnit(scan, "111", "eu-west-1", t0)
	if at := empty.Done(finished); !at.Equal(finished) || empty.Unit.Services != nil || empty.Unit.State != rampart.UnitSucceeded {
		t.Fatalf("a unit that applied nothing: vanish at %v, unit %+v; want finished, no services, succeeded", at, empty.Unit)
	}

	u := rampart.NewIngestUnit(scan, "111", "eu-west-1", t0)
	if u.Unit.ID != rampart.UnitID("s1", "111", "eu-west-1") || u.Unit.State != rampart.UnitRunning || !u.Unit.StartedAt.Equal(t0) {
		t.Fatalf("new unit %+v", u.Unit)
	}
	for i, a := range []struct {
		service, control string
		first            bool
	}{{"s3", "s3_b", true}, {"ec2", "ec2_x", true}, {"s3", "s3_a", true}, {"s3", "s3_b", false}} {
		u.Applied(a.service, a.control, t0.Add(time.Duration(3-i)*time.Minute), a.first)
	}
	at := u.Done(finished)
	want := []rampart.ServiceResult{
		{Service: "ec2", Checks: []string{"ec2_x"}, Status: rampart.ServiceOK, ChecksRun: 1},
		{Service: "s3", Checks: []string{"s3_a", "s3_b"}, Status: rampart.ServiceOK, ChecksRun: 2},
	}
	if !reflect.DeepEqual(u.Unit.Services, want) {
		t.Fatalf("services = %+v, want %+v", u.Unit.Services, want)
	}
	if !at.Equal(t0.Add(3*time.Minute)) || u.Unit.Findings != 3 || !u.Unit.FinishedAt.Equal(finished) {
		t.Fatalf("vanish at %v, %d findings, finished %v; want the latest observation, 3, finished", at, u.Unit.Findings, u.Unit.FinishedAt)
	}
}

func TestIngestObservation(t *testing.T) {
	scan := rampart.Scan{ID: "s1", LandingZoneID: "lz"}
	ok := rampart.Finding{FindingID: "f", LandingZoneID: "lz", AccountID: "111", Region: "eu-west-1"}
	f := ok
	if err := rampart.IngestObservation(&f, scan); err != nil || f.Scope != "eu-west-1" || f.ScanID != "s1" {
		t.Fatalf("got %v, scope %q, scan %q; want no error, the region as scope, the scan", err, f.Scope, f.ScanID)
	}
	f = ok
	f.Scope = "global"
	if err := rampart.IngestObservation(&f, scan); err != nil || f.Scope != "global" {
		t.Fatalf("a scope of its own: %v, %q", err, f.Scope)
	}
	for name, bad := range map[string]func(*rampart.Finding){
		"no finding ID":      func(f *rampart.Finding) { f.FindingID = "" },
		"other LZ":           func(f *rampart.Finding) { f.LandingZoneID = "lz-2" },
		"no account":         func(f *rampart.Finding) { f.AccountID = "" },
		"no region or scope": func(f *rampart.Finding) { f.Region = "" },
	} {
		f := ok
		bad(&f)
		if err := rampart.IngestObservation(&f, scan); rampart.ErrorCode(err) != rampart.EINVALID {
			t.Errorf("%s: %v, want EINVALID", name, err)
		}
	}
}

func TestRepeatIgnored(t *testing.T) {
	fail := &rampart.Finding{ScanID: "s1", Status: rampart.StatusFail}
	pass := &rampart.Finding{ScanID: "s1", Status: rampart.StatusPass}
	older := &rampart.Finding{ScanID: "s0", Status: rampart.StatusPass}
	for _, tc := range []struct {
		name string
		cur  *rampart.Finding
		obs  rampart.Status
		want bool
	}{
		{"no row", nil, rampart.StatusFail, false},
		{"row of an earlier scan", older, rampart.StatusPass, false},
		{"pass after fail", fail, rampart.StatusPass, true},
		{"fail after fail", fail, rampart.StatusFail, true},
		{"pass after pass", pass, rampart.StatusPass, true},
		{"fail after pass counts", pass, rampart.StatusFail, false},
	} {
		if got := rampart.RepeatIgnored(tc.cur, rampart.Finding{Status: tc.obs}, "s1"); got != tc.want {
			t.Errorf("%s: rampart.RepeatIgnored = %v, want %v", tc.name, got, tc.want)
		}
	}
}
