package dashboard_test

import (
	"context"
	"encoding/json"
	"flag"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rampart-cspm/rampart/artifact"
	"github.com/rampart-cspm/rampart/awssim"
	"github.com/rampart-cspm/rampart/dashboard"
	"github.com/rampart-cspm/rampart/httpapi"
	"github.com/rampart-cspm/rampart/internal/scantest"
)

var screenshots = flag.String("screenshots", "", "write PNG screenshots of home, a filtered list and a finding to this directory")

// chromium returns the path of Debian's Chromium. Without it the test
// skips locally and fails in CI (CI=true), where .ci/run installs it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium not found on PATH (CI=true): .ci/run installs it with apt-get install chromium")
	}
	t.Skip("chromium not found on PATH; install it (apt-get install chromium) to run the browser tests")
	return ""
}

// TestBrowser scans the simulated demo estate with the real pipeline,
// serves the API and dashboard on loopback and drives headless Chromium:
// home, filters, drill-down to a finding, its raw evidence, and counts
// checked against the API.
func TestBrowser(t *testing.T) {
	bin := chromium(t)
	h := scantest.Start(t, awssim.DemoEstate(), scantest.Options{})
	rep := h.Scan(t)
	for _, lr := range rep.LandingZones {
		if err := h.Store.RecordPosture(context.Background(), lr.Scan.ID); err != nil {
			t.Fatal(err)
		}
	}
	arts, err := artifact.NewLocal(filepath.Join(h.Dir, "data", "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", httpapi.New(h.Store, arts, nil))
	mux.Handle("/", dashboard.New(h.Store, arts, nil))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	base := "http://" + ln.Addr().String()

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1400, 1000),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	apiCount := func(query string) int {
		t.Helper()
		resp, err := http.Get(base + "/api/v1/findings/count?" + query)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var c struct{ Count int }
		if err := json.NewDecoder(resp.Body).Decode(&c); err != nil || resp.StatusCode != 200 {
			t.Fatalf("count %s: %d %v", query, resp.StatusCode, err)
		}
		return c.Count
	}
	shot := func(name string) {
		if *screenshots == "" {
			return
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(*screenshots, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// Home: one card per landing zone, totals that agree with the API.
	var total, heading string
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/"),
		into(&heading, chromedp.Text(chromedp.CSS("h1"))),
		into(&total, chromedp.Text(chromedp.CSS("main > p.meta"))),
	); err != nil {
		t.Fatal(err)
	}
	if heading != "Posture per landing zone" {
		t.Errorf("home heading %q", heading)
	}
	openAll := apiCount("")
	if openAll == 0 || !strings.HasPrefix(total, strconv.Itoa(openAll)+" open failing findings") {
		t.Errorf("home says %q, API counts %d open", total, openAll)
	}
	shot("home.png")

	// Filters: pick critical and high in the form, submit, compare with the API.
	var count string
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/findings"),
		chromedp.Click(chromedp.CSS(`input[name=severity][value=critical]`)),
		chromedp.Click(chromedp.CSS(`input[name=severity][value=high]`)),
		chromedp.Click(chromedp.CSS(`form.filters button[type=submit]`)),
	); err != nil {
		t.Fatal(err)
	}
	// The submit navigates: wait for the new URL before reading the page,
	// or the read may race the navigation.
	var loc string
	for i := 0; i < 100; i++ {
		l, err := chromedp.Run(ctx, chromedp.Location())
		if err == nil && strings.Contains(l, "severity=") {
			loc = l
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS(`#count`)),
		into(&count, chromedp.Text(chromedp.CSS(`#count`))),
	); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(loc, "severity=critical") || !strings.Contains(loc, "severity=high") {
		t.Errorf("filters are not in the URL: %s", loc)
	}
	want := apiCount("severity=critical,high")
	if count != strconv.Itoa(want) || want == 0 {
		t.Errorf("filtered list shows %s findings, API counts %d", count, want)
	}
	shot("findings-filtered.png")

	// Drill down: home → LZ → account → service → finding → evidence.
	var title, evidence string
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/"),
		chromedp.Click(chromedp.CSS(`section.card h2 a`)),
		chromedp.WaitVisible(chromedp.CSS(`table tbody tr td a`)),
		chromedp.Click(chromedp.CSS(`table tbody tr td a`)),
		chromedp.WaitVisible(chromedp.CSS(`a.service-link`)),
		chromedp.Click(chromedp.CSS(`a.service-link`)),
		chromedp.WaitVisible(chromedp.CSS(`a.finding-link`)),
		chromedp.Click(chromedp.CSS(`a.finding-link`)),
		chromedp.WaitVisible(chromedp.CSS(`#timeline`)),
		into(&title, chromedp.Text(chromedp.CSS(`h1`))),
	); err != nil {
		t.Fatal(err)
	}
	if title == "" {
		t.Error("finding page has no title")
	}
	shot("finding.png")
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`a.evidence-link`)),
		chromedp.WaitVisible(chromedp.CSS(`#evidence`)),
		into(&evidence, chromedp.Text(chromedp.CSS(`#evidence`))),
	); err != nil {
		t.Fatal(err)
	}
	var raw any
	if err := json.Unmarshal([]byte(evidence), &raw); err != nil || len(evidence) < 20 {
		t.Errorf("evidence is not the raw JSON of the unit (%d bytes): %v", len(evidence), err)
	}

	// Keyboard: the skip link is the first focusable element.
	var focused string
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/"),
		chromedp.KeyEvent("\t"),
		into(&focused, chromedp.Evaluate[string](`document.activeElement.textContent`)),
	); err != nil {
		t.Fatal(err)
	}
	if focused != "Skip to content" {
		t.Errorf("first Tab focuses %q, want the skip link", focused)
	}
}

// into runs a and stores its value in dst.
func into[T any](dst *T, a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		v, err := a(ctx, t)
		*dst = v
		return chromedp.Void{}, err
	}
}
