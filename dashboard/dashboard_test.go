package dashboard_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/dashboard"
	"github.com/rampart-cspm/rampart/sqlite"
)

var now = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)

func generated(t *testing.T) (*httptest.Server, *sqlite.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.GenerateDataset(context.Background(), sqlite.GenerateOptions{Findings: 1500, Seed: 5, Now: now,
		LandingZones: 2, AccountsPerLZ: 4, Scans: 4}); err != nil {
		t.Fatal(err)
	}
	h := dashboard.New(st, nil, nil)
	h.Now = func() time.Time { return now }
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, st
}

func page(t *testing.T, srv *httptest.Server, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestPagesRender(t *testing.T) {
	srv, st := generated(t)
	ctx := context.Background()
	f, err := st.QueryFindings(ctx, rampart.FindingQuery{State: rampart.StateOpen, Limit: 1})
	if err != nil || len(f.Findings) != 1 {
		t.Fatal(err)
	}
	open, _ := st.CountFindings(ctx, rampart.FindingQuery{State: rampart.StateOpen})
	scans, _ := st.ListScans(ctx, "", 1)
	fixFirst, err := st.CountFindings(ctx, rampart.FindingQuery{View: rampart.ViewFixFirst, At: now})
	if err != nil || fixFirst == 0 {
		t.Fatalf("fix-first count %d, %v: the generated data should fill the view", fixFirst, err)
	}
	for _, tc := range []struct {
		path string
		want []string
	}{
		{"/", []string{"Posture per landing zone", "lz-01", "lz-02", "Worst accounts", "Mean time to resolve", "<svg", "Most useful"}},
		{"/findings", []string{`<span id="count">` + itoa(open) + `</span> findings`, "Export CSV", "Next page"}},
		{"/findings?severity=critical&lz=lz-01&state=all", []string{"findings", "critical", `href="/findings.csv?lz=lz-01&amp;severity=critical&amp;state=all"`}},
		{"/lz/lz-01", []string{"Accounts by open findings"}},
		{"/account/" + f.Findings[0].AccountID, []string{"Open findings by region and service"}},
		{"/finding/" + f.Findings[0].FindingID, []string{"Timeline", "Raw evidence", f.Findings[0].ResourceID}},
		{"/compliance", []string{"Compliance evidence", "CIS-5.0", "No evidence"}},
		{"/scans", []string{scans[0].ID}},
		{"/scans/" + scans[0].ID, []string{"Units by state and error class", "What did not succeed"}},
		{"/views", []string{"Most useful", "Fix first", `href="/findings?state=open&amp;view=fix-first"`}},
		{"/findings?view=fix-first&state=open", []string{`<span id="count">` + itoa(fixFirst) + `</span> findings`, `id="view-note"`,
			"fix first: ", `<span class="badge">`, `<option value="fix-first" selected>`}},
	} {
		code, body := page(t, srv, tc.path)
		if code != 200 {
			t.Errorf("GET %s: %d\n%s", tc.path, code, body)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s: page lacks %q", tc.path, w)
			}
		}
		if strings.Contains(body, "<script") || strings.Contains(body, "http://") || strings.Contains(body, "https://") {
			t.Errorf("GET %s: page loads something from elsewhere or runs script", tc.path)
		}
	}
	if code, body := page(t, srv, "/compliance"); code == 200 && strings.Contains(body[strings.Index(body, "<main"):], "%") {
		t.Error("compliance page shows a percentage")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestBadInputPages(t *testing.T) {
	srv, _ := generated(t)
	for path, want := range map[string]int{
		"/findings?severity=urgent":         400,
		"/findings?region=%27%20OR%201%3D1": 400,
		"/findings?limit=9999":              400,
		"/findings?cursor=garbage":          400,
		"/findings?nope=1":                  400,
		"/findings?view=fix-last":           400,
		"/findings?public=maybe":            400,
		"/findings?risk_level=severe":       400,
		"/finding/0123abcd":                 404,
		"/finding/%3Cscript%3E":             404,
		"/lz/nope":                          404,
		"/scans/nope":                       404,
		"/nothing":                          404,
		"/findings.csv?severity=urgent":     400,
		"/finding/0123abcd/evidence":        404,
	} {
		code, body := page(t, srv, path)
		if code != want {
			t.Errorf("GET %s: %d, want %d", path, code, want)
		}
		if want == 400 && !strings.Contains(body, "400 Bad Request") {
			t.Errorf("GET %s: no error page", path)
		}
	}
}

func TestCSVExportMatchesCount(t *testing.T) {
	srv, st := generated(t)
	n, _ := st.CountFindings(context.Background(), rampart.FindingQuery{State: rampart.StateOpen, Severities: []rampart.Severity{"high"}})
	code, body := page(t, srv, "/findings.csv?severity=high")
	if code != 200 {
		t.Fatalf("%d", code)
	}
	lines := strings.Count(strings.TrimSpace(body), "\n") // header + n rows
	if lines != n || n == 0 {
		t.Errorf("CSV has %d rows, count is %d", lines, n)
	}
}
