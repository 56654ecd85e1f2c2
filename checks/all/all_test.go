package all

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rampart-cspm/rampart/checks"
	"github.com/rampart-cspm/rampart/checks/internal/prowlerfacts"
)

const modulePath = "github.com/rampart-cspm/rampart/checks/"

// nativeID is the shape of a check ID Prowler does not have.
var nativeID = regexp.MustCompile(`^[a-z0-9]+(_[a-z0-9]+)+$`)

func registry(t *testing.T) *checks.Registry {
	t.Helper()
	r, err := Registry()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRegistryBuilds(t *testing.T) {
	r := registry(t)
	if got := len(r.Modules()); got != len(Modules()) {
		t.Errorf("registry has %d modules, want %d", got, len(Modules()))
	}
	n := 0
	for _, m := range Modules() {
		n += len(m.Checks())
		for _, c := range m.Checks() {
			if c.Module != m.Name() || c.Service == "" {
				t.Errorf("%s: module/service %s/%s, want module %s and a service", c.ID, c.Module, c.Service, m.Name())
			}
		}
	}
	if len(r.AllChecks()) != n {
		t.Errorf("registry lists %d checks, modules declare %d", len(r.AllChecks()), n)
	}
}

func TestRegistryRejectsDuplicateModules(t *testing.T) {
	mods := append(Modules(), Modules()[0])
	if _, err := checks.NewRegistry(mods...); err == nil {
		t.Fatal("a module listed twice was accepted")
	}
}

// TestMetadataComplete checks every check's metadata, and that it carries
// Prowler's severity and resource type and every requirement the reference
// TSVs map its ID to.
func TestMetadataComplete(t *testing.T) {
	facts, err := prowlerfacts.Load("../internal/prowlerfacts/testdata/prowler", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range registry(t).AllChecks() {
		t.Run(c.ID, func(t *testing.T) {
			if c.Severity.Rank() == 0 {
				t.Errorf("severity %q", c.Severity)
			}
			for field, v := range map[string]string{
				"title": c.Title, "description": c.Description, "risk": c.Risk,
				"remediation": c.Remediation, "remediation URL": c.RemediationURL, "resource type": c.ResourceType,
			} {
				if strings.TrimSpace(v) == "" {
					t.Errorf("empty %s", field)
				}
			}
			f, ok := facts[c.ID]
			if !ok {
				// A check Prowler does not have: named in the same style,
				// service first.
				if !nativeID.MatchString(c.ID) || !strings.HasPrefix(c.ID, c.Service+"_") {
					t.Errorf("%s is not a Prowler check ID nor a name in Prowler's style starting with %s_", c.ID, c.Service)
				}
				return
			}
			if c.Service != f.Service {
				t.Errorf("service %s, Prowler says %s", c.Service, f.Service)
			}
			if c.Severity != f.Severity || c.ResourceType != f.ResourceType {
				t.Errorf("severity/type %s/%s, Prowler says %s/%s", c.Severity, c.ResourceType, f.Severity, f.ResourceType)
			}
			for _, m := range f.Compliance {
				if !slices.Contains(c.Compliance, m) {
					t.Errorf("missing mapping %s %s", m.Framework, m.Requirement)
				}
			}
			if len(f.Compliance) > 0 && len(c.Compliance) == 0 {
				t.Error("no compliance mapping")
			}
			for _, m := range c.Compliance {
				if !slices.Contains(prowlerfacts.Frameworks, m.Framework) {
					t.Errorf("unknown framework %q", m.Framework)
				}
			}
		})
	}
}

// TestModulesDoNotImportEachOther parses every Go file (tests included) of
// every module directory under checks/ and fails when one imports another
// module. checks/all and checks/internal are not modules.
func TestModulesDoNotImportEachOther(t *testing.T) {
	entries, err := os.ReadDir("..")
	if err != nil {
		t.Fatal(err)
	}
	var modules []string
	for _, e := range entries {
		if e.IsDir() && e.Name() != "all" && e.Name() != "internal" && e.Name() != "testdata" {
			modules = append(modules, e.Name())
		}
	}
	for _, m := range Modules() {
		dir, _, _ := strings.Cut(strings.TrimPrefix(reflect.TypeOf(m).Elem().PkgPath(), modulePath), "/")
		if !slices.Contains(modules, dir) {
			t.Errorf("module %s lives outside a directory under checks/ (%s)", m.Name(), reflect.TypeOf(m).Elem().PkgPath())
		}
	}
	for _, mod := range modules {
		files, err := filepath.Glob(filepath.Join("..", mod, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) == 0 {
			t.Errorf("checks/%s has no Go files", mod)
		}
		for _, file := range files {
			f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range f.Imports {
				path, err := strconv.Unquote(imp.Path.Value)
				if err != nil {
					t.Fatal(err)
				}
				rest, ok := strings.CutPrefix(path, modulePath)
				if !ok {
					continue
				}
				top, _, _ := strings.Cut(rest, "/")
				if top != mod && slices.Contains(modules, top) {
					t.Errorf("%s imports module %s", file, path)
				}
			}
		}
	}
}
