package httpapi

import (
	"context"
	"slices"
	"time"

	"github.com/rampart-cspm/rampart"
)

// LandingZoneJSON is a landing zone as the API shows it (no credentials).
type LandingZoneJSON struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Cloud        string   `json:"cloud"`
	Regions      []string `json:"regions"`
	OwnerTeam    string   `json:"owner_team"`
	BusinessUnit string   `json:"business_unit"`
	Environment  string   `json:"environment"`
	ScanEnabled  bool     `json:"scan_enabled"`
	Schedule     string   `json:"schedule"`
}

func landingZoneJSON(lz rampart.LandingZone) LandingZoneJSON {
	regions := lz.Regions
	if regions == nil {
		regions = []string{}
	}
	return LandingZoneJSON{ID: lz.ID, Name: lz.Name, Cloud: lz.Cloud, Regions: regions, OwnerTeam: lz.OwnerTeam,
		BusinessUnit: lz.BusinessUnit, Environment: lz.Environment, ScanEnabled: lz.ScanEnabled, Schedule: lz.Schedule}
}

// AccountJSON is an account of a landing zone.
type AccountJSON struct {
	LandingZoneID string    `json:"landing_zone_id"`
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	Status        string    `json:"status"`
	OU            string    `json:"ou"`
	Environment   string    `json:"environment"`
	OwnerTeam     string    `json:"owner_team"`
	BusinessUnit  string    `json:"business_unit"`
	UpdatedAt     time.Time `json:"updated_at"`
}

func accountJSON(a rampart.Account) AccountJSON {
	return AccountJSON{LandingZoneID: a.LandingZoneID, ID: a.ID, Name: a.Name, Status: a.Status, OU: a.OU,
		Environment: a.Environment, OwnerTeam: a.OwnerTeam, BusinessUnit: a.BusinessUnit, UpdatedAt: a.UpdatedAt}
}

// ScanJSON is a scan.
type ScanJSON struct {
	ID            string     `json:"id"`
	LandingZoneID string     `json:"landing_zone_id"`
	Scanner       string     `json:"scanner"`
	Status        string     `json:"status"`
	StartedAt     time.Time  `json:"started_at"`
	FinishedAt    *time.Time `json:"finished_at"`
	Error         string     `json:"error"`
}

func scanJSON(s rampart.Scan) ScanJSON {
	out := ScanJSON{ID: s.ID, LandingZoneID: s.LandingZoneID, Scanner: s.Scanner, Status: string(s.Status),
		StartedAt: s.StartedAt, Error: s.Error}
	if !s.FinishedAt.IsZero() {
		t := s.FinishedAt
		out.FinishedAt = &t
	}
	return out
}

// UnitJSON is a scan unit: what ran where and how it went.
type UnitJSON struct {
	ID         string                  `json:"id"`
	AccountID  string                  `json:"account_id"`
	Region     string                  `json:"region"`
	State      string                  `json:"state"`
	ErrorClass string                  `json:"error_class"`
	Error      string                  `json:"error"`
	Attempts   int                     `json:"attempts"`
	Findings   int                     `json:"findings"`
	Services   []rampart.ServiceResult `json:"services"`
}

// EventJSON is one lifecycle event of a finding.
type EventJSON struct {
	ID     int64     `json:"id"`
	Type   string    `json:"type"`
	At     time.Time `json:"at"`
	ScanID string    `json:"scan_id"`
	UnitID string    `json:"unit_id"`
}

// ArtifactJSON is a pointer to raw evidence; Href serves its bytes.
type ArtifactJSON struct {
	ID          string    `json:"id"`
	UnitID      string    `json:"unit_id"`
	Kind        string    `json:"kind"`
	URI         string    `json:"uri"`
	SHA256      string    `json:"sha256"`
	Size        int64     `json:"size"`
	ContentType string    `json:"content_type"`
	CreatedAt   time.Time `json:"created_at"`
	Href        string    `json:"href"`
}

// StateCount counts units in one state and error class.
type StateCount struct {
	State      string `json:"state"`
	ErrorClass string `json:"error_class"`
	Units      int    `json:"units"`
}

// ScanStatus is a scan with its units by state and error class, and the
// units that did not succeed (what failed where and why).
type ScanStatus struct {
	Scan     ScanJSON     `json:"scan"`
	Units    int          `json:"units"`
	ByState  []StateCount `json:"by_state"`
	Problems []UnitJSON   `json:"problems"`
}

// ScanStatusOf loads a scan's status.
func ScanStatusOf(ctx context.Context, s Store, id string) (ScanStatus, error) {
	if id == "" || len(id) > 200 {
		return ScanStatus{}, rampart.Errorf(rampart.ENOTFOUND, "scan %q not found", clip(id))
	}
	sc, err := s.GetScan(ctx, id)
	if err != nil {
		return ScanStatus{}, err
	}
	units, err := s.ListUnits(ctx, id)
	if err != nil {
		return ScanStatus{}, err
	}
	st := ScanStatus{Scan: scanJSON(sc), Units: len(units), ByState: []StateCount{}, Problems: []UnitJSON{}}
	idx := map[[2]string]int{}
	for _, u := range units {
		k := [2]string{string(u.State), string(u.ErrorClass)}
		i, ok := idx[k]
		if !ok {
			i = len(st.ByState)
			idx[k] = i
			st.ByState = append(st.ByState, StateCount{State: k[0], ErrorClass: k[1]})
		}
		st.ByState[i].Units++
		failedService := slices.ContainsFunc(u.Services, func(s rampart.ServiceResult) bool { return s.Status != rampart.ServiceOK })
		if u.State != rampart.UnitSucceeded || failedService {
			services := u.Services
			if services == nil {
				services = []rampart.ServiceResult{}
			}
			st.Problems = append(st.Problems, UnitJSON{ID: u.ID, AccountID: u.AccountID, Region: u.Region,
				State: string(u.State), ErrorClass: string(u.ErrorClass), Error: u.Error, Attempts: u.Attempts,
				Findings: u.Findings, Services: services})
		}
	}
	slices.SortFunc(st.ByState, func(a, b StateCount) int { return b.Units - a.Units })
	return st, nil
}
