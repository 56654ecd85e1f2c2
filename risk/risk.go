// Package risk turns a finding's technical severity and its business
// context into an explainable risk score from 0 to 100.
//
// Enrichment (Policy.Enrich) derives a finding's context from the facts
// its check reported (rampart.Finding.Context: "public", "admin",
// "subnet", "public_ip" and the resource's tags as "tag:<key>"), its
// account and its landing zone: environment, internet exposure, data
// sensitivity, privilege, compensating controls, owner (resource tag →
// account override → account owner → landing-zone owner), age, SLA and
// due date. Scoring adds the severity base and every rule of the policy
// whose CEL condition holds; every factor is named in risk_reason with its
// points, so the reason always sums to the score. The rules live in a
// versioned policy file (the embedded default is policy.yaml) that a team
// can override per landing zone.
package risk

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rampart-cspm/rampart"
)

// Factor is one named contribution to a score.
type Factor struct {
	Name   string
	Points int
}

// Fact keys a check may report in checks.Result.Context (and that end up
// in rampart.Finding.Context). Tags are stored under TagPrefix + key.
const (
	FactPublic   = "public"    // "true": reachable from the internet
	FactAdmin    = "admin"     // "true": admin or wildcard permissions attached
	FactSubnet   = "subnet"    // "public" or "private": where the attached resources sit
	FactPublicIP = "public_ip" // "true"/"false": attached to something with a public IP
	TagPrefix    = "tag:"
)

// Owner sources, in resolution order.
const (
	OwnerFromTag             = "tag"
	OwnerFromAccountOverride = "account_override"
	OwnerFromAccount         = "account"
	OwnerFromLandingZone     = "landing_zone"
)

// Input is what enrichment needs besides the finding itself.
type Input struct {
	LandingZone rampart.LandingZone // zero: unknown; the finding's own fields are kept
	Account     rampart.Account     // zero: unknown
	// Now is the evaluation time: ages and overdue status are measured
	// against it.
	Now time.Time
	// FirstSeen is the finding's first_seen_at; zero for a finding seen for
	// the first time at Now.
	FirstSeen time.Time
}

// Score returns the score and reason of f under the default policy, using
// f's own context fields and no age. It is what callers without a landing
// zone (ingest of third-party findings) use.
func Score(f *rampart.Finding) (int, string) {
	g := *f
	DefaultPolicy().Enrich(&g, Input{Now: f.LastSeenAt, FirstSeen: f.FirstSeenAt})
	return g.RiskScore, g.RiskReason
}

// Enrich derives f's business context from f.Context and in, then scores
// it: it sets Environment, OwnerTeam, OwnerSource, Public,
// DataSensitivity, Privileged, CompensatingControls, DueAt, RiskScore,
// RiskReason and RiskLevel. Only FAIL findings carry risk; others score 0
// and say why.
func (p *Policy) Enrich(f *rampart.Finding, in Input) {
	c := p.context(f, in)
	f.Environment, f.OwnerTeam, f.OwnerSource = c.environment, c.owner, c.ownerSource
	f.Public, f.DataSensitivity, f.Privileged = c.public, c.sensitivity, c.privileged
	f.CompensatingControls = c.compensating
	f.DueAt = nil
	if len(f.Context) == 0 {
		f.Context = nil
	}
	if f.Status != rampart.StatusFail {
		f.RiskScore, f.RiskReason, f.RiskLevel = 0, fmt.Sprintf("status %s: no risk", f.Status), ""
		return
	}
	if c.slaDays > 0 && !c.firstSeen.IsZero() {
		due := c.firstSeen.Add(time.Duration(c.slaDays) * 24 * time.Hour).UTC()
		f.DueAt = &due
	}
	rs := p.rulesFor(f.LandingZoneID)
	factors := []Factor{{Name: "severity " + string(f.Severity), Points: rs.severity[f.Severity]}}
	vars := c.vars(f)
	for _, r := range rs.rules {
		if r.points == 0 && r.label == nil {
			continue
		}
		out, _, err := r.when.Eval(vars)
		if err != nil {
			// A rule that cannot evaluate on this finding (e.g. a missing
			// map key) does not apply; it never aborts scoring.
			continue
		}
		if ok, _ := out.Value().(bool); !ok {
			continue
		}
		name := r.name
		if r.label != nil {
			if v, _, err := r.label.Eval(vars); err == nil {
				if s, ok := v.Value().(string); ok && s != "" {
					name = s
				}
			}
		}
		factors = append(factors, Factor{Name: name, Points: r.points})
	}
	f.RiskScore, f.RiskReason = Explain(factors)
	f.RiskLevel = rs.level(f.RiskScore)
}

// Level returns the risk level of score in landing zone lz's rules.
func (p *Policy) Level(lz string, score int) string { return p.rulesFor(lz).level(score) }

func (rs *ruleSet) level(score int) string {
	for _, l := range rs.levels {
		if score >= l.min {
			return l.name
		}
	}
	return "low"
}

func (p *Policy) rulesFor(lz string) *ruleSet {
	if rs, ok := p.perLZ[lz]; ok {
		return rs
	}
	return &p.base
}

// findingContext is a finding's derived context.
type findingContext struct {
	environment, owner, ownerSource, sensitivity string
	public, privileged                           bool
	compensating                                 []string
	tags                                         map[string]string
	firstSeen                                    time.Time
	ageDays, slaDays                             int
}

func (p *Policy) context(f *rampart.Finding, in Input) findingContext {
	c := findingContext{tags: map[string]string{}}
	for k, v := range f.Context {
		if t, ok := strings.CutPrefix(k, TagPrefix); ok {
			c.tags[t] = v
		}
	}
	// Environment: resource tag, else the account's (its override or the
	// landing zone's default, as enumeration resolved it), else the LZ's.
	c.environment = firstNonEmpty(in.Account.Environment, in.LandingZone.Environment, f.Environment, "production")
	if v := p.tag(c.tags, p.tags.Environment); v != "" {
		if env, ok := p.environments[strings.ToLower(v)]; ok {
			c.environment = env
		}
	}
	c.owner, c.ownerSource = p.owner(f, in, c.tags)

	c.public = f.Context[FactPublic] == "true"
	c.privileged = f.Context[FactAdmin] == "true"
	if v := p.tag(c.tags, p.tags.DataClassification); v != "" {
		c.sensitivity = p.sensitivity[strings.ToLower(v)]
	}
	if f.Context[FactSubnet] == "private" {
		c.compensating = append(c.compensating, "private-subnet")
	}
	if f.Context[FactPublicIP] == "false" {
		c.compensating = append(c.compensating, "no-public-ip")
	}
	if v := strings.ToLower(p.tag(c.tags, p.tags.Access)); p.accessControl[v] {
		c.compensating = append(c.compensating, v)
	}
	slices.Sort(c.compensating)

	c.firstSeen = in.FirstSeen
	if c.firstSeen.IsZero() {
		c.firstSeen = in.Now
	}
	if !in.Now.IsZero() && in.Now.After(c.firstSeen) {
		c.ageDays = int(in.Now.Sub(c.firstSeen) / (24 * time.Hour))
	}
	c.slaDays = in.LandingZone.SLADays[f.Severity]
	if in.LandingZone.SLADays == nil {
		c.slaDays = p.base.slaDays[f.Severity]
	}
	return c
}

// owner resolves the owner: resource tag → account override → account
// owner → landing-zone owner.
func (p *Policy) owner(f *rampart.Finding, in Input, tags map[string]string) (string, string) {
	if v := p.tag(tags, p.tags.Owner); v != "" {
		return v, OwnerFromTag
	}
	lz, acct := in.LandingZone, in.Account
	if lz.ID == "" && acct.ID == "" {
		// Nothing known beyond the finding: keep what it says.
		if f.OwnerTeam != "" {
			return f.OwnerTeam, firstNonEmpty(f.OwnerSource, OwnerFromAccount)
		}
		return "", ""
	}
	if o, ok := lz.Accounts.Override(acct.ID); ok && o.OwnerTeam != "" {
		return o.OwnerTeam, OwnerFromAccountOverride
	}
	if acct.OwnerTeam != "" && acct.OwnerTeam != lz.OwnerTeam {
		return acct.OwnerTeam, OwnerFromAccount
	}
	if lz.OwnerTeam != "" {
		return lz.OwnerTeam, OwnerFromLandingZone
	}
	if acct.OwnerTeam != "" {
		return acct.OwnerTeam, OwnerFromAccount
	}
	return "", ""
}

// tag returns the value of the first of names found in tags, matching
// keys case-insensitively.
func (p *Policy) tag(tags map[string]string, names []string) string {
	for _, n := range names {
		if v, ok := tags[n]; ok && v != "" {
			return v
		}
		for k, v := range tags {
			if strings.EqualFold(k, n) && v != "" {
				return v
			}
		}
	}
	return ""
}

func (c findingContext) vars(f *rampart.Finding) map[string]any {
	facts := map[string]string{}
	for k, v := range f.Context {
		if !strings.HasPrefix(k, TagPrefix) {
			facts[k] = v
		}
	}
	comp := c.compensating
	if comp == nil {
		comp = []string{}
	}
	return map[string]any{
		"severity": string(f.Severity), "status": string(f.Status), "service": f.Service,
		"control_id": f.ControlID, "resource_type": f.ResourceType, "region": f.Region,
		"account_id": f.AccountID, "landing_zone_id": f.LandingZoneID,
		"environment": c.environment, "production": c.environment == "production",
		"public": c.public, "data_sensitivity": c.sensitivity, "privileged": c.privileged,
		"compensating": comp, "owner": c.owner, "owner_source": c.ownerSource,
		"age_days": int64(c.ageDays), "sla_days": int64(c.slaDays),
		"overdue": c.slaDays > 0 && c.ageDays > c.slaDays,
		"tags":    c.tags, "facts": facts,
	}
}

// Explain sums factors, clamped to [0,100], and renders them as a reason
// such as "severity high +35; production +15". When clamping changes the
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

func firstNonEmpty(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}
