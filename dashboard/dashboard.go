// Package dashboard serves Rampart's pages for Security Operations. This
// first page shows posture per landing zone (open findings by severity,
// scan status) and the open findings ordered by severity and risk. Templates
// are embedded: the pages work offline and load nothing from a CDN.
package dashboard

import (
	"context"
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"sort"
	"time"

	"github.com/rampart-cspm/rampart"
)

//go:embed templates/*.html
var templateFS embed.FS

// Store is what the pages read.
type Store interface {
	ListFindings(ctx context.Context, f rampart.FindingFilter) ([]rampart.Finding, error)
	ListScans(ctx context.Context, lzID string, limit int) ([]rampart.Scan, error)
}

// Handler serves the pages.
type Handler struct {
	store  Store
	logger *slog.Logger
	tmpl   *template.Template
	mux    *http.ServeMux
}

// New returns the dashboard handler over store.
func New(store Store, logger *slog.Logger) *Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{store: store, logger: logger, mux: http.NewServeMux()}
	h.tmpl = template.Must(template.New("").Funcs(template.FuncMap{
		"ts": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") },
	}).ParseFS(templateFS, "templates/*.html"))
	h.mux.HandleFunc("GET /{$}", h.home)
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

type lzView struct {
	ID         string
	BySeverity []sevCount
	Open       int
	LastScan   *rampart.Scan
	Top        []rampart.Finding
}

type sevCount struct {
	Severity rampart.Severity
	N        int
}

const topN = 25

func (h *Handler) home(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	open, err := h.store.ListFindings(ctx, rampart.FindingFilter{OnlyOpen: true, Statuses: []rampart.Status{rampart.StatusFail}})
	if err != nil {
		h.fail(w, err)
		return
	}
	byLZ := map[string]*lzView{}
	for _, f := range open {
		v := byLZ[f.LandingZoneID]
		if v == nil {
			v = &lzView{ID: f.LandingZoneID}
			byLZ[f.LandingZoneID] = v
		}
		v.Open++
		if len(v.Top) < topN {
			v.Top = append(v.Top, f)
		}
	}
	scans, err := h.store.ListScans(ctx, "", 200)
	if err != nil {
		h.fail(w, err)
		return
	}
	for i := range scans {
		s := scans[i]
		v := byLZ[s.LandingZoneID]
		if v == nil {
			v = &lzView{ID: s.LandingZoneID}
			byLZ[s.LandingZoneID] = v
		}
		if v.LastScan == nil || s.StartedAt.After(v.LastScan.StartedAt) {
			v.LastScan = &s
		}
	}
	var views []*lzView
	for _, v := range byLZ {
		counts := map[rampart.Severity]int{}
		for _, f := range open {
			if f.LandingZoneID == v.ID {
				counts[f.Severity]++
			}
		}
		for _, s := range rampart.Severities {
			v.BySeverity = append(v.BySeverity, sevCount{s, counts[s]})
		}
		views = append(views, v)
	}
	sort.Slice(views, func(i, j int) bool { return views[i].ID < views[j].ID })
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := h.tmpl.ExecuteTemplate(w, "home.html", map[string]any{"LZs": views, "Total": len(open)}); err != nil {
		h.logger.Error("render home", "error", err)
	}
}

func (h *Handler) fail(w http.ResponseWriter, err error) {
	h.logger.Error("dashboard", "error", err)
	http.Error(w, "internal error", http.StatusInternalServerError)
}
