package pipeline

import (
	"testing"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/checks"
)

func TestScanStatus(t *testing.T) {
	u := func(s rampart.UnitState) rampart.ScanUnit { return rampart.ScanUnit{State: s} }
	tests := []struct {
		name  string
		units []rampart.ScanUnit
		want  rampart.UnitState
	}{
		{"all ok", []rampart.ScanUnit{u(rampart.UnitSucceeded), u(rampart.UnitSkipped)}, rampart.UnitSucceeded},
		{"one partial", []rampart.ScanUnit{u(rampart.UnitSucceeded), u(rampart.UnitPartial)}, rampart.UnitPartial},
		{"one failed", []rampart.ScanUnit{u(rampart.UnitSucceeded), u(rampart.UnitFailed)}, rampart.UnitPartial},
		{"all failed", []rampart.ScanUnit{u(rampart.UnitFailed), u(rampart.UnitFailed)}, rampart.UnitFailed},
		{"none", nil, rampart.UnitSucceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ScanStatus(tt.units); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestUnitState(t *testing.T) {
	ok := func(name string, errored ...string) modOutcome {
		return modOutcome{res: checks.ModuleResult{Service: rampart.ServiceResult{Service: name, Status: rampart.ServiceOK, ChecksErrored: errored},
			Checks: []checks.CheckOutcome{{ErrorClass: rampart.ErrClassServiceError}}}}
	}
	notEvaluatedRows := func(name string, c rampart.ErrorClass) modOutcome {
		return modOutcome{res: checks.ModuleResult{Service: rampart.ServiceResult{Service: name, Status: rampart.ServiceOK},
			Checks: []checks.CheckOutcome{{Meta: checks.Meta{ID: name + "_x"}, Results: []checks.Result{
				{ResourceID: "i-1", Status: rampart.StatusPass},
				{ResourceID: "i-2", Status: rampart.StatusNotEvaluated, ErrorClass: c},
			}}}}}
	}
	failed := func(name string, c rampart.ErrorClass) modOutcome {
		return modOutcome{res: checks.ModuleResult{Service: rampart.ServiceResult{Service: name, Status: rampart.ServiceFailed, ErrorClass: c, Error: "boom"}}}
	}
	tests := []struct {
		name      string
		outs      []modOutcome
		want      rampart.UnitState
		wantClass rampart.ErrorClass
	}{
		{"all ok", []modOutcome{ok("s3"), ok("iam")}, rampart.UnitSucceeded, ""},
		{"one service failed", []modOutcome{ok("s3"), failed("iam", rampart.ErrClassAccessDenied)}, rampart.UnitPartial, rampart.ErrClassAccessDenied},
		{"a check errored", []modOutcome{ok("s3", "s3_x")}, rampart.UnitPartial, rampart.ErrClassServiceError},
		{"all failed", []modOutcome{failed("s3", rampart.ErrClassThrottling), failed("iam", rampart.ErrClassAccessDenied)}, rampart.UnitFailed, rampart.ErrClassThrottling},
		// An API that failed for the resources of one check (moto's 500 on
		// ssm DescribeInstanceInformation) leaves NOT_EVALUATED rows without
		// erroring the check: the unit did not see everything.
		{"rows not evaluated", []modOutcome{ok("s3"), notEvaluatedRows("ssm", rampart.ErrClassServiceError)}, rampart.UnitPartial, rampart.ErrClassServiceError},
		{"rows not evaluated without a class", []modOutcome{notEvaluatedRows("ssm", "")}, rampart.UnitPartial, rampart.ErrClassUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, class, _ := unitState(tt.outs)
			if got != tt.want || class != tt.wantClass {
				t.Errorf("got %s/%s, want %s/%s", got, class, tt.want, tt.wantClass)
			}
		})
	}
}

func TestNormalizeKeysAndOwnership(t *testing.T) {
	lz := rampart.LandingZone{ID: "lz-a", OwnerTeam: "platform", Environment: "production", BusinessUnit: "retail"}
	acct := rampart.Account{ID: "111111111111", Name: "shop-prod", OwnerTeam: "shop-team"}
	meta := checks.Meta{ID: "s3_bucket_public_access", Severity: rampart.SeverityCritical, Title: "public", ResourceType: "AwsS3Bucket",
		Compliance: []checks.Mapping{{Framework: "SOC2", Requirement: "cc_6_1"}, {Framework: "CIS-5.0", Requirement: "2.1.4"}}}
	unitGlobal := rampart.ScanUnit{ScanID: "s1", LandingZoneID: "lz-a", AccountID: acct.ID, Region: rampart.GlobalRegion}

	bucketEU := Normalize(lz, acct, unitGlobal, "s3", meta, checks.Result{ResourceID: "arn:aws:s3:::b", Region: "eu-west-1", Status: rampart.StatusFail})
	if bucketEU.Region != "eu-west-1" || bucketEU.Scope != rampart.GlobalRegion {
		t.Errorf("region/scope = %s/%s, want eu-west-1/global", bucketEU.Region, bucketEU.Scope)
	}
	if bucketEU.Framework != "CIS-5.0" || bucketEU.RequirementID != "2.1.4" {
		t.Errorf("primary mapping = %s %s, want CIS-5.0 2.1.4", bucketEU.Framework, bucketEU.RequirementID)
	}
	if bucketEU.OwnerTeam != "shop-team" || bucketEU.Environment != "production" || bucketEU.BusinessUnit != "retail" {
		t.Errorf("ownership = %s/%s/%s", bucketEU.OwnerTeam, bucketEU.Environment, bucketEU.BusinessUnit)
	}
	if bucketEU.RiskScore == 0 || bucketEU.RiskReason == "" {
		t.Errorf("no baseline risk: %d %q", bucketEU.RiskScore, bucketEU.RiskReason)
	}
	iam := Normalize(lz, acct, unitGlobal, "iam", meta, checks.Result{ResourceID: "arn:aws:iam::111111111111:root", Status: rampart.StatusFail})
	if iam.Region != rampart.GlobalRegion {
		t.Errorf("global finding region = %s", iam.Region)
	}
	// The same resource and control in two regions are two findings.
	r1 := Normalize(lz, acct, rampart.ScanUnit{Region: "us-east-1", AccountID: acct.ID, LandingZoneID: "lz-a"}, "ec2", meta, checks.Result{ResourceID: "acct", Status: rampart.StatusFail})
	r2 := Normalize(lz, acct, rampart.ScanUnit{Region: "eu-west-1", AccountID: acct.ID, LandingZoneID: "lz-a"}, "ec2", meta, checks.Result{ResourceID: "acct", Status: rampart.StatusFail})
	if r1.FindingID == r2.FindingID {
		t.Error("two regions gave one finding_id")
	}
}
