package ec2

import (
	"context"
	"testing"

	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/checks"
)

// fixture is a region where every networking check has a failing and a
// passing resource.
func fixture() *State {
	const acct, region = "111122223333", "eu-west-1"
	var open []Rule
	for _, p := range sgPorts {
		open = append(open, tcp(p.ports[0], p.ports[0], AnyIPv4))
	}
	for _, p := range instancePorts {
		open = append(open, tcp(p.ports[len(p.ports)-1], p.ports[len(p.ports)-1], AnyIPv6))
	}
	many := group("sg-many", "many")
	for i := 0; i <= maxRules; i++ {
		many.Ingress = append(many.Ingress, tcp(443, 443, "10.0.0.0/8"))
	}
	return &State{AccountID: acct, Region: region, SecurityGroups: []*SecurityGroup{
		group("sg-open", "legacy", open...),
		group("sg-closed", "internal", tcp(5432, 5432, "10.0.0.0/8")),
		group("sg-wide", "partner", tcp(8443, 8443, "52.0.0.0/8")),
		group("sg-wiz", "launch-wizard-1"),
		many,
		group("sg-lb", "alb", tcp(443, 443, AnyIPv4)),
	}, Net: &Network{
		VPCs: []*VPC{{ID: "vpc-a", ARN: "arn:vpc-a"}, {ID: "vpc-b", ARN: "arn:vpc-b"}},
		Subnets: []*Subnet{
			{ID: "subnet-a1", VpcID: "vpc-a", AvailabilityZone: "eu-west-1a", MapPublicIPOnLaunch: true},
			{ID: "subnet-a2", VpcID: "vpc-a", AvailabilityZone: "eu-west-1b"},
			{ID: "subnet-b1", VpcID: "vpc-b", AvailabilityZone: "eu-west-1a"},
		},
		NetworkACLs: []*NetworkACL{
			{ID: "acl-default", VpcID: "vpc-b", Default: true, Subnets: []string{"subnet-b1"},
				Entries: []ACLEntry{{RuleNumber: 100, Allow: true, Protocol: AllProtocols, CIDR: AnyIPv4, ToPort: 65535}, {RuleNumber: 32767, Protocol: AllProtocols, CIDR: AnyIPv4, ToPort: 65535}}},
			{ID: "acl-strict", VpcID: "vpc-a", Subnets: []string{"subnet-a1"}, Entries: []ACLEntry{
				{RuleNumber: 200, Allow: true, Protocol: AllProtocols, CIDR: AnyIPv4, ToPort: 65535},
				{RuleNumber: 10, Protocol: "tcp", CIDR: AnyIPv4, FromPort: 22, ToPort: 22},
				{RuleNumber: 20, Protocol: "tcp", CIDR: AnyIPv4, FromPort: 3389, ToPort: 3389},
				{RuleNumber: 30, Protocol: AllProtocols, IPv6CIDR: AnyIPv6, ToPort: 65535},
				{RuleNumber: 1, Protocol: AllProtocols, CIDR: AnyIPv4, ToPort: 65535, Egress: true, Allow: true},
			}},
			{ID: "acl-orphan", VpcID: "vpc-a", Subnets: []string{}},
		},
		FlowLogs: []FlowLog{{ID: "fl-1", ResourceID: "vpc-a", Status: "ACTIVE"}},
		NetworkInterfaces: []*NetworkInterface{
			{ID: "eni-1", InstanceID: "i-public", PublicIP: "203.0.113.1", Groups: []string{"sg-open"}},
			{ID: "eni-2", InstanceID: "i-private", Groups: []string{"sg-open", "sg-closed"}},
			{ID: "eni-3", Type: "network_load_balancer", Groups: []string{"sg-lb"}},
		},
		TransitGateways: []*TransitGateway{{ID: "tgw-auto", AutoAcceptSharedAttachments: true}, {ID: "tgw-manual"}},
		VPCEndpoints: []*VPCEndpoint{
			{ID: "vpce-ec2", VpcID: "vpc-a", ServiceName: "com.amazonaws.eu-west-1.ec2", Type: "Interface", SubnetIDs: []string{"subnet-a1", "subnet-a2"},
				Policy: `{"Statement":{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root"]},"Action":"*","Resource":"*"}}`},
			{ID: "vpce-s3", VpcID: "vpc-b", ServiceName: "com.amazonaws.eu-west-1.ssm", Type: "Interface", SubnetIDs: []string{"subnet-b1"},
				Policy: `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`},
			{ID: "vpce-partner", VpcID: "vpc-b", ServiceName: "com.amazonaws.eu-west-1.s3", Type: "Gateway",
				Policy: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"999988887777"},"Action":"*","Resource":"*"}]}`},
		},
	}}
}

func TestNetworkChecksTable(t *testing.T) {
	type row struct {
		check, resource string
		want            rampart.Status
	}
	pass, fail := rampart.StatusPass, rampart.StatusFail
	var rows []row
	for _, p := range sgPorts {
		rows = append(rows, row{p.id, "sg-open", fail}, row{p.id, "sg-closed", pass})
	}
	for _, p := range instancePorts {
		rows = append(rows, row{p.id, "i-public", fail}, row{p.id, "i-private", pass})
	}
	rows = append(rows,
		row{"ec2_securitygroup_allow_ingress_from_internet_to_any_port", "sg-open", fail},
		row{"ec2_securitygroup_allow_ingress_from_internet_to_any_port", "sg-lb", pass},
		row{"ec2_securitygroup_allow_ingress_from_internet_to_any_port", "sg-closed", pass},
		row{"ec2_securitygroup_allow_wide_open_public_ipv4", "sg-wide", fail},
		row{"ec2_securitygroup_allow_wide_open_public_ipv4", "sg-closed", pass},
		row{"ec2_securitygroup_allow_wide_open_public_ipv4", "sg-open", pass},
		row{"ec2_securitygroup_from_launch_wizard", "sg-wiz", fail},
		row{"ec2_securitygroup_from_launch_wizard", "sg-open", pass},
		row{"ec2_securitygroup_not_used", "sg-wiz", fail},
		row{"ec2_securitygroup_not_used", "sg-closed", pass},
		row{"ec2_securitygroup_with_many_ingress_egress_rules", "sg-many", fail},
		row{"ec2_securitygroup_with_many_ingress_egress_rules", "sg-open", pass},
		row{"ec2_networkacl_allow_ingress_any_port", "acl-default", fail},
		row{"ec2_networkacl_allow_ingress_any_port", "acl-strict", pass},
		row{"ec2_networkacl_allow_ingress_tcp_port_22", "acl-default", fail},
		row{"ec2_networkacl_allow_ingress_tcp_port_22", "acl-strict", pass},
		row{"ec2_networkacl_allow_ingress_tcp_port_3389", "acl-default", fail},
		row{"ec2_networkacl_allow_ingress_tcp_port_3389", "acl-strict", pass},
		row{"ec2_networkacl_unused", "acl-orphan", fail},
		row{"ec2_networkacl_unused", "acl-strict", pass},
		row{"ec2_transitgateway_auto_accept_vpc_attachments", "tgw-auto", fail},
		row{"ec2_transitgateway_auto_accept_vpc_attachments", "tgw-manual", pass},
		row{"vpc_flow_logs_enabled", "vpc-b", fail},
		row{"vpc_flow_logs_enabled", "vpc-a", pass},
		row{"vpc_subnet_no_public_ip_by_default", "subnet-a1", fail},
		row{"vpc_subnet_no_public_ip_by_default", "subnet-a2", pass},
		row{"vpc_subnet_different_az", "vpc-b", fail},
		row{"vpc_subnet_different_az", "vpc-a", pass},
		row{"vpc_endpoint_for_ec2_enabled", "vpc-b", fail},
		row{"vpc_endpoint_for_ec2_enabled", "vpc-a", pass},
		row{"vpc_endpoint_multi_az_enabled", "vpce-s3", fail},
		row{"vpc_endpoint_multi_az_enabled", "vpce-ec2", pass},
		row{"vpc_endpoint_connections_trust_boundaries", "vpce-s3", fail},
		row{"vpc_endpoint_connections_trust_boundaries", "vpce-partner", fail},
		row{"vpc_endpoint_connections_trust_boundaries", "vpce-ec2", pass},
	)
	got := map[string]map[string]checks.Result{}
	st := fixture()
	for _, c := range New().checks {
		got[c.Meta.ID] = map[string]checks.Result{}
		for _, r := range c.Eval(st) {
			got[c.Meta.ID][r.ResourceName] = r
		}
	}
	covered := map[string]map[rampart.Status]bool{}
	for _, r := range rows {
		res, ok := got[r.check][r.resource]
		if !ok {
			t.Errorf("%s: no result on %s", r.check, r.resource)
			continue
		}
		if res.Status != r.want || res.StatusExtended == "" {
			t.Errorf("%s on %s = %s (%s), want %s", r.check, r.resource, res.Status, res.StatusExtended, r.want)
		}
		if covered[r.check] == nil {
			covered[r.check] = map[rampart.Status]bool{}
		}
		covered[r.check][r.want] = true
	}
	for _, nc := range networkChecks() { // the first four have their own tests in checks_test.go
		m := nc.check.Meta
		if !covered[m.ID][pass] || !covered[m.ID][fail] {
			t.Errorf("%s lacks a failing or a passing row in this table", m.ID)
		}
	}
	// Scope: default ACLs are not "unused"; default groups are not "not used".
	if _, ok := got["ec2_networkacl_unused"]["acl-default"]; ok {
		t.Error("default ACL evaluated by ec2_networkacl_unused")
	}
}

// TestFailedPartMakesOnlyItsChecksNotEvaluated: a network part that could
// not be read leaves the checks that need it NOT_EVALUATED with its class,
// and every other check runs.
func TestFailedPartMakesOnlyItsChecksNotEvaluated(t *testing.T) {
	f := newFake()
	res := New(WithAPI(&aclDenied{f})).Run(t.Context(), testEnv(), nil)
	if res.Service.Status != rampart.ServiceOK {
		t.Fatalf("service = %+v", res.Service)
	}
	errored := map[string]bool{}
	for _, id := range res.Service.ChecksErrored {
		errored[id] = true
	}
	for _, o := range res.Checks {
		needsACL := o.Meta.ID == "ec2_networkacl_unused" || o.Meta.ID == "ec2_networkacl_allow_ingress_any_port" ||
			o.Meta.ID == "ec2_networkacl_allow_ingress_tcp_port_22" || o.Meta.ID == "ec2_networkacl_allow_ingress_tcp_port_3389"
		if needsACL != errored[o.Meta.ID] {
			t.Errorf("%s errored = %v, want %v", o.Meta.ID, errored[o.Meta.ID], needsACL)
		}
		if needsACL && (o.Results[0].Status != rampart.StatusNotEvaluated || o.Results[0].ErrorClass != rampart.ErrClassRegionDisabled) {
			t.Errorf("%s: %+v", o.Meta.ID, o.Results[0])
		}
	}
}

type aclDenied struct{ *fakeEC2 }

func (a *aclDenied) DescribeNetworkAcls(context.Context, *awsec2.DescribeNetworkAclsInput, ...func(*awsec2.Options)) (*awsec2.DescribeNetworkAclsOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "AuthFailure", Message: "no"}
}
