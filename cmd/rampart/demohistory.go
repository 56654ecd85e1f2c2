package main

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/rampart-cspm/rampart/awssim"
	"github.com/rampart-cspm/rampart/config"
	"github.com/rampart-cspm/rampart/pipeline"
)

// demoClock is the demo's injected clock: real time shifted by an offset,
// so history scans happen "days ago" and the final scan happens now.
type demoClock struct{ offset atomic.Int64 }

func (c *demoClock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// setDaysAgo shifts the clock back by days.
func (c *demoClock) setDaysAgo(days int) {
	c.offset.Store(int64(-time.Duration(days) * 24 * time.Hour))
}

// demoStep is one past scan of the demo's history: the estate change made
// just before it, and the scan days ago.
type demoStep struct {
	daysAgo int
	what    string
	mutate  func(e *awssim.Estate)
}

// The demo estate's past. The first step turns the built-in estate into
// its state 14 days ago; the later steps move it forward; after the last
// one the estate is exactly awssim/estates/demo.yaml again, which the
// final scan (now) sees.
//
//	14 days ago  retail-orders-exports was public; data-sandbox-dave had not joined
//	 7 days ago  fixed: retail-orders-exports made private, debug-open emptied
//	 3 days ago  new account data-sandbox-dave joins; debug-open regresses
//	 1 day ago   no change (findings age; the critical SLA of 7 days passes)
func demoHistory() []demoStep {
	const newAccount, org = "333300000008", "o-data"
	var dave *awssim.Account
	var debugRules []awssim.Rule
	publicPolicy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::retail-orders-exports/*"}]}`
	debugOpen := func(e *awssim.Estate) *awssim.SecurityGroup {
		if a := e.Account("111100000005"); a != nil && a.EC2["eu-west-1"] != nil {
			for _, g := range a.EC2["eu-west-1"].SecurityGroups {
				if g.Name == "debug-open" {
					return g
				}
			}
		}
		return nil
	}
	return []demoStep{
		{14, "the estate two weeks ago", func(e *awssim.Estate) {
			for _, o := range e.Organizations {
				if o.ID != org {
					continue
				}
				o.Accounts = slices.DeleteFunc(o.Accounts, func(a *awssim.Account) bool {
					if a.ID == newAccount {
						dave = a
						return true
					}
					return false
				})
			}
			if b, _ := e.Bucket("retail-orders-exports"); b != nil {
				b.Policy = publicPolicy
			}
		}},
		{7, "fixes: retail-orders-exports private again, debug-open emptied", func(e *awssim.Estate) {
			if b, _ := e.Bucket("retail-orders-exports"); b != nil {
				b.Policy = ""
			}
			if g := debugOpen(e); g != nil {
				debugRules, g.Ingress = g.Ingress, nil
			}
		}},
		{3, "new account data-sandbox-dave; debug-open regresses", func(e *awssim.Estate) {
			for _, o := range e.Organizations {
				if o.ID == org && dave != nil {
					o.Accounts = append(o.Accounts, dave)
				}
			}
			if g := debugOpen(e); g != nil {
				g.Ingress = debugRules
			}
		}},
		{1, "no change", nil},
	}
}

// replayDemoHistory runs the history scans, printing one line per scan,
// and leaves the clock at now for the final scan.
func (a *app) replayDemoHistory(ctx context.Context, sim *awssim.Server, clock *demoClock, cfg *config.Config, f scanFlags) error {
	fmt.Fprintln(a.stdout, "History: replaying the estate's last two weeks with an injected clock")
	quiet := *a
	quiet.stdout = discard{}
	quiet.stderr = discard{}
	for _, st := range demoHistory() {
		if st.mutate != nil {
			if err := sim.Mutate(st.mutate); err != nil {
				return fmt.Errorf("demo history (%d days ago): %w", st.daysAgo, err)
			}
		}
		clock.setDaysAgo(st.daysAgo)
		f.now = clock.Now
		rep, err := quiet.scan(ctx, cfg, f)
		if err != nil && rep == nil {
			return fmt.Errorf("demo history scan %d days ago: %w", st.daysAgo, err)
		}
		fmt.Fprintf(a.stdout, "  %2d days ago  %-62s %s\n", st.daysAgo, st.what, historyStats(rep))
	}
	clock.setDaysAgo(0)
	return nil
}

func historyStats(rep *pipeline.Report) string {
	var d, r, o int
	for _, lz := range rep.LandingZones {
		d += lz.Stats.Detected
		r += lz.Stats.Resolved
		o += lz.Stats.Reopened
	}
	return fmt.Sprintf("detected %d, resolved %d, reopened %d", d, r, o)
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
