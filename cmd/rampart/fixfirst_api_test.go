package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/httpapi"
	"github.com/rampart-cspm/rampart/sqlite"
)

// TestFixFirstSameInCLIAndAPI runs the demo, then asks for the fix-first
// view through the CLI (rampart findings --view fix-first) and through the
// API's built-in "Fix first" and "Most useful" views (the SQL query layer),
// at the same evaluation time: both must list the same findings in the same
// order. It also checks that bad values of the context filters are 400s.
func TestFixFirstSameInCLIAndAPI(t *testing.T) {
	data := t.TempDir()
	if code, out, errOut := run(t, "demo", "--once", "--data", data, "--log-level", "warn"); code != 0 {
		t.Fatalf("demo exited %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	at := time.Now().UTC().Truncate(time.Second).Format(time.RFC3339)
	code, out, errOut := run(t, "findings", "--data", data, "--view", "fix-first", "--format", "json", "--at", at)
	if code != 0 {
		t.Fatalf("findings --view fix-first exited %d: %s", code, errOut)
	}
	var cli []rampart.Finding
	if err := json.Unmarshal([]byte(out), &cli); err != nil {
		t.Fatalf("findings json: %v\n%s", err, out)
	}
	var want []string
	for _, f := range cli {
		want = append(want, f.FindingID)
	}
	if len(want) < 3 {
		t.Fatalf("the demo's fix-first view has %d findings; the test needs content", len(want))
	}

	store, err := sqlite.Open(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	srv := httptest.NewServer(httpapi.New(store, nil, nil))
	defer srv.Close()
	get := func(path string, out any) int {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if out != nil && resp.StatusCode == 200 {
			if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
				t.Fatalf("GET %s: %v", path, err)
			}
		}
		return resp.StatusCode
	}
	var views struct {
		Views []rampart.SavedView `json:"views"`
	}
	if code := get("/api/v1/views", &views); code != 200 {
		t.Fatalf("GET /api/v1/views: %d", code)
	}
	checked := 0
	for _, v := range views.Views {
		if v.Name != "Fix first" && v.Name != "Most useful" {
			continue
		}
		checked++
		var got []string
		path := "/api/v1/findings?" + v.Query + "&at=" + url.QueryEscape(at) + "&limit=2"
		for pages := 0; ; pages++ {
			var page rampart.FindingPage
			if code := get(path, &page); code != 200 {
				t.Fatalf("view %q: GET %s: %d", v.Name, path, code)
			}
			for _, f := range page.Findings {
				got = append(got, f.FindingID)
			}
			if page.Next == "" || pages > 1000 {
				break
			}
			path = "/api/v1/findings?" + v.Query + "&at=" + url.QueryEscape(at) + "&limit=2&cursor=" + url.QueryEscape(page.Next)
		}
		if !slices.Equal(got, want) {
			t.Errorf("view %q through the API: %d findings\n%v\nCLI --view fix-first: %d\n%v", v.Name, len(got), got, len(want), want)
		}
		var count struct {
			Count int `json:"count"`
		}
		if code := get("/api/v1/findings/count?"+v.Query+"&at="+url.QueryEscape(at), &count); code != 200 || count.Count != len(want) {
			t.Errorf("view %q: count %d (status %d), want %d", v.Name, count.Count, code, len(want))
		}
	}
	if checked != 2 {
		t.Fatalf("built-in views Fix first and Most useful: found %d", checked)
	}

	for _, bad := range []string{"risk_level=severe", "public=yes", "data_sensitivity=secret", "privileged=1x",
		"owner_source=boss", "overdue=soon", "view=fix-last", "at=yesterday", "muted=maybe", "sort=fix_last"} {
		if code := get("/api/v1/findings?"+bad, nil); code != 400 {
			t.Errorf("GET /api/v1/findings?%s: %d, want 400", bad, code)
		}
	}
}
