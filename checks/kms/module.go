// Package kms is Rampart's KMS scanner module. It lists the keys of one
// region with their metadata, rotation status and key policy, and evaluates
// pure checks on customer managed keys: rotation, public key policies,
// pending deletion, disabled keys and multi-Region keys. It runs once per
// account and region.
package kms

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/rampart-cspm/rampart/checks"
	"github.com/rampart-cspm/rampart/checks/internal/modkit"
)

// Name is the module's name and the service of its findings.
const Name = "kms"

// API is the part of the KMS client the collector calls.
type API interface {
	ListKeys(ctx context.Context, in *awskms.ListKeysInput, optFns ...func(*awskms.Options)) (*awskms.ListKeysOutput, error)
	DescribeKey(ctx context.Context, in *awskms.DescribeKeyInput, optFns ...func(*awskms.Options)) (*awskms.DescribeKeyOutput, error)
	GetKeyRotationStatus(ctx context.Context, in *awskms.GetKeyRotationStatusInput, optFns ...func(*awskms.Options)) (*awskms.GetKeyRotationStatusOutput, error)
	GetKeyPolicy(ctx context.Context, in *awskms.GetKeyPolicyInput, optFns ...func(*awskms.Options)) (*awskms.GetKeyPolicyOutput, error)
}

// State is the KMS inventory of one account and region.
type State struct {
	AccountID string `json:"account_id"`
	Region    string `json:"region"`
	Keys      []*Key `json:"keys"`
}

// Key is one KMS key. Rotation is nil when it does not apply (asymmetric
// keys) or could not be read (Errors["rotation status"]).
type Key struct {
	ID          string                       `json:"id"`
	ARN         string                       `json:"arn"`
	Description string                       `json:"description,omitempty"`
	Manager     string                       `json:"manager"`
	State       string                       `json:"state"`
	Spec        string                       `json:"spec"`
	MultiRegion bool                         `json:"multi_region"`
	Rotation    *bool                        `json:"rotation,omitempty"`
	Policy      string                       `json:"policy,omitempty"`
	Errors      map[string]*modkit.AttrError `json:"errors,omitempty"`
}

func (k *Key) setErr(attr string, e *modkit.AttrError) {
	if k.Errors == nil {
		k.Errors = map[string]*modkit.AttrError{}
	}
	k.Errors[attr] = e
}

// Module is the kms scanner module.
type Module struct{ *modkit.Std[*State] }

// Option configures the module.
type Option func(*options)

type options struct{ api func(checks.Env) API }

// WithAPI makes the module call api instead of an SDK client.
func WithAPI(api API) Option { return func(o *options) { o.api = func(checks.Env) API { return api } } }

// New returns the KMS module.
func New(opts ...Option) checks.Module {
	o := options{api: func(env checks.Env) API { return awskms.NewFromConfig(env.Config) }}
	for _, f := range opts {
		f(&o)
	}
	return &Module{&modkit.Std[*State]{ModName: Name, ModScope: checks.ScopeRegional, List: Checks,
		Collect: func(ctx context.Context, env checks.Env) (*State, error) { return collect(ctx, env, o.api(env)) }}}
}

func collect(ctx context.Context, env checks.Env, api API) (*State, error) {
	st := &State{AccountID: env.AccountID, Region: env.Region, Keys: []*Key{}}
	in := &awskms.ListKeysInput{}
	for {
		out, err := api.ListKeys(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("kms: list keys of %s in %s: %w", env.AccountID, env.Region, err)
		}
		for _, e := range out.Keys {
			k := &Key{ID: aws.ToString(e.KeyId), ARN: aws.ToString(e.KeyArn)}
			d, err := api.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: e.KeyId})
			if err != nil {
				k.setErr("metadata", modkit.NewAttrError(env, fmt.Errorf("kms: describe key %s: %w", k.ID, err)))
				st.Keys = append(st.Keys, k)
				continue
			}
			if m := d.KeyMetadata; m != nil {
				k.Manager, k.State, k.Spec = string(m.KeyManager), string(m.KeyState), string(m.KeySpec)
				k.MultiRegion, k.Description = aws.ToBool(m.MultiRegion), aws.ToString(m.Description)
			}
			if k.Manager != "CUSTOMER" {
				st.Keys = append(st.Keys, k)
				continue
			}
			if k.Spec == "SYMMETRIC_DEFAULT" && k.State == "Enabled" {
				if r, err := api.GetKeyRotationStatus(ctx, &awskms.GetKeyRotationStatusInput{KeyId: e.KeyId}); err != nil {
					k.setErr("rotation status", modkit.NewAttrError(env, fmt.Errorf("kms: get rotation status of %s: %w", k.ID, err)))
				} else {
					k.Rotation = aws.Bool(r.KeyRotationEnabled)
				}
			}
			if p, err := api.GetKeyPolicy(ctx, &awskms.GetKeyPolicyInput{KeyId: e.KeyId, PolicyName: aws.String("default")}); err != nil {
				k.setErr("key policy", modkit.NewAttrError(env, fmt.Errorf("kms: get policy of %s: %w", k.ID, err)))
			} else {
				k.Policy = aws.ToString(p.Policy)
			}
			st.Keys = append(st.Keys, k)
		}
		if !out.Truncated {
			return st, nil
		}
		in = &awskms.ListKeysInput{Marker: out.NextMarker}
	}
}
