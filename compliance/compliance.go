// Package compliance reports, per framework requirement, the native checks
// mapped to it and what the stored findings say about them, per landing
// zone and account: pass, fail, muted, not evaluated, manual, and the
// mapped checks with no finding at all ("no evidence").
//
// It never computes a "% compliant" score. A requirement no Rampart check
// maps to is reported as "no automated evidence", and the report's
// coverage is the number of requirements with evidence out of all the
// framework's requirements, shown beside the counts.
//
// The requirement lists (ids and sections) are embedded from
// requirements/*.tsv; which checks give evidence for a requirement comes
// from the checks' own metadata (checks.Meta.Compliance).
package compliance

import (
	"bufio"
	"bytes"
	"context"
	"embed"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/checks"
)

//go:embed requirements/*.tsv
var requirementFS embed.FS

// Framework is one compliance framework at one version.
type Framework struct {
	Name    string `json:"framework"` // as in checks.Mapping, e.g. "CIS-5.0"
	Title   string `json:"title"`
	Version string `json:"version"`
	// Requirements in the framework's order.
	Requirements []Requirement `json:"-"`
}

// Requirement is one requirement of a framework.
type Requirement struct {
	ID      string
	Section string
}

var frameworks = []Framework{
	{Name: "CIS-5.0", Title: "CIS Amazon Web Services Foundations Benchmark", Version: "5.0"},
	{Name: "SOC2", Title: "SOC 2 Trust Services Criteria", Version: "2017"},
	{Name: "PCI-4.0", Title: "PCI DSS", Version: "4.0"},
	{Name: "NIST-800-53-r5", Title: "NIST SP 800-53", Version: "Revision 5"},
	{Name: "ISO27001-2022", Title: "ISO/IEC 27001", Version: "2022"},
}

// Frameworks returns the names of the frameworks with embedded
// requirement lists.
func Frameworks() []string {
	out := make([]string, len(frameworks))
	for i, f := range frameworks {
		out[i] = f.Name
	}
	return out
}

// LookupFramework returns a framework and its requirements, or an
// EINVALID error naming the known frameworks.
func LookupFramework(name string) (Framework, error) {
	for _, f := range frameworks {
		if strings.EqualFold(f.Name, name) {
			reqs, err := loadRequirements(f.Name)
			if err != nil {
				return Framework{}, err
			}
			f.Requirements = reqs
			return f, nil
		}
	}
	return Framework{}, rampart.Errorf(rampart.EINVALID, "unknown framework %q (want one of %s)", name, strings.Join(Frameworks(), ", "))
}

func loadRequirements(name string) ([]Requirement, error) {
	data, err := requirementFS.ReadFile("requirements/" + name + ".tsv")
	if err != nil {
		return nil, fmt.Errorf("compliance: requirements of %s: %w", name, err)
	}
	var out []Requirement
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		t := sc.Text()
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		id, section, ok := strings.Cut(t, "\t")
		if !ok || id == "" {
			return nil, fmt.Errorf("compliance: requirements/%s.tsv:%d: want \"id<TAB>section\"", name, line)
		}
		out = append(out, Requirement{ID: id, Section: section})
	}
	return out, sc.Err()
}

// Evidence states of a requirement.
const (
	// EvidenceNoAutomated: no Rampart check maps to the requirement; it
	// needs manual evidence.
	EvidenceNoAutomated = "no_automated_evidence"
	// EvidenceNoFindings: checks map to it, but none produced a finding in
	// the scope (not scanned, or no resource of that type).
	EvidenceNoFindings = "no_findings"
	// EvidenceFindings: at least one mapped check produced a finding.
	EvidenceFindings = "findings"
)

// Counts are finding rows of a requirement's mapped checks by status.
// Fail counts unmuted failures; Muted counts failures a mutelist muted.
// NoEvidence counts mapped checks with no row at all in the scope.
type Counts struct {
	Pass         int `json:"pass"`
	Fail         int `json:"fail"`
	Muted        int `json:"muted"`
	NotEvaluated int `json:"not_evaluated"`
	Manual       int `json:"manual"`
	NoEvidence   int `json:"no_evidence"`
}

func (c *Counts) add(f *rampart.Finding) {
	switch {
	case f.Status == rampart.StatusFail && f.Muted:
		c.Muted++
	case f.Status == rampart.StatusFail:
		c.Fail++
	case f.Status == rampart.StatusPass:
		c.Pass++
	case f.Status == rampart.StatusNotEvaluated:
		c.NotEvaluated++
	case f.Status == rampart.StatusManual:
		c.Manual++
	}
}

func (c Counts) rows() int { return c.Pass + c.Fail + c.Muted + c.NotEvaluated + c.Manual }

// AccountCounts are a requirement's counts in one account of one LZ.
type AccountCounts struct {
	LandingZoneID string `json:"landing_zone_id"`
	AccountID     string `json:"account_id"`
	AccountName   string `json:"account_name"`
	Counts
}

// RequirementReport is one requirement's evidence.
type RequirementReport struct {
	ID       string          `json:"id"`
	Section  string          `json:"section"`
	Checks   []string        `json:"checks"` // mapped native checks, sorted; empty when none
	Evidence string          `json:"evidence"`
	Counts   Counts          `json:"counts"` // over the whole scope
	Accounts []AccountCounts `json:"accounts"`
}

// Coverage is how many requirements have automated evidence. It is a
// statement about evidence, not about compliance.
type Coverage struct {
	Requirements int `json:"requirements"`  // all the framework's requirements
	Mapped       int `json:"mapped"`        // with at least one mapped check
	WithEvidence int `json:"with_evidence"` // with at least one finding in the scope
}

// Report is a framework's evidence in a scope.
type Report struct {
	Framework    string              `json:"framework"`
	Title        string              `json:"title"`
	Version      string              `json:"version"`
	Scope        Filter              `json:"scope"`
	Coverage     Coverage            `json:"coverage"`
	Totals       Counts              `json:"totals"`
	Requirements []RequirementReport `json:"requirements"`
}

// Filter narrows the findings a report reads. Zero values select all.
type Filter struct {
	LandingZoneID string `json:"landing_zone_id,omitempty"`
	AccountID     string `json:"account_id,omitempty"`
}

// FindingLister is the part of rampart.Store a report reads.
type FindingLister interface {
	ListFindings(ctx context.Context, f rampart.FindingFilter) ([]rampart.Finding, error)
}

// Summarize reports framework's requirements over the findings in store
// that filter selects, with the check mappings of checks (the registry's
// AllChecks). Rows of resources that disappeared (resolved failures) are
// left out: they are no longer evidence of anything. Accounts are those
// with at least one finding of any check in the scope.
func Summarize(ctx context.Context, store FindingLister, checkMetas []checks.Meta, framework string, filter Filter) (Report, error) {
	fw, err := LookupFramework(framework)
	if err != nil {
		return Report{}, err
	}
	rows, err := store.ListFindings(ctx, rampart.FindingFilter{LandingZoneID: filter.LandingZoneID, AccountID: filter.AccountID})
	if err != nil {
		return Report{}, fmt.Errorf("compliance %s: list findings: %w", fw.Name, err)
	}

	// requirement -> mapped checks
	mapped := map[string][]string{}
	for _, m := range checkMetas {
		for _, c := range m.Compliance {
			if c.Framework == fw.Name && !slices.Contains(mapped[c.Requirement], m.ID) {
				mapped[c.Requirement] = append(mapped[c.Requirement], m.ID)
			}
		}
	}

	type acctKey struct{ lz, account string }
	accounts := map[acctKey]string{} // -> account name
	type cell struct {
		acct  acctKey
		check string
	}
	byCell := map[cell]*Counts{}
	for i := range rows {
		f := &rows[i]
		if f.Status == rampart.StatusFail && f.ResolvedAt != nil {
			continue // the resource is gone
		}
		k := acctKey{f.LandingZoneID, f.AccountID}
		if _, ok := accounts[k]; !ok || accounts[k] == "" {
			accounts[k] = f.AccountName
		}
		c := cell{k, f.ControlID}
		if byCell[c] == nil {
			byCell[c] = &Counts{}
		}
		byCell[c].add(f)
	}
	keys := make([]acctKey, 0, len(accounts))
	for k := range accounts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].lz != keys[j].lz {
			return keys[i].lz < keys[j].lz
		}
		return keys[i].account < keys[j].account
	})

	rep := Report{Framework: fw.Name, Title: fw.Title, Version: fw.Version, Scope: filter,
		Requirements: make([]RequirementReport, 0, len(fw.Requirements))}
	rep.Coverage.Requirements = len(fw.Requirements)
	for _, req := range fw.Requirements {
		ids := slices.Clone(mapped[req.ID])
		sort.Strings(ids)
		rr := RequirementReport{ID: req.ID, Section: req.Section, Checks: ids, Accounts: []AccountCounts{}}
		if rr.Checks == nil {
			rr.Checks = []string{}
		}
		if len(ids) == 0 {
			rr.Evidence = EvidenceNoAutomated
			rep.Requirements = append(rep.Requirements, rr)
			continue
		}
		rep.Coverage.Mapped++
		for _, k := range keys {
			ac := AccountCounts{LandingZoneID: k.lz, AccountID: k.account, AccountName: accounts[k]}
			for _, id := range ids {
				c := byCell[cell{k, id}]
				if c == nil || c.rows() == 0 {
					ac.NoEvidence++
					continue
				}
				ac.Pass += c.Pass
				ac.Fail += c.Fail
				ac.Muted += c.Muted
				ac.NotEvaluated += c.NotEvaluated
				ac.Manual += c.Manual
			}
			rr.Accounts = append(rr.Accounts, ac)
			rr.Counts.Pass += ac.Pass
			rr.Counts.Fail += ac.Fail
			rr.Counts.Muted += ac.Muted
			rr.Counts.NotEvaluated += ac.NotEvaluated
			rr.Counts.Manual += ac.Manual
			rr.Counts.NoEvidence += ac.NoEvidence
		}
		if len(keys) == 0 {
			rr.Counts.NoEvidence = len(ids)
		}
		if rr.Counts.rows() > 0 {
			rr.Evidence = EvidenceFindings
			rep.Coverage.WithEvidence++
		} else {
			rr.Evidence = EvidenceNoFindings
		}
		rep.Totals.Pass += rr.Counts.Pass
		rep.Totals.Fail += rr.Counts.Fail
		rep.Totals.Muted += rr.Counts.Muted
		rep.Totals.NotEvaluated += rr.Counts.NotEvaluated
		rep.Totals.Manual += rr.Counts.Manual
		rep.Totals.NoEvidence += rr.Counts.NoEvidence
		rep.Requirements = append(rep.Requirements, rr)
	}
	return rep, nil
}
