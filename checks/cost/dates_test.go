package cost

import (
	"strings"
	"testing"
	"time"
)

// TestAgeTextsStableFromDayToDay: the rows of the age checks read the
// same on the next day's scan (the date, not the age in days), so the
// scan records them as seen, not changed.
func TestAgeTextsStableFromDayToDay(t *testing.T) {
	stopped := time.Date(2026, 1, 3, 10, 0, 0, 0, time.UTC)
	created := time.Date(2024, 6, 1, 8, 0, 0, 0, time.UTC)
	state := func(age int) *State {
		return &State{AccountID: "111122223333", Region: "eu-west-1",
			Instances: []*Instance{{ID: "i-1", State: "stopped", StoppedDays: 40 + age, StoppedAt: &stopped}},
			Snapshots: []*Snapshot{{ID: "snap-1", AgeDays: 400 + age, CreatedAt: &created}}}
	}
	for _, id := range []string{"ec2_instance_stopped_older_than_specific_days", "ec2_ebs_snapshot_older_than_specific_days"} {
		var c *check
		for _, x := range allChecks() {
			if x.Meta.ID == id {
				c = &x
			}
		}
		if c == nil {
			t.Fatalf("no check %s", id)
		}
		today, tomorrow := c.Eval(state(0)), c.Eval(state(1))
		if len(today) != 1 || len(tomorrow) != 1 {
			t.Fatalf("%s: %d and %d rows, want 1", id, len(today), len(tomorrow))
		}
		if today[0].StatusExtended != tomorrow[0].StatusExtended {
			t.Errorf("%s: %q, the next day %q; want the same text", id, today[0].StatusExtended, tomorrow[0].StatusExtended)
		}
		if !strings.Contains(today[0].StatusExtended, "on 2026-01-03") && !strings.Contains(today[0].StatusExtended, "on 2024-06-01") {
			t.Errorf("%s: %q names no date", id, today[0].StatusExtended)
		}
	}
}
