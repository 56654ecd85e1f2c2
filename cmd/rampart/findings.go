package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/export"
	"github.com/rampart-cspm/rampart/sqlite"
)

func (a *app) findingsCommand() *cobra.Command {
	var (
		data, format, storeURL                string
		lz, account, region, service, control string
		severities, statuses                  []string
		includeResolved, includeMuted         bool
		limit                                 int
		rf                                    riskFlags
	)
	cmd := &cobra.Command{
		Use:   "findings [--data DIR | --store URL] [--lz ID] [--account ID] [--region R] [--severity S] [--status S] --format table|json|csv|ocsf|asff",
		Short: "Print stored findings",
		Long: `Print stored findings. By default only unresolved FAIL findings are shown;
--status selects other statuses (PASS, FAIL, MANUAL, NOT_EVALUATED, or all),
--include-resolved adds resolved rows and --include-muted adds the rows a
mutelist muted (they are stored, with "muted" and "mute_reason").
--store postgres://... reads the shared store of a scale-out deployment.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f := rampart.FindingFilter{LandingZoneID: lz, AccountID: account, Region: region, Service: service,
				ControlID: control, OnlyOpen: !includeResolved, ExcludeMuted: !includeMuted, Limit: limit}
			for _, s := range severities {
				v, err := rampart.ParseSeverity(s)
				if err != nil {
					return fmt.Errorf("--severity: %w", err)
				}
				f.Severities = append(f.Severities, v)
			}
			if len(statuses) == 0 {
				f.Statuses = []rampart.Status{rampart.StatusFail}
			}
			for _, s := range statuses {
				if strings.EqualFold(s, "all") {
					f.Statuses = nil
					break
				}
				v, err := rampart.ParseStatus(s)
				if err != nil {
					return fmt.Errorf("--status: %w", err)
				}
				f.Statuses = append(f.Statuses, v)
			}
			if !validFormat(format) {
				return rampart.Errorf(rampart.EINVALID, "--format %q: want one of %s", format, strings.Join(export.Formats(), ", "))
			}
			var store rampart.Store
			var err error
			switch {
			case strings.HasPrefix(storeURL, "sqlite://"):
				dir := strings.TrimPrefix(storeURL, "sqlite://")
				if _, statErr := os.Stat(filepath.Join(dir, "rampart.db")); dir == "" || statErr != nil {
					return rampart.Errorf(rampart.EINVALID, "--store %s: no Rampart data in %q (run a scan or the demo first)", storeURL, dir)
				}
				store, err = openExistingStore(cmd, dir)
			case storeURL != "":
				store, err = openStore(cmd.Context(), storeURL, "")
			default:
				store, err = openExistingStore(cmd, data)
			}
			if err != nil {
				return err
			}
			defer store.Close()
			if rf.active() {
				f.Limit = 0 // the risk filters and views apply to the whole selection
			}
			list, err := store.ListFindings(cmd.Context(), f)
			if err != nil {
				return err
			}
			if rf.active() {
				return a.writeRiskView(format, list, rf, limit)
			}
			return export.Write(a.stdout, format, list)
		},
	}
	cmd.Flags().StringVar(&data, "data", defaultDataDir, "data directory")
	cmd.Flags().StringVar(&storeURL, "store", "", "store URL: postgres://user@host:5432/db or sqlite://DIR (default: SQLite in --data)")
	cmd.Flags().StringVar(&format, "format", "table", "output format: "+strings.Join(export.Formats(), ", "))
	cmd.Flags().StringVar(&lz, "lz", "", "landing zone id")
	cmd.Flags().StringVar(&account, "account", "", "account id")
	cmd.Flags().StringVar(&region, "region", "", "region (global for global services)")
	cmd.Flags().StringVar(&service, "service", "", "service, e.g. s3")
	cmd.Flags().StringVar(&control, "control", "", "control (check) id")
	cmd.Flags().StringSliceVar(&severities, "severity", nil, "severities (repeatable or comma-separated)")
	cmd.Flags().StringSliceVar(&statuses, "status", nil, "statuses (default FAIL; 'all' for any)")
	cmd.Flags().BoolVar(&includeResolved, "include-resolved", false, "include resolved findings")
	cmd.Flags().BoolVar(&includeMuted, "include-muted", false, "include findings a mutelist muted")
	cmd.Flags().IntVar(&limit, "limit", 0, "at most this many rows (0 = all)")
	rf.register(cmd)
	return cmd
}

func validFormat(f string) bool {
	for _, x := range export.Formats() {
		if x == f {
			return true
		}
	}
	return false
}

// openExistingStore opens the store in dir, refusing to create one where
// there is none (a typo in --data should not print an empty list).
func openExistingStore(cmd *cobra.Command, dir string) (*sqlite.Store, error) {
	if _, err := os.Stat(filepath.Join(dir, "rampart.db")); err != nil {
		return nil, rampart.Errorf(rampart.EINVALID, "--data %s: no Rampart data here (run a scan or the demo first)", dir)
	}
	return sqlite.Open(cmd.Context(), dir)
}
