package risk_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/awssim"
	"github.com/rampart-cspm/rampart/internal/scantest"
	"github.com/rampart-cspm/rampart/risk"
)

// seedRow is one row of the seed's table, located in the demo estate.
type seedRow struct {
	name     string
	control  string
	resource string // suffix of the resource ID or name
	severity rampart.Severity
	level    string
}

var seedTable = []seedRow{
	{"public S3 bucket holding static CSS", "s3_bucket_public_access", "retail-web-assets-prod", rampart.SeverityCritical, "low"},
	{"public S3 bucket holding a customer export", "s3_bucket_public_access", "data-lake-public-exports", rampart.SeverityCritical, "critical"},
	{"SSH open, private subnet only, ZTNA in front", "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22", "gw-admin-ssh", rampart.SeverityHigh, "medium"},
	{"IAM user with a stale access key, admin in production", "iam_user_accesskey_unused", "deploy-bot", rampart.SeverityMedium, "critical"},
}

func findSeedRow(t *testing.T, list []rampart.Finding, r seedRow, sgName map[string]string) rampart.Finding {
	t.Helper()
	var hits []rampart.Finding
	for _, f := range list {
		if f.ControlID != r.control {
			continue
		}
		if strings.HasSuffix(f.ResourceID, r.resource) || f.ResourceName == r.resource || sgName[f.ResourceID] == r.resource {
			hits = append(hits, f)
		}
	}
	if len(hits) != 1 {
		t.Fatalf("%s: %d findings of %s on %s, want 1", r.name, len(hits), r.control, r.resource)
	}
	return hits[0]
}

// sgNames maps security-group ARNs to their names in the estate.
func sgNames(e *awssim.Estate) map[string]string {
	out := map[string]string{}
	for _, org := range e.Organizations {
		for _, a := range org.Accounts {
			for region, reg := range a.EC2 {
				for _, g := range reg.SecurityGroups {
					out["arn:aws:ec2:"+region+":"+a.ID+":security-group/"+g.ID] = g.Name
				}
			}
		}
	}
	return out
}

// The seed's four-row table, reproduced from a real scan of the simulated
// demo estate: same severity, the seed's risk level. Every stored
// finding's risk_reason sums to its risk_score.
func TestSeedTableFromDemoScan(t *testing.T) {
	h := scantest.Start(t, awssim.DemoEstate(), scantest.Options{})
	h.Scan(t)
	list := h.Findings(t, rampart.FindingFilter{})
	names := map[string]string{}
	if err := h.Sim.Mutate(func(e *awssim.Estate) { names = sgNames(e) }); err != nil {
		t.Fatal(err)
	}
	for _, r := range seedTable {
		f := findSeedRow(t, list, r, names)
		if f.Status != rampart.StatusFail || f.Severity != r.severity || f.RiskLevel != r.level {
			t.Errorf("%s: %s %s risk %s (%d: %s); want FAIL %s risk %s",
				r.name, f.Status, f.Severity, f.RiskLevel, f.RiskScore, f.RiskReason, r.severity, r.level)
		}
	}
	checkReasonsSum(t, list)

	// Context that came from the checks, not from the test.
	pii := findSeedRow(t, list, seedTable[1], names)
	if !pii.Public || pii.DataSensitivity != "pii" || pii.OwnerTeam != "data-lake" || pii.OwnerSource != "tag" || pii.DueAt == nil {
		t.Errorf("customer export bucket context: %+v", pii)
	}
	ssh := findSeedRow(t, list, seedTable[2], names)
	if ssh.Public || strings.Join(ssh.CompensatingControls, ",") != "no-public-ip,private-subnet,ztna" {
		t.Errorf("ZTNA SSH group: public %v, compensating %v", ssh.Public, ssh.CompensatingControls)
	}
	admin := findSeedRow(t, list, seedTable[3], names)
	if !admin.Privileged || admin.Environment != "production" {
		t.Errorf("deploy-bot: privileged %v, environment %s", admin.Privileged, admin.Environment)
	}
}

func checkReasonsSum(t *testing.T, list []rampart.Finding) {
	t.Helper()
	scored := 0
	for _, f := range list {
		if got := sumReason(t, f.RiskReason); got != f.RiskScore {
			t.Errorf("%s %s: reason %q sums to %d, score %d", f.ControlID, f.ResourceID, f.RiskReason, got, f.RiskScore)
		}
		if f.Status == rampart.StatusFail {
			scored++
		}
	}
	if scored < 30 {
		t.Fatalf("only %d failing findings scored", scored)
	}
}

// Rescore recomputes scores without a scan when time or the policy
// changes, writes a changed event per changed row, and reindex still
// reproduces the rows.
func TestRescoreAfterContextChange(t *testing.T) {
	h := scantest.Start(t, awssim.DemoEstate(), scantest.Options{})
	h.Scan(t)
	ctx := context.Background()
	lzs, err := h.Store.RiskLandingZones(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var accts []rampart.Account
	for _, lz := range lzs {
		a, err := h.Store.ListAccounts(ctx, lz.ID)
		if err != nil {
			t.Fatal(err)
		}
		accts = append(accts, a...)
	}
	names := map[string]string{}
	_ = h.Sim.Mutate(func(e *awssim.Estate) { names = sgNames(e) })

	// Nothing changed: nothing is rewritten.
	if n, err := risk.Rescore(ctx, h.Store, risk.DefaultPolicy(), lzs, accts, h.Clock.Now()); err != nil || n != 0 {
		t.Fatalf("rescore with nothing changed = %d, %v; want 0", n, err)
	}

	// Ten days later the critical PII bucket is past its 7-day SLA.
	later := h.Clock.Now().Add(10 * 24 * time.Hour)
	n, err := risk.Rescore(ctx, h.Store, risk.DefaultPolicy(), lzs, accts, later)
	if err != nil || n == 0 {
		t.Fatalf("rescore ten days later = %d, %v; want changed rows", n, err)
	}
	list := h.Findings(t, rampart.FindingFilter{})
	pii := findSeedRow(t, list, seedTable[1], names)
	if !strings.Contains(pii.RiskReason, "past its 7-day SLA +10") || !pii.Overdue(later) {
		t.Errorf("PII bucket after 10 days: %q, overdue %v", pii.RiskReason, pii.Overdue(later))
	}
	evs, err := h.Store.ListFindingEvents(ctx, pii.FindingID)
	if err != nil {
		t.Fatal(err)
	}
	if last := evs[len(evs)-1]; last.Type != rampart.EventChanged || last.Snapshot == nil || last.Snapshot.RiskReason != pii.RiskReason {
		t.Errorf("last event of the PII bucket: %+v, want a changed event carrying the new reason", last)
	}

	// The team's policy no longer discounts public data: the static CSS
	// bucket is no longer low.
	doc := strings.Replace(string(risk.DefaultPolicyYAML()), "    points: -45\n", "    points: 0\n", 1)
	p, err := risk.ParsePolicy("team.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := risk.Rescore(ctx, h.Store, p, lzs, accts, later); err != nil {
		t.Fatal(err)
	}
	list = h.Findings(t, rampart.FindingFilter{})
	css := findSeedRow(t, list, seedTable[0], names)
	if css.RiskLevel == "low" {
		t.Errorf("static CSS bucket under the team policy: %s %d %q, want above low", css.RiskLevel, css.RiskScore, css.RiskReason)
	}
	checkReasonsSum(t, list)

	before := h.Findings(t, rampart.FindingFilter{})
	if _, err := h.Store.Reindex(ctx); err != nil {
		t.Fatal(err)
	}
	after := h.Findings(t, rampart.FindingFilter{})
	if len(before) != len(after) {
		t.Fatalf("reindex: %d rows, want %d", len(after), len(before))
	}
	for i := range before {
		if before[i].FindingID != after[i].FindingID || before[i].RiskScore != after[i].RiskScore || before[i].RiskReason != after[i].RiskReason {
			t.Fatalf("reindex changed %s: %d %q → %d %q", before[i].FindingID, before[i].RiskScore, before[i].RiskReason, after[i].RiskScore, after[i].RiskReason)
		}
	}
}
