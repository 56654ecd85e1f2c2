// Package lambda is Rampart's Lambda scanner module. It lists the functions
// of one region with their resource policy and function URL, and evaluates
// pure checks: public invocation, URLs without authentication, permissive
// URL CORS, end-of-life runtimes, secrets in environment variables (the
// values are never copied into findings or evidence), VPC placement, dead
// letter queues and environment encryption. It runs once per account and
// region.
package lambda

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/rampart-cspm/rampart/checks"
	"github.com/rampart-cspm/rampart/checks/internal/modkit"
)

// Name is the module's name and the service of its findings.
const Name = "lambda"

// API is the part of the Lambda client the collector calls.
type API interface {
	ListFunctions(ctx context.Context, in *awslambda.ListFunctionsInput, optFns ...func(*awslambda.Options)) (*awslambda.ListFunctionsOutput, error)
	GetPolicy(ctx context.Context, in *awslambda.GetPolicyInput, optFns ...func(*awslambda.Options)) (*awslambda.GetPolicyOutput, error)
	GetFunctionUrlConfig(ctx context.Context, in *awslambda.GetFunctionUrlConfigInput, optFns ...func(*awslambda.Options)) (*awslambda.GetFunctionUrlConfigOutput, error)
}

// State is the Lambda inventory of one account and region.
type State struct {
	AccountID string      `json:"account_id"`
	Region    string      `json:"region"`
	Functions []*Function `json:"functions"`
}

// Function is one function. SecretVars names the environment variables that
// look like secrets (names only: values are never kept).
type Function struct {
	Name           string                       `json:"name"`
	ARN            string                       `json:"arn"`
	Runtime        string                       `json:"runtime,omitempty"`
	EnvVarNames    []string                     `json:"env_var_names,omitempty"`
	SecretVars     []string                     `json:"secret_vars,omitempty"`
	EnvKMSKey      string                       `json:"env_kms_key,omitempty"`
	VPCSubnets     []string                     `json:"vpc_subnets,omitempty"`
	DeadLetter     string                       `json:"dead_letter,omitempty"`
	Policy         string                       `json:"policy,omitempty"`
	URLAuth        string                       `json:"url_auth,omitempty"` // "" = no function URL
	URLCorsOrigins []string                     `json:"url_cors_origins,omitempty"`
	Errors         map[string]*modkit.AttrError `json:"errors,omitempty"`
}

func (f *Function) setErr(attr string, e *modkit.AttrError) {
	if f.Errors == nil {
		f.Errors = map[string]*modkit.AttrError{}
	}
	f.Errors[attr] = e
}

// Module is the lambda scanner module.
type Module struct{ *modkit.Std[*State] }

// Option configures the module.
type Option func(*options)

type options struct{ api func(checks.Env) API }

// WithAPI makes the module call api instead of an SDK client.
func WithAPI(api API) Option { return func(o *options) { o.api = func(checks.Env) API { return api } } }

// New returns the Lambda module.
func New(opts ...Option) checks.Module {
	o := options{api: func(env checks.Env) API { return awslambda.NewFromConfig(env.Config) }}
	for _, f := range opts {
		f(&o)
	}
	return &Module{&modkit.Std[*State]{ModName: Name, ModScope: checks.ScopeRegional, List: Checks,
		Collect: func(ctx context.Context, env checks.Env) (*State, error) { return collect(ctx, env, o.api(env)) }}}
}

func collect(ctx context.Context, env checks.Env, api API) (*State, error) {
	st := &State{AccountID: env.AccountID, Region: env.Region, Functions: []*Function{}}
	in := &awslambda.ListFunctionsInput{}
	for {
		out, err := api.ListFunctions(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("lambda: list functions of %s in %s: %w", env.AccountID, env.Region, err)
		}
		for _, c := range out.Functions {
			f := &Function{Name: aws.ToString(c.FunctionName), ARN: aws.ToString(c.FunctionArn), Runtime: string(c.Runtime),
				EnvKMSKey: aws.ToString(c.KMSKeyArn)}
			if c.Environment != nil {
				for k, v := range c.Environment.Variables {
					f.EnvVarNames = append(f.EnvVarNames, k)
					if LooksSecret(k, v) {
						f.SecretVars = append(f.SecretVars, k)
					}
				}
				sortStrings(f.EnvVarNames)
				sortStrings(f.SecretVars)
			}
			if c.VpcConfig != nil {
				f.VPCSubnets = c.VpcConfig.SubnetIds
			}
			if c.DeadLetterConfig != nil {
				f.DeadLetter = aws.ToString(c.DeadLetterConfig.TargetArn)
			}
			if p, err := api.GetPolicy(ctx, &awslambda.GetPolicyInput{FunctionName: c.FunctionName}); err == nil {
				f.Policy = aws.ToString(p.Policy)
			} else if !modkit.HasCode(err, "ResourceNotFoundException") {
				f.setErr("resource policy", modkit.NewAttrError(env, fmt.Errorf("lambda: get policy of %s: %w", f.Name, err)))
			}
			if u, err := api.GetFunctionUrlConfig(ctx, &awslambda.GetFunctionUrlConfigInput{FunctionName: c.FunctionName}); err == nil {
				f.URLAuth = string(u.AuthType)
				if u.Cors != nil {
					f.URLCorsOrigins = u.Cors.AllowOrigins
				}
			} else if !modkit.HasCode(err, "ResourceNotFoundException") {
				f.setErr("function URL", modkit.NewAttrError(env, fmt.Errorf("lambda: get function URL of %s: %w", f.Name, err)))
			}
			st.Functions = append(st.Functions, f)
		}
		if aws.ToString(out.NextMarker) == "" {
			return st, nil
		}
		in = &awslambda.ListFunctionsInput{Marker: out.NextMarker}
	}
}
