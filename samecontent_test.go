package rampart

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// fullFinding has every field set to a non-zero value.
func fullFinding() Finding {
	t0 := time.Date(2026, 4, 1, 6, 0, 0, 0, time.UTC)
	resolved, due := t0.Add(48*time.Hour), t0.Add(30*24*time.Hour)
	return Finding{FindingID: "f1", ScanID: "s1", LandingZoneID: "lz", AccountID: "111122223333", AccountName: "prod",
		Region: "eu-west-1", CloudProvider: "aws", ResourceID: "arn:aws:s3:::b", ResourceType: "AwsS3Bucket", ResourceName: "b",
		Service: "s3", ControlID: "s3_public", Title: "t", Severity: SeverityHigh, Status: StatusFail, RiskScore: 70,
		RiskReason: "r", Remediation: "fix", Framework: "CIS", RequirementID: "2.1", OwnerTeam: "team", BusinessUnit: "bu",
		Environment: "production", FirstSeenAt: t0, LastSeenAt: t0.Add(time.Hour), ResolvedAt: &resolved,
		StatusExtended: "se", ErrorClass: "throttling", Muted: true, MuteReason: "m", Sources: []string{"native"},
		RiskLevel: "high", Public: true, DataSensitivity: "pii", Privileged: true, CompensatingControls: []string{"vpn"},
		OwnerSource: "tag", DueAt: &due, Context: map[string]string{"k": "v"}, Scope: "eu-west-1"}
}

// TestSameContentComparesEveryField changes each field of Finding in turn:
// sameContent must see every change but to ScanID and LastSeenAt, the
// fields a seen event moves. A field added to Finding and not to
// sameContent fails here; a field of a kind this test cannot change fails
// too, until the test learns it.
func TestSameContentComparesEveryField(t *testing.T) {
	base := fullFinding()
	typ := reflect.TypeOf(base)
	other := base.FirstSeenAt.Add(time.Hour)
	for i := range typ.NumField() {
		field := typ.Field(i)
		for _, variant := range []string{"changed", "zero"} {
			b := fullFinding()
			v := reflect.ValueOf(&b).Elem().Field(i)
			if variant == "zero" {
				v.Set(reflect.Zero(field.Type))
			} else {
				switch {
				case field.Type == reflect.TypeOf(time.Time{}):
					v.Set(reflect.ValueOf(other))
				case field.Type == reflect.TypeOf(&time.Time{}):
					v.Set(reflect.ValueOf(&other))
				case field.Type.Kind() == reflect.String:
					v.SetString(v.String() + "x")
				case field.Type.Kind() == reflect.Int:
					v.SetInt(v.Int() + 1)
				case field.Type.Kind() == reflect.Bool:
					v.SetBool(!v.Bool())
				case field.Type.Kind() == reflect.Slice && field.Type.Elem().Kind() == reflect.String:
					v.Set(reflect.Append(v, reflect.ValueOf("z")))
				case field.Type.Kind() == reflect.Map:
					m := reflect.MakeMap(field.Type)
					m.SetMapIndex(reflect.ValueOf("k2"), reflect.ValueOf("v2"))
					v.Set(m)
				default:
					t.Fatalf("field %s (%s): this test does not know how to change it; teach it, and sameContent", field.Name, field.Type)
				}
			}
			moves := field.Name == "ScanID" || field.Name == "LastSeenAt"
			if got := sameContent(&base, &b); got != moves {
				t.Errorf("%s %s: sameContent = %v, want %v", field.Name, variant, got, moves)
			}
		}
	}
}

// sameContentReflect is the comparison sameContent replaced (copies with
// the moved fields cleared, reflect.DeepEqual), with nil and empty lists
// and maps made the same, as the store reads them back.
func sameContentReflect(a, b *Finding) bool {
	x, y := *a, *b
	for _, f := range []*Finding{&x, &y} {
		f.ScanID, f.LastSeenAt = "", time.Time{}
		if len(f.Sources) == 0 {
			f.Sources = nil
		}
		if len(f.CompensatingControls) == 0 {
			f.CompensatingControls = nil
		}
		if len(f.Context) == 0 {
			f.Context = nil
		}
	}
	if !x.FirstSeenAt.Equal(y.FirstSeenAt) || !sameInstant(x.ResolvedAt, y.ResolvedAt) || !sameInstant(x.DueAt, y.DueAt) {
		return false
	}
	x.FirstSeenAt, y.FirstSeenAt = time.Time{}, time.Time{}
	x.ResolvedAt, y.ResolvedAt, x.DueAt, y.DueAt = nil, nil, nil, nil
	return reflect.DeepEqual(x, y)
}

// TestSameContentMatchesReflect compares sameContent with the reflective
// comparison on random pairs: a few fields changed, times moved to another
// zone (the same instant), lists and maps emptied or nil.
func TestSameContentMatchesReflect(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	paris := time.FixedZone("CET", 3600)
	full := fullFinding()
	resolved, due := *full.ResolvedAt, *full.DueAt
	same, differ := 0, 0
	for range 20000 {
		a, b := fullFinding(), fullFinding()
		for _, f := range []*Finding{&a, &b} {
			for range r.IntN(3) {
				switch r.IntN(10) {
				case 0:
					f.Title = []string{"t", "u"}[r.IntN(2)]
				case 1:
					f.RiskScore = 70 + r.IntN(2)
				case 2:
					f.FirstSeenAt = f.FirstSeenAt.In(paris)
				case 3:
					f.ResolvedAt = []*time.Time{nil, ptr(resolved), ptr(resolved.In(paris))}[r.IntN(3)]
				case 4:
					f.Sources = [][]string{nil, {}, {"native"}, {"native", "prowler"}}[r.IntN(4)]
				case 5:
					f.CompensatingControls = [][]string{nil, {}, {"vpn"}}[r.IntN(3)]
				case 6:
					f.Context = []map[string]string{nil, {}, {"k": "v"}, {"k": "w"}}[r.IntN(4)]
				case 7:
					f.ScanID, f.LastSeenAt = "s2", f.LastSeenAt.Add(time.Hour)
				case 8:
					f.DueAt = []*time.Time{nil, ptr(due), ptr(due.Add(time.Second))}[r.IntN(3)]
				case 9:
					f.Muted = r.IntN(2) == 0
				}
			}
		}
		want := sameContentReflect(&a, &b)
		if got := sameContent(&a, &b); got != want {
			t.Fatalf("sameContent = %v, reflect = %v\na %+v\nb %+v", got, want, a, b)
		}
		if want {
			same++
		} else {
			differ++
		}
	}
	if same < 1000 || differ < 1000 {
		t.Fatalf("%d same and %d different pairs: the cases are lopsided", same, differ)
	}
}

func ptr(t time.Time) *time.Time { return &t }

func BenchmarkObserveSeen(b *testing.B) {
	cur := fullFinding()
	cur.ResolvedAt = nil
	obs := cur
	obs.ScanID = "s2"
	at := cur.LastSeenAt.Add(24 * time.Hour)
	for b.Loop() {
		if _, evs := Observe(&cur, obs, "u", at); evs[0].Type != EventSeen {
			b.Fatal(evs[0].Type)
		}
	}
}
