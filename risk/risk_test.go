package risk_test

import (
	"regexp"
	"strconv"
	"testing"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/risk"
)

var points = regexp.MustCompile(`([+-]\d+)(?:;|$)`)

// sumReason adds up the signed numbers that end each factor of a reason.
func sumReason(t *testing.T, reason string) int {
	t.Helper()
	total := 0
	for _, m := range points.FindAllStringSubmatch(reason, -1) {
		n, err := strconv.Atoi(m[1])
		if err != nil {
			t.Fatal(err)
		}
		total += n
	}
	return total
}

func TestScoreSumsToReason(t *testing.T) {
	for _, sev := range rampart.Severities {
		for _, st := range rampart.Statuses {
			f := rampart.Finding{Severity: sev, Status: st}
			score, reason := risk.Score(&f)
			if st != rampart.StatusFail {
				if score != 0 {
					t.Errorf("%s %s: score %d, want 0", sev, st, score)
				}
				continue
			}
			if got := sumReason(t, reason); got != score {
				t.Errorf("%s: reason %q sums to %d, score %d", sev, reason, got, score)
			}
		}
	}
}

func TestSeverityOrdersScores(t *testing.T) {
	prev := 101
	for _, sev := range rampart.Severities {
		s, _ := risk.Score(&rampart.Finding{Severity: sev, Status: rampart.StatusFail})
		if s >= prev {
			t.Errorf("%s scores %d, not below the more severe %d", sev, s, prev)
		}
		prev = s
	}
}

func TestExplainClamps(t *testing.T) {
	tests := []struct {
		factors []risk.Factor
		want    int
	}{
		{[]risk.Factor{{"a", 80}, {"b", 40}}, 100},
		{[]risk.Factor{{"a", 10}, {"b", -40}}, 0},
		{[]risk.Factor{{"a", 10}, {"b", 5}}, 15},
	}
	for _, tt := range tests {
		got, reason := risk.Explain(tt.factors)
		if got != tt.want || sumReason(t, reason) != tt.want {
			t.Errorf("Explain(%v) = %d, %q; want %d and a reason that sums to it", tt.factors, got, reason, tt.want)
		}
	}
}
