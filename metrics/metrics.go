// Package metrics exposes Rampart's Prometheus metrics: scan units by state
// and error class, findings lifecycle events, AWS retries by class (the
// throttling signal), and API/dashboard request latency. Each process owns
// one Metrics with its own registry; cmd/rampart wires the hooks and serves
// /metrics.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rampart-cspm/rampart"
)

// Metrics holds the collectors. The zero value is not usable; use New.
type Metrics struct {
	Registry *prometheus.Registry

	units    *prometheus.CounterVec
	unitSecs *prometheus.HistogramVec
	events   *prometheus.CounterVec
	retries  *prometheus.CounterVec
	requests *prometheus.HistogramVec
}

// New returns metrics registered on a fresh registry (plus the Go runtime
// and process collectors).
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		units: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "rampart", Name: "scan_units_total",
			Help: "Scan units committed, by landing zone, final state and error class.",
		}, []string{"landing_zone", "state", "error_class"}),
		unitSecs: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "rampart", Name: "scan_unit_duration_seconds",
			Help:    "Wall time of a scan unit from start to commit, by landing zone.",
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 14),
		}, []string{"landing_zone"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "rampart", Name: "findings_observed_total",
			Help: "Findings observed by committed units, by landing zone and status.",
		}, []string{"landing_zone", "status"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "rampart", Name: "aws_retries_total",
			Help: "AWS calls retried, by service, operation and error class (throttling is the rate-control signal).",
		}, []string{"service", "operation", "error_class"}),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "rampart", Name: "http_request_duration_seconds",
			Help:    "API and dashboard request latency, by method, route pattern and status code.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}, []string{"method", "route", "code"}),
	}
	m.Registry.MustRegister(m.units, m.unitSecs, m.events, m.retries, m.requests,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveUnit records a committed unit (use as pipeline.RunOptions.OnUnit).
func (m *Metrics) ObserveUnit(res rampart.UnitResult) {
	u := res.Unit
	m.units.WithLabelValues(u.LandingZoneID, string(u.State), string(u.ErrorClass)).Inc()
	if !u.StartedAt.IsZero() && !u.FinishedAt.IsZero() {
		m.unitSecs.WithLabelValues(u.LandingZoneID).Observe(u.FinishedAt.Sub(u.StartedAt).Seconds())
	}
	counts := map[rampart.Status]int{}
	for _, f := range res.Findings {
		counts[f.Status]++
	}
	for st, n := range counts {
		m.events.WithLabelValues(u.LandingZoneID, string(st)).Add(float64(n))
	}
}

// OnRetry records one AWS retry (use as awsclient.Options.OnRetry).
func (m *Metrics) OnRetry(service, operation string, class rampart.ErrorClass) {
	m.retries.WithLabelValues(service, operation, string(class)).Inc()
}

// Instrument measures next's requests. The route label is the ServeMux
// pattern that matched (bounded cardinality), never the raw path.
func (m *Metrics) Instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(rec, r)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		m.requests.WithLabelValues(r.Method, route, strconv.Itoa(rec.code)).Observe(time.Since(start).Seconds())
	})
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
