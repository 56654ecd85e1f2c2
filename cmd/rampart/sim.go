package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampart-cspm/rampart/awssim"
)

func (a *app) simCommand() *cobra.Command {
	var estatePath, addr string
	var latency time.Duration
	cmd := &cobra.Command{
		Use:   "sim [--estate FILE] [--addr 127.0.0.1:4566]",
		Short: "Run the AWS simulator (STS, Organizations, IAM, S3, EC2) on loopback",
		Long: `sim serves a declarative estate over the real AWS wire protocols so that
unmodified AWS SDKs and CLIs work against it: set AWS_ENDPOINT_URL to the
printed URL and use the management accounts' keys from the estate file.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			estate := awssim.DemoEstate()
			if estatePath != "" {
				var err error
				if estate, err = awssim.LoadEstate(estatePath); err != nil {
					return &exitError{2, err}
				}
			}
			sim := awssim.New(estate, awssim.Options{Latency: latency, Logger: a.logger})
			url, err := sim.Start(addr)
			if err != nil {
				return fmt.Errorf("sim: %w", err)
			}
			defer sim.Close()
			fmt.Fprintf(a.stdout, "AWS simulator serving %d accounts at %s\n", estate.AccountCount(), url)
			for _, org := range estate.Organizations {
				if m := estate.Account(org.ManagementAccount); m != nil && len(m.AccessKeys) > 0 {
					fmt.Fprintf(a.stdout, "  %s: management account %s, AWS_ACCESS_KEY_ID=%s\n", org.ID, m.ID, m.AccessKeys[0].ID)
				}
			}
			<-cmd.Context().Done()
			return nil
		},
	}
	cmd.Flags().StringVar(&estatePath, "estate", "", "estate file (default: the built-in demo estate)")
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:4566", "listen address (loopback)")
	cmd.Flags().DurationVar(&latency, "latency", 0, "latency added to every call")
	return cmd
}
