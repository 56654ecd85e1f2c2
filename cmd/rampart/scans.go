package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampart-cspm/rampart"
)

func (a *app) scansCommand() *cobra.Command {
	var data, lz string
	var limit int
	cmd := &cobra.Command{Use: "scans", Short: "List scans and show where a scan failed"}
	list := &cobra.Command{
		Use:   "list",
		Short: "List recent scans",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := openExistingStore(cmd, data)
			if err != nil {
				return err
			}
			defer store.Close()
			scans, err := store.ListScans(cmd.Context(), lz, limit)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 2, 2, ' ', 0)
			fmt.Fprintln(tw, "SCAN\tLZ\tSTATUS\tSTARTED\tDURATION")
			for _, s := range scans {
				d := ""
				if !s.FinishedAt.IsZero() {
					d = s.FinishedAt.Sub(s.StartedAt).Round(time.Millisecond).String()
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.ID, s.LandingZoneID, s.Status, s.StartedAt.Format(time.RFC3339), d)
			}
			return tw.Flush()
		},
	}
	show := &cobra.Command{
		Use:   "show SCAN_ID",
		Short: "Show a scan's units: state, error class and what failed where",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := openExistingStore(cmd, data)
			if err != nil {
				return err
			}
			defer store.Close()
			s, err := store.GetScan(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			units, err := store.ListUnits(cmd.Context(), s.ID)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "scan %s  lz %s  status %s  started %s\n", s.ID, s.LandingZoneID, s.Status, s.StartedAt.Format(time.RFC3339))
			if s.Error != "" {
				fmt.Fprintf(a.stdout, "error: %s\n", s.Error)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 2, 2, ' ', 0)
			fmt.Fprintln(tw, "ACCOUNT\tREGION\tSTATE\tCLASS\tATTEMPTS\tFINDINGS\tWHERE")
			for _, u := range units {
				where := ""
				for _, sv := range u.Services {
					if sv.Status != rampart.ServiceOK {
						where += fmt.Sprintf("%s:%s ", sv.Service, sv.ErrorClass)
					}
				}
				if where == "" && u.Error != "" {
					where = u.Error
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\n", u.AccountID, u.Region, u.State, u.ErrorClass, u.Attempts, u.Findings, where)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			printFailedWhere(a.stdout, units)
			return nil
		},
	}
	cmd.PersistentFlags().StringVar(&data, "data", defaultDataDir, "data directory")
	list.Flags().StringVar(&lz, "lz", "", "landing zone id")
	list.Flags().IntVar(&limit, "limit", 20, "at most this many scans")
	cmd.AddCommand(list, show)
	return cmd
}

func (a *app) reindexCommand() *cobra.Command {
	var data string
	cmd := &cobra.Command{
		Use:   "reindex --data DIR",
		Short: "Rebuild the findings table from the append-only finding events",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := openExistingStore(cmd, data)
			if err != nil {
				return err
			}
			defer store.Close()
			n, err := store.Reindex(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "reindexed %d findings from finding_events\n", n)
			return nil
		},
	}
	cmd.Flags().StringVar(&data, "data", defaultDataDir, "data directory")
	return cmd
}

// failureKinds names each error class for people.
var failureKinds = map[rampart.ErrorClass]string{
	rampart.ErrClassCredentials: "credentials", rampart.ErrClassThrottling: "throttling",
	rampart.ErrClassRegionDisabled: "disabled region", rampart.ErrClassAccessDenied: "missing permission",
	rampart.ErrClassTimeout: "timeout", rampart.ErrClassServiceError: "AWS service error", rampart.ErrClassUnknown: "unknown error",
}

// printFailedWhere prints, per error class, every account/region/service
// that failed with it: exactly where the scan failed and why.
func printFailedWhere(w io.Writer, units []rampart.ScanUnit) {
	where := map[rampart.ErrorClass][]string{}
	for _, u := range units {
		listed := false
		for _, sv := range u.Services {
			if sv.Status != rampart.ServiceOK && sv.ErrorClass != "" {
				where[sv.ErrorClass] = append(where[sv.ErrorClass], u.AccountID+"/"+u.Region+"/"+sv.Service)
				listed = true
			}
		}
		if !listed && u.ErrorClass != "" {
			where[u.ErrorClass] = append(where[u.ErrorClass], u.AccountID+"/"+u.Region)
		}
	}
	if len(where) == 0 {
		return
	}
	fmt.Fprintln(w, "\nfailed where:")
	var classes []string
	for c := range where {
		classes = append(classes, string(c))
	}
	sort.Strings(classes)
	for _, c := range classes {
		kind := failureKinds[rampart.ErrorClass(c)]
		if kind == "" {
			kind = c
		}
		fmt.Fprintf(w, "  %s (%s): %s\n", kind, c, strings.Join(where[rampart.ErrorClass(c)], ", "))
	}
}
