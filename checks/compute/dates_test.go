package compute

import (
	"strings"
	"testing"
	"time"
)

// TestLaunchTextStableFromDayToDay: an old instance's row reads the same
// on the next day's scan (the launch date, not the age in days), so the
// scan records it as seen, not changed.
func TestLaunchTextStableFromDayToDay(t *testing.T) {
	launchedAt := time.Date(2025, 2, 1, 9, 0, 0, 0, time.UTC)
	state := func(age int) *State {
		return &State{AccountID: "111122223333", Region: "eu-west-1",
			Instances: []*Instance{{ID: "i-1", State: "running", LaunchAgeDays: 300 + age, LaunchedAt: &launchedAt}}}
	}
	var c *check
	for _, x := range allChecks() {
		if x.Meta.ID == "ec2_instance_older_than_specific_days" {
			c = &x
		}
	}
	if c == nil {
		t.Fatal("no check ec2_instance_older_than_specific_days")
	}
	today, tomorrow := c.Eval(state(0)), c.Eval(state(1))
	if len(today) != 1 || len(tomorrow) != 1 || today[0].StatusExtended != tomorrow[0].StatusExtended {
		t.Fatalf("rows %+v then %+v; want one row each day, the same text", today, tomorrow)
	}
	if !strings.Contains(today[0].StatusExtended, "launched on 2025-02-01") {
		t.Errorf("%q names no launch date", today[0].StatusExtended)
	}
}
