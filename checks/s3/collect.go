package s3

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/rampart-cspm/rampart/checks"
	"github.com/rampart-cspm/rampart/checks/internal/modkit"
)

// API is the part of the S3 client the collector calls.
type API interface {
	ListBuckets(ctx context.Context, in *awss3.ListBucketsInput, optFns ...func(*awss3.Options)) (*awss3.ListBucketsOutput, error)
	GetBucketLocation(ctx context.Context, in *awss3.GetBucketLocationInput, optFns ...func(*awss3.Options)) (*awss3.GetBucketLocationOutput, error)
	GetBucketPolicy(ctx context.Context, in *awss3.GetBucketPolicyInput, optFns ...func(*awss3.Options)) (*awss3.GetBucketPolicyOutput, error)
	GetBucketPolicyStatus(ctx context.Context, in *awss3.GetBucketPolicyStatusInput, optFns ...func(*awss3.Options)) (*awss3.GetBucketPolicyStatusOutput, error)
	GetBucketAcl(ctx context.Context, in *awss3.GetBucketAclInput, optFns ...func(*awss3.Options)) (*awss3.GetBucketAclOutput, error)
	GetPublicAccessBlock(ctx context.Context, in *awss3.GetPublicAccessBlockInput, optFns ...func(*awss3.Options)) (*awss3.GetPublicAccessBlockOutput, error)
	GetBucketEncryption(ctx context.Context, in *awss3.GetBucketEncryptionInput, optFns ...func(*awss3.Options)) (*awss3.GetBucketEncryptionOutput, error)
	GetBucketVersioning(ctx context.Context, in *awss3.GetBucketVersioningInput, optFns ...func(*awss3.Options)) (*awss3.GetBucketVersioningOutput, error)
	GetBucketLogging(ctx context.Context, in *awss3.GetBucketLoggingInput, optFns ...func(*awss3.Options)) (*awss3.GetBucketLoggingOutput, error)
	GetBucketTagging(ctx context.Context, in *awss3.GetBucketTaggingInput, optFns ...func(*awss3.Options)) (*awss3.GetBucketTaggingOutput, error)
}

var _ API = (*awss3.Client)(nil)

// ClientFunc returns the client to use for calls in region.
type ClientFunc func(region string) API

// defaultClients returns a ClientFunc building one SDK client per region
// from env.Config, with path-style addressing when env asks for it.
func defaultClients(env checks.Env) ClientFunc {
	var mu sync.Mutex
	clients := map[string]API{}
	return func(region string) API {
		mu.Lock()
		defer mu.Unlock()
		if c, ok := clients[region]; ok {
			return c
		}
		c := awss3.NewFromConfig(env.Config, func(o *awss3.Options) {
			o.UsePathStyle = env.S3UsePathStyle
			if region != "" {
				o.Region = region
			}
		})
		clients[region] = c
		return c
	}
}

// homeRegion is the region of the client that lists buckets and asks for
// their location.
func homeRegion(env checks.Env) string {
	switch {
	case env.HomeRegion != "":
		return env.HomeRegion
	case env.Config.Region != "":
		return env.Config.Region
	}
	return "us-east-1"
}

// collect lists the account's buckets and reads each bucket's configuration.
// It fails only when the buckets cannot be listed; a failed per-bucket call
// is recorded on the bucket.
func collect(ctx context.Context, env checks.Env, clients ClientFunc) (*State, error) {
	home := homeRegion(env)
	api := clients(home)
	st := &State{AccountID: env.AccountID, Buckets: []*Bucket{}}
	in := &awss3.ListBucketsInput{}
	for {
		out, err := api.ListBuckets(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("s3: list buckets in account %s: %w", env.AccountID, err)
		}
		for _, b := range out.Buckets {
			name := aws.ToString(b.Name)
			bucket := &Bucket{Name: name, ARN: "arn:aws:s3:::" + name, CreationDate: b.CreationDate}
			bucket.Region = locate(ctx, env, api, bucket, aws.ToString(b.BucketRegion), home)
			describe(ctx, env, clients(bucket.Region), bucket)
			st.Buckets = append(st.Buckets, bucket)
		}
		if aws.ToString(out.ContinuationToken) == "" {
			return st, nil
		}
		in = &awss3.ListBucketsInput{ContinuationToken: out.ContinuationToken}
	}
}

// locate returns the bucket's region. When GetBucketLocation fails it records
// the error and falls back to the region ListBuckets reported, then home.
func locate(ctx context.Context, env checks.Env, api API, b *Bucket, listed, home string) string {
	out, err := api.GetBucketLocation(ctx, &awss3.GetBucketLocationInput{Bucket: &b.Name})
	if err != nil {
		b.setErr(AttrLocation, modkit.NewAttrError(env, fmt.Errorf("s3: get bucket location %s: %w", b.Name, err)))
		if listed != "" {
			return listed
		}
		return home
	}
	switch loc := string(out.LocationConstraint); loc {
	case "":
		return "us-east-1"
	case "EU":
		return "eu-west-1"
	default:
		return loc
	}
}

// describe reads one bucket's configuration with a client for its region.
// Each call's failure is recorded under its attribute; the "not configured"
// answers are not failures.
func describe(ctx context.Context, env checks.Env, api API, b *Bucket) {
	fail := func(attr string, err error) {
		b.setErr(attr, modkit.NewAttrError(env, fmt.Errorf("s3: get %s of bucket %s in %s: %w", attr, b.Name, b.Region, err)))
	}
	name := &b.Name

	if out, err := api.GetBucketPolicy(ctx, &awss3.GetBucketPolicyInput{Bucket: name}); err == nil {
		b.Policy = aws.ToString(out.Policy)
	} else if !modkit.HasCode(err, "NoSuchBucketPolicy") {
		fail(AttrPolicy, err)
	}

	if out, err := api.GetBucketPolicyStatus(ctx, &awss3.GetBucketPolicyStatusInput{Bucket: name}); err == nil {
		if out.PolicyStatus != nil {
			b.PolicyIsPublic = out.PolicyStatus.IsPublic
		}
	} else if !modkit.HasCode(err, "NoSuchBucketPolicy") {
		fail(AttrPolicyStatus, err)
	}

	if out, err := api.GetBucketAcl(ctx, &awss3.GetBucketAclInput{Bucket: name}); err == nil {
		for _, g := range out.Grants {
			grant := Grant{Permission: string(g.Permission)}
			if g.Grantee != nil {
				grant.GranteeType = string(g.Grantee.Type)
				grant.GranteeURI = aws.ToString(g.Grantee.URI)
				grant.GranteeID = aws.ToString(g.Grantee.ID)
			}
			b.Grants = append(b.Grants, grant)
		}
	} else {
		fail(AttrACL, err)
	}

	if out, err := api.GetPublicAccessBlock(ctx, &awss3.GetPublicAccessBlockInput{Bucket: name}); err == nil {
		if c := out.PublicAccessBlockConfiguration; c != nil {
			b.PublicAccess = &PublicAccessBlock{
				BlockPublicAcls:       aws.ToBool(c.BlockPublicAcls),
				IgnorePublicAcls:      aws.ToBool(c.IgnorePublicAcls),
				BlockPublicPolicy:     aws.ToBool(c.BlockPublicPolicy),
				RestrictPublicBuckets: aws.ToBool(c.RestrictPublicBuckets),
			}
		}
	} else if !modkit.HasCode(err, "NoSuchPublicAccessBlockConfiguration") {
		fail(AttrPublicAccessBlock, err)
	}

	if out, err := api.GetBucketEncryption(ctx, &awss3.GetBucketEncryptionInput{Bucket: name}); err == nil {
		if c := out.ServerSideEncryptionConfiguration; c != nil {
			for _, r := range c.Rules {
				if d := r.ApplyServerSideEncryptionByDefault; d != nil {
					b.Encryption = append(b.Encryption, EncryptionRule{
						Algorithm:        string(d.SSEAlgorithm),
						KMSKeyID:         aws.ToString(d.KMSMasterKeyID),
						BucketKeyEnabled: aws.ToBool(r.BucketKeyEnabled),
					})
				}
			}
		}
	} else if !modkit.HasCode(err, "ServerSideEncryptionConfigurationNotFoundError") {
		fail(AttrEncryption, err)
	}

	if out, err := api.GetBucketVersioning(ctx, &awss3.GetBucketVersioningInput{Bucket: name}); err == nil {
		b.Versioning = string(out.Status)
		b.MFADelete = string(out.MFADelete)
	} else {
		fail(AttrVersioning, err)
	}

	if out, err := api.GetBucketLogging(ctx, &awss3.GetBucketLoggingInput{Bucket: name}); err == nil {
		if l := out.LoggingEnabled; l != nil {
			b.Logging = &Logging{TargetBucket: aws.ToString(l.TargetBucket), TargetPrefix: aws.ToString(l.TargetPrefix)}
		}
	} else {
		fail(AttrLogging, err)
	}

	if out, err := api.GetBucketTagging(ctx, &awss3.GetBucketTaggingInput{Bucket: name}); err == nil {
		b.Tags = tagMap(out.TagSet)
	} else if !modkit.HasCode(err, "NoSuchTagSet") {
		fail(AttrTags, err)
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
