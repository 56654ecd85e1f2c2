package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/checks/all"
)

func (a *app) checksCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "checks", Short: "The native checks that ship"}
	var format string
	list := &cobra.Command{
		Use:   "list [--format table|json]",
		Short: "List every check with its module, severity and compliance mappings",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			reg, err := all.Registry()
			if err != nil {
				return err
			}
			metas := reg.AllChecks()
			switch format {
			case "json":
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(metas)
			case "table":
				tw := tabwriter.NewWriter(a.stdout, 0, 2, 2, ' ', 0)
				fmt.Fprintln(tw, "MODULE\tCHECK\tSEVERITY\tCOMPLIANCE")
				for _, m := range metas {
					var maps []string
					for _, c := range m.Compliance {
						maps = append(maps, c.Framework+":"+c.Requirement)
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", m.Module, m.ID, m.Severity, strings.Join(maps, " "))
				}
				return tw.Flush()
			default:
				return rampart.Errorf(rampart.EINVALID, "--format %q: want table or json", format)
			}
		},
	}
	list.Flags().StringVar(&format, "format", "table", "table or json")
	cmd.AddCommand(list)
	return cmd
}
