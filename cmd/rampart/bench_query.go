package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/httpapi"
	"github.com/rampart-cspm/rampart/sqlite"
)

// benchTiming is one measured operation.
type benchTiming struct {
	Name  string  `json:"name"`
	P50ms float64 `json:"p50_ms"`
	P95ms float64 `json:"p95_ms"`
}

type benchQueryReport struct {
	Findings  int           `json:"findings"`
	GenerateS float64       `json:"generate_s"`
	Runs      int           `json:"runs"`
	Queries   []benchTiming `json:"queries"`
	Pages     []benchTiming `json:"pages"`
}

// benchQueryCommand is "rampart bench query" (registered in bench_ingest.go).
func (a *app) benchQueryCommand() *cobra.Command {
	var (
		findings, runs int
		asJSON         bool
		data           string
	)
	cmd := &cobra.Command{
		Use:   "query --findings N [--json] [--data DIR] [--runs 30]",
		Short: "Build a dataset of N findings and time every dashboard query, API list call and page render",
		Long: `bench query generates a realistic dataset of N findings (landing zones,
accounts, regions, services, severities, statuses, owners, events, scans)
in a fresh SQLite store, or reuses DIR when it already holds one, then runs
every query the dashboard and the API make, every API list call and every
page render, --runs times each, and prints p50 and p95 in milliseconds.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if findings <= 0 || runs <= 0 {
				return rampart.Errorf(rampart.EINVALID, "--findings and --runs must be positive")
			}
			ctx := cmd.Context()
			dir := data
			if dir == "" {
				tmp, err := os.MkdirTemp("", "rampart-bench-*")
				if err != nil {
					return err
				}
				defer os.RemoveAll(tmp)
				dir = tmp
			}
			store, err := sqlite.Open(ctx, dir)
			if err != nil {
				return err
			}
			defer store.Close()
			now := time.Now().UTC().Truncate(time.Hour)
			rep := benchQueryReport{Findings: findings, Runs: runs}
			have, err := store.CountFindings(ctx, rampart.FindingQuery{})
			if err != nil {
				return err
			}
			if have == 0 {
				start := time.Now()
				if err := store.GenerateDataset(ctx, sqlite.GenerateOptions{Findings: findings, Seed: 1, Now: now}); err != nil {
					return err
				}
				rep.GenerateS = time.Since(start).Seconds()
			} else if have != findings {
				return rampart.Errorf(rampart.EINVALID, "--data %s holds %d findings, not %d", dir, have, findings)
			}
			if err := benchQueries(ctx, store, a, runs, &rep); err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			fmt.Fprintf(a.stdout, "%d findings (generated in %.0fs), %d runs each\n", rep.Findings, rep.GenerateS, runs)
			for _, group := range []struct {
				title string
				ts    []benchTiming
			}{{"queries and API list calls", rep.Queries}, {"pages (server-side render)", rep.Pages}} {
				fmt.Fprintf(a.stdout, "\n%-34s %9s %9s\n", group.title, "p50 ms", "p95 ms")
				for _, t := range group.ts {
					fmt.Fprintf(a.stdout, "%-34s %9.2f %9.2f\n", t.Name, t.P50ms, t.P95ms)
				}
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&findings, "findings", 1000000, "number of findings")
	cmd.Flags().IntVar(&runs, "runs", 30, "runs per measured operation")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&data, "data", "", "keep the dataset in DIR and reuse it next time (default: a temporary directory)")
	return cmd
}

// measure runs fn runs times and returns its p50 and p95.
func measure(name string, runs int, fn func() error) (benchTiming, error) {
	ds := make([]float64, 0, runs)
	for i := 0; i < runs; i++ {
		start := time.Now()
		if err := fn(); err != nil {
			return benchTiming{}, fmt.Errorf("bench %s: %w", name, err)
		}
		ds = append(ds, float64(time.Since(start).Microseconds())/1000)
	}
	sort.Float64s(ds)
	pct := func(p float64) float64 {
		i := int(p*float64(len(ds))+0.999999) - 1
		return ds[max(0, min(i, len(ds)-1))]
	}
	return benchTiming{Name: name, P50ms: pct(0.50), P95ms: pct(0.95)}, nil
}

func benchQueries(ctx context.Context, store *sqlite.Store, a *app, runs int, rep *benchQueryReport) error {
	open := rampart.FindingQuery{State: rampart.StateOpen}
	first, err := store.QueryFindings(ctx, open)
	if err != nil || len(first.Findings) == 0 {
		return fmt.Errorf("bench: no open findings in the dataset: %v", err)
	}
	f0 := first.Findings[0]
	scans, err := store.ListScans(ctx, f0.LandingZoneID, 1)
	if err != nil || len(scans) == 0 {
		return fmt.Errorf("bench: no scans in the dataset: %v", err)
	}
	facets, err := store.Facets(ctx)
	if err != nil {
		return err
	}
	with := func(mod func(q *rampart.FindingQuery)) rampart.FindingQuery {
		q := open
		mod(&q)
		return q
	}
	mostUseful := with(func(q *rampart.FindingQuery) {
		q.Severities = []rampart.Severity{rampart.SeverityCritical, rampart.SeverityHigh}
		q.Environments, q.NoOwner, q.FirstSeenTo = []string{"production"}, true, time.Now().Add(-7*24*time.Hour)
	})
	lz := with(func(q *rampart.FindingQuery) { q.LandingZones = []string{f0.LandingZoneID} })
	acct := with(func(q *rampart.FindingQuery) { q.AccountIDs = []string{f0.AccountID} })
	filtered := with(func(q *rampart.FindingQuery) {
		q.Regions, q.Services, q.Severities = []string{"eu-west-1"}, []string{"ec2"}, []rampart.Severity{rampart.SeverityHigh}
	})
	restype := with(func(q *rampart.FindingQuery) { q.ResourceTypes = []string{facets[rampart.GroupResourceType][0]} })
	page2 := first.Next
	yes := true
	fixFirst := with(func(q *rampart.FindingQuery) {
		q.View, q.Sort, q.At = rampart.ViewFixFirst, rampart.SortFixFirst, time.Now().UTC()
	})
	ffFirst, err := store.QueryFindings(ctx, fixFirst)
	if err != nil {
		return err
	}
	ffPage2 := with(func(q *rampart.FindingQuery) {
		*q = fixFirst
		q.Cursor = ffFirst.Next
	})
	ctxFilter := func(mod func(q *rampart.FindingQuery)) rampart.FindingQuery {
		return with(func(q *rampart.FindingQuery) { mod(q); q.At = time.Now().UTC() })
	}
	all := rampart.FindingQuery{State: rampart.StateAll}
	list := func(q rampart.FindingQuery) func() error {
		return func() error { _, err := store.QueryFindings(ctx, q); return err }
	}
	count := func(q rampart.FindingQuery) func() error {
		return func() error { _, err := store.CountFindings(ctx, q); return err }
	}
	agg := func(q rampart.FindingQuery, by ...rampart.GroupField) func() error {
		return func() error { _, err := store.AggregateFindings(ctx, q, by...); return err }
	}
	h := newHandler(store, nil, a)
	get := func(path string) func() error {
		return func() error {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil).WithContext(ctx))
			if rec.Code != http.StatusOK {
				b, _ := io.ReadAll(rec.Body)
				return fmt.Errorf("GET %s: %d %s", path, rec.Code, b)
			}
			return nil
		}
	}
	queries := []struct {
		name string
		fn   func() error
	}{
		{"list open (default order)", list(open)},
		{"list open, next page (cursor)", list(with(func(q *rampart.FindingQuery) { q.Cursor = page2 }))},
		{"list open by risk", list(with(func(q *rampart.FindingQuery) { q.Sort = rampart.SortRisk }))},
		{"list open, oldest first", list(with(func(q *rampart.FindingQuery) { q.Sort = rampart.SortFirstSeen }))},
		{"list landing zone", list(lz)},
		{"list account", list(acct)},
		{"list region+service+severity", list(filtered)},
		{"list resource type", list(restype)},
		{"list most useful view", list(mostUseful)},
		{"list all states", list(all)},
		{"list fix-first view", list(fixFirst)},
		{"list fix-first view, next page", list(ffPage2)},
		{"list risk_level=critical", list(ctxFilter(func(q *rampart.FindingQuery) { q.RiskLevels = []string{"critical"} }))},
		{"list public=true", list(ctxFilter(func(q *rampart.FindingQuery) { q.Public = &yes }))},
		{"list data_sensitivity=pii", list(ctxFilter(func(q *rampart.FindingQuery) { q.DataSensitivity = []string{"pii"} }))},
		{"list privileged=true", list(ctxFilter(func(q *rampart.FindingQuery) { q.Privileged = &yes }))},
		{"list overdue=true", list(ctxFilter(func(q *rampart.FindingQuery) { q.Overdue = &yes }))},
		{"list owner_source=unassigned", list(ctxFilter(func(q *rampart.FindingQuery) { q.OwnerSources = []string{"", "landing_zone"} }))},
		{"list public+pii by risk", list(ctxFilter(func(q *rampart.FindingQuery) {
			q.Public, q.DataSensitivity, q.Sort = &yes, []string{"pii"}, rampart.SortRisk
		}))},
		{"count fix-first view", count(fixFirst)},
		{"count overdue=true", count(ctxFilter(func(q *rampart.FindingQuery) { q.Overdue = &yes }))},
		{"count open", count(open)},
		{"count landing zone", count(lz)},
		{"count most useful view", count(mostUseful)},
		{"count region+service+severity", count(filtered)},
		{"agg open by LZ, severity", agg(open, rampart.GroupLandingZone, rampart.GroupSeverity)},
		{"agg open by LZ, risk band", agg(open, rampart.GroupLandingZone, rampart.GroupRiskBand)},
		{"agg worst accounts", agg(open, rampart.GroupLandingZone, rampart.GroupAccount, rampart.GroupSeverity)},
		{"agg LZ accounts", agg(lz, rampart.GroupAccount, rampart.GroupSeverity)},
		{"agg account region, service", agg(acct, rampart.GroupRegion, rampart.GroupService, rampart.GroupSeverity)},
		{"agg compliance", agg(all, rampart.GroupFramework, rampart.GroupRequirement, rampart.GroupStatus)},
		{"resolve times", func() error { _, err := store.ResolveTimes(ctx, rampart.FindingQuery{}); return err }},
		{"trend", func() error { _, err := store.PostureTrend(ctx, f0.LandingZoneID, 12); return err }},
		{"facets", func() error { _, err := store.Facets(ctx); return err }},
		{"finding detail", func() error { _, err := httpapi.Detail(ctx, store, f0.FindingID); return err }},
		{"scan status", func() error { _, err := httpapi.ScanStatusOf(ctx, store, scans[0].ID); return err }},
		{"API GET /findings", get("/api/v1/findings")},
		{"API GET /findings?cursor", get("/api/v1/findings?cursor=" + page2)},
		{"API GET /findings most useful", get("/api/v1/findings?severity=critical,high&environment=production&owner=none&open_days_min=7")},
		{"API GET /findings?limit=500", get("/api/v1/findings?limit=500&state=all")},
		{"API GET /findings?view=fix-first", get("/api/v1/findings?view=fix-first&state=open")},
		{"API GET /findings/count?view=fix-first", get("/api/v1/findings/count?view=fix-first&state=open")},
		{"API GET /findings?public&risk_level", get("/api/v1/findings?public=true&risk_level=critical,high&data_sensitivity=pii,confidential")},
		{"API GET /findings/count", get("/api/v1/findings/count?lz=" + f0.LandingZoneID)},
		{"API GET /aggregates", get("/api/v1/aggregates?by=landing_zone,severity")},
		{"API GET /compliance", get("/api/v1/compliance")},
		{"API GET /findings/{id}", get("/api/v1/findings/" + f0.FindingID)},
		{"API GET /scans/{id}", get("/api/v1/scans/" + scans[0].ID)},
		{"API GET /landing-zones", get("/api/v1/landing-zones")},
		{"API GET /trend", get("/api/v1/trend?lz=" + f0.LandingZoneID)},
	}
	for _, q := range queries {
		t, err := measure(q.name, runs, q.fn)
		if err != nil {
			return err
		}
		rep.Queries = append(rep.Queries, t)
	}
	pages := []struct{ name, path string }{
		{"home", "/"},
		{"findings (open)", "/findings"},
		{"findings most useful", "/findings?severity=critical&severity=high&environment=production&owner=none&open_days_min=7"},
		{"findings fix-first view", "/findings?view=fix-first&state=open"},
		{"findings overdue, unassigned", "/findings?overdue=true&owner_source=unassigned&sort=risk"},
		{"findings filtered", "/findings?region=eu-west-1&service=ec2&severity=high&sort=risk"},
		{"findings next page", "/findings?cursor=" + page2},
		{"landing zone", "/lz/" + f0.LandingZoneID},
		{"account", "/account/" + f0.AccountID},
		{"finding", "/finding/" + f0.FindingID},
		{"compliance", "/compliance"},
		{"scans", "/scans"},
		{"scan", "/scans/" + scans[0].ID},
		{"views", "/views"},
	}
	for _, p := range pages {
		t, err := measure(p.name, runs, get(p.path))
		if err != nil {
			return err
		}
		rep.Pages = append(rep.Pages, t)
	}
	return nil
}
