package logging

import (
	"strings"
	"testing"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/checks/internal/modkit"
)

func TestCISPatterns(t *testing.T) {
	root := cisControls[2]
	if !root.Matches(`{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`) {
		t.Error("CIS root usage pattern not recognised")
	}
	if root.Matches(`{ $.userIdentity.type = "Root" }`) {
		t.Error("incomplete root usage pattern accepted")
	}
}

func evalByID(t *testing.T, id string, st *State) []rampart.Status {
	t.Helper()
	for _, c := range Checks {
		if c.Meta.ID == id {
			var out []rampart.Status
			for _, r := range c.Eval(st) {
				out = append(out, r.Status)
			}
			return out
		}
	}
	t.Fatalf("no check %s", id)
	return nil
}

// TestOrganizationTrailSatisfiesMember: a member account that only sees the
// management account's organization trail passes the account-level trail
// controls, names the mechanism, and does not re-evaluate the trail itself.
func TestOrganizationTrailSatisfiesMember(t *testing.T) {
	org := &Trail{Name: "org-trail", ARN: "arn:aws:cloudtrail:us-east-1:111:trail/org-trail", Owner: "111", HomeRegion: "us-east-1",
		MultiRegion: true, Organization: true, Logging: true, ManagementRW: "All", LogGroupARN: "arn:aws:logs:us-east-1:111:log-group:g:*"}
	st := &State{AccountID: "222", Region: "us-east-1", Anchor: true, Trails: []*Trail{org},
		CIS: &CISEvidence{Trail: org, OrgCovered: true}}
	if got := evalByID(t, "cloudtrail_multi_region_enabled", st); len(got) != 1 || got[0] != rampart.StatusPass {
		t.Fatalf("multi-region: %v", got)
	}
	for _, c := range Checks {
		if c.Meta.ID == "cloudtrail_multi_region_enabled" {
			if r := c.Eval(st)[0]; !strings.Contains(r.StatusExtended, "organization trail org-trail of management account 111") {
				t.Errorf("mechanism not named: %s", r.StatusExtended)
			}
		}
	}
	if got := evalByID(t, "cloudtrail_log_file_validation_enabled", st); len(got) != 0 {
		t.Errorf("member re-evaluated the organization trail: %v", got)
	}
	if got := evalByID(t, "cloudwatch_log_metric_filter_root_usage", st); len(got) != 1 || got[0] != rampart.StatusPass {
		t.Errorf("CIS 4.3 in member: %v", got)
	}
	st.Trails, st.CIS = nil, &CISEvidence{}
	if got := evalByID(t, "cloudtrail_multi_region_enabled", st); got[0] != rampart.StatusFail {
		t.Errorf("no trail: %v", got)
	}
	if got := evalByID(t, "cloudwatch_log_metric_filter_root_usage", st); got[0] != rampart.StatusFail {
		t.Errorf("no trail, CIS 4.3: %v", got)
	}
}

func TestGuardDutyDelegatedAdmin(t *testing.T) {
	st := &State{AccountID: "222", Region: "eu-west-1", GuardDuty: &Detector{ID: "d", Enabled: true, Administrator: "333", Features: map[string]bool{}}}
	if got := evalByID(t, "guardduty_centrally_managed", st); got[0] != rampart.StatusPass {
		t.Errorf("member of an administrator: %v", got)
	}
	st.GuardDuty.Administrator = ""
	if got := evalByID(t, "guardduty_centrally_managed", st); got[0] != rampart.StatusFail {
		t.Errorf("standalone: %v", got)
	}
	st.GuardDuty = nil
	if got := evalByID(t, "guardduty_is_enabled", st); got[0] != rampart.StatusFail {
		t.Errorf("no detector: %v", got)
	}
}

// TestUnreadTrailIsNotEvaluated: a trail whose status or event selectors
// could not be read never turns a region into a FAIL (moto's GetEventSelectors
// does not find a shadow trail outside its home region; AWS throttles).
// Only the checks that need the missing part become NOT_EVALUATED.
func TestUnreadTrailIsNotEvaluated(t *testing.T) {
	e := &modkit.AttrError{Class: rampart.ErrClassServiceError, Message: "boom"}
	shadow := &Trail{Name: "main", ARN: "arn:aws:cloudtrail:us-east-1:222:trail/main", Owner: "222", HomeRegion: "us-east-1",
		MultiRegion: true, Logging: true, SelectorsErr: e}
	st := &State{AccountID: "222", Region: "eu-west-1", Trails: []*Trail{shadow}}
	tests := []struct {
		id   string
		want rampart.Status
	}{
		{"cloudtrail_multi_region_enabled", rampart.StatusPass}, // status was read: selectors not needed
		{"cloudtrail_multi_region_enabled_logging_management_events", rampart.StatusNotEvaluated},
		{"cloudtrail_s3_dataevents_read_enabled", rampart.StatusNotEvaluated},
	}
	for _, tt := range tests {
		if got := evalByID(t, tt.id, st); len(got) != 1 || got[0] != tt.want {
			t.Errorf("selectors unread, %s: %v, want %s", tt.id, got, tt.want)
		}
	}
	shadow.SelectorsErr, shadow.StatusErr, shadow.Logging = nil, e, false
	if got := evalByID(t, "cloudtrail_multi_region_enabled", st); len(got) != 1 || got[0] != rampart.StatusNotEvaluated {
		t.Errorf("status unread: %v, want NOT_EVALUATED", got)
	}
	// A readable trail that satisfies the check still passes the region.
	ok := &Trail{Name: "other", ARN: "arn:aws:cloudtrail:eu-west-1:222:trail/other", Owner: "222", HomeRegion: "eu-west-1", MultiRegion: true, Logging: true}
	st.Trails = append(st.Trails, ok)
	if got := evalByID(t, "cloudtrail_multi_region_enabled", st); len(got) != 1 || got[0] != rampart.StatusPass {
		t.Errorf("unread plus readable logging trail: %v, want PASS", got)
	}
}
