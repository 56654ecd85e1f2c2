package iam

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/checks"
)

type fakeUser struct {
	console bool
	mfa     []string
	keys    []types.AccessKeyMetadata
	tags    []types.Tag
}

// fakeIAM implements API. errs[op+" "+subject] makes op fail for a user
// name, an access key ID, or "" for account-level calls.
type fakeIAM struct {
	summary  map[string]int32
	policy   *types.PasswordPolicy
	users    []string
	byName   map[string]fakeUser
	lastUsed map[string]*time.Time
	errs     map[string]error
	pageLen  int
}

var _ API = (*fakeIAM)(nil)

func code(c string) error { return &smithy.GenericAPIError{Code: c, Message: c} }

func (f *fakeIAM) err(op, subject string) error { return f.errs[op+" "+subject] }

func (f *fakeIAM) GetAccountSummary(context.Context, *awsiam.GetAccountSummaryInput, ...func(*awsiam.Options)) (*awsiam.GetAccountSummaryOutput, error) {
	if err := f.err("GetAccountSummary", ""); err != nil {
		return nil, err
	}
	return &awsiam.GetAccountSummaryOutput{SummaryMap: f.summary}, nil
}

func (f *fakeIAM) GetAccountPasswordPolicy(context.Context, *awsiam.GetAccountPasswordPolicyInput, ...func(*awsiam.Options)) (*awsiam.GetAccountPasswordPolicyOutput, error) {
	if err := f.err("GetAccountPasswordPolicy", ""); err != nil {
		return nil, err
	}
	if f.policy == nil {
		return nil, code("NoSuchEntity")
	}
	return &awsiam.GetAccountPasswordPolicyOutput{PasswordPolicy: f.policy}, nil
}

func (f *fakeIAM) ListUsers(_ context.Context, in *awsiam.ListUsersInput, _ ...func(*awsiam.Options)) (*awsiam.ListUsersOutput, error) {
	if err := f.err("ListUsers", ""); err != nil {
		return nil, err
	}
	start := 0
	if in.Marker != nil {
		start = slices.Index(f.users, *in.Marker)
	}
	end := len(f.users)
	if f.pageLen > 0 && start+f.pageLen < end {
		end = start + f.pageLen
	}
	out := &awsiam.ListUsersOutput{}
	for _, n := range f.users[start:end] {
		out.Users = append(out.Users, types.User{UserName: aws.String(n), Arn: aws.String("arn:aws:iam::111122223333:user/" + n), UserId: aws.String("AID" + n)})
	}
	if end < len(f.users) {
		out.IsTruncated, out.Marker = true, aws.String(f.users[end])
	}
	return out, nil
}

func (f *fakeIAM) GetLoginProfile(_ context.Context, in *awsiam.GetLoginProfileInput, _ ...func(*awsiam.Options)) (*awsiam.GetLoginProfileOutput, error) {
	if err := f.err("GetLoginProfile", *in.UserName); err != nil {
		return nil, err
	}
	if !f.byName[*in.UserName].console {
		return nil, code("NoSuchEntity")
	}
	return &awsiam.GetLoginProfileOutput{}, nil
}

func (f *fakeIAM) ListMFADevices(_ context.Context, in *awsiam.ListMFADevicesInput, _ ...func(*awsiam.Options)) (*awsiam.ListMFADevicesOutput, error) {
	if err := f.err("ListMFADevices", *in.UserName); err != nil {
		return nil, err
	}
	out := &awsiam.ListMFADevicesOutput{}
	for _, s := range f.byName[*in.UserName].mfa {
		out.MFADevices = append(out.MFADevices, types.MFADevice{SerialNumber: aws.String(s)})
	}
	return out, nil
}

func (f *fakeIAM) ListAccessKeys(_ context.Context, in *awsiam.ListAccessKeysInput, _ ...func(*awsiam.Options)) (*awsiam.ListAccessKeysOutput, error) {
	if err := f.err("ListAccessKeys", *in.UserName); err != nil {
		return nil, err
	}
	return &awsiam.ListAccessKeysOutput{AccessKeyMetadata: f.byName[*in.UserName].keys}, nil
}

func (f *fakeIAM) GetAccessKeyLastUsed(_ context.Context, in *awsiam.GetAccessKeyLastUsedInput, _ ...func(*awsiam.Options)) (*awsiam.GetAccessKeyLastUsedOutput, error) {
	if err := f.err("GetAccessKeyLastUsed", *in.AccessKeyId); err != nil {
		return nil, err
	}
	lu := &types.AccessKeyLastUsed{LastUsedDate: f.lastUsed[*in.AccessKeyId], ServiceName: aws.String("N/A")}
	if lu.LastUsedDate != nil {
		lu.ServiceName = aws.String("s3")
	}
	return &awsiam.GetAccessKeyLastUsedOutput{AccessKeyLastUsed: lu}, nil
}

func (f *fakeIAM) ListUserTags(_ context.Context, in *awsiam.ListUserTagsInput, _ ...func(*awsiam.Options)) (*awsiam.ListUserTagsOutput, error) {
	if err := f.err("ListUserTags", *in.UserName); err != nil {
		return nil, err
	}
	return &awsiam.ListUserTagsOutput{Tags: f.byName[*in.UserName].tags}, nil
}

func classify(err error) rampart.ErrorClass {
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "AccessDenied" {
		return rampart.ErrClassAccessDenied
	}
	return rampart.ErrClassServiceError
}

func testEnv() checks.Env {
	return checks.Env{AccountID: "111122223333", Region: rampart.GlobalRegion, HomeRegion: "us-east-1",
		Classify: classify, Now: func() time.Time { return now }}
}

func key(id string, created *time.Time) types.AccessKeyMetadata {
	return types.AccessKeyMetadata{AccessKeyId: aws.String(id), CreateDate: created, Status: types.StatusTypeActive}
}

func newFake() *fakeIAM {
	return &fakeIAM{
		summary: map[string]int32{"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 0, "Users": 3},
		users:   []string{"alice", "bob", "ci"},
		byName: map[string]fakeUser{
			"alice": {console: true, tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("platform")}}},
			"bob":   {console: true, mfa: []string{"arn:aws:iam::111122223333:mfa/bob"}},
			"ci":    {keys: []types.AccessKeyMetadata{key("AKIAOLD", daysAgo(200)), key("AKIANEW", daysAgo(3))}},
		},
		lastUsed: map[string]*time.Time{"AKIANEW": daysAgo(1)},
		errs:     map[string]error{},
	}
}

func results(res checks.ModuleResult) map[string]map[string]checks.Result {
	out := map[string]map[string]checks.Result{}
	for _, o := range res.Checks {
		out[o.Meta.ID] = map[string]checks.Result{}
		for _, r := range o.Results {
			out[o.Meta.ID][r.ResourceName] = r
		}
	}
	return out
}

func TestRunCollectsAndEvaluates(t *testing.T) {
	f := newFake()
	f.pageLen = 2
	res := New(WithAPI(f)).Run(context.Background(), testEnv(), nil)
	if res.Service.Status != rampart.ServiceOK || res.Service.ChecksRun != len(Checks) || res.Service.ChecksFailed != 0 {
		t.Fatalf("service = %+v", res.Service)
	}
	got := results(res)
	tests := []struct {
		check, resource string
		want            rampart.Status
	}{
		{"iam_root_mfa_enabled", "<root_account>", rampart.StatusPass},
		{"iam_no_root_access_key", "<root_account>", rampart.StatusPass},
		{"iam_user_mfa_enabled_console_access", "alice", rampart.StatusFail},
		{"iam_user_mfa_enabled_console_access", "bob", rampart.StatusPass},
		{"iam_user_mfa_enabled_console_access", "ci", rampart.StatusPass},
		{"iam_user_accesskey_unused", "ci", rampart.StatusFail},
		{"iam_user_accesskey_unused", "alice", rampart.StatusPass},
		{"iam_rotate_access_key_90_days", "ci", rampart.StatusFail},
		{"iam_password_policy_minimum_length_14", "password-policy", rampart.StatusFail},
	}
	for _, tt := range tests {
		if r := got[tt.check][tt.resource]; r.Status != tt.want {
			t.Errorf("%s on %s = %s (%s), want %s", tt.check, tt.resource, r.Status, r.StatusExtended, tt.want)
		}
	}
	alice := got["iam_user_mfa_enabled_console_access"]["alice"]
	if alice.ResourceID != "arn:aws:iam::111122223333:user/alice" || alice.Tags["team"] != "platform" || alice.Region != "" {
		t.Errorf("alice = %+v", alice)
	}
	if r := got["iam_root_mfa_enabled"]["<root_account>"]; r.ResourceID != rootARN {
		t.Errorf("root resource = %s", r.ResourceID)
	}
	var raw State
	if err := json.Unmarshal(res.Raw, &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw.Users) != 3 || raw.Users[2].AccessKeys[1].LastUsedService != "s3" || raw.PasswordPolicy != nil || !raw.CollectedAt.Equal(now) {
		t.Errorf("raw = %s", res.Raw)
	}
}

func TestSubCallFailures(t *testing.T) {
	f := newFake()
	f.policy = &types.PasswordPolicy{MinimumPasswordLength: aws.Int32(14)}
	f.errs["GetAccountSummary "] = code("AccessDenied")
	f.errs["ListMFADevices alice"] = code("AccessDenied")
	f.errs["GetAccessKeyLastUsed AKIANEW"] = code("Throttling")
	res := New(WithAPI(f)).Run(context.Background(), testEnv(), nil)
	if res.Service.Status != rampart.ServiceOK {
		t.Fatalf("sub-call failures failed the module: %+v", res.Service)
	}
	got := results(res)
	tests := []struct {
		check, resource string
		status          rampart.Status
		class           rampart.ErrorClass
	}{
		{"iam_root_mfa_enabled", "<root_account>", rampart.StatusNotEvaluated, rampart.ErrClassAccessDenied},
		{"iam_no_root_access_key", "<root_account>", rampart.StatusNotEvaluated, rampart.ErrClassAccessDenied},
		{"iam_user_mfa_enabled_console_access", "alice", rampart.StatusNotEvaluated, rampart.ErrClassAccessDenied},
		{"iam_user_mfa_enabled_console_access", "bob", rampart.StatusPass, ""},
		// AKIAOLD is stale whatever AKIANEW's last use was.
		{"iam_user_accesskey_unused", "ci", rampart.StatusFail, ""},
		{"iam_password_policy_minimum_length_14", "password-policy", rampart.StatusPass, ""},
		{"iam_password_policy_symbol", "password-policy", rampart.StatusFail, ""},
	}
	for _, tt := range tests {
		r := got[tt.check][tt.resource]
		if r.Status != tt.status || r.ErrorClass != tt.class {
			t.Errorf("%s on %s = %s/%q (%s), want %s/%q", tt.check, tt.resource, r.Status, r.ErrorClass, r.StatusExtended, tt.status, tt.class)
		}
	}
	if res.Service.ChecksFailed != 3 {
		t.Errorf("ChecksFailed = %d, want 3 (two root checks, console MFA)", res.Service.ChecksFailed)
	}
}

func TestListUsersFails(t *testing.T) {
	f := newFake()
	f.errs["ListUsers "] = code("AccessDenied")
	res := New(WithAPI(f)).Run(context.Background(), testEnv(), nil)
	if res.Service.Status != rampart.ServiceFailed || res.Service.ErrorClass != rampart.ErrClassAccessDenied {
		t.Fatalf("service = %+v", res.Service)
	}
	if len(res.Checks) != len(Checks) || len(res.Service.ChecksErrored) != len(Checks) {
		t.Fatalf("%d outcomes, %d errored; want %d", len(res.Checks), len(res.Service.ChecksErrored), len(Checks))
	}
	for _, o := range res.Checks {
		if r := o.Results[0]; r.Status != rampart.StatusNotEvaluated || r.ErrorClass != rampart.ErrClassAccessDenied || r.ResourceID != rootARN {
			t.Errorf("%s: %+v", o.Meta.ID, r)
		}
	}
}

func TestPanickingCheckFailsAlone(t *testing.T) {
	m := New(WithAPI(newFake()))
	m.checks = append([]checks.Check[*State]{{
		Meta: checks.Meta{ID: "iam_test_panics", Module: Name},
		Eval: func(st *State) []checks.Result { return []checks.Result{{ResourceName: st.Users[99].Name}} },
	}}, m.checks...)
	res := m.Run(context.Background(), testEnv(), nil)
	if !slices.Equal(res.Service.ChecksErrored, []string{"iam_test_panics"}) || res.Service.ChecksRun != len(Checks)+1 {
		t.Fatalf("service = %+v", res.Service)
	}
	if r := results(res)["iam_user_mfa_enabled_console_access"]["alice"]; r.Status != rampart.StatusFail {
		t.Errorf("later check disturbed: %s", r.Status)
	}
}
