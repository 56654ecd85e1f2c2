// Package risk turns a finding's technical severity and its business
// context into an explainable risk score from 0 to 100. Every factor that
// moves the score is named in risk_reason with its contribution, so the
// reason always sums to the score.
//
// This first version scores severity only; business-context enrichment
// (production, exposure, data sensitivity, compensating controls, age
// against SLA) layers on top of the same Factor list.
package risk

import (
	"fmt"
	"strings"

	"github.com/rampart-cspm/rampart"
)

// Factor is one named contribution to a score.
type Factor struct {
	Name   string
	Points int
}

// SeverityBase is the starting score of a failing finding per severity.
var SeverityBase = map[rampart.Severity]int{
	rampart.SeverityCritical:      70,
	rampart.SeverityHigh:          50,
	rampart.SeverityMedium:        30,
	rampart.SeverityLow:           15,
	rampart.SeverityInformational: 5,
}

// Score returns the score and reason of f. Only FAIL findings carry risk;
// other statuses score 0 and say why.
func Score(f *rampart.Finding) (int, string) {
	if f.Status != rampart.StatusFail {
		return 0, fmt.Sprintf("status %s: no risk", f.Status)
	}
	factors := []Factor{{Name: "severity " + string(f.Severity), Points: SeverityBase[f.Severity]}}
	return Explain(factors)
}

// Explain sums factors, clamped to [0,100], and renders them as a reason
// such as "severity high +50; production +20". When clamping changes the
// sum, the clamp is itself a factor, so the reason still sums to the score.
func Explain(factors []Factor) (int, string) {
	sum := 0
	for _, f := range factors {
		sum += f.Points
	}
	clamped := min(max(sum, 0), 100)
	if clamped != sum {
		factors = append(factors, Factor{Name: "capped to 0..100", Points: clamped - sum})
	}
	parts := make([]string, 0, len(factors))
	for _, f := range factors {
		parts = append(parts, fmt.Sprintf("%s %+d", f.Name, f.Points))
	}
	return clamped, strings.Join(parts, "; ")
}
