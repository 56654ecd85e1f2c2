package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/checks"
	"github.com/rampart-cspm/rampart/risk"
)

// primaryFramework is the framework whose requirement fills a finding's
// framework/requirement_id when a check maps to several.
var primaryFrameworks = []string{"CIS-5.0", "PCI-4.0", "SOC2", "NIST-800-53-r5", "ISO27001-2022"}

// Muter mutes the findings a mutelist matches at now (mutelist.List):
// it sets Muted and MuteReason and never drops a finding.
type Muter interface {
	Apply(f *rampart.Finding, now time.Time) bool
}

// result assembles a unit's result: normalized findings, service records
// and the raw artifact.
func (r *run) result(lr *lzRun, acct rampart.Account, u rampart.ScanUnit, outs []modOutcome,
	state rampart.UnitState, class rampart.ErrorClass, msg string) rampart.UnitResult {
	e := r.e
	now := e.Now().UTC()
	u.State, u.ErrorClass, u.Error, u.FinishedAt = state, class, msg, now

	res := rampart.UnitResult{Unit: u, At: now}
	policy, firstSeen := r.riskInputs(lr, u)
	raw := map[string]json.RawMessage{}
	for _, o := range outs {
		res.Unit.Services = append(res.Unit.Services, o.res.Service)
		if len(o.res.Raw) > 0 && json.Valid(o.res.Raw) {
			raw[o.mod.Name()] = o.res.Raw
		}
		for _, co := range o.res.Checks {
			for _, cr := range co.Results {
				service := co.Meta.Service
				if service == "" {
					service = o.mod.Name()
				}
				f := Normalize(lr.lz, acct, u, service, co.Meta, cr)
				// Score at the observation time with the finding's age, so
				// the row matches what "rampart rescore" computes.
				policy.Enrich(&f, risk.Input{LandingZone: lr.lz, Account: acct, Now: now, FirstSeen: firstSeen[f.FindingID]})
				if e.Mutelist != nil {
					e.Mutelist.Apply(&f, now)
				}
				res.Findings = append(res.Findings, f)
			}
		}
	}
	res.Unit.Findings = len(res.Findings)

	if len(raw) > 0 && e.Artifacts != nil {
		art, err := r.putRaw(u, raw)
		if err != nil {
			e.Logger.Error("raw artifact not stored", "unit", u.ID, "error", err)
			if res.Unit.Error != "" {
				res.Unit.Error += "; "
			}
			res.Unit.Error += "raw evidence not stored: " + err.Error()
		} else {
			res.Artifacts = append(res.Artifacts, art)
		}
	}
	return res
}

// firstSeenCache holds the first_seen_at of an account's stored findings,
// loaded by the first of the account's units to need it.
type firstSeenCache struct {
	mu     sync.Mutex
	loaded bool
	first  map[string]time.Time
}

// riskInputs returns the risk policy in force and the first_seen_at of the
// account's stored findings. The findings are read once per account and
// run, not once per unit (each read decodes every row of the account):
// what this run's other units of the account commit meanwhile only adds
// findings first seen in this run, which score as new either way. A failed
// lookup is logged, scores this unit's findings as new and is tried again
// by the account's next unit.
func (r *run) riskInputs(lr *lzRun, u rampart.ScanUnit) (*risk.Policy, map[string]time.Time) {
	policy := risk.DefaultPolicy()
	if r.e.Risk != nil {
		policy = r.e.Risk.Policy()
	}
	key := accountKey(lr.lz.ID, u.AccountID)
	r.mu.Lock()
	c, ok := r.firstSeen[key]
	if !ok {
		c = &firstSeenCache{}
		r.firstSeen[key] = c
	}
	r.mu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.loaded {
		return policy, c.first
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rows, err := r.e.Store.ListFindings(ctx, rampart.FindingFilter{LandingZoneID: lr.lz.ID, AccountID: u.AccountID})
	if err != nil {
		r.e.Logger.Warn("risk: first-seen lookup failed; ages start now", "unit", u.ID, "error", err)
		return policy, nil
	}
	c.first = make(map[string]time.Time, len(rows))
	for _, f := range rows {
		c.first[f.FindingID] = f.FirstSeenAt
	}
	c.loaded = true
	return policy, c.first
}

func (r *run) putRaw(u rampart.ScanUnit, raw map[string]json.RawMessage) (rampart.Artifact, error) {
	doc := struct {
		ScanID    string                     `json:"scan_id"`
		UnitID    string                     `json:"unit_id"`
		AccountID string                     `json:"account_id"`
		Region    string                     `json:"region"`
		Modules   map[string]json.RawMessage `json:"modules"`
	}{u.ScanID, u.ID, u.AccountID, u.Region, raw}
	body, err := json.Marshal(doc)
	if err != nil {
		return rampart.Artifact{}, fmt.Errorf("encode raw output of %s: %w", u.ID, err)
	}
	// A fresh context: evidence of a unit that hit its deadline is kept.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	key := fmt.Sprintf("native/%s/%s/%s.json", u.ScanID, u.AccountID, u.Region)
	art, err := r.e.Artifacts.Put(ctx, key, "application/json", bytes.NewReader(body))
	if err != nil {
		return rampart.Artifact{}, fmt.Errorf("put %s: %w", key, err)
	}
	art.ID = u.ID + "/native-raw"
	art.ScanID, art.UnitID, art.Kind = u.ScanID, u.ID, "native-raw"
	if art.CreatedAt.IsZero() {
		art.CreatedAt = r.e.Now().UTC()
	}
	return art, nil
}

// Normalize maps one check result into the shared finding schema, with its
// owner, environment, baseline risk and stable finding_id.
func Normalize(lz rampart.LandingZone, acct rampart.Account, u rampart.ScanUnit, service string, m checks.Meta, cr checks.Result) rampart.Finding {
	region := cr.Region
	if region == "" {
		region = u.Region
	}
	rtype := cr.ResourceType
	if rtype == "" {
		rtype = m.ResourceType
	}
	name := cr.ResourceName
	if name == "" {
		name = cr.ResourceID
	}
	owner, env := acct.OwnerTeam, acct.Environment
	if owner == "" {
		owner = lz.OwnerTeam
	}
	if env == "" {
		env = lz.Environment
	}
	remediation := m.Remediation
	if m.RemediationURL != "" {
		remediation += " (" + m.RemediationURL + ")"
	}
	f := rampart.Finding{
		ScanID: u.ScanID, LandingZoneID: u.LandingZoneID, AccountID: u.AccountID, AccountName: acct.Name,
		Region: region, CloudProvider: rampart.CloudAWS,
		ResourceID: cr.ResourceID, ResourceType: rtype, ResourceName: name, Service: service,
		ControlID: m.ID, Title: m.Title, Severity: m.Severity, Status: cr.Status, Remediation: remediation,
		OwnerTeam: owner, BusinessUnit: firstNonEmpty(acct.BusinessUnit, lz.BusinessUnit), Environment: env,
		StatusExtended: cr.StatusExtended, ErrorClass: cr.ErrorClass, Scope: u.Region,
		Sources: []string{rampart.SourceNative}, Context: findingContext(cr),
	}
	f.Framework, f.RequirementID = primaryMapping(m.Compliance)
	f.ComputeID()
	risk.DefaultPolicy().Enrich(&f, risk.Input{LandingZone: lz, Account: acct})
	return f
}

// findingContext merges a result's facts and its tags ("tag:<key>") into a
// finding's context; nil when there is none.
func findingContext(cr checks.Result) map[string]string {
	if len(cr.Context) == 0 && len(cr.Tags) == 0 {
		return nil
	}
	out := make(map[string]string, len(cr.Context)+len(cr.Tags))
	for k, v := range cr.Context {
		out[k] = v
	}
	for k, v := range cr.Tags {
		out[risk.TagPrefix+k] = v
	}
	return out
}

func primaryMapping(ms []checks.Mapping) (string, string) {
	for _, fw := range primaryFrameworks {
		for _, m := range ms {
			if m.Framework == fw {
				return m.Framework, m.Requirement
			}
		}
	}
	if len(ms) > 0 {
		return ms[0].Framework, ms[0].Requirement
	}
	return "", ""
}

func firstNonEmpty(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}
