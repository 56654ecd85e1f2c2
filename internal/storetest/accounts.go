package storetest

import (
	"context"
	"reflect"
	"testing"

	"github.com/rampart-cspm/rampart"
)

func testAccounts(t *testing.T, s rampart.Store) {
	ctx := context.Background()
	upsertLZ(t, s, lzA)
	upsertLZ(t, s, lzA) // an update, not a conflict

	first := []rampart.Account{
		{ID: acct1, Name: "prod", Status: "ACTIVE", Environment: "prod", UpdatedAt: at(1)},
		{ID: acct2, Name: "dev", Status: "ACTIVE", Environment: "dev", UpdatedAt: at(1)},
	}
	must(t, s.ReplaceAccounts(ctx, lzA, first))
	got, err := s.ListAccounts(ctx, lzA)
	must(t, err)
	if len(got) != 2 || got[0].ID != acct1 || got[1].ID != acct2 {
		t.Fatalf("accounts after first enumeration = %+v, want %s and %s", got, acct1, acct2)
	}
	if got[0].LandingZoneID != lzA || got[0].Name != "prod" || got[0].Status != "ACTIVE" {
		t.Fatalf("account %s = %+v, want landing zone %s, name prod, status ACTIVE", acct1, got[0], lzA)
	}
	sameTime(t, "updated_at", got[0].UpdatedAt, at(1))

	const acct3 = "333333333333"
	second := []rampart.Account{
		{ID: acct2, Name: "dev-renamed", Status: "ACTIVE", UpdatedAt: at(2)},
		{ID: acct3, Name: "new", Status: "SUSPENDED", UpdatedAt: at(2)},
	}
	must(t, s.ReplaceAccounts(ctx, lzA, second))
	got, err = s.ListAccounts(ctx, lzA)
	must(t, err)
	byID := map[string]rampart.Account{}
	for _, a := range got {
		byID[a.ID] = a
	}
	if len(got) != 3 {
		t.Fatalf("accounts after second enumeration = %+v, want 3 (one removed)", got)
	}
	if a := byID[acct1]; a.Status != "REMOVED" || a.Name != "prod" {
		t.Errorf("unlisted account %s = %+v, want kept with status REMOVED", acct1, a)
	}
	if a := byID[acct2]; a.Name != "dev-renamed" || a.Status != "ACTIVE" {
		t.Errorf("account %s = %+v, want renamed and ACTIVE", acct2, a)
	}
	if a := byID[acct3]; a.Status != "SUSPENDED" {
		t.Errorf("account %s = %+v, want SUSPENDED", acct3, a)
	}

	// An account that comes back is active again.
	must(t, s.ReplaceAccounts(ctx, lzA, append(second, rampart.Account{ID: acct1, Name: "prod", Status: "ACTIVE"})))
	got, err = s.ListAccounts(ctx, lzA)
	must(t, err)
	if got[0].ID != acct1 || got[0].Status != "ACTIVE" {
		t.Errorf("returning account %s = %+v, want ACTIVE", acct1, got[0])
	}

	// Accounts of another landing zone are separate.
	upsertLZ(t, s, "lz-b")
	must(t, s.ReplaceAccounts(ctx, "lz-b", []rampart.Account{{ID: acct1, Name: "shared", Status: "ACTIVE"}}))
	if b, err := s.ListAccounts(ctx, "lz-b"); err != nil || len(b) != 1 || b[0].Name != "shared" {
		t.Errorf("accounts of lz-b = %+v, %v; want the one shared account", b, err)
	}
	if a, err := s.ListAccounts(ctx, lzA); err != nil || len(a) != 3 {
		t.Errorf("accounts of %s after writing lz-b = %d, %v; want 3", lzA, len(a), err)
	}

	wantCode(t, s.ReplaceAccounts(ctx, lzA, []rampart.Account{{ID: acct1}, {ID: acct1}}), rampart.EINVALID)
	wantCode(t, s.ReplaceAccounts(ctx, lzA, []rampart.Account{{ID: ""}}), rampart.EINVALID)
	wantCode(t, s.ReplaceAccounts(ctx, "no-such-lz", []rampart.Account{{ID: acct1}}), rampart.ENOTFOUND)
	wantCode(t, s.UpsertLandingZone(ctx, rampart.LandingZone{}), rampart.EINVALID)
}

func testScanLifecycle(t *testing.T, s rampart.Store) {
	ctx := context.Background()
	e := newEnv(t, s)
	scanID, units := e.scan([2]string{acct1, euWest1}, [2]string{acct1, rampart.GlobalRegion})

	sc, err := s.GetScan(ctx, scanID)
	must(t, err)
	if sc.LandingZoneID != lzA || sc.Status != rampart.UnitRunning || sc.Scanner != "native" || !sc.FinishedAt.IsZero() {
		t.Fatalf("new scan = %+v, want running native scan of %s, not finished", sc, lzA)
	}
	got, err := s.ListUnits(ctx, scanID)
	must(t, err)
	if len(got) != 2 || got[0].ID != units[0].ID || got[1].ID != units[1].ID {
		t.Fatalf("units = %+v, want %s then %s", got, units[0].ID, units[1].ID)
	}
	for _, u := range got {
		if u.State != rampart.UnitPending || u.Attempts != 0 || u.ScanID != scanID || u.AccountID != acct1 {
			t.Fatalf("new unit = %+v, want pending with 0 attempts", u)
		}
	}

	u := units[0]
	must(t, s.MarkUnitRunning(ctx, u.ID, at(1)))
	must(t, s.MarkUnitRunning(ctx, u.ID, at(2))) // a re-run after throttling
	got, err = s.ListUnits(ctx, scanID)
	must(t, err)
	if got[0].State != rampart.UnitRunning || got[0].Attempts != 2 {
		t.Fatalf("unit after two starts = %+v, want running with 2 attempts", got[0])
	}
	sameTime(t, "started_at", got[0].StartedAt, at(1))

	u.State = rampart.UnitPartial
	u.ErrorClass = rampart.ErrClassAccessDenied
	u.Error = "ec2: access denied"
	u.Services = []rampart.ServiceResult{ok(s3Svc), failed(ec2Svc, rampart.ErrClassAccessDenied)}
	u.Services[0].ChecksErrored = []string{ctlS3Enc}
	fs := []rampart.Finding{
		finding(scanID, acct1, euWest1, s3Svc, "bucket-1", ctlS3Pub, rampart.StatusFail),
		finding(scanID, acct1, euWest1, s3Svc, "bucket-2", ctlS3Pub, rampart.StatusPass),
	}
	_, err = s.CommitUnit(ctx, rampart.UnitResult{Unit: u, Findings: fs, At: at(3)})
	must(t, err)
	got, err = s.ListUnits(ctx, scanID)
	must(t, err)
	g := got[0]
	if g.State != rampart.UnitPartial || g.ErrorClass != rampart.ErrClassAccessDenied || g.Error != u.Error ||
		g.Attempts != 2 || g.Findings != 2 {
		t.Fatalf("committed unit = %+v, want partial, access_denied, 2 attempts, 2 findings", g)
	}
	sameTime(t, "finished_at", g.FinishedAt, at(3))
	if !reflect.DeepEqual(g.Services, u.Services) {
		t.Fatalf("services = %+v, want %+v", g.Services, u.Services)
	}
	if got[1].State != rampart.UnitPending {
		t.Fatalf("other unit = %+v, want still pending", got[1])
	}

	wantCode(t, s.MarkUnitRunning(ctx, u.ID, at(4)), rampart.ECONFLICT)
	wantCode(t, s.MarkUnitRunning(ctx, "no/such/unit", at(4)), rampart.ENOTFOUND)

	must(t, s.FinishScan(ctx, rampart.Scan{ID: scanID, LandingZoneID: lzA, Status: rampart.UnitPartial,
		FinishedAt: at(5), Error: "1 unit partial"}))
	sc, err = s.GetScan(ctx, scanID)
	must(t, err)
	if sc.Status != rampart.UnitPartial || sc.Error != "1 unit partial" {
		t.Fatalf("finished scan = %+v, want partial with its error", sc)
	}
	sameTime(t, "scan finished_at", sc.FinishedAt, at(5))
	sameTime(t, "scan started_at", sc.StartedAt, at(10))

	// More scans: ListScans is newest first, limited, per landing zone.
	second, _ := e.scan([2]string{acct2, euWest1})
	third, _ := e.scan([2]string{acct2, euWest1})
	list, err := s.ListScans(ctx, lzA, 2)
	must(t, err)
	if len(list) != 2 || list[0].ID != third || list[1].ID != second {
		t.Fatalf("ListScans(limit 2) = %v, want [%s %s]", scanIDs(list), third, second)
	}
	list, err = s.ListScans(ctx, lzA, 0)
	must(t, err)
	if len(list) != 3 {
		t.Fatalf("ListScans(no limit) = %v, want 3 scans", scanIDs(list))
	}
	upsertLZ(t, s, "lz-b")
	if list, err := s.ListScans(ctx, "lz-b", 0); err != nil || len(list) != 0 {
		t.Fatalf("ListScans(lz-b) = %v, %v; want none", scanIDs(list), err)
	}

	_, err = s.GetScan(ctx, "no-such-scan")
	wantCode(t, err, rampart.ENOTFOUND)
	wantCode(t, s.FinishScan(ctx, rampart.Scan{ID: "no-such-scan", Status: rampart.UnitSucceeded}), rampart.ENOTFOUND)
	wantCode(t, s.CreateScan(ctx, rampart.Scan{ID: scanID, LandingZoneID: lzA, StartedAt: at(9)}, nil), rampart.ECONFLICT)
	wantCode(t, s.CreateScan(ctx, rampart.Scan{ID: "scan-x", LandingZoneID: "no-such-lz", StartedAt: at(9)}, nil), rampart.ENOTFOUND)
	if _, err := s.GetScan(ctx, "scan-x"); rampart.ErrorCode(err) != rampart.ENOTFOUND {
		t.Fatalf("scan of a refused CreateScan: got %v, want ENOTFOUND", err)
	}
}

func scanIDs(list []rampart.Scan) []string {
	var out []string
	for _, s := range list {
		out = append(out, s.ID)
	}
	return out
}
