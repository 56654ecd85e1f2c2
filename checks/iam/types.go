package iam

import (
	"time"

	"github.com/rampart-cspm/rampart/checks/internal/modkit"
)

// Attributes collected by separate calls. A failed call is recorded under
// its attribute's name in the Errors map of the account or the user.
const (
	AttrSummary        = "account summary"
	AttrPasswordPolicy = "password policy"
	AttrLoginProfile   = "login profile"
	AttrMFADevices     = "MFA devices"
	AttrAccessKeys     = "access keys"
	AttrTags           = "tags"
	// AttrAttachedPolicies: ListAttachedUserPolicies (privilege context).
	AttrAttachedPolicies = "attached policies"
)

// State is the IAM inventory of one account: the raw evidence of a scan unit.
type State struct {
	AccountID string `json:"account_id"`
	// CollectedAt is the time age-based checks measure against.
	CollectedAt time.Time `json:"collected_at"`
	// Summary is nil when GetAccountSummary failed (see Errors).
	Summary *AccountSummary `json:"summary,omitempty"`
	// PasswordPolicy is nil when the account has none or it could not be
	// read (see Errors).
	PasswordPolicy *PasswordPolicy              `json:"password_policy,omitempty"`
	Users          []*User                      `json:"users"`
	Errors         map[string]*modkit.AttrError `json:"errors,omitempty"`
}

// AccountSummary holds the root user facts from GetAccountSummary.
type AccountSummary struct {
	RootMFAEnabled        bool `json:"root_mfa_enabled"`
	RootAccessKeysPresent bool `json:"root_access_keys_present"`
}

// PasswordPolicy is the account's password policy for IAM users.
type PasswordPolicy struct {
	MinimumLength    int  `json:"minimum_length"`
	RequireUppercase bool `json:"require_uppercase"`
	RequireLowercase bool `json:"require_lowercase"`
	RequireNumbers   bool `json:"require_numbers"`
	RequireSymbols   bool `json:"require_symbols"`
	ExpirePasswords  bool `json:"expire_passwords"`
	MaxAgeDays       int  `json:"max_age_days,omitempty"`     // 0: passwords never expire
	ReusePrevention  int  `json:"reuse_prevention,omitempty"` // 0: reuse allowed
}

// User is one IAM user.
type User struct {
	Name             string            `json:"name"`
	ARN              string            `json:"arn"`
	UserID           string            `json:"user_id"`
	CreateDate       *time.Time        `json:"create_date,omitempty"`
	PasswordLastUsed *time.Time        `json:"password_last_used,omitempty"`
	ConsoleAccess    bool              `json:"console_access"` // has a login profile
	MFADevices       []string          `json:"mfa_devices,omitempty"`
	AccessKeys       []AccessKey       `json:"access_keys,omitempty"`
	Tags             map[string]string `json:"tags,omitempty"`
	// AttachedPolicies lists the ARNs of the user's attached managed
	// policies; nil when they were not listed.
	AttachedPolicies []string `json:"attached_policies,omitempty"`

	Errors map[string]*modkit.AttrError `json:"errors,omitempty"`
}

// AccessKey is one access key of a user.
type AccessKey struct {
	ID         string     `json:"id"`
	Active     bool       `json:"active"`
	CreateDate *time.Time `json:"create_date,omitempty"`
	// LastUsed is nil when the key was never used or its last use could not
	// be read (LastUsedError).
	LastUsed        *time.Time        `json:"last_used,omitempty"`
	LastUsedService string            `json:"last_used_service,omitempty"`
	LastUsedError   *modkit.AttrError `json:"last_used_error,omitempty"`
}

func setErr(m *map[string]*modkit.AttrError, attr string, e *modkit.AttrError) {
	if *m == nil {
		*m = map[string]*modkit.AttrError{}
	}
	(*m)[attr] = e
}

// AdminPolicies are managed policies that grant full control of the
// account, or the means to grant it to oneself.
var AdminPolicies = []string{
	"arn:aws:iam::aws:policy/AdministratorAccess",
	"arn:aws:iam::aws:policy/IAMFullAccess",
}

// Admin reports whether u holds an admin policy, and whether that is known.
func (u *User) Admin() (admin, known bool) {
	if u.AttachedPolicies == nil {
		return false, false
	}
	for _, p := range u.AttachedPolicies {
		for _, a := range AdminPolicies {
			if p == a {
				return true, true
			}
		}
	}
	return false, true
}
