package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/checks/all"
	"github.com/rampart-cspm/rampart/compliance"
)

func (a *app) complianceCommand() *cobra.Command {
	var data, framework, lz, account, format string
	cmd := &cobra.Command{
		Use:   "compliance --data DIR --framework CIS-5.0 [--lz ID] [--account ID] --format table|json",
		Short: "Print a framework's requirements with the evidence of the stored findings",
		Long: `Print, for every requirement of a framework, the native checks mapped to it
and the pass / fail / muted / not-evaluated / manual counts of their findings,
plus the mapped checks with no finding ("no evidence"), per landing zone and
account in JSON. A requirement no check maps to is "no automated evidence".
Coverage (requirements with evidence out of all requirements) is printed
beside the counts; there is no "% compliant" score.

Frameworks: ` + strings.Join(compliance.Frameworks(), ", ") + `.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "table" && format != "json" {
				return &exitError{2, rampart.Errorf(rampart.EINVALID, "--format %q: want table or json", format)}
			}
			if framework == "" {
				return &exitError{2, rampart.Errorf(rampart.EINVALID, "--framework is required (one of %s)", strings.Join(compliance.Frameworks(), ", "))}
			}
			if _, err := compliance.LookupFramework(framework); err != nil {
				return &exitError{2, fmt.Errorf("--framework: %w", err)}
			}
			reg, err := all.Registry()
			if err != nil {
				return err
			}
			store, err := openExistingStore(cmd, data)
			if err != nil {
				return err
			}
			defer store.Close()
			rep, err := compliance.Summarize(cmd.Context(), store, reg.AllChecks(), framework,
				compliance.Filter{LandingZoneID: lz, AccountID: account})
			if err != nil {
				return err
			}
			if format == "json" {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			return writeComplianceTable(a.stdout, rep)
		},
	}
	cmd.Flags().StringVar(&data, "data", defaultDataDir, "data directory")
	cmd.Flags().StringVar(&framework, "framework", "", "framework: "+strings.Join(compliance.Frameworks(), ", "))
	cmd.Flags().StringVar(&lz, "lz", "", "landing zone id")
	cmd.Flags().StringVar(&account, "account", "", "account id")
	cmd.Flags().StringVar(&format, "format", "table", "output format: table or json")
	return cmd
}

// writeComplianceTable prints one row per requirement with the scope's
// counts, after the coverage line.
func writeComplianceTable(w io.Writer, rep compliance.Report) error {
	fmt.Fprintf(w, "%s %s (%s)\n", rep.Title, rep.Version, rep.Framework)
	fmt.Fprintf(w, "coverage: %d of %d requirements have automated evidence (%d have mapped checks; %d need manual evidence)\n",
		rep.Coverage.WithEvidence, rep.Coverage.Requirements, rep.Coverage.Mapped, rep.Coverage.Requirements-rep.Coverage.Mapped)
	// A finding whose check maps to several requirements counts in each.
	fmt.Fprintf(w, "summed over requirements: %d pass, %d fail, %d muted, %d not evaluated, %d manual; %d check/account pairs without evidence\n\n",
		rep.Totals.Pass, rep.Totals.Fail, rep.Totals.Muted, rep.Totals.NotEvaluated, rep.Totals.Manual, rep.Totals.NoEvidence)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "REQUIREMENT\tCHECKS\tPASS\tFAIL\tMUTED\tNOT_EVAL\tMANUAL\tNO_EVIDENCE\tEVIDENCE")
	for _, r := range rep.Requirements {
		if r.Evidence == compliance.EvidenceNoAutomated {
			fmt.Fprintf(tw, "%s\t0\t-\t-\t-\t-\t-\t-\tno automated evidence\n", r.ID)
			continue
		}
		ev := "findings"
		if r.Evidence == compliance.EvidenceNoFindings {
			ev = "no findings"
		}
		c := r.Counts
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", r.ID, len(r.Checks), c.Pass, c.Fail, c.Muted, c.NotEvaluated, c.Manual, c.NoEvidence, ev)
	}
	return tw.Flush()
}
