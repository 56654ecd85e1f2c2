package storetest

import (
	"context"
	"reflect"
	"testing"

	"github.com/rampart-cspm/rampart"
)

func testListFindings(t *testing.T, s rampart.Store) {
	ctx := context.Background()
	e := newEnv(t, s)
	mk := func(scanID, account, region, service, resource, control string, sev rampart.Severity, risk int, st rampart.Status) rampart.Finding {
		f := finding(scanID, account, region, service, resource, control, st)
		f.Severity, f.RiskScore = sev, risk
		return f
	}
	both := []rampart.ServiceResult{ok(s3Svc), ok(ec2Svc)}
	names := map[string]string{}
	acct1Findings := func(bStatus rampart.Status) func(string) []rampart.Finding {
		return func(scanID string) []rampart.Finding {
			fs := []rampart.Finding{
				mk(scanID, acct1, euWest1, s3Svc, "bucket-a", ctlS3Pub, rampart.SeverityCritical, 50, fail),
				mk(scanID, acct1, euWest1, s3Svc, "bucket-b", ctlS3Pub, rampart.SeverityHigh, 90, bStatus),
				mk(scanID, acct1, euWest1, s3Svc, "bucket-c", ctlS3Enc, rampart.SeverityHigh, 40, pass),
				mk(scanID, acct1, euWest1, ec2Svc, "sg-d", ctlEC2SG, rampart.SeverityMedium, 95, fail),
			}
			for i, f := range fs {
				names[f.FindingID] = string("ABCD"[i])
			}
			return fs
		}
	}
	e.run(1, acct1, euWest1, rampart.UnitSucceeded, both, acct1Findings(fail))
	e.run(2, acct2, usEast1, rampart.UnitSucceeded, both, func(scanID string) []rampart.Finding {
		fs := []rampart.Finding{
			mk(scanID, acct2, usEast1, s3Svc, "bucket-e", ctlS3Pub, rampart.SeverityCritical, 50, fail),
			mk(scanID, acct2, usEast1, s3Svc, "bucket-f", ctlS3Enc, rampart.SeverityLow, 10, rampart.StatusNotEvaluated),
		}
		names[fs[0].FindingID], names[fs[1].FindingID] = "E", "F"
		return fs
	})
	// B passes and is resolved; A, C and D are seen again.
	e.run(3, acct1, euWest1, rampart.UnitSucceeded, both, acct1Findings(pass))
	// E and F are seen again, later than A: A (first seen in scan 1) still
	// comes before E (first seen in scan 2), which ties with it on severity
	// and risk. The order breaks ties on first seen, which a seen event
	// never moves, so that re-observing a finding rewrites none of the
	// order's index entries.
	e.run(4, acct2, usEast1, rampart.UnitSucceeded, both, func(scanID string) []rampart.Finding {
		return []rampart.Finding{
			mk(scanID, acct2, usEast1, s3Svc, "bucket-e", ctlS3Pub, rampart.SeverityCritical, 50, fail),
			mk(scanID, acct2, usEast1, s3Svc, "bucket-f", ctlS3Enc, rampart.SeverityLow, 10, rampart.StatusNotEvaluated),
		}
	})

	cases := []struct {
		name string
		f    rampart.FindingFilter
		want string
	}{
		{"all, ordered by severity, risk, first seen", rampart.FindingFilter{}, "AEBCDF"},
		{"landing zone", rampart.FindingFilter{LandingZoneID: lzA}, "AEBCDF"},
		{"other landing zone", rampart.FindingFilter{LandingZoneID: "lz-b"}, ""},
		{"account", rampart.FindingFilter{AccountID: acct2}, "EF"},
		{"region", rampart.FindingFilter{Region: euWest1}, "ABCD"},
		{"service", rampart.FindingFilter{Service: ec2Svc}, "D"},
		{"control", rampart.FindingFilter{ControlID: ctlS3Enc}, "CF"},
		{"severities", rampart.FindingFilter{Severities: []rampart.Severity{rampart.SeverityCritical, rampart.SeverityLow}}, "AEF"},
		{"status FAIL", rampart.FindingFilter{Statuses: []rampart.Status{fail}}, "AED"},
		{"statuses", rampart.FindingFilter{Statuses: []rampart.Status{pass, rampart.StatusNotEvaluated}}, "BCF"},
		{"only open", rampart.FindingFilter{OnlyOpen: true}, "AECDF"},
		{"combined", rampart.FindingFilter{LandingZoneID: lzA, AccountID: acct1, Statuses: []rampart.Status{fail}, OnlyOpen: true}, "AD"},
		{"limit", rampart.FindingFilter{Limit: 2}, "AE"},
		{"limit and offset", rampart.FindingFilter{Limit: 2, Offset: 2}, "BC"},
		{"offset only", rampart.FindingFilter{Offset: 5}, "F"},
		{"offset past the end", rampart.FindingFilter{Offset: 10}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.ListFindings(ctx, c.f)
			must(t, err)
			var seq string
			for _, f := range got {
				n, ok := names[f.FindingID]
				if !ok {
					t.Fatalf("unexpected finding %s (%s)", f.FindingID, f.ResourceID)
				}
				seq += n
			}
			if seq != c.want {
				t.Fatalf("ListFindings(%+v) = %q, want %q", c.f, seq, c.want)
			}
		})
	}
	// Every row comes back whole: GetFinding and ListFindings agree.
	all, err := s.ListFindings(ctx, rampart.FindingFilter{})
	must(t, err)
	for _, f := range all {
		got, err := s.GetFinding(ctx, f.FindingID)
		must(t, err)
		if !reflect.DeepEqual(got, f) {
			t.Fatalf("GetFinding(%s) = %+v, ListFindings has %+v", f.FindingID, got, f)
		}
	}
}
