package rampart_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/rampart-cspm/rampart"
)

func TestMergeSources(t *testing.T) {
	tests := []struct {
		a, b, want []string
	}{
		{nil, nil, nil},
		{[]string{""}, nil, nil},
		{[]string{"prowler"}, []string{"native"}, []string{"native", "prowler"}},
		{[]string{"native", "native"}, []string{"native"}, []string{"native"}},
	}
	for _, tt := range tests {
		if got := rampart.MergeSources(tt.a, tt.b); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("MergeSources(%q, %q) = %q, want %q", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestObserveMergesSources(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	obs := rampart.Finding{FindingID: "f", Status: rampart.StatusFail, Sources: []string{rampart.SourceNative}}
	row, evs := rampart.Observe(nil, obs, "u", t0)
	if evs[0].Type != rampart.EventDetected {
		t.Fatalf("first event = %s", evs[0].Type)
	}
	p := obs
	p.Sources = []string{rampart.SourceProwler}
	row, evs = rampart.Observe(row, p, "u", t0.Add(time.Hour))
	if evs[0].Type != rampart.EventChanged || !reflect.DeepEqual(row.Sources, []string{"native", "prowler"}) {
		t.Fatalf("prowler observation: event %s, sources %q; want changed, [native prowler]", evs[0].Type, row.Sources)
	}
	row, evs = rampart.Observe(row, obs, "u", t0.Add(2*time.Hour))
	if evs[0].Type != rampart.EventSeen || !reflect.DeepEqual(row.Sources, []string{"native", "prowler"}) {
		t.Fatalf("native again: event %s, sources %q; want seen, both kept", evs[0].Type, row.Sources)
	}
}
