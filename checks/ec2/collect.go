package ec2

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/rampart-cspm/rampart/checks"
)

// API is the part of the EC2 client the collector calls.
type API interface {
	DescribeSecurityGroups(ctx context.Context, in *awsec2.DescribeSecurityGroupsInput, optFns ...func(*awsec2.Options)) (*awsec2.DescribeSecurityGroupsOutput, error)
}

var _ API = (*awsec2.Client)(nil)

// AttachmentAPI lists what security groups are attached to. It is
// optional: an API that does not implement it leaves the groups'
// attachments unknown, and the group checks run as before.
type AttachmentAPI interface {
	DescribeInstances(ctx context.Context, in *awsec2.DescribeInstancesInput, optFns ...func(*awsec2.Options)) (*awsec2.DescribeInstancesOutput, error)
	DescribeSubnets(ctx context.Context, in *awsec2.DescribeSubnetsInput, optFns ...func(*awsec2.Options)) (*awsec2.DescribeSubnetsOutput, error)
}

var _ AttachmentAPI = (*awsec2.Client)(nil)

// defaultAPI builds the EC2 client for the unit's region from env.Config.
func defaultAPI(env checks.Env) API {
	return awsec2.NewFromConfig(env.Config, func(o *awsec2.Options) {
		if env.Region != "" {
			o.Region = env.Region
		}
	})
}

// collect lists the region's security groups. Any failure fails the whole
// collection: there is no per-group call.
func collect(ctx context.Context, env checks.Env, api API) (*State, error) {
	st := &State{AccountID: env.AccountID, Region: env.Region, SecurityGroups: []*SecurityGroup{}}
	in := &awsec2.DescribeSecurityGroupsInput{}
	for {
		out, err := api.DescribeSecurityGroups(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("ec2: describe security groups of %s in %s: %w", env.AccountID, env.Region, err)
		}
		for _, g := range out.SecurityGroups {
			st.SecurityGroups = append(st.SecurityGroups, normalize(env, g))
		}
		if aws.ToString(out.NextToken) == "" {
			break
		}
		in = &awsec2.DescribeSecurityGroupsInput{NextToken: out.NextToken}
	}
	if aa, ok := api.(AttachmentAPI); ok {
		if err := attachments(ctx, aa, st); err != nil {
			// Context only: the group checks do not need it.
			st.AttachmentsError = fmt.Sprintf("ec2: attachments of %s in %s: %v", env.AccountID, env.Region, err)
		}
	}
	return st, nil
}

// attachments records, on each group, the running instances that use it
// with their public IP and subnet.
func attachments(ctx context.Context, api AttachmentAPI, st *State) error {
	publicSubnet := map[string]bool{}
	for in := (&awsec2.DescribeSubnetsInput{}); ; {
		out, err := api.DescribeSubnets(ctx, in)
		if err != nil {
			return fmt.Errorf("describe subnets: %w", err)
		}
		for _, sn := range out.Subnets {
			publicSubnet[aws.ToString(sn.SubnetId)] = aws.ToBool(sn.MapPublicIpOnLaunch)
		}
		if aws.ToString(out.NextToken) == "" {
			break
		}
		in = &awsec2.DescribeSubnetsInput{NextToken: out.NextToken}
	}
	byID := map[string]*SecurityGroup{}
	for _, g := range st.SecurityGroups {
		byID[g.ID] = g
		g.Attachments = []Attachment{}
	}
	for in := (&awsec2.DescribeInstancesInput{}); ; {
		out, err := api.DescribeInstances(ctx, in)
		if err != nil {
			for _, g := range st.SecurityGroups {
				g.Attachments = nil
			}
			return fmt.Errorf("describe instances: %w", err)
		}
		for _, r := range out.Reservations {
			for _, inst := range r.Instances {
				if inst.State != nil && inst.State.Name == types.InstanceStateNameTerminated {
					continue
				}
				subnet := aws.ToString(inst.SubnetId)
				a := Attachment{InstanceID: aws.ToString(inst.InstanceId), SubnetID: subnet,
					PublicIP: aws.ToString(inst.PublicIpAddress) != "", PublicSubnet: publicSubnet[subnet]}
				for _, sg := range inst.SecurityGroups {
					if g := byID[aws.ToString(sg.GroupId)]; g != nil {
						g.Attachments = append(g.Attachments, a)
					}
				}
			}
		}
		if aws.ToString(out.NextToken) == "" {
			return nil
		}
		in = &awsec2.DescribeInstancesInput{NextToken: out.NextToken}
	}
}

func normalize(env checks.Env, g types.SecurityGroup) *SecurityGroup {
	sg := &SecurityGroup{
		ID:          aws.ToString(g.GroupId),
		Name:        aws.ToString(g.GroupName),
		Description: aws.ToString(g.Description),
		VpcID:       aws.ToString(g.VpcId),
		OwnerID:     aws.ToString(g.OwnerId),
		Region:      env.Region,
		Ingress:     rules(g.IpPermissions),
		Egress:      rules(g.IpPermissionsEgress),
	}
	owner := sg.OwnerID
	if owner == "" {
		owner = env.AccountID
	}
	sg.ARN = aws.ToString(g.SecurityGroupArn)
	if sg.ARN == "" {
		sg.ARN = fmt.Sprintf("arn:aws:ec2:%s:%s:security-group/%s", env.Region, owner, sg.ID)
	}
	for _, t := range g.Tags {
		if sg.Tags == nil {
			sg.Tags = map[string]string{}
		}
		sg.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return sg
}

// protocolNames maps the IP protocol numbers EC2 may return to the names
// the checks compare against.
var protocolNames = map[string]string{"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "all": AllProtocols}

func rules(perms []types.IpPermission) []Rule {
	out := make([]Rule, 0, len(perms))
	for _, p := range perms {
		r := Rule{Protocol: aws.ToString(p.IpProtocol)}
		if n, ok := protocolNames[r.Protocol]; ok {
			r.Protocol = n
		}
		if r.Protocol == AllProtocols {
			r.FromPort, r.ToPort = 0, 65535
		} else {
			r.FromPort, r.ToPort = int(aws.ToInt32(p.FromPort)), int(aws.ToInt32(p.ToPort))
		}
		for _, x := range p.IpRanges {
			r.IPv4Ranges = append(r.IPv4Ranges, aws.ToString(x.CidrIp))
		}
		for _, x := range p.Ipv6Ranges {
			r.IPv6Ranges = append(r.IPv6Ranges, aws.ToString(x.CidrIpv6))
		}
		for _, x := range p.PrefixListIds {
			r.PrefixLists = append(r.PrefixLists, aws.ToString(x.PrefixListId))
		}
		for _, x := range p.UserIdGroupPairs {
			r.SourceGroups = append(r.SourceGroups, aws.ToString(x.GroupId))
		}
		out = append(out, r)
	}
	return out
}
