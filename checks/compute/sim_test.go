package compute

import (
	"testing"

	"github.com/rampart-cspm/rampart/checks/internal/simtest"
)

// TestEveryCheckFailsAndPassesOnTheSimulator scans the demo estate's
// warehouse account through the simulator: every compute check has a
// failing and a passing resource there.
func TestEveryCheckFailsAndPassesOnTheSimulator(t *testing.T) {
	sim := simtest.Start(t)
	sim.RequireFailAndPass(t, New(),
		simtest.Unit{Account: "333300000003", Region: "eu-west-1"},
		simtest.Unit{Account: "333300000003", Region: "us-east-1"},
	)
}
