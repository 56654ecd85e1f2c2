// Package simtest runs scanner modules against Rampart's AWS simulator
// serving the demo estate, for the modules' tests: it reaches member
// accounts through the management account's keys and sts:AssumeRole, as the
// scanner does, and checks that every check of a module has at least one
// failing and one passing resource.
package simtest

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/awsclient"
	"github.com/rampart-cspm/rampart/awssim"
	"github.com/rampart-cspm/rampart/awssim/awssimtest"
	"github.com/rampart-cspm/rampart/checks"
)

// Unit is one (account, region) to scan.
type Unit struct {
	Account, Region string
}

// Sim is a simulator serving the demo estate.
type Sim struct {
	Server *awssim.Server
	URL    string
	Now    time.Time
}

// Start starts the simulator on the demo estate for the test.
func Start(t testing.TB) *Sim {
	t.Helper()
	s, url := awssimtest.NewTestServer(t, nil)
	return &Sim{Server: s, URL: url, Now: time.Now()}
}

// Env returns the scan environment of one unit: the management account's
// keys of the account's organization, then AssumeRole into its audit role
// (RampartAudit, with the organization's external ID when one is set).
func (s *Sim) Env(t testing.TB, u Unit) checks.Env {
	t.Helper()
	e := s.Server.Estate()
	org := e.OrganizationOf(u.Account)
	if org == nil {
		t.Fatalf("simtest: account %s is not in the demo estate", u.Account)
	}
	base := awssimtest.ManagementConfig(t, s.URL, e, org.ID, u.Region)
	cfg := base
	if u.Account != org.ManagementAccount {
		external := ""
		for _, r := range e.Account(u.Account).Roles {
			if r.Name == "RampartAudit" {
				external = r.ExternalID
			}
		}
		p := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(base), fmt.Sprintf("arn:aws:iam::%s:role/RampartAudit", u.Account),
			func(o *stscreds.AssumeRoleOptions) {
				if external != "" {
					o.ExternalID = aws.String(external)
				}
			})
		cfg.Credentials = aws.NewCredentialsCache(p)
	}
	now := s.Now
	return checks.Env{Config: cfg, AccountID: u.Account, Region: u.Region, HomeRegion: "us-east-1",
		Classify: awsclient.Classify, Now: func() time.Time { return now }}
}

// Statuses runs mod in every unit and returns, per check ID, the count of
// results per status.
func (s *Sim) Statuses(t testing.TB, mod checks.Module, units ...Unit) map[string]map[rampart.Status]int {
	t.Helper()
	out := map[string]map[rampart.Status]int{}
	for _, u := range units {
		res := mod.Run(context.Background(), s.Env(t, u), nil)
		if res.Service.Status != rampart.ServiceOK {
			t.Fatalf("%s in %s/%s: %+v", mod.Name(), u.Account, u.Region, res.Service)
		}
		for _, o := range res.Checks {
			if out[o.Meta.ID] == nil {
				out[o.Meta.ID] = map[rampart.Status]int{}
			}
			for _, r := range o.Results {
				out[o.Meta.ID][r.Status]++
				if r.Status == rampart.StatusNotEvaluated {
					t.Errorf("%s in %s/%s: NOT_EVALUATED on %s: %s", o.Meta.ID, u.Account, u.Region, r.ResourceID, r.StatusExtended)
				}
			}
		}
	}
	return out
}

// RequireFailAndPass fails the test for every check of mod without at least
// one FAIL and one PASS across units.
func (s *Sim) RequireFailAndPass(t testing.TB, mod checks.Module, units ...Unit) {
	t.Helper()
	got := s.Statuses(t, mod, units...)
	var ids []string
	for _, m := range mod.Checks() {
		ids = append(ids, m.ID)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if got[id][rampart.StatusFail] == 0 || got[id][rampart.StatusPass] == 0 {
			t.Errorf("%s: %v on the demo estate, want at least one FAIL and one PASS", id, got[id])
		}
	}
}
