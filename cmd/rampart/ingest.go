package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/artifact"
	"github.com/rampart-cspm/rampart/config"
	"github.com/rampart-cspm/rampart/ingest"
	"github.com/rampart-cspm/rampart/postgres"
	"github.com/rampart-cspm/rampart/sqlite"
)

// ingestStore adapts the SQLite store to ingest.Store.
type ingestStore struct{ *sqlite.Store }

func (s ingestStore) Begin(ctx context.Context, scan rampart.Scan) (ingest.Tx, error) {
	return s.BeginIngest(ctx, scan)
}

// pgIngestStore adapts the Postgres store to ingest.Store.
type pgIngestStore struct{ *postgres.Store }

func (s pgIngestStore) Begin(ctx context.Context, scan rampart.Scan) (ingest.Tx, error) {
	return s.BeginIngest(ctx, scan)
}

// openIngestStore opens the store of --store (SQLite in dataDir when
// empty) as an ingest.Store.
func openIngestStore(ctx context.Context, url, dataDir string) (ingest.Store, rampart.Store, error) {
	s, err := openStore(ctx, url, dataDir)
	if err != nil {
		return nil, nil, err
	}
	switch s := s.(type) {
	case *sqlite.Store:
		return ingestStore{s}, s, nil
	case *postgres.Store:
		return pgIngestStore{s}, s, nil
	}
	s.Close()
	return nil, nil, fmt.Errorf("--store %s: this store cannot ingest files", url)
}

func (a *app) ingestCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ingest",
		Short: "Ingest another scanner's output as scans",
	}
	var (
		data, lz, cfgPath, cluster string
		storeURL, artifactsURL     string
		skipInvalid                bool
	)
	prowler := &cobra.Command{
		Use:   "prowler PATH... --lz ID [--data DIR | --store URL [--artifacts URL]] [--skip-invalid] [--config rampart.yaml] [--cluster NAME]",
		Short: "Ingest Prowler json-ocsf, csv or json-asff output files",
		Long: `Ingest Prowler output (json-ocsf v4/v5, ';' CSV or json-asff; the format is
detected) into a landing zone. Each file becomes one scan (scanner "prowler")
with a unit per (account, region) it contains, and is kept as an artifact.
A file whose sha256 was ingested before changes nothing. A record that cannot
be mapped fails its file and nothing from that file is stored, unless
--skip-invalid (then the skipped records are counted). Findings with the
dedup key of a native finding are the same finding, listing both sources.

The landing zone must be in the store (from a scan), or in --config.
Kubernetes records name no cluster: --cluster gives it. With --store
postgres://... the files go into the shared Postgres store of a scale-out
deployment (one ingest at a time; a worker committing a unit of a scope
the ingest holds waits for it), the artifacts into --artifacts.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if lz == "" {
				return rampart.Errorf(rampart.EINVALID, "--lz is required")
			}
			land := rampart.LandingZone{ID: lz}
			artURL := ""
			if cfgPath != "" {
				cfg, err := config.Load(cfgPath)
				if err != nil {
					return err
				}
				l, ok := cfg.LandingZone(lz)
				if !ok {
					return rampart.Errorf(rampart.EINVALID, "--lz %s: no such landing zone in %s", lz, cfgPath)
				}
				land = l
				data = firstNonEmpty(data, cfg.DataDir)
				artURL = cfg.Artifacts
			}
			data = firstNonEmpty(data, defaultDataDir)
			target, store, err := openIngestStore(ctx, storeURL, data)
			if err != nil {
				return err
			}
			defer store.Close()
			artURL = firstNonEmpty(artifactsURL, artURL)
			if cfgPath != "" {
				if err := store.UpsertLandingZone(ctx, land); err != nil {
					return err
				}
			}
			if artURL == "" {
				abs, err := filepath.Abs(filepath.Join(data, "artifacts"))
				if err != nil {
					return err
				}
				artURL = abs
			}
			arts, err := artifact.Open(ctx, artURL)
			if err != nil {
				return fmt.Errorf("open artifact store %s: %w", artURL, err)
			}
			g := &ingest.Ingester{Store: target, Artifacts: arts, LandingZone: land,
				DefaultAccount: cluster, SkipInvalid: skipInvalid}
			var failed []string
			for _, path := range args {
				res, err := g.File(ctx, path)
				if err != nil {
					fmt.Fprintf(a.stderr, "rampart: %v\n", err)
					failed = append(failed, path)
					continue
				}
				printIngest(a, res)
			}
			if len(failed) > 0 {
				return &exitError{1, fmt.Errorf("%d of %d file(s) not ingested: %s", len(failed), len(args), strings.Join(failed, ", "))}
			}
			return nil
		},
	}
	prowler.Flags().StringVar(&data, "data", "", "data directory (default: config data_dir or "+defaultDataDir+")")
	prowler.Flags().StringVar(&lz, "lz", "", "landing zone id the findings belong to (required)")
	prowler.Flags().StringVar(&cfgPath, "config", "", "rampart.yaml: records the landing zone from it first")
	prowler.Flags().StringVar(&cluster, "cluster", "", "Kubernetes cluster name for records that name none")
	prowler.Flags().StringVar(&storeURL, "store", "", "store URL: postgres://user@host:5432/db or sqlite://DIR (default: SQLite in the data directory)")
	prowler.Flags().StringVar(&artifactsURL, "artifacts", "", "artifact store URL: s3://bucket/prefix?endpoint=... or a directory (default: config artifacts or DATA/artifacts)")
	prowler.Flags().BoolVar(&skipInvalid, "skip-invalid", false, "skip records that cannot be mapped, and count them")
	cmd.AddCommand(prowler)
	return cmd
}

func printIngest(a *app, res ingest.Result) {
	if res.Duplicate {
		fmt.Fprintf(a.stdout, "%s: already ingested (sha256 %s, scan %s): nothing changed\n", res.File, res.SHA256[:12], res.ScanID)
		return
	}
	s := res.Stats
	fmt.Fprintf(a.stdout, "%s: %s, sha256 %s: scan %s, %d records in %d unit(s); detected %d, reopened %d, resolved %d, changed %d, seen %d, ignored %d",
		res.File, res.Format, res.SHA256[:12], res.ScanID, res.Records, len(res.Units), s.Detected, s.Reopened, s.Resolved, s.Changed, s.Seen, s.Ignored)
	if res.Muted > 0 {
		fmt.Fprintf(a.stdout, "; %d muted", res.Muted)
	}
	if res.Skipped > 0 {
		fmt.Fprintf(a.stdout, "; skipped %d invalid record(s)", res.Skipped)
	}
	fmt.Fprintln(a.stdout)
}
