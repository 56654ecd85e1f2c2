package awssim

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// fixedNow is the simulator clock in tests.
var fixedNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

const (
	retailKey    = "AKIARETAILMGMT000001"
	retailSecret = "retail-demo-secret"
	retailExtID  = "rampart-retail"
)

type sim struct {
	*Server
	url string
}

func startSim(t *testing.T, e *Estate) *sim {
	t.Helper()
	s := New(e, Options{Now: func() time.Time { return fixedNow }})
	url, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &sim{Server: s, url: url}
}

// config returns an SDK config with static credentials, no retries.
func (s *sim) config(key, secret, region string) aws.Config {
	return aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(key, secret, ""),
		BaseEndpoint: aws.String(s.url),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
	}
}

func (s *sim) retail(region string) aws.Config { return s.config(retailKey, retailSecret, region) }

// member returns a config with credentials assumed into account's
// RampartAudit role from the retail management account.
func (s *sim) member(account, externalID, region string) aws.Config {
	base := s.retail("us-east-1")
	cfg := base.Copy()
	cfg.Region = region
	cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(base),
		"arn:aws:iam::"+account+":role/RampartAudit", func(o *stscreds.AssumeRoleOptions) {
			if externalID != "" {
				o.ExternalID = aws.String(externalID)
			}
		}))
	return cfg
}

func s3Client(cfg aws.Config) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
}
func iamClient(cfg aws.Config) *iam.Client { return iam.NewFromConfig(cfg) }
func ec2Client(cfg aws.Config) *ec2.Client { return ec2.NewFromConfig(cfg) }
func orgClient(cfg aws.Config) *organizations.Client {
	return organizations.NewFromConfig(cfg)
}

// apiCode returns the AWS error code of err, or "" when err is not an API
// error.
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	if got := apiCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

var ctx = context.Background()
