package storetest

import (
	"context"
	"reflect"
	"testing"

	"github.com/rampart-cspm/rampart"
)

// testMuted: a muted finding keeps muted and mute_reason through the row
// and the event snapshot, ExcludeMuted leaves it out, Reindex reproduces
// it, and unmuting it later is a changed event.
func testMuted(t *testing.T, s rampart.Store) {
	ctx := context.Background()
	e := newEnv(t, s)
	mk := func(muted bool) func(scanID string) []rampart.Finding {
		return func(scanID string) []rampart.Finding {
			a := finding(scanID, acct1, euWest1, "s3", "bucket-muted", ctlS3Pub, rampart.StatusFail)
			if muted {
				a.Muted, a.MuteReason = true, "accepted risk RISK-1"
			}
			b := finding(scanID, acct1, euWest1, "s3", "bucket-open", ctlS3Pub, rampart.StatusFail)
			return []rampart.Finding{a, b}
		}
	}
	e.run(1, acct1, euWest1, rampart.UnitSucceeded, s3Only(), mk(true))
	id := finding("", acct1, euWest1, "s3", "bucket-muted", ctlS3Pub, rampart.StatusFail).FindingID
	got := e.get(id)
	if !got.Muted || got.MuteReason != "accepted risk RISK-1" || got.Status != rampart.StatusFail {
		t.Fatalf("stored row muted=%v reason=%q status=%s, want a muted failure with its reason", got.Muted, got.MuteReason, got.Status)
	}
	if evs := e.events(id); len(evs) != 1 || evs[0].Snapshot == nil || !evs[0].Snapshot.Muted || evs[0].Snapshot.MuteReason != got.MuteReason {
		t.Fatalf("detected event does not carry the mute: %+v", evs)
	}
	visible, err := s.ListFindings(ctx, rampart.FindingFilter{ExcludeMuted: true})
	must(t, err)
	if len(visible) != 1 || visible[0].ResourceID != "bucket-open" {
		t.Fatalf("ExcludeMuted listed %d rows, want only bucket-open", len(visible))
	}
	if n := len(e.all()); n != 2 {
		t.Fatalf("%d rows in all, want the muted one kept", n)
	}
	before := e.all()
	if _, err := s.Reindex(ctx); err != nil {
		t.Fatal(err)
	}
	if after := e.all(); !reflect.DeepEqual(before, after) {
		t.Fatalf("Reindex changed muted rows\nbefore %+v\n after %+v", before, after)
	}
	_, stats := e.run(2, acct1, euWest1, rampart.UnitSucceeded, s3Only(), mk(false))
	if stats.Changed != 1 || stats.Seen != 1 {
		t.Fatalf("unmuting: stats %+v, want one changed and one seen", stats)
	}
	if got := e.get(id); got.Muted || got.MuteReason != "" {
		t.Fatalf("row still muted after the mute was lifted: %+v", got)
	}
}
