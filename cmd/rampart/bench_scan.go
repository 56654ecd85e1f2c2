package main

import (
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/rampart-cspm/rampart/internal/benchscan"
)

// benchScanCommand is `rampart bench scan`: the rate-control benchmark.
func (a *app) benchScanCommand() *cobra.Command {
	var (
		o       benchscan.Options
		asJSON  bool
		cpuProf string
	)
	cmd := &cobra.Command{
		Use:   "scan [--json]",
		Short: "Scan a simulated estate with AWS quotas under four rate-control policies and compare them to the quota lower bound",
		Long: `Generates a simulated estate (default 3 landing zones x 40 accounts x 4
regions) with AWS-style throttling quotas and latency, scans it once without
throttling for the ground truth and the calls each quota bucket must serve,
computes the quota lower bound of the makespan (max over buckets of
(calls - burst) / refill rate), then scans it with: fixed-3 (3 accounts per
landing zone, SDK standard retries), fixed-10, sdk-adaptive (the SDK's
adaptive retry mode, no cap) and rampart-adaptive. The unthrottled scan's
makespan is reported as the floor measured on this machine, and each
policy's makespan over max(bound, floor). See docs/bench-scan.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !asJSON {
				o.Log = a.stderr
			}
			if cpuProf != "" {
				pf, err := os.Create(cpuProf)
				if err != nil {
					return err
				}
				defer pf.Close()
				o.CPUProfile = pf
			}
			res, err := benchscan.Run(cmd.Context(), o)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				return enc.Encode(res)
			}
			fmt.Fprintf(a.stdout, "estate: %s; ground truth: %d failing findings\n", res.Estate, res.Findings)
			fmt.Fprintf(a.stdout, "quota lower bound: %.2fs (%s)\n", res.LowerBoundS, res.Bottleneck)
			fmt.Fprintf(a.stdout, "floor: %.2fs (the same scan with nothing throttled, on this machine; runs before and after the policies: %v s)\n\n",
				res.FloorS, res.FloorRunsS)
			tw := tabwriter.NewWriter(a.stdout, 0, 2, 2, ' ', 0)
			fmt.Fprintln(tw, "POLICY\tMAKESPAN\tx BOUND\tx MAX(BOUND,FLOOR)\tTHROTTLED\tUNITS FAILED\tUNITS PARTIAL\tFINDINGS MISSING\tCALLS")
			for _, p := range res.Policies {
				fmt.Fprintf(tw, "%s\t%.2fs\t%.2f\t%.2f\t%d\t%d\t%d\t%d\t%d\n", p.Policy, p.MakespanS, p.RatioToBound, p.RatioToFloor,
					p.ThrottledCalls, p.UnitsFailed, p.UnitsPartial, p.FindingsMissing, p.Calls)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	cmd.Flags().IntVar(&o.LandingZones, "lzs", 3, "landing zones")
	cmd.Flags().IntVar(&o.Accounts, "accounts", 40, "accounts per landing zone")
	cmd.Flags().IntVar(&o.Regions, "regions", 4, "regions scanned")
	cmd.Flags().IntVar(&o.Users, "users", 6, "IAM users per account")
	cmd.Flags().StringVar(&cpuProf, "cpuprofile", "", "write a CPU profile of the ground-truth (unthrottled) scan to this file")
	cmd.Flags().StringSliceVar(&o.Policies, "policies", nil, "run only these policies (fixed-3, fixed-10, sdk-adaptive, rampart-adaptive)")
	return cmd
}
