package ec2

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/checks"
)

// fakeEC2 serves pages of security groups, or err.
type fakeEC2 struct {
	pages [][]types.SecurityGroup
	err   error
	calls int
}

var _ API = (*fakeEC2)(nil)

func (f *fakeEC2) DescribeSecurityGroups(_ context.Context, in *awsec2.DescribeSecurityGroupsInput, _ ...func(*awsec2.Options)) (*awsec2.DescribeSecurityGroupsOutput, error) {
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	i := 0
	if in.NextToken != nil {
		i = int((*in.NextToken)[0] - '0')
	}
	out := &awsec2.DescribeSecurityGroupsOutput{SecurityGroups: f.pages[i]}
	if i+1 < len(f.pages) {
		out.NextToken = aws.String(string(rune('0' + i + 1)))
	}
	return out, nil
}

func (f *fakeEC2) DescribeVpcs(context.Context, *awsec2.DescribeVpcsInput, ...func(*awsec2.Options)) (*awsec2.DescribeVpcsOutput, error) {
	return &awsec2.DescribeVpcsOutput{}, f.err
}

func (f *fakeEC2) DescribeSubnets(context.Context, *awsec2.DescribeSubnetsInput, ...func(*awsec2.Options)) (*awsec2.DescribeSubnetsOutput, error) {
	return &awsec2.DescribeSubnetsOutput{}, f.err
}

func (f *fakeEC2) DescribeNetworkAcls(context.Context, *awsec2.DescribeNetworkAclsInput, ...func(*awsec2.Options)) (*awsec2.DescribeNetworkAclsOutput, error) {
	return &awsec2.DescribeNetworkAclsOutput{}, f.err
}

func (f *fakeEC2) DescribeFlowLogs(context.Context, *awsec2.DescribeFlowLogsInput, ...func(*awsec2.Options)) (*awsec2.DescribeFlowLogsOutput, error) {
	return &awsec2.DescribeFlowLogsOutput{}, f.err
}

func (f *fakeEC2) DescribeNetworkInterfaces(context.Context, *awsec2.DescribeNetworkInterfacesInput, ...func(*awsec2.Options)) (*awsec2.DescribeNetworkInterfacesOutput, error) {
	return &awsec2.DescribeNetworkInterfacesOutput{}, f.err
}

func (f *fakeEC2) DescribeTransitGateways(context.Context, *awsec2.DescribeTransitGatewaysInput, ...func(*awsec2.Options)) (*awsec2.DescribeTransitGatewaysOutput, error) {
	return &awsec2.DescribeTransitGatewaysOutput{}, f.err
}

func (f *fakeEC2) DescribeVpcEndpoints(context.Context, *awsec2.DescribeVpcEndpointsInput, ...func(*awsec2.Options)) (*awsec2.DescribeVpcEndpointsOutput, error) {
	return &awsec2.DescribeVpcEndpointsOutput{}, f.err
}

func classify(err error) rampart.ErrorClass {
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "AuthFailure" {
		return rampart.ErrClassRegionDisabled
	}
	return rampart.ErrClassServiceError
}

func testEnv() checks.Env {
	return checks.Env{AccountID: "111122223333", Region: "eu-west-1", HomeRegion: "us-east-1", Classify: classify}
}

func perm(proto string, from, to int32, cidr ...string) types.IpPermission {
	p := types.IpPermission{IpProtocol: aws.String(proto)}
	if proto != "-1" {
		p.FromPort, p.ToPort = aws.Int32(from), aws.Int32(to)
	}
	for _, c := range cidr {
		p.IpRanges = append(p.IpRanges, types.IpRange{CidrIp: aws.String(c)})
	}
	return p
}

func newFake() *fakeEC2 {
	return &fakeEC2{pages: [][]types.SecurityGroup{
		{
			{GroupId: aws.String("sg-default"), GroupName: aws.String("default"), VpcId: aws.String("vpc-1"), OwnerId: aws.String("111122223333"),
				IpPermissionsEgress: []types.IpPermission{perm("-1", 0, 0, "0.0.0.0/0")}},
			{GroupId: aws.String("sg-ssh"), GroupName: aws.String("bastion"), VpcId: aws.String("vpc-1"),
				IpPermissions: []types.IpPermission{perm("6", 22, 22, "0.0.0.0/0")},
				Tags:          []types.Tag{{Key: aws.String("owner"), Value: aws.String("ops")}}},
		},
		{
			{GroupId: aws.String("sg-web"), GroupName: aws.String("web"), VpcId: aws.String("vpc-1"),
				SecurityGroupArn: aws.String("arn:aws:ec2:eu-west-1:111122223333:security-group/sg-web"),
				IpPermissions:    []types.IpPermission{perm("tcp", 443, 443, "0.0.0.0/0")}},
		},
	}}
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
	res := New(WithAPI(f)).Run(context.Background(), testEnv(), nil)
	if res.Service.Status != rampart.ServiceOK || res.Service.ChecksRun != len(New().Checks()) || len(res.Service.ChecksErrored) != 0 || f.calls != 2 {
		t.Fatalf("service = %+v after %d calls", res.Service, f.calls)
	}
	got := results(res)
	tests := []struct {
		check, sg string
		want      rampart.Status
	}{
		{ssh, "sg-ssh", rampart.StatusFail},
		{ssh, "sg-web", rampart.StatusPass},
		{ssh, "sg-default", rampart.StatusPass},
		{rdp, "sg-ssh", rampart.StatusPass},
		{allPorts, "sg-web", rampart.StatusPass},
		{dflt, "sg-default", rampart.StatusFail},
	}
	for _, tt := range tests {
		if r := got[tt.check][tt.sg]; r.Status != tt.want {
			t.Errorf("%s on %s = %s (%s), want %s", tt.check, tt.sg, r.Status, r.StatusExtended, tt.want)
		}
	}
	r := got[ssh]["sg-ssh"]
	if r.ResourceID != "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-ssh" || r.Region != "eu-west-1" || r.Tags["owner"] != "ops" {
		t.Errorf("sg-ssh result = %+v", r)
	}
	var raw State
	if err := json.Unmarshal(res.Raw, &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw.SecurityGroups) != 3 || raw.SecurityGroups[1].Ingress[0].Protocol != "tcp" || raw.SecurityGroups[0].Egress[0].ToPort != 65535 {
		t.Errorf("raw = %s", res.Raw)
	}
}

func TestDescribeFails(t *testing.T) {
	f := &fakeEC2{err: &smithy.GenericAPIError{Code: "AuthFailure", Message: "region not enabled"}}
	res := New(WithAPI(f)).Run(context.Background(), testEnv(), func(id string) bool { return id != dflt })
	if res.Service.Status != rampart.ServiceFailed || res.Service.ErrorClass != rampart.ErrClassRegionDisabled {
		t.Fatalf("service = %+v", res.Service)
	}
	if want := len(New().Checks()) - 1; len(res.Checks) != want || res.Service.ChecksFailed != want {
		t.Fatalf("%d outcomes, %d failed; want %d", len(res.Checks), res.Service.ChecksFailed, want)
	}
	for _, o := range res.Checks {
		if r := o.Results[0]; r.Status != rampart.StatusNotEvaluated || r.ErrorClass != rampart.ErrClassRegionDisabled {
			t.Errorf("%s: %+v", o.Meta.ID, r)
		}
	}
}

func TestPanickingCheckFailsAlone(t *testing.T) {
	m := New(WithAPI(newFake()))
	m.checks = append(slices.Clone(m.checks), checks.Check[*State]{
		Meta: checks.Meta{ID: "ec2_test_panics", Module: Name},
		Eval: func(st *State) []checks.Result { var g *SecurityGroup; return []checks.Result{{ResourceID: g.ARN}} },
	})
	res := m.Run(context.Background(), testEnv(), nil)
	if !slices.Equal(res.Service.ChecksErrored, []string{"ec2_test_panics"}) || res.Service.Status != rampart.ServiceOK {
		t.Fatalf("service = %+v", res.Service)
	}
	if r := results(res)[ssh]["sg-ssh"]; r.Status != rampart.StatusFail {
		t.Errorf("other check disturbed: %s", r.Status)
	}
}
