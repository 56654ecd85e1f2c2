package ec2

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/rampart-cspm/rampart/checks"
	"github.com/rampart-cspm/rampart/checks/internal/modkit"
)

// NetworkAPI is the part of the EC2 client the network collector calls
// beyond security groups. The SDK client implements it; a client that does
// not leaves every network part failed, so the checks that need them are
// NOT_EVALUATED.
type NetworkAPI interface {
	DescribeVpcs(ctx context.Context, in *awsec2.DescribeVpcsInput, optFns ...func(*awsec2.Options)) (*awsec2.DescribeVpcsOutput, error)
	DescribeSubnets(ctx context.Context, in *awsec2.DescribeSubnetsInput, optFns ...func(*awsec2.Options)) (*awsec2.DescribeSubnetsOutput, error)
	DescribeNetworkAcls(ctx context.Context, in *awsec2.DescribeNetworkAclsInput, optFns ...func(*awsec2.Options)) (*awsec2.DescribeNetworkAclsOutput, error)
	DescribeFlowLogs(ctx context.Context, in *awsec2.DescribeFlowLogsInput, optFns ...func(*awsec2.Options)) (*awsec2.DescribeFlowLogsOutput, error)
	DescribeNetworkInterfaces(ctx context.Context, in *awsec2.DescribeNetworkInterfacesInput, optFns ...func(*awsec2.Options)) (*awsec2.DescribeNetworkInterfacesOutput, error)
	DescribeTransitGateways(ctx context.Context, in *awsec2.DescribeTransitGatewaysInput, optFns ...func(*awsec2.Options)) (*awsec2.DescribeTransitGatewaysOutput, error)
	DescribeVpcEndpoints(ctx context.Context, in *awsec2.DescribeVpcEndpointsInput, optFns ...func(*awsec2.Options)) (*awsec2.DescribeVpcEndpointsOutput, error)
}

var _ NetworkAPI = (*awsec2.Client)(nil)

// pages calls fetch with successive tokens until the token is empty.
func pages(fetch func(token *string) (*string, error)) error {
	var token *string
	for {
		next, err := fetch(token)
		if err != nil {
			return err
		}
		if aws.ToString(next) == "" {
			return nil
		}
		token = next
	}
}

func tagMap(tags []types.Tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

// collectNetwork reads every network part it can. A part that fails is
// recorded in Network.Errors and the others are still read.
func collectNetwork(ctx context.Context, env checks.Env, api any) *Network {
	n := &Network{VPCs: []*VPC{}, Subnets: []*Subnet{}, NetworkACLs: []*NetworkACL{}, FlowLogs: []FlowLog{},
		NetworkInterfaces: []*NetworkInterface{}, TransitGateways: []*TransitGateway{}, VPCEndpoints: []*VPCEndpoint{}}
	fail := func(part string, err error) {
		if n.Errors == nil {
			n.Errors = map[string]*modkit.AttrError{}
		}
		n.Errors[part] = modkit.NewAttrError(env, fmt.Errorf("ec2: %s of %s in %s: %w", part, env.AccountID, env.Region, err))
	}
	c, ok := api.(NetworkAPI)
	if !ok {
		err := fmt.Errorf("the EC2 client cannot list network resources")
		for _, p := range []string{partVPCs, partSubnets, partNetworkACLs, partFlowLogs, partInterfaces, partTransitGateways, partVPCEndpoints} {
			fail(p, err)
		}
		return n
	}
	arn := func(kind, id string) string {
		return fmt.Sprintf("arn:aws:ec2:%s:%s:%s/%s", env.Region, env.AccountID, kind, id)
	}
	if err := pages(func(tok *string) (*string, error) {
		out, err := c.DescribeVpcs(ctx, &awsec2.DescribeVpcsInput{NextToken: tok})
		if err != nil {
			return nil, err
		}
		for _, v := range out.Vpcs {
			id := aws.ToString(v.VpcId)
			n.VPCs = append(n.VPCs, &VPC{ID: id, ARN: arn("vpc", id), CIDR: aws.ToString(v.CidrBlock), Default: aws.ToBool(v.IsDefault), Tags: tagMap(v.Tags)})
		}
		return out.NextToken, nil
	}); err != nil {
		fail(partVPCs, err)
	}
	if err := pages(func(tok *string) (*string, error) {
		out, err := c.DescribeSubnets(ctx, &awsec2.DescribeSubnetsInput{NextToken: tok})
		if err != nil {
			return nil, err
		}
		for _, s := range out.Subnets {
			id := aws.ToString(s.SubnetId)
			a := aws.ToString(s.SubnetArn)
			if a == "" {
				a = arn("subnet", id)
			}
			n.Subnets = append(n.Subnets, &Subnet{ID: id, ARN: a, VpcID: aws.ToString(s.VpcId), AvailabilityZone: aws.ToString(s.AvailabilityZone),
				MapPublicIPOnLaunch: aws.ToBool(s.MapPublicIpOnLaunch), Tags: tagMap(s.Tags)})
		}
		return out.NextToken, nil
	}); err != nil {
		fail(partSubnets, err)
	}
	if err := pages(func(tok *string) (*string, error) {
		out, err := c.DescribeNetworkAcls(ctx, &awsec2.DescribeNetworkAclsInput{NextToken: tok})
		if err != nil {
			return nil, err
		}
		for _, a := range out.NetworkAcls {
			id := aws.ToString(a.NetworkAclId)
			acl := &NetworkACL{ID: id, ARN: arn("network-acl", id), VpcID: aws.ToString(a.VpcId), Default: aws.ToBool(a.IsDefault),
				Entries: []ACLEntry{}, Subnets: []string{}, Tags: tagMap(a.Tags)}
			for _, e := range a.Entries {
				entry := ACLEntry{RuleNumber: int(aws.ToInt32(e.RuleNumber)), Egress: aws.ToBool(e.Egress), Allow: e.RuleAction == types.RuleActionAllow,
					Protocol: aws.ToString(e.Protocol), CIDR: aws.ToString(e.CidrBlock), IPv6CIDR: aws.ToString(e.Ipv6CidrBlock)}
				if p, ok := protocolNames[entry.Protocol]; ok {
					entry.Protocol = p
				}
				if e.PortRange != nil {
					entry.FromPort, entry.ToPort = int(aws.ToInt32(e.PortRange.From)), int(aws.ToInt32(e.PortRange.To))
				} else if entry.Protocol == AllProtocols || entry.Protocol == "tcp" || entry.Protocol == "udp" {
					entry.FromPort, entry.ToPort = 0, 65535
				}
				acl.Entries = append(acl.Entries, entry)
			}
			for _, s := range a.Associations {
				acl.Subnets = append(acl.Subnets, aws.ToString(s.SubnetId))
			}
			n.NetworkACLs = append(n.NetworkACLs, acl)
		}
		return out.NextToken, nil
	}); err != nil {
		fail(partNetworkACLs, err)
	}
	if err := pages(func(tok *string) (*string, error) {
		out, err := c.DescribeFlowLogs(ctx, &awsec2.DescribeFlowLogsInput{NextToken: tok})
		if err != nil {
			return nil, err
		}
		for _, f := range out.FlowLogs {
			n.FlowLogs = append(n.FlowLogs, FlowLog{ID: aws.ToString(f.FlowLogId), ResourceID: aws.ToString(f.ResourceId), Status: aws.ToString(f.FlowLogStatus)})
		}
		return out.NextToken, nil
	}); err != nil {
		fail(partFlowLogs, err)
	}
	if err := pages(func(tok *string) (*string, error) {
		out, err := c.DescribeNetworkInterfaces(ctx, &awsec2.DescribeNetworkInterfacesInput{NextToken: tok})
		if err != nil {
			return nil, err
		}
		for _, e := range out.NetworkInterfaces {
			ni := &NetworkInterface{ID: aws.ToString(e.NetworkInterfaceId), Type: string(e.InterfaceType), RequesterID: aws.ToString(e.RequesterId),
				Description: aws.ToString(e.Description), VpcID: aws.ToString(e.VpcId), SubnetID: aws.ToString(e.SubnetId), Groups: []string{}}
			if e.Attachment != nil {
				ni.InstanceID = aws.ToString(e.Attachment.InstanceId)
			}
			if e.Association != nil {
				ni.PublicIP = aws.ToString(e.Association.PublicIp)
			}
			for _, g := range e.Groups {
				ni.Groups = append(ni.Groups, aws.ToString(g.GroupId))
			}
			n.NetworkInterfaces = append(n.NetworkInterfaces, ni)
		}
		return out.NextToken, nil
	}); err != nil {
		fail(partInterfaces, err)
	}
	if err := pages(func(tok *string) (*string, error) {
		out, err := c.DescribeTransitGateways(ctx, &awsec2.DescribeTransitGatewaysInput{NextToken: tok})
		if err != nil {
			return nil, err
		}
		for _, g := range out.TransitGateways {
			if owner := aws.ToString(g.OwnerId); owner != "" && owner != env.AccountID {
				continue // shared with us: its owner's to configure
			}
			id := aws.ToString(g.TransitGatewayId)
			tg := &TransitGateway{ID: id, ARN: aws.ToString(g.TransitGatewayArn), Tags: tagMap(g.Tags)}
			if tg.ARN == "" {
				tg.ARN = arn("transit-gateway", id)
			}
			if g.Options != nil {
				tg.AutoAcceptSharedAttachments = g.Options.AutoAcceptSharedAttachments == types.AutoAcceptSharedAttachmentsValueEnable
			}
			n.TransitGateways = append(n.TransitGateways, tg)
		}
		return out.NextToken, nil
	}); err != nil {
		fail(partTransitGateways, err)
	}
	if err := pages(func(tok *string) (*string, error) {
		out, err := c.DescribeVpcEndpoints(ctx, &awsec2.DescribeVpcEndpointsInput{NextToken: tok})
		if err != nil {
			return nil, err
		}
		for _, e := range out.VpcEndpoints {
			n.VPCEndpoints = append(n.VPCEndpoints, &VPCEndpoint{ID: aws.ToString(e.VpcEndpointId), VpcID: aws.ToString(e.VpcId),
				ServiceName: aws.ToString(e.ServiceName), Type: string(e.VpcEndpointType), SubnetIDs: e.SubnetIds,
				Policy: aws.ToString(e.PolicyDocument), Tags: tagMap(e.Tags)})
		}
		return out.NextToken, nil
	}); err != nil {
		fail(partVPCEndpoints, err)
	}
	return n
}
