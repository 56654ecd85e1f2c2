// Package awssimtest starts the AWS simulator for tests of other packages.
package awssimtest

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/rampart-cspm/rampart/awssim"
)

// NewTestServer starts a simulator serving estate (the demo estate when
// estate is nil) on 127.0.0.1 and returns it with its base URL. The server
// is closed when the test ends.
func NewTestServer(t testing.TB, estate *awssim.Estate) (*awssim.Server, string) {
	t.Helper()
	return NewTestServerWithOptions(t, estate, awssim.Options{})
}

// NewTestServerWithOptions is NewTestServer with explicit options.
func NewTestServerWithOptions(t testing.TB, estate *awssim.Estate, opts awssim.Options) (*awssim.Server, string) {
	t.Helper()
	if estate == nil {
		estate = awssim.DemoEstate()
	}
	s := awssim.New(estate, opts)
	url, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("awssimtest: start simulator: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, url
}

// Config returns an SDK configuration that talks to the simulator at url
// with static credentials and without retries. S3 clients made from it
// still need UsePathStyle = true.
func Config(url, region, accessKey, secret string) aws.Config {
	return aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(accessKey, secret, ""),
		BaseEndpoint: aws.String(url),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
	}
}

// ManagementConfig returns Config for the first static key of the
// management account of organization orgID in estate.
func ManagementConfig(t testing.TB, url string, estate *awssim.Estate, orgID, region string) aws.Config {
	t.Helper()
	o := estate.Organization(orgID)
	if o == nil {
		t.Fatalf("awssimtest: no organization %q in the estate", orgID)
	}
	a := estate.Account(o.ManagementAccount)
	if len(a.AccessKeys) == 0 {
		t.Fatalf("awssimtest: management account %s of %s has no access_keys", a.ID, orgID)
	}
	return Config(url, region, a.AccessKeys[0].ID, a.AccessKeys[0].Secret)
}

// Now is a fixed clock for deterministic resource ages.
func Now(t time.Time) func() time.Time { return func() time.Time { return t } }
