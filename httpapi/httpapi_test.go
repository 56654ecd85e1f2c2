package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/httpapi"
	"github.com/rampart-cspm/rampart/sqlite"
)

var now = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)

// server serves the API over a generated dataset of n findings.
func server(t *testing.T, n int) (*httptest.Server, *sqlite.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	st.Now = func() time.Time { return now }
	if err := st.GenerateDataset(context.Background(), sqlite.GenerateOptions{Findings: n, Seed: 7, Now: now,
		LandingZones: 3, AccountsPerLZ: 5, Scans: 3}); err != nil {
		t.Fatal(err)
	}
	api := httpapi.New(st, nil, nil)
	api.Now = func() time.Time { return now }
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	return srv, st
}

func get(t *testing.T, srv *httptest.Server, path string, out any) int {
	t.Helper()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("GET %s: %d: decode %q: %v", path, resp.StatusCode, body, err)
		}
	}
	return resp.StatusCode
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(httpapi.OpenAPI(), &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi version %q, want 3.x", doc.OpenAPI)
	}
	var inDoc, inCode []string
	for path, ops := range doc.Paths {
		for m := range ops {
			inDoc = append(inDoc, strings.ToUpper(m)+" "+path)
		}
	}
	for _, r := range httpapi.Routes() {
		inCode = append(inCode, r.Method+" "+r.Path)
	}
	slices.Sort(inDoc)
	slices.Sort(inCode)
	if !slices.Equal(inDoc, inCode) {
		t.Errorf("OpenAPI operations and registered routes differ:\ndoc:  %v\ncode: %v", inDoc, inCode)
	}
	// Every documented finding filter is a parameter ParseQuery knows.
	var full struct {
		Paths map[string]map[string]struct {
			Parameters []struct{ Name, In string } `json:"parameters"`
		} `json:"paths"`
	}
	json.Unmarshal(httpapi.OpenAPI(), &full)
	var names []string
	for _, p := range full.Paths["/api/v1/findings"]["get"].Parameters {
		names = append(names, p.Name)
	}
	for _, f := range httpapi.FilterParams {
		if !slices.Contains(names, f) {
			t.Errorf("filter %q is not documented on GET /api/v1/findings", f)
		}
	}
}

func TestFindingsPagesCoverCountExactlyOnce(t *testing.T) {
	srv, _ := server(t, 1500)
	for _, sort := range []string{"severity", "risk", "first_seen", "last_seen"} {
		t.Run(sort, func(t *testing.T) {
			q := url.Values{"state": {"all"}, "sort": {sort}, "limit": {"173"}, "severity": {"critical,high,medium"}}
			var cnt struct{ Count int }
			if code := get(t, srv, "/api/v1/findings/count?"+q.Encode(), &cnt); code != 200 {
				t.Fatalf("count: %d", code)
			}
			seen := map[string]bool{}
			next := "/api/v1/findings?" + q.Encode()
			var prev *rampart.Finding
			for pages := 0; next != ""; pages++ {
				if pages > 100 {
					t.Fatal("too many pages")
				}
				var page struct {
					Findings []rampart.Finding
					Next     string
				}
				if code := get(t, srv, next, &page); code != 200 {
					t.Fatalf("GET %s: %d", next, code)
				}
				for i := range page.Findings {
					f := &page.Findings[i]
					if seen[f.FindingID] {
						t.Fatalf("finding %s on two pages", f.FindingID)
					}
					seen[f.FindingID] = true
					if prev != nil && !ordered(sort, prev, f) {
						t.Fatalf("order %s broken between %s and %s", sort, prev.FindingID, f.FindingID)
					}
					prev = f
				}
				next = page.Next
			}
			if len(seen) != cnt.Count || cnt.Count == 0 {
				t.Errorf("pages hold %d findings, count says %d", len(seen), cnt.Count)
			}
		})
	}
}

func ordered(sort string, a, b *rampart.Finding) bool {
	switch sort {
	case "severity":
		if a.Severity.Rank() != b.Severity.Rank() {
			return a.Severity.Rank() > b.Severity.Rank()
		}
		return a.RiskScore >= b.RiskScore || a.Severity.Rank() != b.Severity.Rank()
	case "risk":
		if a.RiskScore != b.RiskScore {
			return a.RiskScore > b.RiskScore
		}
		return !a.FirstSeenAt.After(b.FirstSeenAt)
	case "first_seen":
		return !a.FirstSeenAt.After(b.FirstSeenAt)
	case "last_seen":
		return !a.LastSeenAt.Before(b.LastSeenAt)
	}
	return false
}

func TestFiltersSelectWhatTheySay(t *testing.T) {
	srv, _ := server(t, 1200)
	var page struct{ Findings []rampart.Finding }
	q := "/api/v1/findings?limit=500&severity=critical,high&environment=production&owner=none&open_days_min=7&region=global&risk_min=40"
	if code := get(t, srv, q, &page); code != 200 {
		t.Fatalf("%d", code)
	}
	if len(page.Findings) == 0 {
		t.Fatal("no findings selected; the dataset should have some")
	}
	for _, f := range page.Findings {
		if f.Severity.Rank() < 4 || f.Environment != "production" || f.OwnerTeam != "" || f.Region != "global" ||
			f.RiskScore < 40 || f.Status != rampart.StatusFail || f.ResolvedAt != nil || now.Sub(f.FirstSeenAt) < 7*24*time.Hour {
			t.Errorf("finding %s does not match the filters: %+v", f.FindingID, f)
		}
	}
}

func TestBadInputIs400WithMessage(t *testing.T) {
	srv, _ := server(t, 300)
	var first struct {
		Next string `json:"next_cursor"`
	}
	get(t, srv, "/api/v1/findings?state=all&limit=10", &first)
	if first.Next == "" {
		t.Fatal("want a next cursor")
	}
	tampered := []byte(first.Next)
	tampered[5] ^= 1
	for _, tc := range []struct{ path, want string }{
		{"/api/v1/findings?colour=red", `unknown parameter "colour"`},
		{"/api/v1/findings?severity=urgent", `parameter severity: unknown value "urgent"`},
		{"/api/v1/findings?status=BROKEN", `parameter status`},
		{"/api/v1/findings?state=closed", `parameter state`},
		{"/api/v1/findings?region=mars-1", `parameter region: unknown value "mars-1"`},
		{"/api/v1/findings?lz=" + url.QueryEscape("' OR 1=1 --"), `parameter lz`},
		{"/api/v1/findings?service=" + url.QueryEscape("s3'; DROP TABLE findings; --"), `parameter service`},
		{"/api/v1/findings?account=12345", `parameter account: malformed value "12345"`},
		{"/api/v1/findings?control=" + url.QueryEscape("x' UNION SELECT *"), `parameter control: malformed value`},
		{"/api/v1/findings?risk_min=abc", `parameter risk_min`},
		{"/api/v1/findings?risk_max=101", `parameter risk_max`},
		{"/api/v1/findings?first_seen_from=yesterday", `parameter first_seen_from`},
		{"/api/v1/findings?limit=100000", `over the maximum page size 500`},
		{"/api/v1/findings?limit=0", `parameter limit`},
		{"/api/v1/findings?sort=random()", `parameter sort`},
		{"/api/v1/findings?cursor=%%%", `malformed query string`},
		{"/api/v1/findings?cursor=" + url.QueryEscape("!!not base64!!"), `malformed cursor`},
		{"/api/v1/findings?cursor=bm90LWpzb24", `malformed cursor`},
		{"/api/v1/findings?state=all&limit=10&cursor=" + string(tampered), `malformed cursor`},
		{"/api/v1/findings?state=all&limit=10&severity=low&cursor=" + first.Next, `other filters`},
		{"/api/v1/findings?state=all&limit=10&sort=risk&cursor=" + first.Next, `continues sort`},
		{"/api/v1/aggregates?by=colour", `parameter by: unknown field "colour"`},
		{"/api/v1/aggregates", `parameter by`},
		{"/api/v1/trend?n=100000", `parameter n`},
		{"/api/v1/scans?lz=nope", `unknown landing zone`},
		{"/api/v1/findings?severity=" + strings.Repeat("a", 300), `longer than 200`},
	} {
		var body struct {
			Error struct{ Code, Message string }
		}
		code := get(t, srv, tc.path, &body)
		if code != 400 || body.Error.Code != rampart.EINVALID || !strings.Contains(body.Error.Message, tc.want) {
			t.Errorf("GET %s: %d %+v, want 400 with %q", tc.path, code, body.Error, tc.want)
		}
	}
	for _, p := range []string{"/api/v1/findings/ffff", "/api/v1/findings/" + url.PathEscape("../../etc"), "/api/v1/scans/nope", "/api/v1/nothing", "/api/v1/landing-zones/nope/accounts"} {
		if code := get(t, srv, p, nil); code != 404 {
			t.Errorf("GET %s: %d, want 404", p, code)
		}
	}
}

func TestAggregatesAgreeWithCounts(t *testing.T) {
	srv, _ := server(t, 800)
	var agg struct{ Groups []rampart.Group }
	if code := get(t, srv, "/api/v1/aggregates?by=landing_zone,severity", &agg); code != 200 {
		t.Fatalf("%d", code)
	}
	total := 0
	for _, g := range agg.Groups {
		total += g.Count
		var c struct{ Count int }
		get(t, srv, "/api/v1/findings/count?lz="+g.Keys[0]+"&severity="+g.Keys[1], &c)
		if c.Count != g.Count {
			t.Errorf("group %v: %d, count %d", g.Keys, g.Count, c.Count)
		}
	}
	var all struct{ Count int }
	get(t, srv, "/api/v1/findings/count", &all)
	if total != all.Count || total == 0 {
		t.Errorf("groups sum to %d, open count is %d", total, all.Count)
	}
	var comp struct{ Requirements []httpapi.RequirementSummary }
	if code := get(t, srv, "/api/v1/compliance?framework=CIS-5.0", &comp); code != 200 || len(comp.Requirements) == 0 {
		t.Fatalf("compliance: %d %d", code, len(comp.Requirements))
	}
	sum := 0
	for _, r := range comp.Requirements {
		sum += r.Pass + r.Fail + r.NoEvidence
	}
	var cis struct{ Count int }
	get(t, srv, "/api/v1/findings/count?framework=CIS-5.0&state=all", &cis)
	if sum != cis.Count {
		t.Errorf("compliance counts sum to %d, CIS-5.0 has %d findings", sum, cis.Count)
	}
	var trend struct{ Points []rampart.PosturePoint }
	if get(t, srv, "/api/v1/trend?lz=lz-01", &trend); len(trend.Points) != 3 {
		t.Errorf("trend of lz-01: %d points, want 3 (one per scan)", len(trend.Points))
	}
}

func TestSavedViews(t *testing.T) {
	srv, _ := server(t, 200)
	post := func(body string) int {
		resp, err := http.Post(srv.URL+"/api/v1/views", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := post(`{"name":"payments crit","query":"severity=critical&lz=lz-02"}`); c != 201 {
		t.Fatalf("save: %d", c)
	}
	for body, want := range map[string]int{
		`{"name":"x","query":"severity=urgent"}`: 400,
		`{"name":"x","query":"drop=1"}`:          400,
		`{"name":"","query":"severity=high"}`:    400,
		`{"name":"Most useful","query":""}`:      409,
		`not json`:                               400,
	} {
		if c := post(body); c != want {
			t.Errorf("POST %s: %d, want %d", body, c, want)
		}
	}
	var views struct{ Views []rampart.SavedView }
	get(t, srv, "/api/v1/views", &views)
	var names []string
	for _, v := range views.Views {
		names = append(names, v.Name)
	}
	if !slices.Contains(names, "Most useful") || !slices.Contains(names, "payments crit") {
		t.Errorf("views %v", names)
	}
	req, _ := http.NewRequest("DELETE", srv.URL+"/api/v1/views/payments%20crit", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 204 {
		t.Fatalf("delete: %v %v", err, resp)
	}
}
