package pipeline_test

import (
	"context"
	"encoding/json"
	"sort"
	"testing"
	"time"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/internal/scantest"
	"github.com/rampart-cspm/rampart/mutelist"
)

// A mutelist entry mutes the findings it matches: they are kept, still
// failing, with muted set and the entry's reason; the filter can leave
// them out; other accounts are untouched; once the entry expires the next
// scan unmutes them; and reindex reproduces every row.
func TestMutelistKeepsMutedFindings(t *testing.T) {
	h := scantest.Start(t, smallEstate(t), scantest.Options{})
	h.Scan(t)
	// The entry below mutes userMFA in prod only; every other failure is
	// the control group.
	isTarget := func(f rampart.Finding) bool { return f.AccountID == prod && f.ControlID == userMFA }
	fails := h.Findings(t, rampart.FindingFilter{Statuses: []rampart.Status{rampart.StatusFail}})
	var targets, others int
	for _, f := range fails {
		if f.Muted {
			t.Fatalf("finding %s muted without a mutelist", f.FindingID)
		}
		if isTarget(f) {
			targets++
		} else {
			others++
		}
	}
	if targets == 0 || others == 0 {
		t.Fatalf("want %s failures in %s and other failures, got %d and %d", userMFA, prod, targets, others)
	}

	expires := h.Clock.Now().Add(2 * time.Hour).Format(time.RFC3339)
	l, err := mutelist.Parse([]byte(`Mutelist:
  Accounts:
    "`+prod+`":
      Checks:
        "iam_user_mfa_*":
          Regions: ["global"]
          Resources: ["*"]
          Expires: `+expires+`
          Reason: "console users are break-glass, ticket SEC-7"
`), "mutelist.yaml")
	if err != nil {
		t.Fatal(err)
	}
	h.Engine.Mutelist = l
	h.Clock.Advance(time.Hour)
	h.Scan(t)

	all := h.Findings(t, rampart.FindingFilter{Statuses: []rampart.Status{rampart.StatusFail}})
	if len(all) != len(fails) {
		t.Fatalf("%d failures after muting, want all %d kept", len(all), len(fails))
	}
	var target rampart.Finding
	for _, f := range all {
		want := isTarget(f)
		if want {
			target = f
		}
		if f.Muted != want || (want && f.MuteReason != "console users are break-glass, ticket SEC-7") ||
			(!want && f.MuteReason != "") {
			t.Errorf("%s %s in %s: muted=%v reason=%q, want muted=%v", f.ControlID, f.ResourceID, f.AccountID, f.Muted, f.MuteReason, want)
		}
		if f.ResolvedAt != nil && want {
			t.Errorf("%s: muting resolved the finding", f.FindingID)
		}
	}
	visible := h.Findings(t, rampart.FindingFilter{Statuses: []rampart.Status{rampart.StatusFail}, ExcludeMuted: true})
	if len(visible) != others {
		t.Errorf("ExcludeMuted left %d rows, want the %d unmuted ones", len(visible), others)
	}
	for _, f := range visible {
		if f.Muted {
			t.Errorf("ExcludeMuted returned muted row %s", f.FindingID)
		}
	}

	// The entry expires: the next scan shows the findings unmuted again.
	h.Clock.Advance(2 * time.Hour)
	h.Scan(t)
	for _, f := range h.Findings(t, rampart.FindingFilter{}) {
		if f.Muted || f.MuteReason != "" {
			t.Errorf("%s still muted after the entry expired", f.FindingID)
		}
	}
	events, err := h.Store.ListFindingEvents(context.Background(), target.FindingID)
	if err != nil {
		t.Fatal(err)
	}
	mutedSnapshots := 0
	for _, ev := range events {
		if ev.Snapshot != nil && ev.Snapshot.Muted {
			mutedSnapshots++
		}
	}
	if mutedSnapshots != 1 {
		t.Errorf("%d event snapshots of %s record the mute, want 1 (muted, then unmuted)", mutedSnapshots, target.FindingID)
	}

	dump := func() string {
		list := h.Findings(t, rampart.FindingFilter{})
		sort.Slice(list, func(i, j int) bool { return list[i].FindingID < list[j].FindingID })
		b, _ := json.Marshal(list)
		return string(b)
	}
	// Reindex reproduces muted rows too: mute again and compare.
	h.Engine.Mutelist = mustParse(t, `Mutelist:
  Accounts:
    "*":
      Checks:
        "*":
          Regions: ["*"]
          Resources: ["*"]
          Reason: "everything, for the reindex test"
`)
	h.Clock.Advance(time.Hour)
	h.Scan(t)
	pre := dump()
	if n := len(h.Findings(t, rampart.FindingFilter{ExcludeMuted: true})); n != 0 {
		t.Fatalf("%d rows unmuted under a mute-everything list", n)
	}
	n, err := h.Store.Reindex(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if post := dump(); post != pre || n == 0 {
		t.Errorf("reindex of %d rows changed the findings table", n)
	}
}

func mustParse(t *testing.T, src string) *mutelist.List {
	t.Helper()
	l, err := mutelist.Parse([]byte(src), "mutelist.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return l
}
