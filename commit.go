package rampart

import (
	"slices"
	"time"
)

// Matches checks that u (a unit result), where it names them, is the
// stored unit. Stores call it before committing a result.
func (u *ScanUnit) Matches(stored ScanUnit) error {
	for _, f := range []struct{ name, got, want string }{
		{"scan", u.ScanID, stored.ScanID},
		{"landing zone", u.LandingZoneID, stored.LandingZoneID},
		{"account", u.AccountID, stored.AccountID},
		{"region", u.Region, stored.Region},
	} {
		if f.got != "" && f.got != f.want {
			return Errorf(EINVALID, "unit %s: result has %s %q, the unit has %q", u.ID, f.name, f.got, f.want)
		}
	}
	return nil
}

// Observations validates the result's findings against the unit, sets
// their scope (and scan ID when empty) and keeps the last of several with
// the same FindingID. It returns how many it dropped as duplicates.
func Observations(in []Finding, unit ScanUnit) ([]Finding, int, error) {
	last := make(map[string]int, len(in))
	for i, f := range in {
		if f.FindingID == "" {
			return nil, 0, Errorf(EINVALID, "unit %s: finding %d (%s %s) has no finding ID", unit.ID, i, f.ControlID, f.ResourceID)
		}
		for _, c := range []struct{ name, got, want string }{
			{"landing zone", f.LandingZoneID, unit.LandingZoneID},
			{"account", f.AccountID, unit.AccountID},
		} {
			if c.got != c.want {
				return nil, 0, Errorf(EINVALID, "unit %s: finding %d (%s) has %s %q, the unit has %q",
					unit.ID, i, f.FindingID, c.name, c.got, c.want)
			}
		}
		if f.Scope != "" && f.Scope != unit.Region {
			return nil, 0, Errorf(EINVALID, "unit %s: finding %d (%s) has scope %q, the unit's region is %q",
				unit.ID, i, f.FindingID, f.Scope, unit.Region)
		}
		if f.ScanID != "" && f.ScanID != unit.ScanID {
			return nil, 0, Errorf(EINVALID, "unit %s: finding %d (%s) has scan %q, the unit's scan is %q",
				unit.ID, i, f.FindingID, f.ScanID, unit.ScanID)
		}
		last[f.FindingID] = i
	}
	out := make([]Finding, 0, len(last))
	for i, f := range in {
		if last[f.FindingID] != i {
			continue
		}
		f.Scope = unit.Region
		f.ScanID = unit.ScanID
		out = append(out, f)
	}
	return out, len(in) - len(out), nil
}

// Change is a read-model row after a commit and the events that made it.
type Change struct {
	Row    *Finding
	Events []FindingEvent
}

// PlanCommit decides the lifecycle of one unit's result: Observe for every
// observation against its current row, then Vanish for every unresolved row
// of the unit's scope that was not observed and whose check the unit
// covered. cur holds the current rows by ID (observed ones and the scope's),
// scope the IDs of the scope's rows in a stable order. It returns the
// changes to write, in order, and how many observations were ignored. Every
// Store's CommitUnit uses it, so they all decide alike.
func PlanCommit(u *ScanUnit, scanID string, obs []Finding, cur map[string]*Finding, scope []string, at time.Time) ([]Change, int) {
	var changes []Change
	ignored := 0
	observed := make(map[string]bool, len(obs))
	for _, o := range obs {
		observed[o.FindingID] = true
		row, evs := Observe(cur[o.FindingID], o, u.ID, at)
		if row == nil {
			ignored++
			continue
		}
		changes = append(changes, Change{row, evs})
	}
	for _, id := range scope {
		row := cur[id]
		if observed[id] || row.ResolvedAt != nil || !u.Covers(row.Service, row.ControlID) {
			continue
		}
		if next, evs := Vanish(row, scanID, u.ID, at); next != nil {
			changes = append(changes, Change{next, evs})
		}
	}
	return changes, ignored
}

// Validate checks that a unit result can be committed at all: it names a
// unit and its state is terminal.
func (r *UnitResult) Validate() error {
	if r.Unit.ID == "" {
		return Errorf(EINVALID, "unit result has no unit ID")
	}
	if !r.Unit.State.Terminal() {
		return Errorf(EINVALID, "unit %s: result state %q is not terminal", r.Unit.ID, r.Unit.State)
	}
	return nil
}

// Ingests. A store writes an external scan (a Prowler file) observation
// by observation in one transaction (sqlite.Ingest, postgres.Ingest); what
// follows is what they decide alike.

// IngestObservation checks one observation of scan's ingest and sets its
// scan ID and, when it has none, its scope (its region).
func IngestObservation(f *Finding, scan Scan) error {
	if f.FindingID == "" {
		return Errorf(EINVALID, "no finding ID")
	}
	if f.LandingZoneID != scan.LandingZoneID {
		return Errorf(EINVALID, "landing zone %q, the scan's is %q", f.LandingZoneID, scan.LandingZoneID)
	}
	f.Scope = f.IngestScope()
	if f.AccountID == "" || f.Scope == "" {
		return Errorf(EINVALID, "no account or region")
	}
	f.ScanID = scan.ID
	return nil
}

// IngestScope is the region of the unit an ingested observation belongs
// to: its scope, or its region when it has none.
func (f *Finding) IngestScope() string {
	if f.Scope == "" {
		return f.Region
	}
	return f.Scope
}

// RepeatIgnored reports whether obs, met again by the ingest of scan
// scanID after that ingest wrote cur (cur.ScanID is scanID), is ignored.
// Of several observations of one finding in a file the first counts,
// unless a later one fails where the first did not: a failure is never
// hidden by a duplicate.
func RepeatIgnored(cur *Finding, obs Finding, scanID string) bool {
	return cur != nil && cur.ScanID == scanID && (obs.Status != StatusFail || cur.Status == StatusFail)
}

// IngestUnit is one (account, region) unit of an ingest: its row, what it
// covered, its last observation and the findings it counted.
type IngestUnit struct {
	Unit     ScanUnit
	covered  coverage
	last     time.Time
	findings int
}

// NewIngestUnit returns the running unit of (account, region) in scan,
// started at at; seq is its place in the scan's unit list.
func NewIngestUnit(scan Scan, account, region string, at time.Time) *IngestUnit {
	return &IngestUnit{covered: coverage{}, Unit: ScanUnit{
		ID: UnitID(scan.ID, account, region), ScanID: scan.ID, LandingZoneID: scan.LandingZoneID,
		AccountID: account, Region: region, State: UnitRunning, Attempts: 1, StartedAt: at,
	}}
}

// Applied records an observation, at at, of a finding of service and
// control that the ingest applied; first is whether it is the first of its
// finding in this ingest (its row had another scan's ID, or there was none).
func (u *IngestUnit) Applied(service, control string, at time.Time, first bool) {
	if first {
		u.findings++
	}
	u.covered.Add(service, control)
	if at.After(u.last) {
		u.last = at
	}
}

// Done records the unit as succeeded at finished, with the services and
// checks it covered and the findings it counted, and returns the time of
// its absence resolutions: its last observation, or finished if none.
func (u *IngestUnit) Done(finished time.Time) time.Time {
	u.Unit.Services = u.covered.Services()
	u.Unit.State, u.Unit.FinishedAt, u.Unit.Findings = UnitSucceeded, finished, u.findings
	if u.last.IsZero() {
		return finished
	}
	return u.last
}

// coverage is what an ingested unit covered: the controls it reported,
// per service. An external scanner's file does not list the checks it
// ran, so a unit covers, and may resolve by absence, only what it reported.
type coverage map[string]map[string]bool

// Add records that the unit reported control of service.
func (c coverage) Add(service, control string) {
	if c[service] == nil {
		c[service] = map[string]bool{}
	}
	c[service][control] = true
}

// Services returns one succeeded ServiceResult per service, services and
// their checks in name order; nil when it reported nothing.
func (c coverage) Services() []ServiceResult {
	if len(c) == 0 {
		return nil
	}
	services := make([]string, 0, len(c))
	for s := range c {
		services = append(services, s)
	}
	slices.Sort(services)
	out := make([]ServiceResult, 0, len(services))
	for _, s := range services {
		ids := make([]string, 0, len(c[s]))
		for id := range c[s] {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		out = append(out, ServiceResult{Service: s, Checks: ids, Status: ServiceOK, ChecksRun: len(ids)})
	}
	return out
}
