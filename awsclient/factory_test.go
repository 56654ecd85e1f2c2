package awsclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/rampart-cspm/rampart"
)

const assumeRoleXML = `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<Credentials><AccessKeyId>ASIAMEMBER</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>tok</SessionToken>
<Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>
<AssumedRoleUser><Arn>arn:aws:sts::222222222222:assumed-role/Audit/rampart-audit</Arn><AssumedRoleId>AROA:rampart-audit</AssumedRoleId></AssumedRoleUser>
</AssumeRoleResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></AssumeRoleResponse>`

const accessDeniedXML = `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>
<Code>AccessDenied</Code><Message>User: arn:aws:iam::111111111111:user/x is not authorized to perform: sts:AssumeRole</Message>
</Error><RequestId>r-2</RequestId></ErrorResponse>`

// stsEC2Server plays STS (AssumeRole) and EC2 (DescribeRegions) and
// records what it was sent.
type stsEC2Server struct {
	mu          sync.Mutex
	denyAssume  bool
	assumes     []map[string]string // AssumeRole form values
	ec2AuthHdrs []string
}

func (s *stsEC2Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.PostForm.Get("Action") {
	case "AssumeRole":
		s.assumes = append(s.assumes, map[string]string{
			"RoleArn": r.PostForm.Get("RoleArn"), "ExternalId": r.PostForm.Get("ExternalId"),
			"RoleSessionName": r.PostForm.Get("RoleSessionName"), "Auth": r.Header.Get("Authorization"),
		})
		if s.denyAssume {
			w.WriteHeader(403)
			fmt.Fprint(w, accessDeniedXML)
			return
		}
		fmt.Fprint(w, assumeRoleXML)
	case "DescribeRegions":
		s.ec2AuthHdrs = append(s.ec2AuthHdrs, r.Header.Get("Authorization"))
		fmt.Fprint(w, `<DescribeRegionsResponse><requestId>r-3</requestId><regionInfo/></DescribeRegionsResponse>`)
	default:
		http.Error(w, "unexpected "+r.PostForm.Get("Action"), 400)
	}
}

func TestForAccountAssumesTheAuditRole(t *testing.T) {
	fake := &stsEC2Server{}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	f, base := guardedConfig(t, srv.URL)

	cfg := f.ForAccount(base, "222222222222", "SecurityAudit", "ext-123", "eu-west-1")
	if cfg.Region != "eu-west-1" {
		t.Errorf("Region = %q, want eu-west-1", cfg.Region)
	}
	if cfg.BaseEndpoint == nil || *cfg.BaseEndpoint != srv.URL {
		t.Errorf("BaseEndpoint = %v, want %s", cfg.BaseEndpoint, srv.URL)
	}
	ctx := context.Background()
	for range 2 {
		if _, err := ec2.NewFromConfig(cfg).DescribeRegions(ctx, &ec2.DescribeRegionsInput{}); err != nil {
			t.Fatalf("DescribeRegions as member: %v", err)
		}
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if len(fake.assumes) != 1 {
		t.Fatalf("AssumeRole called %d times, want 1 (cached)", len(fake.assumes))
	}
	a := fake.assumes[0]
	if a["RoleArn"] != "arn:aws:iam::222222222222:role/SecurityAudit" || a["ExternalId"] != "ext-123" || a["RoleSessionName"] != SessionName {
		t.Errorf("AssumeRole sent %v", a)
	}
	// STS is called with the source credentials in the home region.
	if !strings.Contains(a["Auth"], "AKIDTEST/") || !strings.Contains(a["Auth"], "/us-east-1/sts/") {
		t.Errorf("AssumeRole signed as %q", a["Auth"])
	}
	// EC2 is called with the assumed credentials in the member region.
	for _, h := range fake.ec2AuthHdrs {
		if !strings.Contains(h, "ASIAMEMBER/") || !strings.Contains(h, "/eu-west-1/ec2/") {
			t.Errorf("EC2 signed as %q", h)
		}
	}
}

func TestForAccountWithoutExternalID(t *testing.T) {
	fake := &stsEC2Server{}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	f, base := guardedConfig(t, srv.URL)
	cfg := f.ForAccount(base, "333333333333", "arn:aws:iam::333333333333:role/custom/Audit", "", "")
	if cfg.Region != DefaultHomeRegion {
		t.Errorf("Region = %q, want home region", cfg.Region)
	}
	if _, err := cfg.Credentials.Retrieve(context.Background()); err != nil {
		t.Fatal(err)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if got := fake.assumes[0]; got["ExternalId"] != "" || got["RoleArn"] != "arn:aws:iam::333333333333:role/custom/Audit" {
		t.Errorf("AssumeRole sent %v", got)
	}
}

func TestForAccountDeniedRoleIsCredentials(t *testing.T) {
	fake := &stsEC2Server{denyAssume: true}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	f, base := guardedConfig(t, srv.URL)
	cfg := f.ForAccount(base, "222222222222", "SecurityAudit", "", "us-west-2")
	_, err := ec2.NewFromConfig(cfg).DescribeRegions(context.Background(), &ec2.DescribeRegionsInput{})
	if err == nil {
		t.Fatal("DescribeRegions succeeded with a role that cannot be assumed")
	}
	if got := Classify(err); got != rampart.ErrClassCredentials {
		t.Fatalf("Classify(%v) = %q, want credentials", err, got)
	}
	if testing.Verbose() {
		t.Logf("denied role error: %v", err)
	}
	if len(fake.ec2AuthHdrs) != 0 {
		t.Errorf("EC2 was called %d times without credentials", len(fake.ec2AuthHdrs))
	}
}

func TestBaseErrorsAreClassified(t *testing.T) {
	isolateEnv(t)
	f := NewFactory(Options{SharedCredentialsFiles: []string{staticProfile(t, "audit")}})
	_, err := f.Base(context.Background(), "no-such-profile", "")
	var ce *rampart.ClassifiedError
	if !errors.As(err, &ce) || ce.Class != rampart.ErrClassCredentials {
		t.Fatalf("Base with a missing profile: %v, want a credentials ClassifiedError", err)
	}
	if !strings.Contains(err.Error(), "no-such-profile") {
		t.Errorf("error %q does not name the profile", err)
	}
	// The default chain with nothing in it (IMDS disabled) fails too.
	_, err = f.Base(context.Background(), "", "")
	if got := Classify(err); got != rampart.ErrClassCredentials {
		t.Fatalf("Base with an empty chain: %v, class %q, want credentials", err, got)
	}
}

func TestFactoryDefaultsAndPathStyle(t *testing.T) {
	isolateEnv(t)
	f := NewFactory(Options{})
	if f.HomeRegion() != "us-east-1" || f.S3UsePathStyle() {
		t.Errorf("defaults: home %q path-style %v", f.HomeRegion(), f.S3UsePathStyle())
	}
	if !NewFactory(Options{EndpointURL: "http://127.0.0.1:9"}).S3UsePathStyle() {
		t.Error("custom endpoint without path-style")
	}
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
	if !NewFactory(Options{}).S3UsePathStyle() {
		t.Error("AWS_ENDPOINT_URL without path-style")
	}
	tests := map[string]string{
		"us-east-1": "arn:aws:iam::1:role/R", "us-gov-west-1": "arn:aws-us-gov:iam::1:role/R",
		"cn-north-1": "arn:aws-cn:iam::1:role/R",
	}
	for home, want := range tests {
		if got := NewFactory(Options{HomeRegion: home}).RoleARN("1", "R"); got != want {
			t.Errorf("RoleARN in %s = %q, want %q", home, got, want)
		}
	}
}
