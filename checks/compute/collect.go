package compute

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/rampart-cspm/rampart/checks"
	"github.com/rampart-cspm/rampart/checks/internal/modkit"
)

// API is the part of the EC2 client the compute collector calls.
type API interface {
	DescribeInstances(ctx context.Context, in *awsec2.DescribeInstancesInput, optFns ...func(*awsec2.Options)) (*awsec2.DescribeInstancesOutput, error)
	DescribeVolumes(ctx context.Context, in *awsec2.DescribeVolumesInput, optFns ...func(*awsec2.Options)) (*awsec2.DescribeVolumesOutput, error)
	DescribeSnapshots(ctx context.Context, in *awsec2.DescribeSnapshotsInput, optFns ...func(*awsec2.Options)) (*awsec2.DescribeSnapshotsOutput, error)
	DescribeSnapshotAttribute(ctx context.Context, in *awsec2.DescribeSnapshotAttributeInput, optFns ...func(*awsec2.Options)) (*awsec2.DescribeSnapshotAttributeOutput, error)
	DescribeImages(ctx context.Context, in *awsec2.DescribeImagesInput, optFns ...func(*awsec2.Options)) (*awsec2.DescribeImagesOutput, error)
	GetEbsEncryptionByDefault(ctx context.Context, in *awsec2.GetEbsEncryptionByDefaultInput, optFns ...func(*awsec2.Options)) (*awsec2.GetEbsEncryptionByDefaultOutput, error)
	GetInstanceMetadataDefaults(ctx context.Context, in *awsec2.GetInstanceMetadataDefaultsInput, optFns ...func(*awsec2.Options)) (*awsec2.GetInstanceMetadataDefaultsOutput, error)
	GetSnapshotBlockPublicAccessState(ctx context.Context, in *awsec2.GetSnapshotBlockPublicAccessStateInput, optFns ...func(*awsec2.Options)) (*awsec2.GetSnapshotBlockPublicAccessStateOutput, error)
	GetImageBlockPublicAccessState(ctx context.Context, in *awsec2.GetImageBlockPublicAccessStateInput, optFns ...func(*awsec2.Options)) (*awsec2.GetImageBlockPublicAccessStateOutput, error)
}

var _ API = (*awsec2.Client)(nil)

func defaultAPI(env checks.Env) API {
	return awsec2.NewFromConfig(env.Config, func(o *awsec2.Options) {
		if env.Region != "" {
			o.Region = env.Region
		}
	})
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

// collect reads every part it can; a failed part is recorded in
// State.Errors and the others are still read.
func collect(ctx context.Context, env checks.Env, api API) *State {
	st := &State{AccountID: env.AccountID, Region: env.Region, Instances: []*Instance{}, Volumes: []*Volume{}, Snapshots: []*Snapshot{}, Images: []*Image{}}
	fail := func(part string, err error) {
		if st.Errors == nil {
			st.Errors = map[string]*modkit.AttrError{}
		}
		st.Errors[part] = modkit.NewAttrError(env, fmt.Errorf("ec2: %s of %s in %s: %w", part, env.AccountID, env.Region, err))
	}
	arn := func(kind, id string) string {
		return fmt.Sprintf("arn:aws:ec2:%s:%s:%s/%s", env.Region, env.AccountID, kind, id)
	}
	now := env.Now
	if now == nil {
		now = timeNow
	}
	var tok *string
	for {
		out, err := api.DescribeInstances(ctx, &awsec2.DescribeInstancesInput{NextToken: tok})
		if err != nil {
			fail(partInstances, err)
			break
		}
		for _, r := range out.Reservations {
			for _, in := range r.Instances {
				if in.State != nil && in.State.Name == types.InstanceStateNameTerminated {
					continue
				}
				id := aws.ToString(in.InstanceId)
				x := &Instance{ID: id, ARN: arn("instance", id), Type: string(in.InstanceType), PublicIP: aws.ToString(in.PublicIpAddress),
					Virtualization: string(in.VirtualizationType), NetworkInterfaces: len(in.NetworkInterfaces), Tags: tagMap(in.Tags)}
				if in.State != nil {
					x.State = string(in.State.Name)
				}
				if in.LaunchTime != nil {
					x.LaunchAgeDays, x.LaunchedAt = int(now().Sub(*in.LaunchTime).Hours()/24), in.LaunchTime
				}
				if in.IamInstanceProfile != nil {
					x.InstanceProfile = aws.ToString(in.IamInstanceProfile.Arn)
				}
				if in.MetadataOptions != nil {
					x.HTTPTokens, x.HTTPEndpoint = string(in.MetadataOptions.HttpTokens), string(in.MetadataOptions.HttpEndpoint)
				}
				if in.Monitoring != nil {
					x.DetailedMonitoring = in.Monitoring.State == types.MonitoringStateEnabled
				}
				st.Instances = append(st.Instances, x)
			}
		}
		if tok = out.NextToken; aws.ToString(tok) == "" {
			break
		}
	}
	tok = nil
	for {
		out, err := api.DescribeVolumes(ctx, &awsec2.DescribeVolumesInput{NextToken: tok})
		if err != nil {
			fail(partVolumes, err)
			break
		}
		for _, v := range out.Volumes {
			id := aws.ToString(v.VolumeId)
			st.Volumes = append(st.Volumes, &Volume{ID: id, ARN: arn("volume", id), Encrypted: aws.ToBool(v.Encrypted), State: string(v.State), Tags: tagMap(v.Tags)})
		}
		if tok = out.NextToken; aws.ToString(tok) == "" {
			break
		}
	}
	tok = nil
	for {
		out, err := api.DescribeSnapshots(ctx, &awsec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}, NextToken: tok})
		if err != nil {
			fail(partSnapshots, err)
			fail(partSnapshotPerms, err)
			break
		}
		for _, s := range out.Snapshots {
			id := aws.ToString(s.SnapshotId)
			st.Snapshots = append(st.Snapshots, &Snapshot{ID: id, ARN: arn("snapshot", id), VolumeID: aws.ToString(s.VolumeId), Encrypted: aws.ToBool(s.Encrypted), Tags: tagMap(s.Tags)})
		}
		if tok = out.NextToken; aws.ToString(tok) == "" {
			break
		}
	}
	if st.Errors[partSnapshots] == nil {
		for _, s := range st.Snapshots {
			out, err := api.DescribeSnapshotAttribute(ctx, &awsec2.DescribeSnapshotAttributeInput{SnapshotId: aws.String(s.ID), Attribute: types.SnapshotAttributeNameCreateVolumePermission})
			if err != nil {
				fail(partSnapshotPerms, fmt.Errorf("snapshot %s: %w", s.ID, err))
				break
			}
			for _, p := range out.CreateVolumePermissions {
				if p.Group == types.PermissionGroupAll {
					s.Public = true
				}
			}
		}
	}
	tok = nil
	for {
		out, err := api.DescribeImages(ctx, &awsec2.DescribeImagesInput{Owners: []string{"self"}, NextToken: tok})
		if err != nil {
			fail(partImages, err)
			break
		}
		for _, im := range out.Images {
			id := aws.ToString(im.ImageId)
			st.Images = append(st.Images, &Image{ID: id, ARN: fmt.Sprintf("arn:aws:ec2:%s::image/%s", env.Region, id), Name: aws.ToString(im.Name), Public: aws.ToBool(im.Public), Tags: tagMap(im.Tags)})
		}
		if tok = out.NextToken; aws.ToString(tok) == "" {
			break
		}
	}
	if out, err := api.GetEbsEncryptionByDefault(ctx, &awsec2.GetEbsEncryptionByDefaultInput{}); err != nil {
		fail(partEBSDefault, err)
	} else {
		st.Account.EBSEncryptionByDefault = aws.ToBool(out.EbsEncryptionByDefault)
	}
	if out, err := api.GetInstanceMetadataDefaults(ctx, &awsec2.GetInstanceMetadataDefaultsInput{}); err != nil {
		fail(partIMDSDefaults, err)
	} else if out.AccountLevel != nil {
		st.Account.IMDSHttpTokens = string(out.AccountLevel.HttpTokens)
	}
	if out, err := api.GetSnapshotBlockPublicAccessState(ctx, &awsec2.GetSnapshotBlockPublicAccessStateInput{}); err != nil {
		fail(partSnapshotBlock, err)
	} else {
		st.Account.SnapshotBlockPublicAccess = string(out.State)
	}
	if out, err := api.GetImageBlockPublicAccessState(ctx, &awsec2.GetImageBlockPublicAccessStateInput{}); err != nil {
		fail(partImageBlock, err)
	} else {
		st.Account.ImageBlockPublicAccess = aws.ToString(out.ImageBlockPublicAccessState)
	}
	return st
}
