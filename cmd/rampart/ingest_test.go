package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/internal/pgtest"
	"github.com/rampart-cspm/rampart/postgres"
)

// TestIngestProwlerCLI ingests Prowler's example outputs of every provider
// into a landing zone from a config, re-ingests one (a counted no-op) and
// reads the findings back.
func TestIngestProwlerCLI(t *testing.T) {
	data := t.TempDir()
	cfg := filepath.Join(t.TempDir(), "rampart.yaml")
	if err := os.WriteFile(cfg, []byte(`landing_zones:
  - id: lz-multi
    name: Multi-cloud
    audit_role_name: SecurityAudit
    regions: [eu-west-1]
    owner_team: cloud-team
    environment: production
    accounts: {source: static, static: [{id: "111122223333"}]}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	td := filepath.Join("..", "..", "ingest", "testdata")
	files := []string{"example_output_aws.ocsf.json", "example_output_azure.ocsf.json", "example_output_gcp.ocsf.json",
		"example_output_kubernetes.ocsf.json", "prowler_aws.asff.json"}
	args := []string{"ingest", "prowler", "--lz", "lz-multi", "--data", data, "--config", cfg, "--cluster", "prod-eks"}
	for _, f := range files {
		args = append(args, filepath.Join(td, f))
	}
	code, out, errOut := run(t, args...)
	if code != 0 {
		t.Fatalf("ingest exited %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if n := strings.Count(out, "json-ocsf, sha256"); n != 4 {
		t.Errorf("%d OCSF files reported ingested, want 4:\n%s", n, out)
	}
	code, out, _ = run(t, "ingest", "prowler", "--lz", "lz-multi", "--data", data, filepath.Join(td, files[0]))
	if code != 0 || !strings.Contains(out, "already ingested") || !strings.Contains(out, "nothing changed") {
		t.Fatalf("re-ingest exited %d: %s", code, out)
	}
	code, out, errOut = run(t, "findings", "--data", data, "--status", "all", "--format", "json")
	if code != 0 {
		t.Fatalf("findings exited %d: %s", code, errOut)
	}
	for _, want := range []string{`"cloud_provider": "azure"`, `"cloud_provider": "gcp"`, `"cloud_provider": "kubernetes"`,
		`"account_id": "prod-eks"`, `"owner_team": "cloud-team"`, `"prowler"`} {
		if !strings.Contains(out, want) {
			t.Errorf("findings lack %q", want)
		}
	}
	// Bad input: a wrong format fails with the file named; unknown LZ too.
	bad := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(bad, []byte("hello\n"), 0o600)
	code, _, errOut = run(t, "ingest", "prowler", "--lz", "lz-multi", "--data", data, bad)
	if code != 1 || !strings.Contains(errOut, "notes.txt") || !strings.Contains(errOut, "unknown format") {
		t.Errorf("wrong format: exit %d, stderr %s", code, errOut)
	}
	code, _, errOut = run(t, "ingest", "prowler", "--lz", "lz-nope", "--data", data, filepath.Join(td, files[1]))
	if code == 0 || !strings.Contains(errOut, "lz-nope") {
		t.Errorf("unknown landing zone: exit %d, stderr %s", code, errOut)
	}
}

// TestIngestProwlerIntoPostgres ingests into the shared Postgres store of
// a scale-out deployment: the same counts as into SQLite, the re-ingest a
// no-op, the findings in Postgres.
func TestIngestProwlerIntoPostgres(t *testing.T) {
	ctx := context.Background()
	storeURL := pgtest.Schema(t)
	cfg := filepath.Join(t.TempDir(), "rampart.yaml")
	if err := os.WriteFile(cfg, []byte(`landing_zones:
  - id: lz-pg
    name: Scale-out
    audit_role_name: SecurityAudit
    regions: [eu-west-1]
    owner_team: cloud-team
    environment: production
`), 0o600); err != nil {
		t.Fatal(err)
	}
	fixture := filepath.Join("..", "..", "ingest", "testdata", "example_output_aws.ocsf.json")
	var outs []string
	for _, store := range []string{storeURL, "sqlite://" + t.TempDir()} {
		code, out, errOut := run(t, "ingest", "prowler", "--lz", "lz-pg", "--config", cfg, "--store", store,
			"--artifacts", t.TempDir(), fixture)
		if code != 0 {
			t.Fatalf("ingest into %s exited %d\nstdout:\n%s\nstderr:\n%s", store, code, out, errOut)
		}
		_, counts, _ := strings.Cut(out, " records in ")
		outs = append(outs, counts)
	}
	if outs[0] != outs[1] || !strings.Contains(outs[0], "detected 5") {
		t.Fatalf("postgres ingest reported %q, sqlite %q; want the same, 5 detected", outs[0], outs[1])
	}
	s, err := postgres.Open(ctx, storeURL)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fs, err := s.ListFindings(ctx, rampart.FindingFilter{LandingZoneID: "lz-pg"})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 5 || fs[0].OwnerTeam != "cloud-team" {
		t.Fatalf("postgres holds %d findings of lz-pg (first %+v), want 5 owned by cloud-team", len(fs), fs)
	}
	// The exports read the shared store too.
	code, out, errOut := run(t, "findings", "--store", storeURL, "--lz", "lz-pg", "--status", "all", "--format", "asff")
	if code != 0 || strings.Count(out, `"AwsAccountId"`) != 5 {
		t.Fatalf("findings --store --format asff exited %d with %d records: %s", code, strings.Count(out, `"AwsAccountId"`), errOut)
	}
	code, out, errOut = run(t, "ingest", "prowler", "--lz", "lz-pg", "--store", storeURL, "--artifacts", t.TempDir(), fixture)
	if code != 0 || !strings.Contains(out, "already ingested") {
		t.Fatalf("re-ingest into postgres exited %d: %s %s", code, out, errOut)
	}
	empty := t.TempDir()
	code, _, errOut = run(t, "findings", "--store", "sqlite://"+empty)
	if code == 0 || !strings.Contains(errOut, "--store sqlite://"+empty+": no Rampart data") {
		t.Fatalf("findings --store on an empty directory: exit %d, stderr %s", code, errOut)
	}
	code, _, errOut = run(t, "ingest", "prowler", "--lz", "lz-pg", "--store", "mysql://x", fixture)
	if code == 0 || !strings.Contains(errOut, `--store "mysql://x"`) {
		t.Fatalf("an unknown store URL: exit %d, stderr %s", code, errOut)
	}
}
