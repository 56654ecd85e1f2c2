package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-cspm/rampart/artifact"
	"github.com/rampart-cspm/rampart/metrics"
	"github.com/rampart-cspm/rampart/sqlite"
)

func TestServeExposesMetrics(t *testing.T) {
	dir := t.TempDir()
	store, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	arts, err := artifact.NewLocal(filepath.Join(dir, "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	a := &app{stdout: io.Discard, stderr: io.Discard, metrics: metrics.New(), logLevel: "warn", logFormat: "text"}
	if err := a.setupLogging(); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newHandler(store, arts, a))
	defer srv.Close()
	for _, p := range []string{"/api/v1/openapi.json", "/api/v1/findings?severity=urgent"} {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	out := string(body)
	for _, want := range []string{`code="200"`, `code="400"`, "rampart_http_request_duration_seconds_count", "go_goroutines"} {
		if !strings.Contains(out, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
