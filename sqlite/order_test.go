package sqlite

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rampart-cspm/rampart"
)

// TestSortsPageInOrder pages through every order (keyset cursors, small
// pages) with and without the filters whose indexes follow the order, and
// compares the sequence with the same rows sorted here by the documented
// order.
func TestSortsPageInOrder(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	now := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	if err := s.GenerateDataset(ctx, GenerateOptions{Findings: 3000, Seed: 5, Now: now, LandingZones: 2, AccountsPerLZ: 6, Scans: 3}); err != nil {
		t.Fatal(err)
	}
	all, err := s.ListFindings(ctx, rampart.FindingFilter{})
	if err != nil {
		t.Fatal(err)
	}
	asc := func(a, b time.Time) int { return a.Compare(b) }
	orders := map[rampart.FindingSort]func(a, b *rampart.Finding) int{
		rampart.SortSeverity: func(a, b *rampart.Finding) int {
			return cmp.Or(-cmp.Compare(a.Severity.Rank(), b.Severity.Rank()), -cmp.Compare(a.RiskScore, b.RiskScore),
				asc(a.FirstSeenAt, b.FirstSeenAt), strings.Compare(a.FindingID, b.FindingID))
		},
		rampart.SortRisk: func(a, b *rampart.Finding) int {
			return cmp.Or(-cmp.Compare(a.RiskScore, b.RiskScore), asc(a.FirstSeenAt, b.FirstSeenAt), strings.Compare(a.FindingID, b.FindingID))
		},
		rampart.SortFirstSeen: func(a, b *rampart.Finding) int {
			return cmp.Or(asc(a.FirstSeenAt, b.FirstSeenAt), strings.Compare(a.FindingID, b.FindingID))
		},
		rampart.SortLastSeen: func(a, b *rampart.Finding) int {
			return cmp.Or(-asc(a.LastSeenAt, b.LastSeenAt), -strings.Compare(a.FindingID, b.FindingID))
		},
	}
	// ListFindings has the severity order.
	want := slices.Clone(all)
	slices.SortStableFunc(want, func(a, b rampart.Finding) int { return orders[rampart.SortSeverity](&a, &b) })
	if !slices.EqualFunc(all, want, func(a, b rampart.Finding) bool { return a.FindingID == b.FindingID }) {
		t.Error("ListFindings is not in the severity order")
	}
	ties := 0
	for i := 1; i < len(want); i++ {
		a, b := &want[i-1], &want[i]
		if a.Severity == b.Severity && a.RiskScore == b.RiskScore && !a.FirstSeenAt.Equal(b.FirstSeenAt) {
			ties++
		}
	}
	if ties < 10 {
		t.Fatalf("only %d neighbours tie on severity and risk with different first seen: the dataset does not test the tie-break", ties)
	}

	lz, acct := all[0].LandingZoneID, all[len(all)/2].AccountID
	for sort, order := range orders {
		for _, f := range []struct {
			name string
			q    rampart.FindingQuery
			keep func(*rampart.Finding) bool
		}{
			{"open", rampart.FindingQuery{State: rampart.StateOpen}, func(f *rampart.Finding) bool { return f.Open() }},
			{"all", rampart.FindingQuery{State: rampart.StateAll}, func(*rampart.Finding) bool { return true }},
			{"open, one landing zone", rampart.FindingQuery{State: rampart.StateOpen, LandingZones: []string{lz}},
				func(f *rampart.Finding) bool { return f.Open() && f.LandingZoneID == lz }},
			{"open, one account", rampart.FindingQuery{State: rampart.StateOpen, AccountIDs: []string{acct}},
				func(f *rampart.Finding) bool { return f.Open() && f.AccountID == acct }},
		} {
			t.Run(string(sort)+"/"+f.name, func(t *testing.T) {
				var want []string
				sorted := slices.Clone(all)
				slices.SortFunc(sorted, func(a, b rampart.Finding) int { return order(&a, &b) })
				for i := range sorted {
					if f.keep(&sorted[i]) {
						want = append(want, sorted[i].FindingID)
					}
				}
				q := f.q
				q.Sort, q.Limit = sort, 37
				var got []string
				for pages := 0; ; pages++ {
					if pages > len(all) {
						t.Fatal("the cursor does not advance")
					}
					page, err := s.QueryFindings(ctx, q)
					if err != nil {
						t.Fatal(err)
					}
					for _, f := range page.Findings {
						got = append(got, f.FindingID)
					}
					if page.Next == "" {
						break
					}
					q.Cursor = page.Next
				}
				if len(want) < 40 {
					t.Fatalf("%d rows: too few to page", len(want))
				}
				if !slices.Equal(got, want) {
					i := 0
					for i < len(got) && i < len(want) && got[i] == want[i] {
						i++
					}
					t.Errorf("%d rows, want %d; first difference at %d", len(got), len(want), i)
				}
			})
		}
	}
}

// TestSeenTouchesNoIndex checks the statement that records a seen event
// (scan_id and last_seen_at move) writes the row alone: no index of
// findings holds either column, so a rescan that sees every finding again
// rewrites no index entry. EXPLAIN lists the statement's bytecode, then
// the programs of its triggers (their addresses start again at 0; the
// summary triggers write only when a counted column changes, which a seen
// event never does); an index write is an IdxInsert or IdxDelete opcode.
func TestSeenTouchesNoIndex(t *testing.T) {
	s := mustOpen(t)
	n := 0
	for _, vals := range queryRows(t, s, `EXPLAIN `+touchFindingSQL, "scan", "t", "id") {
		if addr, _ := vals[0].(int64); n > 0 && addr == 0 {
			break // a trigger's program
		}
		n++
		if op, _ := vals[1].(string); op == "IdxInsert" || op == "IdxDelete" {
			t.Errorf("the seen statement writes an index: %v", vals)
		}
	}
	if n == 0 {
		t.Fatal("EXPLAIN returned no bytecode")
	}
}

// TestCursorOfAnotherSortVersionRefused: a cursor made before the
// severity order's columns changed (no "o", or other columns) is refused
// with EINVALID rather than read as a key of the new columns.
func TestCursorOfAnotherSortVersionRefused(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	if err := s.GenerateDataset(ctx, GenerateOptions{Findings: 200, Seed: 2, Now: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC),
		LandingZones: 1, AccountsPerLZ: 2, Scans: 1}); err != nil {
		t.Fatal(err)
	}
	q := rampart.FindingQuery{Sort: rampart.SortSeverity, Limit: 10}
	page, err := s.QueryFindings(ctx, q)
	if err != nil || page.Next == "" {
		t.Fatalf("first page: next %q, %v", page.Next, err)
	}
	q.Cursor = page.Next
	if _, err := s.QueryFindings(ctx, q); err != nil {
		t.Fatalf("the current cursor: %v", err)
	}
	last := page.Findings[len(page.Findings)-1]
	for name, c := range map[string]cursor{
		"before 0008": {Sort: rampart.SortSeverity, Key: []any{last.Severity.Rank(), last.RiskScore, formatTime(last.LastSeenAt), last.FindingID}, Filter: filterHash(q)},
		"other columns": {Sort: rampart.SortSeverity, Cols: "severity_rank,risk_score,last_seen_at,finding_id",
			Key: []any{last.Severity.Rank(), last.RiskScore, formatTime(last.LastSeenAt), last.FindingID}, Filter: filterHash(q)},
	} {
		q.Cursor = encodeCursor(c)
		_, err := s.QueryFindings(ctx, q)
		if rampart.ErrorCode(err) != rampart.EINVALID || !strings.Contains(err.Error(), "another version of this sort") {
			t.Errorf("%s: got %v, want EINVALID naming the sort's version", name, err)
		}
	}
}
