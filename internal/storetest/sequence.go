package storetest

import (
	"testing"

	"github.com/rampart-cspm/rampart"
)

// Sequence commits a series of scans to s that writes every kind of
// lifecycle event: detections, seen, changes, resolutions by PASS and by
// absence, reopenings, ignored observations and findings of the global
// scope. Store tests use it to compare the findings table before and after
// Reindex. It upserts the landing zone it uses.
func Sequence(t *testing.T, s rampart.Store) {
	t.Helper()
	e := newEnv(t, s)
	e.prefix = "seq"
	sequence(e)
}

func sequence(e *env) {
	e.t.Helper()
	both := []rampart.ServiceResult{ok(s3Svc), ok(ec2Svc)}
	obs := func(region string, specs ...func(scanID, region string) rampart.Finding) func(string) []rampart.Finding {
		return func(scanID string) []rampart.Finding {
			var out []rampart.Finding
			for _, sp := range specs {
				out = append(out, sp(scanID, region))
			}
			return out
		}
	}
	f := func(service, resource, control string, st rampart.Status) func(string, string) rampart.Finding {
		return func(scanID, region string) rampart.Finding {
			return finding(scanID, acct1, region, service, resource, control, st)
		}
	}
	riskier := func(scanID, region string) rampart.Finding {
		x := finding(scanID, acct1, region, ec2Svc, "sg-1", ctlEC2SG, fail)
		x.RiskScore, x.RiskReason = 99, "open to the world on 22"
		return x
	}

	e.run(1, acct1, euWest1, rampart.UnitSucceeded, both, obs(euWest1,
		f(s3Svc, "bucket-1", ctlS3Pub, fail), f(s3Svc, "bucket-2", ctlS3Pub, fail),
		f(s3Svc, "bucket-1", ctlS3Enc, pass), f(ec2Svc, "sg-1", ctlEC2SG, fail)))
	e.run(2, acct1, euWest1, rampart.UnitSucceeded, both, obs(euWest1,
		f(s3Svc, "bucket-1", ctlS3Pub, fail), f(s3Svc, "bucket-2", ctlS3Pub, pass),
		f(s3Svc, "bucket-1", ctlS3Enc, fail), riskier))
	e.run(3, acct1, euWest1, rampart.UnitPartial,
		[]rampart.ServiceResult{ok(s3Svc), failed(ec2Svc, rampart.ErrClassThrottling)}, obs(euWest1,
			f(s3Svc, "bucket-1", ctlS3Pub, fail), f(s3Svc, "bucket-2", ctlS3Pub, fail)))
	e.run(4, acct1, usEast1, rampart.UnitSucceeded, both, obs(usEast1, f(ec2Svc, "sg-1", ctlEC2SG, fail)))
	// Bucket findings of the global unit carry the bucket's region.
	e.run(4, acct1, rampart.GlobalRegion, rampart.UnitSucceeded, []rampart.ServiceResult{ok(s3Svc)}, obs(usEast1,
		f(s3Svc, "bucket-g", ctlS3Pub, fail), f(s3Svc, "bucket-h", ctlS3Enc, fail)))
	e.run(5, acct1, euWest1, rampart.UnitSucceeded, both, obs(euWest1,
		f(s3Svc, "bucket-1", ctlS3Pub, rampart.StatusNotEvaluated), f(s3Svc, "bucket-1", ctlS3Pub, rampart.StatusNotEvaluated),
		f(ec2Svc, "sg-1", ctlEC2SG, pass)))
	e.run(6, acct1, rampart.GlobalRegion, rampart.UnitSucceeded, []rampart.ServiceResult{ok(s3Svc)}, obs(usEast1,
		f(s3Svc, "bucket-h", ctlS3Enc, fail)))
	e.run(7, acct1, euWest1, rampart.UnitSucceeded, both, obs(euWest1,
		f(s3Svc, "bucket-1", ctlS3Pub, fail), f(s3Svc, "bucket-2", ctlS3Pub, fail), f(ec2Svc, "sg-1", ctlEC2SG, fail)))
}
