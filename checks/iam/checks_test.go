package iam

import (
	"strings"
	"testing"
	"time"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/checks"
	"github.com/rampart-cspm/rampart/checks/internal/modkit"
)

var (
	now    = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	denied = &modkit.AttrError{Class: rampart.ErrClassAccessDenied, Message: "AccessDenied"}
)

func daysAgo(n int) *time.Time {
	t := now.Add(-time.Duration(n) * 24 * time.Hour)
	return &t
}

func eval(t *testing.T, id string, st *State) []checks.Result {
	t.Helper()
	st.AccountID, st.CollectedAt = "111122223333", now
	for _, c := range Checks {
		if c.Meta.ID == id {
			return c.Eval(st)
		}
	}
	t.Fatalf("no check %s", id)
	return nil
}

type want struct {
	status rampart.Status
	class  rampart.ErrorClass
}

var (
	passed = want{status: rampart.StatusPass}
	failed = want{status: rampart.StatusFail}
	notEv  = want{status: rampart.StatusNotEvaluated, class: rampart.ErrClassAccessDenied}
)

func assertOne(t *testing.T, got []checks.Result, w want, resourceID string) {
	t.Helper()
	if len(got) != 1 {
		t.Fatalf("got %d results, want 1", len(got))
	}
	r := got[0]
	if r.Status != w.status || r.ErrorClass != w.class {
		t.Errorf("got %s/%q (%s), want %s/%q", r.Status, r.ErrorClass, r.StatusExtended, w.status, w.class)
	}
	if r.ResourceID != resourceID || r.StatusExtended == "" || r.Region != "" {
		t.Errorf("result = %+v", r)
	}
}

const rootARN = "arn:aws:iam::111122223333:root"

func TestRootChecks(t *testing.T) {
	summaryErr := &State{Errors: map[string]*modkit.AttrError{AttrSummary: denied}}
	tests := []struct {
		check string
		name  string
		st    *State
		want  want
	}{
		{"iam_root_mfa_enabled", "mfa on", &State{Summary: &AccountSummary{RootMFAEnabled: true}}, passed},
		{"iam_root_mfa_enabled", "mfa off", &State{Summary: &AccountSummary{}}, failed},
		{"iam_root_mfa_enabled", "summary denied", summaryErr, notEv},
		{"iam_no_root_access_key", "no keys", &State{Summary: &AccountSummary{}}, passed},
		{"iam_no_root_access_key", "keys", &State{Summary: &AccountSummary{RootAccessKeysPresent: true}}, failed},
		{"iam_no_root_access_key", "summary denied", summaryErr, notEv},
	}
	for _, tt := range tests {
		t.Run(tt.check+"/"+tt.name, func(t *testing.T) { assertOne(t, eval(t, tt.check, tt.st), tt.want, rootARN) })
	}
}

func TestPasswordPolicyChecks(t *testing.T) {
	strong := &PasswordPolicy{MinimumLength: 16, RequireUppercase: true, RequireLowercase: true, RequireNumbers: true,
		RequireSymbols: true, ExpirePasswords: true, MaxAgeDays: 90, ReusePrevention: 24}
	weak := &PasswordPolicy{MinimumLength: 8, ExpirePasswords: true, MaxAgeDays: 180, ReusePrevention: 5}
	neverExpires := &PasswordPolicy{MinimumLength: 14, MaxAgeDays: 30}
	ids := []string{
		"iam_password_policy_minimum_length_14", "iam_password_policy_reuse_24", "iam_password_policy_uppercase",
		"iam_password_policy_lowercase", "iam_password_policy_number", "iam_password_policy_symbol",
		"iam_password_policy_expires_passwords_within_90_days_or_less",
	}
	for _, id := range ids {
		t.Run(id, func(t *testing.T) {
			assertOne(t, eval(t, id, &State{PasswordPolicy: strong}), passed, rootARN)
			assertOne(t, eval(t, id, &State{PasswordPolicy: weak}), failed, rootARN)
			missing := eval(t, id, &State{})
			assertOne(t, missing, failed, rootARN)
			if want := "Account 111122223333 has no IAM password policy, so the default (no requirements) applies."; missing[0].StatusExtended != want {
				t.Errorf("missing policy says %q", missing[0].StatusExtended)
			}
			assertOne(t, eval(t, id, &State{Errors: map[string]*modkit.AttrError{AttrPasswordPolicy: denied}}), notEv, rootARN)
		})
	}
	t.Run("expiry disabled despite a max age", func(t *testing.T) {
		assertOne(t, eval(t, "iam_password_policy_expires_passwords_within_90_days_or_less", &State{PasswordPolicy: neverExpires}), failed, rootARN)
	})
}

func user(name string, mod func(u *User)) *User {
	u := &User{Name: name, ARN: "arn:aws:iam::111122223333:user/" + name}
	if mod != nil {
		mod(u)
	}
	return u
}

func TestUserMFA(t *testing.T) {
	tests := []struct {
		name string
		u    *User
		want want
	}{
		{"console without mfa", user("alice", func(u *User) { u.ConsoleAccess = true }), failed},
		{"console with mfa", user("bob", func(u *User) { u.ConsoleAccess = true; u.MFADevices = []string{"arn:mfa"} }), passed},
		{"no console", user("ci", nil), passed},
		{"no console, mfa unreadable", user("ci", func(u *User) { setErr(&u.Errors, AttrMFADevices, denied) }), passed},
		{"login profile unreadable", user("x", func(u *User) { setErr(&u.Errors, AttrLoginProfile, denied) }), notEv},
		{"console, mfa unreadable", user("x", func(u *User) { u.ConsoleAccess = true; setErr(&u.Errors, AttrMFADevices, denied) }), notEv},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertOne(t, eval(t, "iam_user_mfa_enabled_console_access", &State{Users: []*User{tt.u}}), tt.want, tt.u.ARN)
		})
	}
}

func TestAccessKeyChecks(t *testing.T) {
	keys := func(k ...AccessKey) func(*User) { return func(u *User) { u.AccessKeys = k } }
	tests := []struct {
		name           string
		u              *User
		unused, rotate want
	}{
		{"no keys", user("a", nil), passed, passed},
		{"fresh key used yesterday", user("a", keys(AccessKey{ID: "K1", Active: true, CreateDate: daysAgo(10), LastUsed: daysAgo(1)})), passed, passed},
		{"old key used yesterday", user("a", keys(AccessKey{ID: "K1", Active: true, CreateDate: daysAgo(400), LastUsed: daysAgo(1)})), passed, failed},
		{"old key last used 120 days ago", user("a", keys(AccessKey{ID: "K1", Active: true, CreateDate: daysAgo(400), LastUsed: daysAgo(120)})), failed, failed},
		{"old key never used", user("a", keys(AccessKey{ID: "K1", Active: true, CreateDate: daysAgo(91)})), failed, failed},
		{"new key never used", user("a", keys(AccessKey{ID: "K1", Active: true, CreateDate: daysAgo(89)})), passed, passed},
		{"old inactive key", user("a", keys(AccessKey{ID: "K1", Active: false, CreateDate: daysAgo(400)})), passed, passed},
		{"second key stale", user("a", keys(
			AccessKey{ID: "K1", Active: true, CreateDate: daysAgo(5), LastUsed: daysAgo(1)},
			AccessKey{ID: "K2", Active: true, CreateDate: daysAgo(300), LastUsed: daysAgo(200)})), failed, failed},
		{"last use unreadable", user("a", keys(AccessKey{ID: "K1", Active: true, CreateDate: daysAgo(10), LastUsedError: denied})), notEv, passed},
		{"keys unreadable", user("a", func(u *User) { setErr(&u.Errors, AttrAccessKeys, denied) }), notEv, notEv},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertOne(t, eval(t, "iam_user_accesskey_unused", &State{Users: []*User{tt.u}}), tt.unused, tt.u.ARN)
			assertOne(t, eval(t, "iam_rotate_access_key_90_days", &State{Users: []*User{tt.u}}), tt.rotate, tt.u.ARN)
		})
	}
}

// TestAccessKeyTextsStableFromDayToDay: a failing key's row reads the same
// on the next day's scan (dates, not ages), so the scan records it as
// seen, not changed.
func TestAccessKeyTextsStableFromDayToDay(t *testing.T) {
	u := user("a", func(u *User) {
		u.AccessKeys = []AccessKey{{ID: "K1", Active: true, CreateDate: daysAgo(400), LastUsed: daysAgo(120)},
			{ID: "K2", Active: true, CreateDate: daysAgo(200)}}
	})
	for _, id := range []string{"iam_user_accesskey_unused", "iam_rotate_access_key_90_days"} {
		today := eval(t, id, &State{Users: []*User{u}})
		st := &State{Users: []*User{u}}
		st.AccountID, st.CollectedAt = "111122223333", now.Add(24*time.Hour)
		var tomorrow []checks.Result
		for _, c := range Checks {
			if c.Meta.ID == id {
				tomorrow = c.Eval(st)
			}
		}
		if len(today) != 1 || len(tomorrow) != 1 || today[0].Status != rampart.StatusFail {
			t.Fatalf("%s: %+v then %+v, want one failing row each day", id, today, tomorrow)
		}
		if today[0].StatusExtended != tomorrow[0].StatusExtended {
			t.Errorf("%s: %q, the next day %q; want the same text", id, today[0].StatusExtended, tomorrow[0].StatusExtended)
		}
		if !strings.Contains(today[0].StatusExtended, daysAgo(200).Format("2006-01-02")) {
			t.Errorf("%s: %q does not date K2", id, today[0].StatusExtended)
		}
	}
}
