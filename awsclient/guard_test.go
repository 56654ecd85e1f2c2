package awsclient

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestIsReadOnlyOperation(t *testing.T) {
	tests := []struct {
		service, op string
		want        bool
	}{
		{"EC2", "DescribeInstances", true},
		{"ec2", "DescribeRegions", true},
		{"S3", "ListBuckets", true},
		{"S3", "GetBucketPolicy", true},
		{"S3", "HeadBucket", true},
		{"IAM", "GetCredentialReport", true},
		{"Organizations", "ListAccounts", true},
		{"STS", "AssumeRole", true},
		{"sts", "GetCallerIdentity", true},

		{"S3", "PutObject", false},
		{"S3", "CreateBucket", false},
		{"S3", "DeleteBucket", false},
		{"EC2", "TerminateInstances", false},
		{"EC2", "AuthorizeSecurityGroupIngress", false},
		{"EC2", "RunInstances", false},
		{"IAM", "CreateUser", false},
		{"IAM", "DeleteUser", false},
		{"IAM", "GenerateCredentialReport", false},
		{"Organizations", "CreateAccount", false},
		{"KMS", "GenerateDataKey", false},
		{"KMS", "Decrypt", false},
		// Get-named but side-effecting.
		{"STS", "GetSessionToken", false},
		{"STS", "GetFederationToken", false},
		{"ECR", "GetAuthorizationToken", false},
		{"ECR PUBLIC", "GetAuthorizationToken", false},
		{"Secrets Manager", "GetSecretValue", false},
		{"secretsmanager", "GetSecretValue", false},
		{"Cognito Identity", "GetId", false},
		{"Redshift", "GetClusterCredentials", false},
		{"Lightsail", "GetInstanceAccessDetails", false},
		// The extras are per service, and prefixes need a word boundary.
		{"IAM", "AssumeRole", false},
		{"EC2", "GetCallerIdentity", true}, // a Get, whatever the service
		{"Foo", "Listen", false},
		{"Foo", "Gettysburg", false},
		{"Foo", "Describe", false},
		{"Foo", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.service+":"+tt.op, func(t *testing.T) {
			if got := IsReadOnlyOperation(tt.service, tt.op); got != tt.want {
				t.Errorf("IsReadOnlyOperation(%q, %q) = %v, want %v", tt.service, tt.op, got, tt.want)
			}
		})
	}
}

// countingServer returns a server that counts requests and answers every
// request with an empty 200, and a func reading the count.
func countingServer(t *testing.T) (*httptest.Server, func() int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	return srv, n.Load
}

// guardedConfig returns a Factory config against srv with static
// credentials and a single attempt per call.
func guardedConfig(t *testing.T, endpoint string) (*Factory, aws.Config) {
	t.Helper()
	isolateEnv(t)
	f := NewFactory(Options{
		EndpointURL:            endpoint,
		SharedCredentialsFiles: []string{staticProfile(t, "audit")},
		MaxAttempts:            1,
	})
	cfg, err := f.Base(context.Background(), "audit", "")
	if err != nil {
		t.Fatalf("Base: %v", err)
	}
	return f, cfg
}

func TestGuardRefusesMutatingCallsBeforeSending(t *testing.T) {
	srv, requests := countingServer(t)
	f, cfg := guardedConfig(t, srv.URL)
	ctx := context.Background()
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = f.S3UsePathStyle() })
	ec2c, iamc, orgc := ec2.NewFromConfig(cfg), iam.NewFromConfig(cfg), organizations.NewFromConfig(cfg)

	calls := map[string]func() error{
		"S3:PutObject": func() error {
			_, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String("k"), Body: strings.NewReader("x")})
			return err
		},
		"S3:CreateBucket": func() error {
			_, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("b")})
			return err
		},
		"EC2:TerminateInstances": func() error {
			_, err := ec2c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{"i-1"}})
			return err
		},
		"EC2:AuthorizeSecurityGroupIngress": func() error {
			_, err := ec2c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String("sg-1"),
				IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("-1")}}})
			return err
		},
		"IAM:CreateUser": func() error {
			_, err := iamc.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u")})
			return err
		},
		"IAM:DeleteUser": func() error {
			_, err := iamc.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("u")})
			return err
		},
		"IAM:GenerateCredentialReport": func() error {
			_, err := iamc.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
			return err
		},
		"Organizations:CreateAccount": func() error {
			_, err := orgc.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String("a"), Email: aws.String("a@example.com")})
			return err
		},
		"STS:GetSessionToken": func() error {
			_, err := sts.NewFromConfig(cfg).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			err := call()
			if !errors.Is(err, ErrMutatingCall) {
				t.Fatalf("err = %v, want ErrMutatingCall", err)
			}
			if !strings.Contains(err.Error(), name) {
				t.Errorf("error %q does not name %s", err, name)
			}
		})
	}
	if n := requests(); n != 0 {
		t.Fatalf("server received %d requests, want 0", n)
	}
}

func TestGuardLetsReadsThrough(t *testing.T) {
	srv, requests := countingServer(t)
	f, cfg := guardedConfig(t, srv.URL)
	ctx := context.Background()
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = f.S3UsePathStyle() })

	calls := map[string]func() error{
		"EC2:DescribeRegions": func() error {
			_, err := ec2.NewFromConfig(cfg).DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
			return err
		},
		"S3:ListBuckets": func() error {
			_, err := s3c.ListBuckets(ctx, &s3.ListBucketsInput{})
			return err
		},
		"S3:GetBucketPolicy": func() error {
			_, err := s3c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("b")})
			return err
		},
		"IAM:GetAccountSummary": func() error {
			_, err := iam.NewFromConfig(cfg).GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
			return err
		},
		"Organizations:ListAccounts": func() error {
			_, err := organizations.NewFromConfig(cfg).ListAccounts(ctx, &organizations.ListAccountsInput{})
			return err
		},
		"STS:GetCallerIdentity": func() error {
			_, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			before := requests()
			// The empty answer may not deserialize; only the guard matters.
			if err := call(); errors.Is(err, ErrMutatingCall) {
				t.Fatalf("read refused: %v", err)
			}
			if requests() == before {
				t.Fatalf("%s did not reach the server", name)
			}
		})
	}
}

func TestReadOnlyGuardIsIdempotent(t *testing.T) {
	srv, requests := countingServer(t)
	_, cfg := guardedConfig(t, srv.URL)
	// Guard installed several times (Base, then twice more) must not break
	// the stack with a duplicate ID.
	cfg.APIOptions = append(cfg.APIOptions, ReadOnlyGuard, ReadOnlyGuard)
	if _, err := ec2.NewFromConfig(cfg).DescribeRegions(context.Background(), &ec2.DescribeRegionsInput{}); err != nil &&
		strings.Contains(err.Error(), "duplicate") {
		t.Fatalf("duplicate guard: %v", err)
	}
	if requests() != 1 {
		t.Fatalf("requests = %d, want 1", requests())
	}
	_, err := ec2.NewFromConfig(cfg).RunInstances(context.Background(), &ec2.RunInstancesInput{})
	if !errors.Is(err, ErrMutatingCall) {
		t.Fatalf("RunInstances err = %v, want ErrMutatingCall", err)
	}
}
