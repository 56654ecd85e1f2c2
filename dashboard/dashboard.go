// Package dashboard serves Rampart's Security Operations pages: posture per
// landing zone (severity and risk distribution, worst accounts, trend, mean
// time to resolve), the drill-down LZ → account → region/service → finding
// → raw evidence, a finding list whose every filter lives in the URL (with
// CSV export and saved views), scan status and compliance evidence.
//
// Pages are rendered on the server from embedded templates with inline SVG
// charts; there is no JavaScript and nothing is loaded from elsewhere, so
// the dashboard works offline. It reads only through httpapi.Store, the
// query layer the API uses.
package dashboard

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/export"
	"github.com/rampart-cspm/rampart/httpapi"
)

//go:embed templates/*.html
var templateFS embed.FS

// MaxCSVRows caps a CSV export.
const MaxCSVRows = 100000

// Handler serves the pages.
type Handler struct {
	store     httpapi.Store
	artifacts httpapi.Opener
	logger    *slog.Logger
	// Now is the clock for relative filters (open_days_min).
	Now  func() time.Time
	tmpl map[string]*template.Template
	mux  *http.ServeMux
}

// New returns the dashboard over store; artifacts (may be nil) serves raw
// evidence.
func New(store httpapi.Store, artifacts httpapi.Opener, logger *slog.Logger) *Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{store: store, artifacts: artifacts, logger: logger, Now: time.Now, mux: http.NewServeMux(),
		tmpl: map[string]*template.Template{}}
	funcs := template.FuncMap{
		// fixfirst lists the fix-first clauses a finding meets at a time
		// (rampart.FixFirstView), or nothing when it is not in the view.
		"fixfirst": func(f rampart.Finding, at time.Time) []string {
			required, clauses := rampart.FixFirstView(at)
			if !required.Match(&f, at) {
				return nil
			}
			var out []string
			for _, c := range clauses {
				if c.Query.Match(&f, at) {
					out = append(out, c.Name)
				}
			}
			return out
		},
		"ts": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.UTC().Format("2006-01-02 15:04")
		},
		"tsp": func(t *time.Time) string {
			if t == nil {
				return "—"
			}
			return t.UTC().Format("2006-01-02 15:04")
		},
		"q":       func(v url.Values) string { return v.Encode() },
		"esc":     url.QueryEscape,
		"pathesc": url.PathEscape,
		"join":    strings.Join,
		// qs returns a URL query string as a trusted URL part, re-encoded
		// from its parsed values; html/template would otherwise escape its
		// "=" and "&" and break the link.
		"qs": func(raw string) template.URL {
			v, err := url.ParseQuery(raw)
			if err != nil {
				return ""
			}
			return template.URL(v.Encode())
		},
		"days": func(t time.Time) int { return int(h.Now().Sub(t).Hours() / 24) },
	}
	base := template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	pages, err := templateFS.ReadDir("templates")
	if err != nil {
		panic(err)
	}
	for _, p := range pages {
		if p.Name() == "layout.html" {
			continue
		}
		h.tmpl[p.Name()] = template.Must(template.Must(base.Clone()).ParseFS(templateFS, "templates/"+p.Name()))
	}
	h.mux.HandleFunc("GET /{$}", h.home)
	h.mux.HandleFunc("GET /findings", h.findings)
	h.mux.HandleFunc("GET /findings.csv", h.csv)
	h.mux.HandleFunc("GET /finding/{id}", h.finding)
	h.mux.HandleFunc("GET /finding/{id}/evidence", h.evidence)
	h.mux.HandleFunc("GET /lz/{id}", h.lz)
	h.mux.HandleFunc("GET /account/{id}", h.account)
	h.mux.HandleFunc("GET /scans", h.scans)
	h.mux.HandleFunc("GET /scans/{id}", h.scan)
	h.mux.HandleFunc("GET /compliance", h.compliance)
	h.mux.HandleFunc("GET /views", h.views)
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	h.mux.ServeHTTP(w, r)
}

// render executes a page template into a buffer first, so that a failing
// page is an error page rather than half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, page string, data map[string]any) {
	var sb strings.Builder
	data["Path"] = r.URL.Path
	if err := h.tmpl[page].ExecuteTemplate(&sb, page, data); err != nil {
		h.fail(w, r, fmt.Errorf("render %s: %w", page, err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	io.WriteString(w, sb.String())
}

// fail renders an error page with the status httpapi.StatusOf gives.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := httpapi.StatusOf(err)
	if status >= 500 {
		h.logger.Error("dashboard", "path", r.URL.Path, "error", err)
	}
	var sb strings.Builder
	if terr := h.tmpl["error.html"].ExecuteTemplate(&sb, "error.html", map[string]any{
		"Title": http.StatusText(status), "Status": status, "StatusText": http.StatusText(status), "Message": rampart.ErrorMessage(err), "Path": r.URL.Path,
	}); terr != nil {
		http.Error(w, rampart.ErrorMessage(err), status)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, sb.String())
}

func sevBars(groups []rampart.Group, keyIdx int, href func(sev string) string) []bar {
	counts := map[string]int{}
	for _, g := range groups {
		counts[g.Keys[keyIdx]] += g.Count
	}
	var out []bar
	for _, s := range rampart.Severities {
		out = append(out, bar{Label: string(s), Value: counts[string(s)], Class: string(s), Href: href(string(s))})
	}
	return out
}

type lzCard struct {
	LZ         rampart.LandingZone
	Open       int
	Severity   template.HTML
	SevBars    []bar
	Risk       template.HTML
	Trend      template.HTML
	LastScan   *rampart.Scan
	TrendDelta int
}

type worstAccount struct {
	LZ, Account         string
	Critical, High, All int
	Score               int
}

func (h *Handler) home(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if len(r.URL.Query()) > 0 {
		h.fail(w, r, rampart.Errorf(rampart.EINVALID, "the home page takes no parameters; filters live on /findings"))
		return
	}
	lzs, err := h.store.ListLandingZones(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	open := rampart.FindingQuery{State: rampart.StateOpen}
	bySev, err := h.store.AggregateFindings(ctx, open, rampart.GroupLandingZone, rampart.GroupSeverity)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	byRisk, err := h.store.AggregateFindings(ctx, open, rampart.GroupLandingZone, rampart.GroupRiskBand)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	byAcct, err := h.store.AggregateFindings(ctx, open, rampart.GroupLandingZone, rampart.GroupAccount, rampart.GroupSeverity)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	scans, err := h.store.ListScans(ctx, "", 200)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var cards []lzCard
	total := 0
	for _, lz := range lzs {
		c := lzCard{LZ: lz}
		var sg, rg []rampart.Group
		for _, g := range bySev {
			if g.Keys[0] == lz.ID {
				sg = append(sg, g)
				c.Open += g.Count
			}
		}
		for _, g := range byRisk {
			if g.Keys[0] == lz.ID {
				rg = append(rg, g)
			}
		}
		total += c.Open
		c.SevBars = sevBars(sg, 1, func(s string) string { return "/findings?lz=" + url.QueryEscape(lz.ID) + "&severity=" + s })
		c.Severity = stack("Open findings of "+lz.ID+" by severity", c.SevBars)
		var rbars []bar
		counts := map[string]int{}
		for _, g := range rg {
			counts[g.Keys[1]] += g.Count
		}
		minRisk := map[string]int{"critical": 80, "high": 60, "medium": 40, "low": 20, "minimal": 0}
		for _, b := range rampart.RiskBands {
			rbars = append(rbars, bar{Label: "risk " + b, Value: counts[b], Class: "risk-" + b,
				Href: fmt.Sprintf("/findings?lz=%s&risk_min=%d&sort=risk", url.QueryEscape(lz.ID), minRisk[b])})
		}
		c.Risk = hbars("Open findings of "+lz.ID+" by risk band", rbars)
		pts, err := h.store.PostureTrend(ctx, lz.ID, 12)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		var labels []string
		var vals []int
		for _, p := range pts {
			labels = append(labels, p.At.UTC().Format("01-02 15:04"))
			vals = append(vals, p.Open)
		}
		c.Trend = line("Open findings of "+lz.ID+" after each scan", labels, vals)
		if len(vals) > 1 {
			c.TrendDelta = vals[len(vals)-1] - vals[len(vals)-2]
		}
		for i := range scans {
			if scans[i].LandingZoneID == lz.ID {
				c.LastScan = &scans[i]
				break
			}
		}
		cards = append(cards, c)
	}
	// Worst accounts: weighted by severity (critical 10, high 5, medium 2, low 1).
	weights := map[string]int{"critical": 10, "high": 5, "medium": 2, "low": 1}
	accts := map[[2]string]*worstAccount{}
	for _, g := range byAcct {
		k := [2]string{g.Keys[0], g.Keys[1]}
		a := accts[k]
		if a == nil {
			a = &worstAccount{LZ: k[0], Account: k[1]}
			accts[k] = a
		}
		a.All += g.Count
		a.Score += weights[g.Keys[2]] * g.Count
		switch g.Keys[2] {
		case "critical":
			a.Critical += g.Count
		case "high":
			a.High += g.Count
		}
	}
	var worst []*worstAccount
	for _, a := range accts {
		worst = append(worst, a)
	}
	sort.Slice(worst, func(i, j int) bool {
		if worst[i].Score != worst[j].Score {
			return worst[i].Score > worst[j].Score
		}
		return worst[i].Account < worst[j].Account
	})
	if len(worst) > 10 {
		worst = worst[:10]
	}
	rts, err := h.store.ResolveTimes(ctx, rampart.FindingQuery{})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var mttr []bar
	for _, rt := range rts {
		mttr = append(mttr, bar{Label: string(rt.Severity), Value: int(rt.MeanHours/24 + 0.5), Class: string(rt.Severity)})
	}
	h.render(w, r, "home.html", map[string]any{
		"Title": "Posture", "Cards": cards, "Total": total, "Worst": worst,
		"MTTR": hbars("Mean days to resolve by severity", mttr), "Views": httpapi.BuiltInViews(),
	})
}

// filterForm is what the filter form needs: current values and choices.
type filterForm struct {
	Values url.Values
	Facets map[rampart.GroupField][]string
}

func (f filterForm) Get(k string) string { return strings.Join(f.Values[k], ",") }

func (f filterForm) Has(k, v string) bool {
	for _, raw := range f.Values[k] {
		for _, s := range strings.Split(raw, ",") {
			if strings.EqualFold(strings.TrimSpace(s), v) {
				return true
			}
		}
	}
	return false
}

func (f filterForm) Choices(field string) []string { return f.Facets[rampart.GroupField(field)] }

func (h *Handler) parse(r *http.Request) (rampart.FindingQuery, url.Values, map[rampart.GroupField][]string, error) {
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return rampart.FindingQuery{}, nil, nil, rampart.Errorf(rampart.EINVALID, "malformed query string: %v", err)
	}
	// Empty form fields mean "any".
	for k, vals := range v {
		if len(vals) == 1 && vals[0] == "" {
			v.Del(k)
		}
	}
	facets, err := h.store.Facets(r.Context())
	if err != nil {
		return rampart.FindingQuery{}, nil, nil, err
	}
	q, err := httpapi.ParseQuery(v, facets, h.Now())
	return q, v, facets, err
}

func (h *Handler) findings(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q, v, facets, err := h.parse(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	page, err := h.store.QueryFindings(ctx, q)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	n, err := h.store.CountFindings(ctx, q)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var next string
	if page.Next != "" {
		nv := httpapi.Values(v, "cursor", page.Next)
		next = "/findings?" + nv.Encode()
	}
	filters := httpapi.Values(v, "cursor", "")
	at := q.At
	if at.IsZero() {
		at = h.Now()
	}
	h.render(w, r, "findings.html", map[string]any{
		"At": at, "View": q.View,
		"RiskLevels": httpapi.RiskLevels, "Sensitivities": httpapi.DataSensitivities, "OwnerSources": httpapi.OwnerSources,
		"Title": "Findings", "Findings": page.Findings, "Count": n, "Next": next,
		"Form": filterForm{Values: v, Facets: facets}, "Query": filters.Encode(),
		"Severities": rampart.Severities, "Statuses": rampart.Statuses, "Sorts": rampart.FindingSorts,
		"Paged": v.Get("cursor") != "",
	})
}

func (h *Handler) csv(w http.ResponseWriter, r *http.Request) {
	q, _, _, err := h.parse(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q.Limit, q.Cursor = httpapi.MaxPageSize, ""
	var all []rampart.Finding
	for {
		page, err := h.store.QueryFindings(r.Context(), q)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		all = append(all, page.Findings...)
		if page.Next == "" || len(all) >= MaxCSVRows {
			break
		}
		q.Cursor = page.Next
	}
	if len(all) > MaxCSVRows {
		all = all[:MaxCSVRows]
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="rampart-findings.csv"`)
	if err := export.Write(w, export.FormatCSV, all); err != nil {
		h.logger.Warn("dashboard: csv", "error", err)
	}
}

func (h *Handler) finding(w http.ResponseWriter, r *http.Request) {
	d, err := httpapi.Detail(r.Context(), h.store, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, "finding.html", map[string]any{"Title": d.Finding.Title, "F": d.Finding, "Events": d.Events, "Evidence": d.Evidence})
}

func (h *Handler) evidence(w http.ResponseWriter, r *http.Request) {
	rc, art, err := httpapi.OpenEvidence(r.Context(), h.store, h.artifacts, r.PathValue("id"), r.URL.Query().Get("n"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	defer rc.Close()
	const max = 2 << 20
	b, err := io.ReadAll(io.LimitReader(rc, max+1))
	if err != nil {
		h.fail(w, r, fmt.Errorf("read evidence %s: %w", art.URI, err))
		return
	}
	truncated := len(b) > max
	if truncated {
		b = b[:max]
	}
	h.render(w, r, "evidence.html", map[string]any{"Title": "Evidence", "ID": r.PathValue("id"), "A": art,
		"Body": prettyJSON(b), "Truncated": truncated})
}

func (h *Handler) lz(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	lzs, err := h.store.ListLandingZones(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	i := slices.IndexFunc(lzs, func(l rampart.LandingZone) bool { return l.ID == id })
	if i < 0 {
		h.fail(w, r, rampart.Errorf(rampart.ENOTFOUND, "landing zone %q not found", id))
		return
	}
	groups, err := h.store.AggregateFindings(ctx, rampart.FindingQuery{State: rampart.StateOpen, LandingZones: []string{id}},
		rampart.GroupAccount, rampart.GroupSeverity)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	accounts, err := h.store.ListAccounts(ctx, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	type row struct {
		Account rampart.Account
		BySev   map[string]int
		Open    int
	}
	rows := map[string]*row{}
	for _, a := range accounts {
		rows[a.ID] = &row{Account: a, BySev: map[string]int{}}
	}
	for _, g := range groups {
		rw := rows[g.Keys[0]]
		if rw == nil {
			rw = &row{Account: rampart.Account{ID: g.Keys[0]}, BySev: map[string]int{}}
			rows[g.Keys[0]] = rw
		}
		rw.BySev[g.Keys[1]] += g.Count
		rw.Open += g.Count
	}
	var list []*row
	for _, rw := range rows {
		list = append(list, rw)
	}
	sort.Slice(list, func(i, j int) bool {
		a, b := list[i], list[j]
		for _, s := range []string{"critical", "high", "medium"} {
			if a.BySev[s] != b.BySev[s] {
				return a.BySev[s] > b.BySev[s]
			}
		}
		if a.Open != b.Open {
			return a.Open > b.Open
		}
		return a.Account.ID < b.Account.ID
	})
	h.render(w, r, "lz.html", map[string]any{"Title": id, "LZ": lzs[i], "Rows": list, "Severities": rampart.Severities})
}

func (h *Handler) account(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	facets, err := h.store.Facets(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q, err := httpapi.ParseQuery(url.Values{"account": {id}}, facets, h.Now())
	if err != nil {
		h.fail(w, r, rampart.Errorf(rampart.ENOTFOUND, "account %q not found", id))
		return
	}
	groups, err := h.store.AggregateFindings(ctx, q, rampart.GroupRegion, rampart.GroupService, rampart.GroupSeverity)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	type cell struct {
		Region, Service string
		BySev           map[string]int
		Open            int
	}
	cells := map[[2]string]*cell{}
	for _, g := range groups {
		k := [2]string{g.Keys[0], g.Keys[1]}
		c := cells[k]
		if c == nil {
			c = &cell{Region: k[0], Service: k[1], BySev: map[string]int{}}
			cells[k] = c
		}
		c.BySev[g.Keys[2]] += g.Count
		c.Open += g.Count
	}
	var list []*cell
	for _, c := range cells {
		list = append(list, c)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].Region != list[j].Region {
			return list[i].Region < list[j].Region
		}
		return list[i].Service < list[j].Service
	})
	page, err := h.store.QueryFindings(ctx, rampart.FindingQuery{State: rampart.StateOpen, AccountIDs: []string{id}, Limit: 1})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var lz, name string
	if len(page.Findings) > 0 {
		lz, name = page.Findings[0].LandingZoneID, page.Findings[0].AccountName
	}
	h.render(w, r, "account.html", map[string]any{"Title": "Account " + id, "ID": id, "LZ": lz, "Name": name,
		"Cells": list, "Severities": rampart.Severities})
}

func (h *Handler) scans(w http.ResponseWriter, r *http.Request) {
	scans, err := h.store.ListScans(r.Context(), "", 100)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, "scans.html", map[string]any{"Title": "Scans", "Scans": scans})
}

func (h *Handler) scan(w http.ResponseWriter, r *http.Request) {
	st, err := httpapi.ScanStatusOf(r.Context(), h.store, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var bars []bar
	for _, s := range st.ByState {
		label := s.State
		if s.ErrorClass != "" {
			label += " · " + s.ErrorClass
		}
		bars = append(bars, bar{Label: label, Value: s.Units, Class: "state-" + s.State})
	}
	h.render(w, r, "scan.html", map[string]any{"Title": "Scan " + st.Scan.ID, "S": st,
		"Chart": hbars("Units of scan "+st.Scan.ID+" by state and error class", bars)})
}

func (h *Handler) compliance(w http.ResponseWriter, r *http.Request) {
	q, v, facets, err := h.parse(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if v.Get("state") == "" {
		q.State = rampart.StateAll
	}
	reqs, err := httpapi.Compliance(r.Context(), h.store, q)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, "compliance.html", map[string]any{"Title": "Compliance", "Reqs": reqs,
		"Form": filterForm{Values: v, Facets: facets}})
}

func (h *Handler) views(w http.ResponseWriter, r *http.Request) {
	vs, err := httpapi.Views(r.Context(), h.store)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, "views.html", map[string]any{"Title": "Saved views", "Views": vs})
}

// prettyJSON indents b when it is JSON and returns it unchanged otherwise.
func prettyJSON(b []byte) string {
	if json.Valid(b) {
		var ib bytes.Buffer
		if err := json.Indent(&ib, b, "", "  "); err == nil {
			return ib.String()
		}
	}
	return string(b)
}
