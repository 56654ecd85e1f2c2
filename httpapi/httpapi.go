// Package httpapi serves Rampart's versioned JSON API under /api/v1 with Go's
// net/http ServeMux patterns, and defines the query layer (Store) the API
// and the dashboard read through. Its OpenAPI 3 document is served at
// /api/v1/openapi.json; a test checks it against the registered routes.
// Domain errors map to HTTP statuses in one place (StatusOf).
package httpapi

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-cspm/rampart"
)

//go:embed openapi.json
var openapiDoc []byte

// OpenAPI returns the API's OpenAPI 3 document.
func OpenAPI() []byte { return openapiDoc }

// Route is one registered API operation.
type Route struct {
	Method, Path string // Path in OpenAPI form: /api/v1/findings/{id}
	handler      func(*API, http.ResponseWriter, *http.Request) error
}

// routes is the API's one list of operations; the ServeMux and the OpenAPI
// test both read it.
var routes = []Route{
	{"GET", "/api/v1/openapi.json", (*API).openapi},
	{"GET", "/api/v1/landing-zones", (*API).landingZones},
	{"GET", "/api/v1/landing-zones/{id}/accounts", (*API).accounts},
	{"GET", "/api/v1/scans", (*API).scans},
	{"GET", "/api/v1/scans/{id}", (*API).scan},
	{"GET", "/api/v1/findings", (*API).findings},
	{"GET", "/api/v1/findings/count", (*API).count},
	{"GET", "/api/v1/findings/{id}", (*API).finding},
	{"GET", "/api/v1/findings/{id}/evidence", (*API).evidence},
	{"GET", "/api/v1/aggregates", (*API).aggregates},
	{"GET", "/api/v1/compliance", (*API).compliance},
	{"GET", "/api/v1/trend", (*API).trend},
	{"GET", "/api/v1/resolve-times", (*API).resolveTimes},
	{"GET", "/api/v1/facets", (*API).facets},
	{"GET", "/api/v1/views", (*API).views},
	{"POST", "/api/v1/views", (*API).saveView},
	{"DELETE", "/api/v1/views/{name}", (*API).deleteView},
}

// Routes returns the registered operations.
func Routes() []Route { return slices.Clone(routes) }

// API is the /api/v1 handler.
type API struct {
	store     Store
	artifacts Opener
	logger    *slog.Logger
	// Now is the clock for relative filters (open_days_min).
	Now func() time.Time
	mux *http.ServeMux
}

// Opener opens raw evidence by artifact URI (rampart.ArtifactStore.Open).
type Opener interface {
	Open(ctx context.Context, uri string) (io.ReadCloser, error)
}

// New returns the API over store; artifacts may be nil (no evidence).
func New(store Store, artifacts Opener, logger *slog.Logger) *API {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	a := &API{store: store, artifacts: artifacts, logger: logger, Now: time.Now, mux: http.NewServeMux()}
	for _, rt := range routes {
		h := rt.handler
		a.mux.HandleFunc(rt.Method+" "+rt.Path, func(w http.ResponseWriter, r *http.Request) {
			if err := h(a, w, r); err != nil {
				a.Error(w, r, err)
			}
		})
	}
	a.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		a.Error(w, r, rampart.Errorf(rampart.ENOTFOUND, "no API operation %s %s", r.Method, clip(r.URL.Path)))
	})
	return a
}

func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

// StatusOf maps a domain error to its HTTP status: the one place where
// this happens, for the API and the dashboard.
func StatusOf(err error) int {
	switch rampart.ErrorCode(err) {
	case "":
		return http.StatusOK
	case rampart.EINVALID:
		return http.StatusBadRequest
	case rampart.ENOTFOUND:
		return http.StatusNotFound
	case rampart.ECONFLICT:
		return http.StatusConflict
	}
	if errors.Is(err, context.Canceled) {
		return 499 // client closed request
	}
	return http.StatusInternalServerError
}

// Error writes err as {"error": {"code", "message"}} with its status.
// Internal errors are logged and shown as "internal error".
func (a *API) Error(w http.ResponseWriter, r *http.Request, err error) {
	status := StatusOf(err)
	if status >= 500 {
		a.logger.Error("api", "method", r.Method, "path", r.URL.Path, "error", err)
	}
	writeJSON(w, status, map[string]any{"error": map[string]string{
		"code": rampart.ErrorCode(err), "message": rampart.ErrorMessage(err)}})
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (a *API) openapi(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	_, err := w.Write(openapiDoc)
	return err
}

// query parses a finding query from the request, checked against facets.
func (a *API) query(r *http.Request, extra ...string) (rampart.FindingQuery, error) {
	vals, err := values(r)
	if err != nil {
		return rampart.FindingQuery{}, err
	}
	facets, err := a.store.Facets(r.Context())
	if err != nil {
		return rampart.FindingQuery{}, err
	}
	return ParseQuery(vals, facets, a.Now(), extra...)
}

// values parses the request's query string, rejecting a malformed one
// (which url.Values would silently drop).
func values(r *http.Request) (url.Values, error) {
	if len(r.URL.RawQuery) > 8192 {
		return nil, rampart.Errorf(rampart.EINVALID, "query string longer than 8192 bytes")
	}
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, rampart.Errorf(rampart.EINVALID, "malformed query string: %v", err)
	}
	return v, nil
}

// only rejects a malformed query string and parameters other than the
// named ones.
func only(r *http.Request, names ...string) error {
	v, err := values(r)
	if err != nil {
		return err
	}
	for k := range v {
		if !slices.Contains(names, k) {
			return rampart.Errorf(rampart.EINVALID, "unknown parameter %q", clip(k))
		}
	}
	return nil
}

func (a *API) landingZones(w http.ResponseWriter, r *http.Request) error {
	if err := only(r); err != nil {
		return err
	}
	lzs, err := a.store.ListLandingZones(r.Context())
	if err != nil {
		return err
	}
	out := make([]LandingZoneJSON, len(lzs))
	for i, lz := range lzs {
		out[i] = landingZoneJSON(lz)
	}
	return writeJSON(w, 200, map[string]any{"landing_zones": out})
}

func (a *API) accounts(w http.ResponseWriter, r *http.Request) error {
	if err := only(r); err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := a.requireLZ(r.Context(), id); err != nil {
		return err
	}
	accts, err := a.store.ListAccounts(r.Context(), id)
	if err != nil {
		return err
	}
	out := make([]AccountJSON, len(accts))
	for i, ac := range accts {
		out[i] = accountJSON(ac)
	}
	return writeJSON(w, 200, map[string]any{"accounts": out})
}

func (a *API) requireLZ(ctx context.Context, id string) error {
	lzs, err := a.store.ListLandingZones(ctx)
	if err != nil {
		return err
	}
	for _, lz := range lzs {
		if lz.ID == id {
			return nil
		}
	}
	return rampart.Errorf(rampart.ENOTFOUND, "landing zone %q not found", clip(id))
}

func (a *API) scans(w http.ResponseWriter, r *http.Request) error {
	if err := only(r, "lz", "limit"); err != nil {
		return err
	}
	lz := r.URL.Query().Get("lz")
	if lz != "" {
		if err := a.requireLZ(r.Context(), lz); err != nil {
			return rampart.Errorf(rampart.EINVALID, "parameter lz: unknown landing zone %q", clip(lz))
		}
	}
	limit := 50
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxPageSize {
			return rampart.Errorf(rampart.EINVALID, "parameter limit: %q is not an integer in 1..%d", clip(s), MaxPageSize)
		}
		limit = n
	}
	scans, err := a.store.ListScans(r.Context(), lz, limit)
	if err != nil {
		return err
	}
	out := make([]ScanJSON, len(scans))
	for i, s := range scans {
		out[i] = scanJSON(s)
	}
	return writeJSON(w, 200, map[string]any{"scans": out})
}

func (a *API) scan(w http.ResponseWriter, r *http.Request) error {
	if err := only(r); err != nil {
		return err
	}
	st, err := ScanStatusOf(r.Context(), a.store, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, 200, st)
}

func (a *API) findings(w http.ResponseWriter, r *http.Request) error {
	q, err := a.query(r)
	if err != nil {
		return err
	}
	page, err := a.store.QueryFindings(r.Context(), q)
	if err != nil {
		return err
	}
	out := map[string]any{"findings": page.Findings, "next_cursor": page.Next}
	if page.Next != "" {
		next := r.URL.Query()
		next.Set("cursor", page.Next)
		out["next"] = "/api/v1/findings?" + next.Encode()
	}
	return writeJSON(w, 200, out)
}

func (a *API) count(w http.ResponseWriter, r *http.Request) error {
	q, err := a.query(r)
	if err != nil {
		return err
	}
	n, err := a.store.CountFindings(r.Context(), q)
	if err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]int{"count": n})
}

// FindingDetail is a finding with its timeline and evidence links.
type FindingDetail struct {
	Finding  rampart.Finding `json:"finding"`
	Events   []EventJSON     `json:"events"`
	Evidence []ArtifactJSON  `json:"evidence"`
}

// Detail loads a finding, its events and the artifacts of the unit that
// last saw it.
func Detail(ctx context.Context, s Store, id string) (FindingDetail, error) {
	if !validID(id) {
		return FindingDetail{}, rampart.Errorf(rampart.ENOTFOUND, "finding %q not found", clip(id))
	}
	f, err := s.GetFinding(ctx, id)
	if err != nil {
		return FindingDetail{}, err
	}
	evs, err := s.FindingEvents(ctx, id)
	if err != nil {
		return FindingDetail{}, err
	}
	d := FindingDetail{Finding: f, Events: []EventJSON{}, Evidence: []ArtifactJSON{}}
	for _, ev := range evs {
		d.Events = append(d.Events, EventJSON{ID: ev.ID, Type: string(ev.Type), At: ev.At, ScanID: ev.ScanID, UnitID: ev.UnitID})
	}
	scope := f.Scope
	if scope == "" {
		scope = f.Region
	}
	arts, err := s.UnitArtifacts(ctx, rampart.UnitID(f.ScanID, f.AccountID, scope))
	if err != nil {
		return FindingDetail{}, err
	}
	for i, art := range arts {
		d.Evidence = append(d.Evidence, ArtifactJSON{ID: art.ID, Kind: art.Kind, URI: art.URI, SHA256: art.SHA256,
			Size: art.Size, ContentType: art.ContentType, CreatedAt: art.CreatedAt, UnitID: art.UnitID,
			Href: "/api/v1/findings/" + url.PathEscape(id) + "/evidence?n=" + strconv.Itoa(i)})
	}
	return d, nil
}

// validID reports whether id has the shape of a finding ID (hex).
func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func (a *API) finding(w http.ResponseWriter, r *http.Request) error {
	if err := only(r); err != nil {
		return err
	}
	d, err := Detail(r.Context(), a.store, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, 200, d)
}

// OpenEvidence returns the n-th raw artifact of a finding's unit.
func OpenEvidence(ctx context.Context, s Store, arts Opener, id, n string) (io.ReadCloser, ArtifactJSON, error) {
	if arts == nil {
		return nil, ArtifactJSON{}, rampart.Errorf(rampart.ENOTFOUND, "no artifact store configured")
	}
	i := 0
	if n != "" {
		var err error
		if i, err = strconv.Atoi(n); err != nil || i < 0 || i > 1000 {
			return nil, ArtifactJSON{}, rampart.Errorf(rampart.EINVALID, "parameter n: %q is not an artifact index", clip(n))
		}
	}
	d, err := Detail(ctx, s, id)
	if err != nil {
		return nil, ArtifactJSON{}, err
	}
	if i >= len(d.Evidence) {
		return nil, ArtifactJSON{}, rampart.Errorf(rampart.ENOTFOUND, "finding %s has no evidence #%d", id, i)
	}
	rc, err := arts.Open(ctx, d.Evidence[i].URI)
	if err != nil {
		return nil, ArtifactJSON{}, err
	}
	return rc, d.Evidence[i], nil
}

func (a *API) evidence(w http.ResponseWriter, r *http.Request) error {
	if err := only(r, "n"); err != nil {
		return err
	}
	rc, art, err := OpenEvidence(r.Context(), a.store, a.artifacts, r.PathValue("id"), r.URL.Query().Get("n"))
	if err != nil {
		return err
	}
	defer rc.Close()
	ct := art.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'")
	_, err = io.Copy(w, rc)
	if err != nil {
		a.logger.Warn("api: copy evidence", "finding", r.PathValue("id"), "error", err)
	}
	return nil
}

func (a *API) aggregates(w http.ResponseWriter, r *http.Request) error {
	q, err := a.query(r, "by")
	if err != nil {
		return err
	}
	var by []rampart.GroupField
	for _, s := range strings.Split(r.URL.Query().Get("by"), ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if !slices.Contains(rampart.GroupFields, rampart.GroupField(s)) {
			return rampart.Errorf(rampart.EINVALID, "parameter by: unknown field %q (want one of %s)", clip(s), groupFieldList())
		}
		by = append(by, rampart.GroupField(s))
	}
	if len(by) == 0 || len(by) > 3 {
		return rampart.Errorf(rampart.EINVALID, "parameter by: give 1 to 3 of %s", groupFieldList())
	}
	groups, err := a.store.AggregateFindings(r.Context(), q, by...)
	if err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"by": by, "groups": groups})
}

func groupFieldList() string {
	s := make([]string, len(rampart.GroupFields))
	for i, g := range rampart.GroupFields {
		s[i] = string(g)
	}
	return strings.Join(s, ", ")
}

// RequirementSummary is the evidence for one framework requirement:
// counts of findings by outcome. There is deliberately no percentage.
type RequirementSummary struct {
	Framework    string `json:"framework"`
	Requirement  string `json:"requirement"`
	Pass         int    `json:"pass"`
	Fail         int    `json:"fail"`
	NoEvidence   int    `json:"no_evidence"` // MANUAL or NOT_EVALUATED rows
	OpenFailures int    `json:"-"`
}

// Compliance summarises q's findings (any state) per framework requirement.
func Compliance(ctx context.Context, s Store, q rampart.FindingQuery) ([]RequirementSummary, error) {
	groups, err := s.AggregateFindings(ctx, q, rampart.GroupFramework, rampart.GroupRequirement, rampart.GroupStatus)
	if err != nil {
		return nil, err
	}
	idx := map[[2]string]int{}
	out := []RequirementSummary{}
	for _, g := range groups {
		if g.Keys[0] == "" {
			continue // not mapped to a framework
		}
		k := [2]string{g.Keys[0], g.Keys[1]}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, RequirementSummary{Framework: k[0], Requirement: k[1]})
		}
		switch rampart.Status(g.Keys[2]) {
		case rampart.StatusPass:
			out[i].Pass += g.Count
		case rampart.StatusFail:
			out[i].Fail += g.Count
		default:
			out[i].NoEvidence += g.Count
		}
	}
	slices.SortFunc(out, func(a, b RequirementSummary) int {
		if c := strings.Compare(a.Framework, b.Framework); c != 0 {
			return c
		}
		return compareRequirement(a.Requirement, b.Requirement)
	})
	return out, nil
}

// compareRequirement orders "2.10" after "2.9".
func compareRequirement(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		na, ea := strconv.Atoi(pa[i])
		nb, eb := strconv.Atoi(pb[i])
		if ea == nil && eb == nil {
			if na != nb {
				return na - nb
			}
			continue
		}
		if c := strings.Compare(pa[i], pb[i]); c != 0 {
			return c
		}
	}
	return len(pa) - len(pb)
}

func (a *API) compliance(w http.ResponseWriter, r *http.Request) error {
	q, err := a.query(r)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("state") == "" {
		q.State = rampart.StateAll // compliance counts passing rows too
	}
	reqs, err := Compliance(r.Context(), a.store, q)
	if err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"requirements": reqs})
}

func (a *API) trend(w http.ResponseWriter, r *http.Request) error {
	if err := only(r, "lz", "n"); err != nil {
		return err
	}
	lz := r.URL.Query().Get("lz")
	if lz != "" {
		if err := a.requireLZ(r.Context(), lz); err != nil {
			return rampart.Errorf(rampart.EINVALID, "parameter lz: unknown landing zone %q", clip(lz))
		}
	}
	n := 20
	if s := r.URL.Query().Get("n"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 || v > 200 {
			return rampart.Errorf(rampart.EINVALID, "parameter n: %q is not an integer in 1..200", clip(s))
		}
		n = v
	}
	pts, err := a.store.PostureTrend(r.Context(), lz, n)
	if err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"points": pts})
}

func (a *API) resolveTimes(w http.ResponseWriter, r *http.Request) error {
	q, err := a.query(r)
	if err != nil {
		return err
	}
	rts, err := a.store.ResolveTimes(r.Context(), q)
	if err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"resolve_times": rts})
}

func (a *API) facets(w http.ResponseWriter, r *http.Request) error {
	if err := only(r); err != nil {
		return err
	}
	f, err := a.store.Facets(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"facets": f})
}

// Views returns the built-in views then the saved ones.
func Views(ctx context.Context, s Store) ([]rampart.SavedView, error) {
	saved, err := s.ListViews(ctx)
	if err != nil {
		return nil, err
	}
	return append(BuiltInViews(), saved...), nil
}

func (a *API) views(w http.ResponseWriter, r *http.Request) error {
	if err := only(r); err != nil {
		return err
	}
	vs, err := Views(r.Context(), a.store)
	if err != nil {
		return err
	}
	return writeJSON(w, 200, map[string]any{"views": vs})
}

func (a *API) saveView(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name        string `json:"name"`
		Description string `json:"description"`
		Query       string `json:"query"`
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 16<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return rampart.Errorf(rampart.EINVALID, "request body: want {\"name\", \"description\", \"query\"}: %v", err)
	}
	v := rampart.SavedView{Name: strings.TrimSpace(in.Name), Description: in.Description, Query: in.Query}
	for _, b := range BuiltInViews() {
		if b.Name == v.Name {
			return rampart.Errorf(rampart.ECONFLICT, "view %q is built in", v.Name)
		}
	}
	vals, err := ViewQuery(v)
	if err != nil {
		return err
	}
	facets, err := a.store.Facets(r.Context())
	if err != nil {
		return err
	}
	if _, err := ParseQuery(vals, facets, a.Now()); err != nil {
		return err
	}
	v.Query = vals.Encode()
	if err := a.store.SaveView(r.Context(), v); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, v)
}

func (a *API) deleteView(w http.ResponseWriter, r *http.Request) error {
	if err := a.store.DeleteView(r.Context(), r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
