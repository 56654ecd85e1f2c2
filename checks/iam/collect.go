package iam

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/rampart-cspm/rampart/checks"
	"github.com/rampart-cspm/rampart/checks/internal/modkit"
)

// API is the part of the IAM client the collector calls.
type API interface {
	GetAccountSummary(ctx context.Context, in *awsiam.GetAccountSummaryInput, optFns ...func(*awsiam.Options)) (*awsiam.GetAccountSummaryOutput, error)
	GetAccountPasswordPolicy(ctx context.Context, in *awsiam.GetAccountPasswordPolicyInput, optFns ...func(*awsiam.Options)) (*awsiam.GetAccountPasswordPolicyOutput, error)
	ListUsers(ctx context.Context, in *awsiam.ListUsersInput, optFns ...func(*awsiam.Options)) (*awsiam.ListUsersOutput, error)
	GetLoginProfile(ctx context.Context, in *awsiam.GetLoginProfileInput, optFns ...func(*awsiam.Options)) (*awsiam.GetLoginProfileOutput, error)
	ListMFADevices(ctx context.Context, in *awsiam.ListMFADevicesInput, optFns ...func(*awsiam.Options)) (*awsiam.ListMFADevicesOutput, error)
	ListAccessKeys(ctx context.Context, in *awsiam.ListAccessKeysInput, optFns ...func(*awsiam.Options)) (*awsiam.ListAccessKeysOutput, error)
	GetAccessKeyLastUsed(ctx context.Context, in *awsiam.GetAccessKeyLastUsedInput, optFns ...func(*awsiam.Options)) (*awsiam.GetAccessKeyLastUsedOutput, error)
	ListUserTags(ctx context.Context, in *awsiam.ListUserTagsInput, optFns ...func(*awsiam.Options)) (*awsiam.ListUserTagsOutput, error)
}

var _ API = (*awsiam.Client)(nil)

// PolicyLister lists a user's attached managed policies. It is optional:
// an API that does not implement it leaves users' privilege unknown.
type PolicyLister interface {
	ListAttachedUserPolicies(ctx context.Context, in *awsiam.ListAttachedUserPoliciesInput, optFns ...func(*awsiam.Options)) (*awsiam.ListAttachedUserPoliciesOutput, error)
}

var _ PolicyLister = (*awsiam.Client)(nil)

// defaultAPI builds the IAM client from env.Config in the home region.
func defaultAPI(env checks.Env) API {
	return awsiam.NewFromConfig(env.Config, func(o *awsiam.Options) {
		if env.HomeRegion != "" {
			o.Region = env.HomeRegion
		}
	})
}

const noSuchEntity = "NoSuchEntity"

// collect reads the account's IAM posture. It fails only when the users
// cannot be listed; every other failed call is recorded on the account or
// the user it concerns.
func collect(ctx context.Context, env checks.Env, api API) (*State, error) {
	now := time.Now
	if env.Now != nil {
		now = env.Now
	}
	st := &State{AccountID: env.AccountID, CollectedAt: now().UTC(), Users: []*User{}}
	fail := func(m *map[string]*modkit.AttrError, attr string, err error) {
		setErr(m, attr, modkit.NewAttrError(env, err))
	}

	if out, err := api.GetAccountSummary(ctx, &awsiam.GetAccountSummaryInput{}); err == nil {
		st.Summary = &AccountSummary{
			RootMFAEnabled:        out.SummaryMap[string(types.SummaryKeyTypeAccountMFAEnabled)] > 0,
			RootAccessKeysPresent: out.SummaryMap[string(types.SummaryKeyTypeAccountAccessKeysPresent)] > 0,
		}
	} else {
		fail(&st.Errors, AttrSummary, fmt.Errorf("iam: get account summary of %s: %w", env.AccountID, err))
	}

	if out, err := api.GetAccountPasswordPolicy(ctx, &awsiam.GetAccountPasswordPolicyInput{}); err == nil {
		st.PasswordPolicy = passwordPolicy(out.PasswordPolicy)
	} else if !modkit.HasCode(err, noSuchEntity) {
		fail(&st.Errors, AttrPasswordPolicy, fmt.Errorf("iam: get password policy of %s: %w", env.AccountID, err))
	}

	in := &awsiam.ListUsersInput{}
	for {
		out, err := api.ListUsers(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("iam: list users of %s: %w", env.AccountID, err)
		}
		for _, u := range out.Users {
			user := &User{
				Name:             aws.ToString(u.UserName),
				ARN:              aws.ToString(u.Arn),
				UserID:           aws.ToString(u.UserId),
				CreateDate:       u.CreateDate,
				PasswordLastUsed: u.PasswordLastUsed,
			}
			describeUser(ctx, env, api, user)
			st.Users = append(st.Users, user)
		}
		if !out.IsTruncated || out.Marker == nil {
			return st, nil
		}
		in = &awsiam.ListUsersInput{Marker: out.Marker}
	}
}

func passwordPolicy(p *types.PasswordPolicy) *PasswordPolicy {
	if p == nil {
		return nil
	}
	return &PasswordPolicy{
		MinimumLength:    int(aws.ToInt32(p.MinimumPasswordLength)),
		RequireUppercase: p.RequireUppercaseCharacters,
		RequireLowercase: p.RequireLowercaseCharacters,
		RequireNumbers:   p.RequireNumbers,
		RequireSymbols:   p.RequireSymbols,
		ExpirePasswords:  p.ExpirePasswords,
		MaxAgeDays:       int(aws.ToInt32(p.MaxPasswordAge)),
		ReusePrevention:  int(aws.ToInt32(p.PasswordReusePrevention)),
	}
}

// describeUser reads one user's login profile, MFA devices, access keys
// (with their last use) and tags.
func describeUser(ctx context.Context, env checks.Env, api API, u *User) {
	fail := func(attr string, err error) {
		setErr(&u.Errors, attr, modkit.NewAttrError(env, fmt.Errorf("iam: %s of user %s: %w", attr, u.Name, err)))
	}
	name := &u.Name

	if _, err := api.GetLoginProfile(ctx, &awsiam.GetLoginProfileInput{UserName: name}); err == nil {
		u.ConsoleAccess = true
	} else if !modkit.HasCode(err, noSuchEntity) {
		fail(AttrLoginProfile, err)
	}

	for in := (&awsiam.ListMFADevicesInput{UserName: name}); ; {
		out, err := api.ListMFADevices(ctx, in)
		if err != nil {
			u.MFADevices = nil
			fail(AttrMFADevices, err)
			break
		}
		for _, d := range out.MFADevices {
			u.MFADevices = append(u.MFADevices, aws.ToString(d.SerialNumber))
		}
		if !out.IsTruncated || out.Marker == nil {
			break
		}
		in = &awsiam.ListMFADevicesInput{UserName: name, Marker: out.Marker}
	}

	for in := (&awsiam.ListAccessKeysInput{UserName: name}); ; {
		out, err := api.ListAccessKeys(ctx, in)
		if err != nil {
			u.AccessKeys = nil
			fail(AttrAccessKeys, err)
			break
		}
		for _, k := range out.AccessKeyMetadata {
			u.AccessKeys = append(u.AccessKeys, accessKey(ctx, env, api, u.Name, k))
		}
		if !out.IsTruncated || out.Marker == nil {
			break
		}
		in = &awsiam.ListAccessKeysInput{UserName: name, Marker: out.Marker}
	}

	for in := (&awsiam.ListUserTagsInput{UserName: name}); ; {
		out, err := api.ListUserTags(ctx, in)
		if err != nil {
			u.Tags = nil
			fail(AttrTags, err)
			break
		}
		for _, t := range out.Tags {
			if u.Tags == nil {
				u.Tags = map[string]string{}
			}
			u.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
		if !out.IsTruncated || out.Marker == nil {
			break
		}
		in = &awsiam.ListUserTagsInput{UserName: name, Marker: out.Marker}
	}

	if pl, ok := api.(PolicyLister); ok {
		u.AttachedPolicies = []string{}
		for in := (&awsiam.ListAttachedUserPoliciesInput{UserName: name}); ; {
			out, err := pl.ListAttachedUserPolicies(ctx, in)
			if err != nil {
				u.AttachedPolicies = nil
				fail(AttrAttachedPolicies, err)
				break
			}
			for _, p := range out.AttachedPolicies {
				u.AttachedPolicies = append(u.AttachedPolicies, aws.ToString(p.PolicyArn))
			}
			if !out.IsTruncated || out.Marker == nil {
				break
			}
			in = &awsiam.ListAttachedUserPoliciesInput{UserName: name, Marker: out.Marker}
		}
	}
}

func accessKey(ctx context.Context, env checks.Env, api API, user string, k types.AccessKeyMetadata) AccessKey {
	key := AccessKey{ID: aws.ToString(k.AccessKeyId), Active: k.Status == types.StatusTypeActive, CreateDate: k.CreateDate}
	out, err := api.GetAccessKeyLastUsed(ctx, &awsiam.GetAccessKeyLastUsedInput{AccessKeyId: k.AccessKeyId})
	if err != nil {
		key.LastUsedError = modkit.NewAttrError(env, fmt.Errorf("iam: last use of access key %s of user %s: %w", key.ID, user, err))
		return key
	}
	if lu := out.AccessKeyLastUsed; lu != nil {
		key.LastUsed = lu.LastUsedDate
		if s := aws.ToString(lu.ServiceName); s != "N/A" {
			key.LastUsedService = s
		}
	}
	return key
}
