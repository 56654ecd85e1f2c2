package main

import (
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/export"
	"github.com/rampart-cspm/rampart/risk"
)

// riskFlags are the findings command's business-context filters, sort and
// saved views.
type riskFlags struct {
	view, sort, at                              string
	levels, envs, sens, comp, owners, ownerSrcs []string
	public, privileged, overdue                 string
	minScore, minAge                            int
}

func (r *riskFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&r.view, "view", "", "saved view: fix-first (critical/high risk on production, ranked by public, sensitive data, open > 7 days, no owner)")
	fl.StringVar(&r.sort, "sort", "", "order: risk (score, then severity, then oldest)")
	fl.StringSliceVar(&r.levels, "risk-level", nil, "risk levels: critical, high, medium, low")
	fl.IntVar(&r.minScore, "min-risk", 0, "minimum risk score")
	fl.StringSliceVar(&r.envs, "environment", nil, "environments (production, staging, ...)")
	fl.StringVar(&r.public, "public", "", "true or false: internet-exposed")
	fl.StringSliceVar(&r.sens, "data-sensitivity", nil, "pii, confidential, internal, public, none")
	fl.StringVar(&r.privileged, "privileged", "", "true or false: admin or wildcard permissions")
	fl.StringSliceVar(&r.comp, "compensating", nil, "compensating controls: private-subnet, no-public-ip, ztna, vpn")
	fl.StringSliceVar(&r.owners, "owner", nil, "owner teams ('none' for unowned)")
	fl.StringSliceVar(&r.ownerSrcs, "owner-source", nil, "tag, account_override, account, landing_zone, none; unassigned = none or landing_zone (the fix-first \"no owner\")")
	fl.StringVar(&r.overdue, "overdue", "", "true or false: past due_at")
	fl.IntVar(&r.minAge, "min-age-days", 0, "open at least this many days")
	fl.StringVar(&r.at, "at", "", "evaluation time for age and overdue (RFC 3339; default now)")
}

func (r *riskFlags) active() bool {
	return r.view != "" || r.sort != "" || len(r.levels)+len(r.envs)+len(r.sens)+len(r.comp)+len(r.owners)+len(r.ownerSrcs) > 0 ||
		r.public != "" || r.privileged != "" || r.overdue != "" || r.minScore > 0 || r.minAge > 0
}

func boolFlag(name, v string) (*bool, error) {
	if v == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return nil, rampart.Errorf(rampart.EINVALID, "--%s %q: want true or false", name, v)
	}
	return &b, nil
}

func (a *app) writeRiskView(format string, list []rampart.Finding, r riskFlags, limit int) error {
	now := time.Now().UTC()
	if r.at != "" {
		t, err := time.Parse(time.RFC3339, r.at)
		if err != nil {
			return rampart.Errorf(rampart.EINVALID, "--at %q: want an RFC 3339 time", r.at)
		}
		now = t
	}
	x := risk.Filter{RiskLevels: r.levels, MinScore: r.minScore, Environments: r.envs, DataSensitivity: r.sens,
		Compensating: r.comp, Owners: r.owners, OwnerSources: r.ownerSrcs, MinAgeDays: r.minAge, Now: now}
	var err error
	if x.Public, err = boolFlag("public", r.public); err != nil {
		return err
	}
	if x.Privileged, err = boolFlag("privileged", r.privileged); err != nil {
		return err
	}
	if x.Overdue, err = boolFlag("overdue", r.overdue); err != nil {
		return err
	}
	var kept []rampart.Finding
	for _, f := range list {
		if x.Match(&f) {
			kept = append(kept, f)
		}
	}
	switch r.sort {
	case "":
	case "risk":
		risk.SortByRisk(kept)
	default:
		return rampart.Errorf(rampart.EINVALID, "--sort %q: want risk", r.sort)
	}
	var clauses [][]string
	switch r.view {
	case "":
	case "fix-first":
		kept, clauses = risk.FixFirst(kept, now)
	default:
		return rampart.Errorf(rampart.EINVALID, "--view %q: want fix-first", r.view)
	}
	if limit > 0 && len(kept) > limit {
		kept = kept[:limit]
	}
	if r.view == "fix-first" && format == "table" {
		return writeFixFirst(a, kept, clauses, now)
	}
	return export.Write(a.stdout, format, kept)
}

// writeFixFirst prints the fix-first view with why each row is there.
func writeFixFirst(a *app, list []rampart.Finding, clauses [][]string, now time.Time) error {
	tw := tabwriter.NewWriter(a.stdout, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tRISK\tSEVERITY\tAGE\tDUE\tACCOUNT\tREGION\tCONTROL\tRESOURCE\tOWNER\tWHY HERE")
	for i, f := range list {
		due := "-"
		if f.DueAt != nil {
			due = f.DueAt.Format("2006-01-02")
			if f.Overdue(now) {
				due += " OVERDUE"
			}
		}
		owner := f.OwnerTeam
		if owner == "" {
			owner = "(none)"
		}
		fmt.Fprintf(tw, "%d\t%d %s\t%s\t%dd\t%s\t%s\t%s\t%s\t%s\t%s (%s)\t%s\n", i+1, f.RiskScore, f.RiskLevel, f.Severity,
			risk.AgeDays(&f, now), due, f.AccountID, f.Region, f.ControlID, f.ResourceName, owner, f.OwnerSource,
			strings.Join(clauses[i], ", "))
		fmt.Fprintf(tw, "\t  risk_reason: %s\n", f.RiskReason)
	}
	if len(list) == 0 {
		fmt.Fprintln(tw, "(no finding in the fix-first view)")
	}
	return tw.Flush()
}
