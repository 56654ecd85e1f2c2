package awssim

import (
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// manualClock is an injected clock for the token buckets.
type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *manualClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *manualClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func startQuotaSim(t *testing.T, q *Quotas) (*sim, *manualClock) {
	t.Helper()
	e := DemoEstate()
	e.Quotas = q
	clock := &manualClock{t: fixedNow}
	s := New(e, Options{Now: func() time.Time { return fixedNow }, QuotaNow: clock.now})
	u, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &sim{Server: s, url: u}, clock
}

func TestTokenBucketRefill(t *testing.T) {
	var q quotaState
	b := TokenBucket{Burst: 3, Rate: 2}
	t0 := fixedNow
	var got []bool
	for i := 0; i < 4; i++ {
		got = append(got, q.take("k", b, t0))
	}
	if want := []bool{true, true, true, false}; !equalBools(got, want) {
		t.Fatalf("burst of 4 on a bucket of 3: %v, want %v", got, want)
	}
	// Half a second at 2/s refills one token, no more.
	if !q.take("k", b, t0.Add(500*time.Millisecond)) || q.take("k", b, t0.Add(500*time.Millisecond)) {
		t.Error("after 0.5s at 2/s: want exactly one more token")
	}
	// A long pause refills to the burst, not beyond.
	n := 0
	for q.take("k", b, t0.Add(time.Hour)) {
		n++
	}
	if n != 3 {
		t.Errorf("after an hour: %d tokens, want the burst of 3", n)
	}
	// Buckets are independent.
	if !q.take("other", b, t0) {
		t.Error("a fresh key must start full")
	}
}

func equalBools(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestQuotaFamilies(t *testing.T) {
	tests := []struct {
		service, op string
		params      url.Values
		want        string
	}{
		{"ec2", "DescribeSecurityGroups", url.Values{"MaxResults": {"5"}}, "ec2:describe"},
		{"ec2", "DescribeSecurityGroups", url.Values{"Filter.1.Name": {"vpc-id"}}, "ec2:describe"},
		{"ec2", "DescribeInstances", url.Values{"InstanceId.1": {"i-1"}}, "ec2:describe"},
		{"ec2", "DescribeRegions", url.Values{"Action": {"DescribeRegions"}, "Version": {"2016-11-15"}}, "ec2:describe-unbounded"},
		{"ec2", "AuthorizeSecurityGroupIngress", nil, ""},
		{"iam", "ListUsers", nil, "iam"},
		{"sts", "AssumeRole", nil, "sts:AssumeRole"},
		{"sts", "GetCallerIdentity", nil, ""},
		{"organizations", "ListAccounts", nil, "organizations"},
		{"lambda", "GetFunction", nil, "lambda:GetFunction"},
		{"lambda", "ListFunctions", nil, "lambda:control"},
		{"cloudtrail", "LookupEvents", nil, "cloudtrail:LookupEvents"},
		{"cloudtrail", "DescribeTrails", nil, ""},
		{"kms", "ListKeys", nil, "kms:ListKeys"},
		{"rds", "DescribeDBInstances", nil, "rds"},
		{"s3", "ListBuckets", nil, ""},
	}
	for _, tt := range tests {
		got, ok := QuotaFamilyOf(tt.service, tt.op, tt.params)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("%s:%s %v: family %q ok=%v, want %q", tt.service, tt.op, tt.params, got, ok, tt.want)
		}
	}
}

// TestQuotaThrottlesBeyondTheBucket: with the bucket clock stopped, a burst
// of calls beyond the bucket is throttled in the service's own format, and
// advancing the clock refills at the documented rate.
func TestQuotaThrottlesBeyondTheBucket(t *testing.T) {
	s, clock := startQuotaSim(t, &Quotas{})
	cl := ec2Client(s.retail("us-east-1"))
	ok, throttled := 0, 0
	for i := 0; i < 110; i++ {
		_, err := cl.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{MaxResults: aws.Int32(5)})
		switch apiCode(err) {
		case "":
			ok++
		case "RequestLimitExceeded":
			throttled++
			if httpStatus(err) != 503 {
				t.Fatalf("EC2 throttle status %d, want 503", httpStatus(err))
			}
		default:
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if ok != 100 || throttled != 10 {
		t.Fatalf("110 paginated Describe calls: %d ok, %d throttled; want 100 and 10 (bucket 100)", ok, throttled)
	}
	// Another region has its own bucket.
	if _, err := ec2Client(s.retail("eu-west-1")).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{MaxResults: aws.Int32(5)}); err != nil {
		t.Errorf("eu-west-1 shares us-east-1's bucket: %v", err)
	}
	// One second refills 20 tokens.
	clock.advance(time.Second)
	ok = 0
	for i := 0; i < 30; i++ {
		if _, err := cl.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{MaxResults: aws.Int32(5)}); err == nil {
			ok++
		}
	}
	if ok != 20 {
		t.Errorf("after 1s: %d calls passed, want 20 (refill 20/s)", ok)
	}
	// Unpaginated, unfiltered calls have their own, smaller bucket.
	ok = 0
	for i := 0; i < 60; i++ {
		if _, err := cl.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}); err == nil {
			ok++
		}
	}
	if ok != 50 {
		t.Errorf("unbounded DescribeVpcs: %d passed, want 50", ok)
	}
	var n int
	for _, c := range s.Calls() {
		if c.ErrorCode == "RequestLimitExceeded" {
			n++
		}
	}
	if n != 10+10+10 {
		t.Errorf("call log has %d throttled calls, want 30", n)
	}
}

// TestQuotaThrottleFormats: each service answers throttling its own way.
func TestQuotaThrottleFormats(t *testing.T) {
	one := TokenBucket{Burst: 1, Rate: 0.001}
	s, _ := startQuotaSim(t, &Quotas{Buckets: map[string]TokenBucket{"iam": one, "organizations": one, "sts:AssumeRole": one}})
	twice := func(f func() error) error {
		if err := f(); err != nil {
			return err
		}
		return f()
	}
	tests := []struct {
		name   string
		call   func() error
		code   string
		status int
	}{
		{"iam", func() error {
			_, err := iamClient(s.retail("us-east-1")).ListUsers(ctx, &iam.ListUsersInput{})
			return err
		}, "Throttling", 400},
		{"organizations", func() error {
			_, err := orgClient(s.retail("us-east-1")).ListRoots(ctx, &organizations.ListRootsInput{})
			return err
		}, "TooManyRequestsException", 400},
		{"sts", func() error {
			_, err := sts.NewFromConfig(s.retail("us-east-1")).AssumeRole(ctx, &sts.AssumeRoleInput{
				RoleArn: aws.String("arn:aws:iam::111100000003:role/RampartAudit"), RoleSessionName: aws.String("t"), ExternalId: aws.String(retailExtID)})
			return err
		}, "Throttling", 400},
	}
	for _, tt := range tests {
		err := twice(tt.call)
		if apiCode(err) != tt.code || httpStatus(err) != tt.status {
			t.Errorf("%s: second call %v (status %d), want %s %d", tt.name, err, httpStatus(err), tt.code, tt.status)
		}
	}
	// S3 is not throttled.
	for i := 0; i < 30; i++ {
		if _, err := s3Client(s.retail("us-east-1")).ListBuckets(ctx, &s3.ListBucketsInput{}); err != nil {
			t.Fatalf("s3 call %d: %v", i, err)
		}
	}
	for _, svc := range []string{"lambda", "kms", "cloudtrail", "rds"} {
		if e := quotaThrottleError(svc); !strings.Contains("TooManyRequestsException ThrottlingException Throttling", e.Code) {
			t.Errorf("%s throttle code %q", svc, e.Code)
		}
	}
}

func TestQuotasValidation(t *testing.T) {
	_, err := ParseEstate([]byte("regions: [{name: us-east-1}]\nquotas: {buckets: {nope: {burst: 1, rate: 1}}}\n"), "q.yaml")
	if err == nil || !strings.Contains(err.Error(), `unknown family "nope"`) {
		t.Errorf("unknown family: %v", err)
	}
	_, err = ParseEstate([]byte("regions: [{name: us-east-1}]\nquotas: {buckets: {iam: {burst: 0, rate: 1}}}\n"), "q.yaml")
	if err == nil || !strings.Contains(err.Error(), "burst >= 1") {
		t.Errorf("zero burst: %v", err)
	}
	_, err = ParseEstate([]byte("regions: [{name: us-east-1}]\nlatency: {p50: 10ms, p99: 5ms}\n"), "q.yaml")
	if err == nil || !strings.Contains(err.Error(), "p50 <= p99") {
		t.Errorf("p99 < p50: %v", err)
	}
}

func TestLogNormalLatency(t *testing.T) {
	l := Latency{P50: 10 * time.Millisecond, P99: 40 * time.Millisecond}
	var below, above int
	for i := 0; i < 4000; i++ {
		d := l.sample()
		if d <= 0 || d > 400*time.Millisecond {
			t.Fatalf("sample %v outside (0, 10×p99]", d)
		}
		if d < l.P50 {
			below++
		}
		if d > l.P99 {
			above++
		}
	}
	// Median near P50 and about 1% above P99 (loose bounds: random draws).
	if below < 1600 || below > 2400 || above > 120 {
		t.Errorf("of 4000 draws %d below p50 (want ~2000) and %d above p99 (want ~40)", below, above)
	}
}

func TestNewFaultKinds(t *testing.T) {
	s := startSim(t, DemoEstate())
	if err := s.SetFaults([]Fault{
		{Service: "iam", Operation: "ListUsers", Kind: FaultConnectionReset, Count: 1},
		{Service: "iam", Operation: "GetAccountSummary", Kind: FaultMalformed, Count: 1},
		{Service: "ec2", Operation: "DescribeVpcs", Kind: FaultExpiredToken, Count: 1},
	}); err != nil {
		t.Fatal(err)
	}
	_, err := iamClient(s.retail("us-east-1")).ListUsers(ctx, &iam.ListUsersInput{})
	if err == nil || apiCode(err) != "" || !strings.Contains(err.Error(), "connection reset") && !strings.Contains(err.Error(), "EOF") {
		t.Errorf("connection_reset: %v, want a transport error", err)
	}
	_, err = iamClient(s.retail("us-east-1")).GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
	var de *smithy.DeserializationError
	if !errors.As(err, &de) {
		t.Errorf("malformed: %v, want a deserialization error", err)
	}
	member := s.member("111100000003", retailExtID, "us-east-1")
	cl := ec2Client(member)
	wantCode(t, func() error { _, err := cl.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}); return err }(), "RequestExpired")
	// The session stays expired: the same key keeps failing.
	_, err = iamClient(member).ListUsers(ctx, &iam.ListUsersInput{})
	wantCode(t, err, "ExpiredToken")
	codes := map[string]int{}
	for _, c := range s.Calls() {
		codes[c.ErrorCode]++
	}
	if codes["ConnectionReset"] != 1 || codes["Malformed"] != 1 || codes["RequestExpired"] != 1 || codes["ExpiredToken"] != 1 {
		t.Errorf("call log codes %v", codes)
	}
}
