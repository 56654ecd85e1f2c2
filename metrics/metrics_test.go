package metrics_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/metrics"
)

func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestMetricsRecordUnitsRetriesAndRequests(t *testing.T) {
	m := metrics.New()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m.ObserveUnit(rampart.UnitResult{
		Unit: rampart.ScanUnit{LandingZoneID: "lz-a", State: rampart.UnitPartial, ErrorClass: rampart.ErrClassThrottling,
			StartedAt: t0, FinishedAt: t0.Add(3 * time.Second)},
		Findings: []rampart.Finding{{Status: rampart.StatusFail}, {Status: rampart.StatusFail}, {Status: rampart.StatusPass}},
	})
	m.OnRetry("EC2", "DescribeSecurityGroups", rampart.ErrClassThrottling)
	m.OnRetry("EC2", "DescribeSecurityGroups", rampart.ErrClassThrottling)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/findings/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotFound) })
	h := m.Instrument(mux)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/api/v1/findings/abc", nil))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/nowhere", nil))

	out := scrape(t, m)
	for _, want := range []string{
		`rampart_scan_units_total{error_class="throttling",landing_zone="lz-a",state="partial"} 1`,
		`rampart_findings_observed_total{landing_zone="lz-a",status="FAIL"} 2`,
		`rampart_findings_observed_total{landing_zone="lz-a",status="PASS"} 1`,
		`rampart_aws_retries_total{error_class="throttling",operation="DescribeSecurityGroups",service="EC2"} 2`,
		`rampart_http_request_duration_seconds_count{code="404",method="GET",route="GET /api/v1/findings/{id}"} 1`,
		`rampart_scan_unit_duration_seconds_sum{landing_zone="lz-a"} 3`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
	// The raw path never becomes a label.
	if strings.Contains(out, "/nowhere") || strings.Contains(out, "findings/abc") {
		t.Error("a raw request path leaked into a label")
	}
}
