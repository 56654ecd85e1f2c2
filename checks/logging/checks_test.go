package logging

import (
	"strings"
	"testing"

	"github.com/rampart-cspm/rampart"
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
