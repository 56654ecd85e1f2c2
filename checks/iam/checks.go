package iam

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/checks"
	"github.com/rampart-cspm/rampart/checks/internal/modkit"
	"github.com/rampart-cspm/rampart/checks/internal/prowlerfacts"
)

// KeyMaxAge is how old an access key, or its last use, may be before the
// key checks fail.
const KeyMaxAge = 90 * 24 * time.Hour

const docs = "https://docs.aws.amazon.com/IAM/latest/UserGuide/"

func meta(m checks.Meta) checks.Meta {
	m.Module, m.Service = Name, Name
	return prowlerfacts.Fill(m)
}

// passwordMeta describes one password-policy check.
func passwordMeta(id, title, desc, risk, fix string) checks.Meta {
	return meta(checks.Meta{
		ID: id, Title: title, Description: desc, Risk: risk, Remediation: fix,
		RemediationURL: docs + "id_credentials_passwords_account-policy.html",
	})
}

// Checks lists the module's checks in the order they run.
var Checks = []checks.Check[*State]{
	{Meta: meta(checks.Meta{
		ID:             "iam_root_mfa_enabled",
		Title:          "The root user signs in with MFA",
		Description:    "Passes when the account's root user has an MFA device, as reported by the account summary.",
		Risk:           "A stolen root password alone gives unrestricted control of the account.",
		Remediation:    "Sign in as root and register an MFA device (a hardware key for accounts that matter).",
		RemediationURL: docs + "enable-virt-mfa-for-root.html",
	}), Eval: evalRootMFA},
	{Meta: meta(checks.Meta{
		ID:             "iam_no_root_access_key",
		Title:          "The root user has no access keys",
		Description:    "Fails when the account summary reports access keys on the root user.",
		Risk:           "Root access keys cannot be restricted by any policy; a leaked key is a full account compromise.",
		Remediation:    "Delete the root user's access keys and use IAM roles or users with scoped permissions instead.",
		RemediationURL: docs + "id_root-user_manage_add-key.html",
	}), Eval: evalRootKeys},
	{Meta: meta(checks.Meta{
		ID:             "iam_user_mfa_enabled_console_access",
		Title:          "IAM users who can sign in to the console have MFA",
		Description:    "Fails a user with a console password (login profile) and no MFA device.",
		Risk:           "A phished or reused password is enough to sign in as the user.",
		Remediation:    "Register an MFA device for the user, or remove the console password if it is not needed.",
		RemediationURL: docs + "id_credentials_mfa_enable.html",
	}), Eval: evalUserMFA},
	{Meta: meta(checks.Meta{
		ID:             "iam_user_accesskey_unused",
		Title:          "IAM users have no active access keys unused for 90 days",
		Description:    "Fails a user with an active access key whose last use, or creation when it was never used, is more than 90 days old.",
		Risk:           "Forgotten keys are long-lived credentials that nobody watches.",
		Remediation:    "Deactivate, then delete, access keys that have not been used in 90 days.",
		RemediationURL: docs + "id_credentials_access-keys.html",
	}), Eval: evalKeysUnused},
	{Meta: meta(checks.Meta{
		ID:             "iam_rotate_access_key_90_days",
		Title:          "Active IAM access keys are younger than 90 days",
		Description:    "Fails a user with an active access key created more than 90 days ago.",
		Risk:           "The older a key, the more places it may have leaked to.",
		Remediation:    "Create a new key, move its consumers to it, then deactivate and delete the old one; prefer roles over keys.",
		RemediationURL: docs + "id_credentials_access-keys.html#Using_RotateAccessKey",
	}), Eval: evalKeysRotated},
	{Meta: passwordMeta("iam_password_policy_minimum_length_14",
		"The password policy requires at least 14 characters",
		"Passes when the account password policy sets a minimum length of 14 or more.",
		"Short passwords fall to guessing and cracking.",
		"Set the minimum password length to 14 or more."),
		Eval: passwordCheck(func(p *PasswordPolicy) (bool, string) {
			return p.MinimumLength >= 14, fmt.Sprintf("a minimum length of %d", p.MinimumLength)
		})},
	{Meta: passwordMeta("iam_password_policy_reuse_24",
		"The password policy prevents reuse of the last 24 passwords",
		"Passes when the account password policy remembers at least 24 previous passwords.",
		"Users cycle back to old, possibly leaked, passwords.",
		"Set password reuse prevention to 24."),
		Eval: passwordCheck(func(p *PasswordPolicy) (bool, string) {
			return p.ReusePrevention >= 24, fmt.Sprintf("reuse prevention of %d passwords", p.ReusePrevention)
		})},
	{Meta: passwordMeta("iam_password_policy_uppercase",
		"The password policy requires an uppercase letter",
		"Passes when the account password policy requires at least one uppercase letter.",
		"Passwords drawn from a smaller alphabet are easier to crack.",
		"Require at least one uppercase letter in the password policy."),
		Eval: passwordCheck(func(p *PasswordPolicy) (bool, string) {
			return p.RequireUppercase, requires(p.RequireUppercase, "an uppercase letter")
		})},
	{Meta: passwordMeta("iam_password_policy_lowercase",
		"The password policy requires a lowercase letter",
		"Passes when the account password policy requires at least one lowercase letter.",
		"Passwords drawn from a smaller alphabet are easier to crack.",
		"Require at least one lowercase letter in the password policy."),
		Eval: passwordCheck(func(p *PasswordPolicy) (bool, string) {
			return p.RequireLowercase, requires(p.RequireLowercase, "a lowercase letter")
		})},
	{Meta: passwordMeta("iam_password_policy_number",
		"The password policy requires a number",
		"Passes when the account password policy requires at least one digit.",
		"Passwords drawn from a smaller alphabet are easier to crack.",
		"Require at least one number in the password policy."),
		Eval: passwordCheck(func(p *PasswordPolicy) (bool, string) {
			return p.RequireNumbers, requires(p.RequireNumbers, "a number")
		})},
	{Meta: passwordMeta("iam_password_policy_symbol",
		"The password policy requires a symbol",
		"Passes when the account password policy requires at least one non-alphanumeric character.",
		"Passwords drawn from a smaller alphabet are easier to crack.",
		"Require at least one symbol in the password policy."),
		Eval: passwordCheck(func(p *PasswordPolicy) (bool, string) {
			return p.RequireSymbols, requires(p.RequireSymbols, "a symbol")
		})},
	{Meta: passwordMeta("iam_password_policy_expires_passwords_within_90_days_or_less",
		"Passwords expire within 90 days",
		"Passes when the account password policy makes passwords expire after 90 days or fewer.",
		"A leaked password stays valid indefinitely.",
		"Enable password expiration with a maximum age of 90 days or less."),
		Eval: passwordCheck(func(p *PasswordPolicy) (bool, string) {
			if !p.ExpirePasswords || p.MaxAgeDays <= 0 {
				return false, "passwords that never expire"
			}
			return p.MaxAgeDays <= 90, fmt.Sprintf("passwords expiring after %d days", p.MaxAgeDays)
		})},
}

func requires(on bool, what string) string {
	if on {
		return "a requirement for " + what
	}
	return "no requirement for " + what
}

// account is the result skeleton of an account-level check.
func account(st *State, name string) checks.Result {
	return checks.Result{ResourceID: modkit.AccountARN(st.AccountID), ResourceName: name}
}

func result(r checks.Result, ok bool, format string, args ...any) checks.Result {
	r.Status = rampart.StatusFail
	if ok {
		r.Status = rampart.StatusPass
	}
	r.StatusExtended = fmt.Sprintf(format, args...)
	return r
}

func evalRootMFA(st *State) []checks.Result {
	r := account(st, "<root_account>")
	if e := st.Errors[AttrSummary]; e != nil {
		return []checks.Result{modkit.NotEvaluated(r, AttrSummary, e)}
	}
	if st.Summary.RootMFAEnabled {
		return []checks.Result{result(r, true, "The root user of account %s has MFA enabled.", st.AccountID)}
	}
	return []checks.Result{result(r, false, "The root user of account %s has no MFA device.", st.AccountID)}
}

func evalRootKeys(st *State) []checks.Result {
	r := account(st, "<root_account>")
	if e := st.Errors[AttrSummary]; e != nil {
		return []checks.Result{modkit.NotEvaluated(r, AttrSummary, e)}
	}
	if st.Summary.RootAccessKeysPresent {
		return []checks.Result{result(r, false, "The root user of account %s has access keys.", st.AccountID)}
	}
	return []checks.Result{result(r, true, "The root user of account %s has no access keys.", st.AccountID)}
}

// passwordCheck returns the evaluation of one password-policy rule: ok
// reports whether the policy satisfies it and what describes the setting.
func passwordCheck(rule func(p *PasswordPolicy) (ok bool, what string)) func(*State) []checks.Result {
	return func(st *State) []checks.Result {
		r := account(st, "password-policy")
		if e := st.Errors[AttrPasswordPolicy]; e != nil {
			return []checks.Result{modkit.NotEvaluated(r, AttrPasswordPolicy, e)}
		}
		if st.PasswordPolicy == nil {
			return []checks.Result{result(r, false, "Account %s has no IAM password policy, so the default (no requirements) applies.", st.AccountID)}
		}
		ok, what := rule(st.PasswordPolicy)
		return []checks.Result{result(r, ok, "The password policy of account %s sets %s.", st.AccountID, what)}
	}
}

func userResult(u *User) checks.Result {
	r := checks.Result{ResourceID: u.ARN, ResourceName: u.Name, Tags: u.Tags}
	if admin, known := u.Admin(); known {
		r.Context = map[string]string{"admin": strconv.FormatBool(admin)}
	}
	return r
}

// eachUser runs eval on every user, or returns NOT_EVALUATED for a user when
// one of the attributes in needs could not be read.
func eachUser(st *State, needs []string, eval func(u *User) checks.Result) []checks.Result {
	out := make([]checks.Result, 0, len(st.Users))
	for _, u := range st.Users {
		var e *modkit.AttrError
		var attr string
		for _, a := range needs {
			if e = u.Errors[a]; e != nil {
				attr = a
				break
			}
		}
		if e != nil {
			out = append(out, modkit.NotEvaluated(userResult(u), attr, e))
			continue
		}
		out = append(out, eval(u))
	}
	return out
}

func evalUserMFA(st *State) []checks.Result {
	return eachUser(st, []string{AttrLoginProfile}, func(u *User) checks.Result {
		if !u.ConsoleAccess {
			return result(userResult(u), true, "User %s has no console password.", u.Name)
		}
		if e := u.Errors[AttrMFADevices]; e != nil {
			return modkit.NotEvaluated(userResult(u), AttrMFADevices, e)
		}
		if len(u.MFADevices) == 0 {
			return result(userResult(u), false, "User %s can sign in to the console without MFA.", u.Name)
		}
		return result(userResult(u), true, "User %s has console access and %d MFA device(s).", u.Name, len(u.MFADevices))
	})
}

func evalKeysUnused(st *State) []checks.Result {
	return eachUser(st, []string{AttrAccessKeys}, func(u *User) checks.Result {
		var stale []string
		var unknown *AccessKey
		active := 0
		for i, k := range u.AccessKeys {
			if !k.Active {
				continue
			}
			active++
			if k.LastUsedError != nil {
				unknown = &u.AccessKeys[i]
				continue
			}
			ref, how := k.LastUsed, "last used"
			if ref == nil {
				ref, how = k.CreateDate, "never used, created"
			}
			if ref == nil {
				continue
			}
			if age := st.CollectedAt.Sub(*ref); age > KeyMaxAge {
				stale = append(stale, fmt.Sprintf("%s (%s on %s)", k.ID, how, ref.UTC().Format("2006-01-02")))
			}
		}
		switch {
		case len(stale) > 0:
			return result(userResult(u), false, "User %s has active access keys unused for more than 90 days: %s.", u.Name, strings.Join(stale, ", "))
		case unknown != nil:
			return modkit.NotEvaluated(userResult(u), "last use of access key "+unknown.ID, unknown.LastUsedError)
		case active == 0:
			return result(userResult(u), true, "User %s has no active access keys.", u.Name)
		}
		return result(userResult(u), true, "Every active access key of user %s was used in the last 90 days.", u.Name)
	})
}

func evalKeysRotated(st *State) []checks.Result {
	return eachUser(st, []string{AttrAccessKeys}, func(u *User) checks.Result {
		var old []string
		active := 0
		for _, k := range u.AccessKeys {
			if !k.Active || k.CreateDate == nil {
				continue
			}
			active++
			if age := st.CollectedAt.Sub(*k.CreateDate); age > KeyMaxAge {
				old = append(old, fmt.Sprintf("%s (created on %s)", k.ID, k.CreateDate.UTC().Format("2006-01-02")))
			}
		}
		switch {
		case len(old) > 0:
			return result(userResult(u), false, "User %s has active access keys not rotated in 90 days: %s.", u.Name, strings.Join(old, ", "))
		case active == 0:
			return result(userResult(u), true, "User %s has no active access keys.", u.Name)
		}
		return result(userResult(u), true, "Every active access key of user %s is younger than 90 days.", u.Name)
	})
}
