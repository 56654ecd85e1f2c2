// Package ssm is Rampart's Systems Manager scanner module. It lists the
// region's EC2 instances, the instances registered with SSM, their patch
// compliance summaries and the account's own SSM documents with their
// sharing, and evaluates: instances managed by SSM, instances compliant
// with their patch baseline, documents not shared publicly. It runs once
// per account and region.
package ssm

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/rampart-cspm/rampart/checks"
	"github.com/rampart-cspm/rampart/checks/internal/modkit"
)

// Name is the module's name and the service of its findings.
const Name = "ssm"

// API is the part of the SSM client the collector calls.
type API interface {
	DescribeInstanceInformation(ctx context.Context, in *awsssm.DescribeInstanceInformationInput, optFns ...func(*awsssm.Options)) (*awsssm.DescribeInstanceInformationOutput, error)
	ListResourceComplianceSummaries(ctx context.Context, in *awsssm.ListResourceComplianceSummariesInput, optFns ...func(*awsssm.Options)) (*awsssm.ListResourceComplianceSummariesOutput, error)
	ListDocuments(ctx context.Context, in *awsssm.ListDocumentsInput, optFns ...func(*awsssm.Options)) (*awsssm.ListDocumentsOutput, error)
	DescribeDocumentPermission(ctx context.Context, in *awsssm.DescribeDocumentPermissionInput, optFns ...func(*awsssm.Options)) (*awsssm.DescribeDocumentPermissionOutput, error)
}

// EC2API lists the region's instances.
type EC2API interface {
	DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
}

// State is the SSM view of one account and region. ManagedErr / PatchErr
// record why the managed-instance or patch lists could not be read; the
// checks that need them report NOT_EVALUATED.
type State struct {
	AccountID  string            `json:"account_id"`
	Region     string            `json:"region"`
	Instances  []*Instance       `json:"instances"`
	ManagedErr *modkit.AttrError `json:"managed_error,omitempty"`
	PatchErr   *modkit.AttrError `json:"patch_error,omitempty"`
	Documents  []*Document       `json:"documents"`
}

// Instance is one running or stopped EC2 instance.
type Instance struct {
	ID      string `json:"id"`
	Name    string `json:"name,omitempty"`
	State   string `json:"state"`
	Managed bool   `json:"managed"`
	// Patch is COMPLIANT, NON_COMPLIANT or "" (no patch data).
	Patch    string `json:"patch,omitempty"`
	Severity string `json:"severity,omitempty"`
}

// Document is a document owned by the account.
type Document struct {
	Name    string            `json:"name"`
	Public  bool              `json:"public"`
	AttrErr *modkit.AttrError `json:"attr_error,omitempty"`
}

// Module is the ssm scanner module.
type Module struct{ *modkit.Std[*State] }

// Option configures the module.
type Option func(*options)

type options struct {
	api func(checks.Env) API
	ec2 func(checks.Env) EC2API
}

// WithAPI makes the module call fakes instead of SDK clients.
func WithAPI(api API, ec EC2API) Option {
	return func(o *options) {
		o.api = func(checks.Env) API { return api }
		o.ec2 = func(checks.Env) EC2API { return ec }
	}
}

// New returns the SSM module.
func New(opts ...Option) checks.Module {
	o := options{api: func(env checks.Env) API { return awsssm.NewFromConfig(env.Config) },
		ec2: func(env checks.Env) EC2API { return ec2.NewFromConfig(env.Config) }}
	for _, f := range opts {
		f(&o)
	}
	return &Module{&modkit.Std[*State]{ModName: Name, ModScope: checks.ScopeRegional, List: Checks,
		Collect: func(ctx context.Context, env checks.Env) (*State, error) {
			return collect(ctx, env, o.api(env), o.ec2(env))
		}}}
}

func collect(ctx context.Context, env checks.Env, api API, ec EC2API) (*State, error) {
	st := &State{AccountID: env.AccountID, Region: env.Region, Instances: []*Instance{}, Documents: []*Document{}}
	byID := map[string]*Instance{}
	ein := &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{{Name: aws.String("instance-state-name"), Values: []string{"running", "stopped", "pending"}}}}
	for {
		out, err := ec.DescribeInstances(ctx, ein)
		if err != nil {
			return nil, fmt.Errorf("ssm: describe EC2 instances of %s in %s: %w", env.AccountID, env.Region, err)
		}
		for _, r := range out.Reservations {
			for _, i := range r.Instances {
				in := &Instance{ID: aws.ToString(i.InstanceId)}
				if i.State != nil {
					in.State = string(i.State.Name)
				}
				for _, t := range i.Tags {
					if aws.ToString(t.Key) == "Name" {
						in.Name = aws.ToString(t.Value)
					}
				}
				byID[in.ID] = in
				st.Instances = append(st.Instances, in)
			}
		}
		if aws.ToString(out.NextToken) == "" {
			break
		}
		ein = &ec2.DescribeInstancesInput{Filters: ein.Filters, NextToken: out.NextToken}
	}
	var token *string
	for {
		out, err := api.DescribeInstanceInformation(ctx, &awsssm.DescribeInstanceInformationInput{NextToken: token})
		if err != nil {
			st.ManagedErr = modkit.NewAttrError(env, fmt.Errorf("ssm: describe instance information of %s in %s: %w", env.AccountID, env.Region, err))
			break
		}
		for _, i := range out.InstanceInformationList {
			if in := byID[aws.ToString(i.InstanceId)]; in != nil {
				in.Managed = true
			}
		}
		if token = out.NextToken; aws.ToString(token) == "" {
			break
		}
	}
	token = nil
	for {
		out, err := api.ListResourceComplianceSummaries(ctx, &awsssm.ListResourceComplianceSummariesInput{NextToken: token,
			Filters: []ssmtypes.ComplianceStringFilter{{Key: aws.String("ComplianceType"), Values: []string{"Patch"}, Type: ssmtypes.ComplianceQueryOperatorTypeEqual}}})
		if err != nil {
			st.PatchErr = modkit.NewAttrError(env, fmt.Errorf("ssm: list patch compliance of %s in %s: %w", env.AccountID, env.Region, err))
			break
		}
		for _, s := range out.ResourceComplianceSummaryItems {
			if in := byID[aws.ToString(s.ResourceId)]; in != nil && aws.ToString(s.ComplianceType) == "Patch" {
				in.Patch, in.Severity = string(s.Status), string(s.OverallSeverity)
			}
		}
		if token = out.NextToken; aws.ToString(token) == "" {
			break
		}
	}
	token = nil
	for {
		out, err := api.ListDocuments(ctx, &awsssm.ListDocumentsInput{NextToken: token,
			Filters: []ssmtypes.DocumentKeyValuesFilter{{Key: aws.String("Owner"), Values: []string{"Self"}}}})
		if err != nil {
			return nil, fmt.Errorf("ssm: list documents of %s in %s: %w", env.AccountID, env.Region, err)
		}
		for _, d := range out.DocumentIdentifiers {
			doc := &Document{Name: aws.ToString(d.Name)}
			p, err := api.DescribeDocumentPermission(ctx, &awsssm.DescribeDocumentPermissionInput{Name: d.Name, PermissionType: ssmtypes.DocumentPermissionTypeShare})
			if err != nil {
				doc.AttrErr = modkit.NewAttrError(env, fmt.Errorf("ssm: describe permission of document %s: %w", doc.Name, err))
			} else {
				// The API reference spells the public marker "all" in
				// DescribeDocumentPermission and "All" in
				// ModifyDocumentPermission; implementations echo either
				// (moto returns "All"): compare without case.
				doc.Public = slices.ContainsFunc(p.AccountIds, func(id string) bool { return strings.EqualFold(id, "all") })
			}
			st.Documents = append(st.Documents, doc)
		}
		if token = out.NextToken; aws.ToString(token) == "" {
			break
		}
	}
	return st, nil
}
