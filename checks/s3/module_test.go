package s3

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/checks"
)

// fakeBucket is one bucket as the fake S3 serves it; a nil field answers
// with S3's "not configured" error.
type fakeBucket struct {
	location   types.BucketLocationConstraint
	policy     *string
	pab        *types.PublicAccessBlockConfiguration
	grants     []types.Grant
	encryption *types.ServerSideEncryptionConfiguration
	versioning types.BucketVersioningStatus
	logging    *types.LoggingEnabled
	tags       []types.Tag
}

// fakeS3 implements API. errs[bucket][op] makes op fail for bucket;
// listErr fails ListBuckets. Regions the module asked clients for are kept.
type fakeS3 struct {
	mu      sync.Mutex
	order   []string
	buckets map[string]*fakeBucket
	errs    map[string]map[string]error
	listErr error
	pageLen int
	calls   []string // "op bucket region"
}

var _ API = (*fakeS3Client)(nil)

func (f *fakeS3) forRegion(region string) API {
	return &fakeS3Client{f: f, region: region}
}

type fakeS3Client struct {
	f      *fakeS3
	region string
}

func code(c string) error { return &smithy.GenericAPIError{Code: c, Message: c} }

func (c *fakeS3Client) get(op, bucket string) (*fakeBucket, error) {
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	c.f.calls = append(c.f.calls, op+" "+bucket+" "+c.region)
	if err := c.f.errs[bucket][op]; err != nil {
		return nil, err
	}
	b, ok := c.f.buckets[bucket]
	if !ok {
		return nil, code("NoSuchBucket")
	}
	return b, nil
}

func (c *fakeS3Client) ListBuckets(_ context.Context, in *awss3.ListBucketsInput, _ ...func(*awss3.Options)) (*awss3.ListBucketsOutput, error) {
	f := c.f
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "ListBuckets "+c.region)
	if f.listErr != nil {
		return nil, f.listErr
	}
	start := 0
	if in.ContinuationToken != nil {
		fmt.Sscan(*in.ContinuationToken, &start)
	}
	end := len(f.order)
	if f.pageLen > 0 && start+f.pageLen < end {
		end = start + f.pageLen
	}
	out := &awss3.ListBucketsOutput{}
	for _, n := range f.order[start:end] {
		out.Buckets = append(out.Buckets, types.Bucket{Name: aws.String(n)})
	}
	if end < len(f.order) {
		out.ContinuationToken = aws.String(fmt.Sprint(end))
	}
	return out, nil
}

func (c *fakeS3Client) GetBucketLocation(_ context.Context, in *awss3.GetBucketLocationInput, _ ...func(*awss3.Options)) (*awss3.GetBucketLocationOutput, error) {
	b, err := c.get("GetBucketLocation", *in.Bucket)
	if err != nil {
		return nil, err
	}
	return &awss3.GetBucketLocationOutput{LocationConstraint: b.location}, nil
}

func (c *fakeS3Client) GetBucketPolicy(_ context.Context, in *awss3.GetBucketPolicyInput, _ ...func(*awss3.Options)) (*awss3.GetBucketPolicyOutput, error) {
	b, err := c.get("GetBucketPolicy", *in.Bucket)
	if err != nil {
		return nil, err
	}
	if b.policy == nil {
		return nil, code("NoSuchBucketPolicy")
	}
	return &awss3.GetBucketPolicyOutput{Policy: b.policy}, nil
}

func (c *fakeS3Client) GetBucketPolicyStatus(_ context.Context, in *awss3.GetBucketPolicyStatusInput, _ ...func(*awss3.Options)) (*awss3.GetBucketPolicyStatusOutput, error) {
	b, err := c.get("GetBucketPolicyStatus", *in.Bucket)
	if err != nil {
		return nil, err
	}
	if b.policy == nil {
		return nil, code("NoSuchBucketPolicy")
	}
	return &awss3.GetBucketPolicyStatusOutput{PolicyStatus: &types.PolicyStatus{IsPublic: aws.Bool(false)}}, nil
}

func (c *fakeS3Client) GetBucketAcl(_ context.Context, in *awss3.GetBucketAclInput, _ ...func(*awss3.Options)) (*awss3.GetBucketAclOutput, error) {
	b, err := c.get("GetBucketAcl", *in.Bucket)
	if err != nil {
		return nil, err
	}
	return &awss3.GetBucketAclOutput{Grants: b.grants}, nil
}

func (c *fakeS3Client) GetPublicAccessBlock(_ context.Context, in *awss3.GetPublicAccessBlockInput, _ ...func(*awss3.Options)) (*awss3.GetPublicAccessBlockOutput, error) {
	b, err := c.get("GetPublicAccessBlock", *in.Bucket)
	if err != nil {
		return nil, err
	}
	if b.pab == nil {
		return nil, code("NoSuchPublicAccessBlockConfiguration")
	}
	return &awss3.GetPublicAccessBlockOutput{PublicAccessBlockConfiguration: b.pab}, nil
}

func (c *fakeS3Client) GetBucketEncryption(_ context.Context, in *awss3.GetBucketEncryptionInput, _ ...func(*awss3.Options)) (*awss3.GetBucketEncryptionOutput, error) {
	b, err := c.get("GetBucketEncryption", *in.Bucket)
	if err != nil {
		return nil, err
	}
	if b.encryption == nil {
		return nil, code("ServerSideEncryptionConfigurationNotFoundError")
	}
	return &awss3.GetBucketEncryptionOutput{ServerSideEncryptionConfiguration: b.encryption}, nil
}

func (c *fakeS3Client) GetBucketVersioning(_ context.Context, in *awss3.GetBucketVersioningInput, _ ...func(*awss3.Options)) (*awss3.GetBucketVersioningOutput, error) {
	b, err := c.get("GetBucketVersioning", *in.Bucket)
	if err != nil {
		return nil, err
	}
	return &awss3.GetBucketVersioningOutput{Status: b.versioning}, nil
}

func (c *fakeS3Client) GetBucketLogging(_ context.Context, in *awss3.GetBucketLoggingInput, _ ...func(*awss3.Options)) (*awss3.GetBucketLoggingOutput, error) {
	b, err := c.get("GetBucketLogging", *in.Bucket)
	if err != nil {
		return nil, err
	}
	return &awss3.GetBucketLoggingOutput{LoggingEnabled: b.logging}, nil
}

func (c *fakeS3Client) GetBucketTagging(_ context.Context, in *awss3.GetBucketTaggingInput, _ ...func(*awss3.Options)) (*awss3.GetBucketTaggingOutput, error) {
	b, err := c.get("GetBucketTagging", *in.Bucket)
	if err != nil {
		return nil, err
	}
	if b.tags == nil {
		return nil, code("NoSuchTagSet")
	}
	return &awss3.GetBucketTaggingOutput{TagSet: b.tags}, nil
}

// classify is a stand-in for the real classifier: it maps API error codes.
func classify(err error) rampart.ErrorClass {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "AccessDenied":
			return rampart.ErrClassAccessDenied
		case "SlowDown":
			return rampart.ErrClassThrottling
		}
		return rampart.ErrClassServiceError
	}
	return rampart.ErrClassUnknown
}

func testEnv() checks.Env {
	return checks.Env{AccountID: "111122223333", Region: rampart.GlobalRegion, HomeRegion: "us-east-1", Classify: classify}
}

func newFake() *fakeS3 {
	on := types.PublicAccessBlockConfiguration{BlockPublicAcls: aws.Bool(true), IgnorePublicAcls: aws.Bool(true), BlockPublicPolicy: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true)}
	return &fakeS3{
		order: []string{"good", "leaky", "secret"},
		buckets: map[string]*fakeBucket{
			"good": {
				location: "eu-west-1",
				policy:   aws.String(tlsPolicy),
				pab:      &on,
				encryption: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
					ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String("key-1")},
				}}},
				versioning: types.BucketVersioningStatusEnabled,
				logging:    &types.LoggingEnabled{TargetBucket: aws.String("logs"), TargetPrefix: aws.String("good/")},
				tags:       []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}},
			},
			"leaky": {
				grants: []types.Grant{{Grantee: &types.Grantee{Type: types.TypeGroup, URI: aws.String(AllUsersURI)}, Permission: types.PermissionRead}},
			},
			"secret": {location: "ap-southeast-1"},
		},
		errs: map[string]map[string]error{},
	}
}

// results indexes a module result by check ID then bucket name.
func results(t *testing.T, res checks.ModuleResult) map[string]map[string]checks.Result {
	t.Helper()
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
	f.pageLen = 2
	res := New(WithClients(f.forRegion)).Run(context.Background(), testEnv(), nil)
	if res.Service.Status != rampart.ServiceOK || res.Service.ChecksRun != len(Checks) || res.Service.ChecksFailed != 0 {
		t.Fatalf("service = %+v", res.Service)
	}
	got := results(t, res)
	tests := []struct {
		check, bucket string
		want          rampart.Status
	}{
		{"s3_bucket_public_access", "good", rampart.StatusPass},
		{"s3_bucket_public_access", "leaky", rampart.StatusFail},
		{"s3_bucket_public_access", "secret", rampart.StatusPass},
		{"s3_bucket_level_public_access_block", "good", rampart.StatusPass},
		{"s3_bucket_level_public_access_block", "leaky", rampart.StatusFail},
		{"s3_bucket_default_encryption", "good", rampart.StatusPass},
		{"s3_bucket_default_encryption", "secret", rampart.StatusFail},
		{"s3_bucket_object_versioning", "good", rampart.StatusPass},
		{"s3_bucket_object_versioning", "leaky", rampart.StatusFail},
		{"s3_bucket_server_access_logging_enabled", "good", rampart.StatusPass},
		{"s3_bucket_server_access_logging_enabled", "secret", rampart.StatusFail},
		{"s3_bucket_secure_transport_policy", "good", rampart.StatusPass},
		{"s3_bucket_secure_transport_policy", "leaky", rampart.StatusFail},
	}
	for _, tt := range tests {
		if r := got[tt.check][tt.bucket]; r.Status != tt.want {
			t.Errorf("%s on %s = %s (%s), want %s", tt.check, tt.bucket, r.Status, r.StatusExtended, tt.want)
		}
	}
	good := got["s3_bucket_default_encryption"]["good"]
	if good.ResourceID != "arn:aws:s3:::good" || good.Region != "eu-west-1" || good.Tags["env"] != "prod" {
		t.Errorf("good bucket result = %+v", good)
	}
	if r := got["s3_bucket_default_encryption"]["leaky"]; r.Region != "us-east-1" {
		t.Errorf("bucket without location constraint has region %q, want us-east-1", r.Region)
	}
	// Per-bucket calls go to a client for the bucket's region.
	for _, c := range []string{"GetBucketPolicy good eu-west-1", "GetBucketTagging secret ap-southeast-1", "GetBucketLocation secret us-east-1"} {
		if !slices.Contains(f.calls, c) {
			t.Errorf("call %q not made; calls: %v", c, f.calls)
		}
	}
	var raw State
	if err := json.Unmarshal(res.Raw, &raw); err != nil {
		t.Fatalf("Raw is not the state: %v", err)
	}
	if len(raw.Buckets) != 3 || raw.Buckets[0].Encryption[0].KMSKeyID != "key-1" || raw.Buckets[1].Errors != nil {
		t.Errorf("raw inventory = %s", res.Raw)
	}
}

func TestSubCallDeniedOnOneBucket(t *testing.T) {
	f := newFake()
	f.errs["good"] = map[string]error{"GetBucketPolicy": code("AccessDenied")}
	res := New(WithClients(f.forRegion)).Run(context.Background(), testEnv(), nil)
	if res.Service.Status != rampart.ServiceOK {
		t.Fatalf("one denied call failed the module: %+v", res.Service)
	}
	got := results(t, res)
	sec := got["s3_bucket_secure_transport_policy"]
	if r := sec["good"]; r.Status != rampart.StatusNotEvaluated || r.ErrorClass != rampart.ErrClassAccessDenied {
		t.Errorf("secure transport on good = %s/%s, want NOT_EVALUATED/access_denied", r.Status, r.ErrorClass)
	}
	if r := sec["leaky"]; r.Status != rampart.StatusFail {
		t.Errorf("other bucket not evaluated: %s", r.Status)
	}
	// good's public access block blocks public policies, so an unreadable
	// policy cannot make it public.
	if r := got["s3_bucket_public_access"]["good"]; r.Status != rampart.StatusPass {
		t.Errorf("public access on good = %s (%s)", r.Status, r.StatusExtended)
	}
	if r := got["s3_bucket_default_encryption"]["good"]; r.Status != rampart.StatusPass {
		t.Errorf("a check not needing the policy = %s", r.Status)
	}
	if res.Service.ChecksFailed != 1 || len(res.Service.ChecksErrored) != 0 {
		t.Errorf("service = %+v, want 1 check with NOT_EVALUATED rows and none errored", res.Service)
	}
}

func TestSubCallDeniedWithoutBlock(t *testing.T) {
	f := newFake()
	f.errs["secret"] = map[string]error{"GetBucketAcl": code("AccessDenied")}
	got := results(t, New(WithClients(f.forRegion)).Run(context.Background(), testEnv(), nil))
	if r := got["s3_bucket_public_access"]["secret"]; r.Status != rampart.StatusNotEvaluated || r.ErrorClass != rampart.ErrClassAccessDenied {
		t.Errorf("public access with unreadable ACL = %s/%s, want NOT_EVALUATED/access_denied", r.Status, r.ErrorClass)
	}
}

func TestListBucketsFails(t *testing.T) {
	f := newFake()
	f.listErr = code("AccessDenied")
	selected := func(id string) bool { return id != "s3_bucket_object_versioning" }
	res := New(WithClients(f.forRegion)).Run(context.Background(), testEnv(), selected)
	s := res.Service
	if s.Status != rampart.ServiceFailed || s.ErrorClass != rampart.ErrClassAccessDenied || s.Error == "" {
		t.Fatalf("service = %+v", s)
	}
	if len(res.Checks) != len(Checks)-1 || s.ChecksFailed != len(Checks)-1 || len(s.ChecksErrored) != len(Checks)-1 {
		t.Fatalf("got %d outcomes, service %+v; want %d", len(res.Checks), s, len(Checks)-1)
	}
	for _, o := range res.Checks {
		if o.Meta.ID == "s3_bucket_object_versioning" {
			t.Error("unselected check ran")
		}
		if len(o.Results) != 1 || o.Results[0].Status != rampart.StatusNotEvaluated || o.Results[0].ErrorClass != rampart.ErrClassAccessDenied {
			t.Errorf("%s: %+v", o.Meta.ID, o.Results)
		}
	}
}

func TestPanickingCheckFailsAlone(t *testing.T) {
	f := newFake()
	m := New(WithClients(f.forRegion))
	m.checks = append(slices.Clone(m.checks), checks.Check[*State]{
		Meta: checks.Meta{ID: "s3_test_panics", Module: Name},
		Eval: func(*State) []checks.Result { panic("unexpected payload") },
	})
	res := m.Run(context.Background(), testEnv(), nil)
	if res.Service.Status != rampart.ServiceOK || !slices.Equal(res.Service.ChecksErrored, []string{"s3_test_panics"}) || res.Service.ChecksFailed != 1 {
		t.Fatalf("service = %+v", res.Service)
	}
	got := results(t, res)
	if r := got["s3_bucket_public_access"]["leaky"]; r.Status != rampart.StatusFail {
		t.Errorf("other check disturbed: %s", r.Status)
	}
}
