package ec2

import (
	"testing"

	"github.com/rampart-cspm/rampart/checks/internal/simtest"
)

// TestEveryCheckFailsAndPassesOnTheSimulator scans the demo estate's
// warehouse account (both regions), the retail web account and the payments
// gateway account through the
// simulator's wire protocol: every networking check has a failing and a
// passing resource there.
func TestEveryCheckFailsAndPassesOnTheSimulator(t *testing.T) {
	sim := simtest.Start(t)
	sim.RequireFailAndPass(t, New(),
		simtest.Unit{Account: "333300000003", Region: "eu-west-1"},
		simtest.Unit{Account: "333300000003", Region: "us-east-1"},
		simtest.Unit{Account: "111100000003", Region: "us-east-1"},
		simtest.Unit{Account: "222200000003", Region: "us-east-1"}, // the emptied default group
	)
}
