// Command gen writes facts_gen.go, the table of Prowler check facts, from
// Prowler's check index and compliance TSVs. Run it through go generate in
// checks/internal/prowlerfacts.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/rampart-cspm/rampart/checks/internal/prowlerfacts"
)

func main() {
	src := flag.String("src", "testdata/prowler", "directory holding aws_checks_index.tsv and the compliance TSVs")
	out := flag.String("out", "facts_gen.go", "file to write")
	services := flag.String("services", "", "comma-separated Prowler services to keep (all when empty)")
	flag.Parse()
	if err := run(*src, *out, *services); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(src, out, services string) error {
	var keep []string
	if services != "" {
		keep = strings.Split(services, ",")
	}
	facts, err := prowlerfacts.Load(src, keep)
	if err != nil {
		return err
	}
	code, err := prowlerfacts.Render(facts)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, code, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	return nil
}
