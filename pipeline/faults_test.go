package pipeline_test

import (
	"testing"
	"time"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/awssim"
	"github.com/rampart-cspm/rampart/internal/scantest"
)

// TestInjectedFaults: every fault kind the estate file can declare ends in
// the right unit state and error class, keeps what the unit could see, and
// leaves the rest of the scan unaffected.
func TestInjectedFaults(t *testing.T) {
	tests := []struct {
		name      string
		faults    []awssim.Fault
		quotas    *awssim.Quotas
		opts      scantest.Options
		region    string
		wantState rampart.UnitState
		wantClass rampart.ErrorClass
		// wantFinding is a FAIL finding of prod that must be there.
		wantFinding string
	}{
		{name: "credentials expire mid-scan: refreshed and retried", region: rampart.GlobalRegion,
			faults:    []awssim.Fault{{Account: prod, Service: "iam", Operation: "ListUsers", Kind: awssim.FaultExpiredToken, Count: 1}},
			wantState: rampart.UnitSucceeded, wantFinding: userMFA},
		{name: "connection resets: retried", region: "us-east-1",
			faults:    []awssim.Fault{{Account: prod, Region: "us-east-1", Service: "ec2", Operation: "DescribeSecurityGroups", Kind: awssim.FaultConnectionReset, Count: 2}},
			opts:      scantest.Options{MaxAttempts: 4},
			wantState: rampart.UnitSucceeded, wantFinding: ssh22},
		{name: "connection resets that never stop", region: "us-east-1",
			faults: []awssim.Fault{{Account: prod, Region: "us-east-1", Service: "ec2", Operation: "DescribeSecurityGroups", Kind: awssim.FaultConnectionReset}},
			opts:   scantest.Options{MaxAttempts: 2},
			// The networking module's other APIs still answer: partial.
			wantState: rampart.UnitPartial, wantClass: rampart.ErrClassServiceError},
		{name: "5xx InternalError on one service", region: rampart.GlobalRegion,
			faults:    []awssim.Fault{{Account: prod, Service: "iam", Operation: "ListUsers", Kind: awssim.FaultInternalError}},
			opts:      scantest.Options{MaxAttempts: 2},
			wantState: rampart.UnitPartial, wantClass: rampart.ErrClassServiceError, wantFinding: public},
		{name: "malformed payload on one service", region: rampart.GlobalRegion,
			faults:    []awssim.Fault{{Account: prod, Service: "s3", Operation: "ListBuckets", Kind: awssim.FaultMalformed}},
			wantState: rampart.UnitPartial, wantClass: rampart.ErrClassServiceError, wantFinding: userMFA},
		{name: "responses slower than the unit timeout", region: "eu-west-1",
			faults:    []awssim.Fault{{Account: prod, Region: "eu-west-1", Service: "ec2", Operation: "DescribeSecurityGroups", Kind: awssim.FaultLatency, Latency: 5 * time.Second}},
			opts:      scantest.Options{UnitTimeout: 300 * time.Millisecond, MaxAttempts: 1},
			wantState: rampart.UnitFailed, wantClass: rampart.ErrClassTimeout},
		// The global unit's modules run side by side: S3 finishes, IAM
		// does not; what S3 saw is kept and IAM's controls are timeouts.
		{name: "IAM slower than the unit timeout: S3's findings kept", region: rampart.GlobalRegion,
			faults:    []awssim.Fault{{Account: prod, Service: "iam", Operation: "ListUsers", Kind: awssim.FaultLatency, Latency: 5 * time.Second}},
			opts:      scantest.Options{UnitTimeout: 800 * time.Millisecond, MaxAttempts: 1},
			wantState: rampart.UnitPartial, wantClass: rampart.ErrClassTimeout, wantFinding: public},
		{name: "access denied on one API", region: rampart.GlobalRegion,
			faults:    []awssim.Fault{{Account: prod, Service: "s3", Operation: "ListBuckets", Kind: awssim.FaultAccessDenied}},
			wantState: rampart.UnitPartial, wantClass: rampart.ErrClassAccessDenied, wantFinding: userMFA},
		{name: "IAM quota far below the prior: adaptive rate control loses nothing", region: rampart.GlobalRegion,
			quotas:    &awssim.Quotas{Buckets: map[string]awssim.TokenBucket{"iam": {Burst: 2, Rate: 20}}},
			wantState: rampart.UnitSucceeded, wantFinding: userMFA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			estate := smallEstate(t)
			estate.Quotas = tt.quotas
			h := scantest.Start(t, estate, tt.opts)
			if err := h.Sim.SetFaults(tt.faults); err != nil {
				t.Fatal(err)
			}
			h.Scan(t)
			u := unitsOf(t, h, prod, tt.region)
			if u.State != tt.wantState || u.ErrorClass != tt.wantClass {
				t.Fatalf("unit %s: %s/%s (%s), want %s/%s", u.ID, u.State, u.ErrorClass, u.Error, tt.wantState, tt.wantClass)
			}
			if tt.wantFinding != "" {
				if got := failing(h.Findings(t, rampart.FindingFilter{AccountID: prod}), tt.wantFinding); len(got) == 0 {
					t.Errorf("finding %s lost", tt.wantFinding)
				}
			}
			if tt.wantClass != "" {
				var rows int
				for _, f := range h.Findings(t, rampart.FindingFilter{AccountID: prod, Statuses: []rampart.Status{rampart.StatusNotEvaluated}}) {
					if f.Scope == tt.region && f.ErrorClass == tt.wantClass {
						rows++
					}
				}
				if rows == 0 {
					t.Errorf("no NOT_EVALUATED rows with class %s", tt.wantClass)
				}
			}
			// The rest of the scan is unaffected.
			for _, acct := range []string{"900000000001", dev} {
				for _, region := range []string{rampart.GlobalRegion, "us-east-1", "eu-west-1"} {
					if o := unitsOf(t, h, acct, region); o.State != rampart.UnitSucceeded {
						t.Errorf("unit %s/%s: %s/%s (%s), want succeeded", acct, region, o.State, o.ErrorClass, o.Error)
					}
				}
			}
			if tt.quotas != nil {
				throttled := 0
				for _, c := range h.Sim.Calls() {
					if c.ErrorCode == "Throttling" {
						throttled++
					}
				}
				if throttled == 0 {
					t.Error("the quota never throttled: the case tests nothing")
				}
			}
		})
	}
}

// A global unit's modules run side by side: S3 does not wait for a slow
// IAM, and a failure of one leaves the other's findings.
func TestGlobalModulesRunSideBySide(t *testing.T) {
	h := scantest.Start(t, smallEstate(t), scantest.Options{})
	slow := awssim.Fault{Account: prod, Service: "iam", Operation: "GetAccountSummary", Kind: awssim.FaultLatency, Latency: 400 * time.Millisecond}
	if err := h.Sim.SetFaults([]awssim.Fault{slow}); err != nil {
		t.Fatal(err)
	}
	h.Scan(t)
	var summaryEnd, firstS3 time.Time
	for _, c := range h.Sim.Calls() {
		if c.Account != prod {
			continue
		}
		if c.Service == "iam" && c.Operation == "GetAccountSummary" {
			summaryEnd = c.End
		}
		if c.Service == "s3" && (firstS3.IsZero() || c.Start.Before(firstS3)) {
			firstS3 = c.Start
		}
	}
	if summaryEnd.IsZero() || firstS3.IsZero() {
		t.Fatalf("calls missing: iam GetAccountSummary ended %v, first s3 call %v", summaryEnd, firstS3)
	}
	if !firstS3.Before(summaryEnd) {
		t.Errorf("first S3 call of %s at %v, after IAM's slow first call ended (%v): the modules ran one after the other",
			prod, firstS3.Format(time.StampMilli), summaryEnd.Format(time.StampMilli))
	}
	if u := unitsOf(t, h, prod, rampart.GlobalRegion); u.State != rampart.UnitSucceeded {
		t.Errorf("global unit of %s: %s/%s (%s), want succeeded", prod, u.State, u.ErrorClass, u.Error)
	}
}
