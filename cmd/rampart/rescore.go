package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/pipeline"
	"github.com/rampart-cspm/rampart/risk"
	"github.com/rampart-cspm/rampart/sqlite"
)

// policyFile is where the risk policy in force lives in a data directory.
// Absent, the embedded default (risk/policy.yaml) is in force.
const policyFile = "risk-policy.yaml"

// policyInForce loads DIR/risk-policy.yaml, or returns the default.
func policyInForce(dataDir string) (*risk.Policy, error) {
	path := filepath.Join(dataDir, policyFile)
	p, err := risk.LoadPolicy(path)
	if errors.Is(err, fs.ErrNotExist) {
		return risk.DefaultPolicy(), nil
	}
	return p, err
}

// useRiskPolicy gives the engine the policy in force and, when now is set,
// an injected clock for the engine and its SQLite store.
func useRiskPolicy(e *pipeline.Engine, dataDir string, now func() time.Time) error {
	p, err := policyInForce(dataDir)
	if err != nil {
		return fmt.Errorf("risk policy in force: %w", err)
	}
	e.Risk = risk.NewHolder(p)
	if now != nil {
		e.Now = now
		if s, ok := e.Store.(*sqlite.Store); ok {
			s.Now = now
		}
	}
	return nil
}

func (a *app) rescoreCommand() *cobra.Command {
	var data, policy, at string
	cmd := &cobra.Command{
		Use:   "rescore --data DIR [--policy FILE]",
		Short: "Recompute business context and risk scores of stored findings without a scan",
		Long: `rescore recomputes every unresolved finding's context (environment, owner,
SLA, due date, age) and risk score from the facts stored with it, the
recorded landing zones and accounts, and the risk policy in force
(DIR/risk-policy.yaml, else the embedded default). Each row whose result
changed gets a "changed" lifecycle event, so "rampart reindex" reproduces it.

With --policy FILE the file is checked first: if it does not load, the error
names the file and line and the policy in force stays in force; if it loads,
it is installed as DIR/risk-policy.yaml and used from now on, by scans too.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			store, err := openExistingStore(cmd, data)
			if err != nil {
				return err
			}
			defer store.Close()
			p, err := policyInForce(data)
			if err != nil {
				return &exitError{2, fmt.Errorf("risk policy in force: %w", err)}
			}
			if policy != "" {
				np, err := risk.LoadPolicy(policy)
				if err != nil {
					return &exitError{2, fmt.Errorf("%w (the policy in force, %s, stays in force)", err, p.Source)}
				}
				body, err := os.ReadFile(policy)
				if err != nil {
					return err
				}
				dst := filepath.Join(data, policyFile)
				tmp := dst + ".tmp"
				if err := os.WriteFile(tmp, body, 0o600); err != nil {
					return fmt.Errorf("install policy: %w", err)
				}
				if err := os.Rename(tmp, dst); err != nil {
					return fmt.Errorf("install policy: %w", err)
				}
				p = np
				fmt.Fprintf(a.stdout, "policy %s installed as %s\n", policy, dst)
			}
			now := time.Now().UTC()
			if at != "" {
				if now, err = time.Parse(time.RFC3339, at); err != nil {
					return rampart.Errorf(rampart.EINVALID, "--at %q: want an RFC 3339 time", at)
				}
			}
			lzs, err := store.RiskLandingZones(ctx)
			if err != nil {
				return err
			}
			var accts []rampart.Account
			for _, lz := range lzs {
				list, err := store.ListAccounts(ctx, lz.ID)
				if err != nil {
					return err
				}
				accts = append(accts, list...)
			}
			n, err := risk.Rescore(ctx, store, p, lzs, accts, now)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "rescored with policy %s at %s: %d findings changed\n", p.Source, now.Format(time.RFC3339), n)
			return nil
		},
	}
	cmd.Flags().StringVar(&data, "data", defaultDataDir, "data directory")
	cmd.Flags().StringVar(&policy, "policy", "", "risk policy file to check, install and apply")
	cmd.Flags().StringVar(&at, "at", "", "evaluation time (RFC 3339; default now)")
	return cmd
}
