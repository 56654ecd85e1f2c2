package awssim

import (
	"bytes"
	"errors"
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
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// callers returns one read call per service for the retail management
// account.
func callers(s *sim) map[string]func() error {
	return map[string]func() error{
		"sts": func() error {
			_, err := sts.NewFromConfig(s.retail("us-east-1")).GetCallerIdentity(ctx, nil)
			return err
		},
		"organizations": func() error {
			_, err := orgClient(s.retail("us-east-1")).ListRoots(ctx, &organizations.ListRootsInput{})
			return err
		},
		"iam": func() error {
			_, err := iamClient(s.retail("us-east-1")).ListUsers(ctx, &iam.ListUsersInput{})
			return err
		},
		"s3": func() error {
			_, err := s3Client(s.retail("us-east-1")).ListBuckets(ctx, &s3.ListBucketsInput{})
			return err
		},
		"ec2": func() error {
			_, err := ec2Client(s.retail("us-east-1")).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
			return err
		},
	}
}

func httpStatus(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func TestFaultKinds(t *testing.T) {
	want := map[string]map[string]struct {
		code   string
		status int
	}{
		FaultThrottle: {
			"sts": {"Throttling", 400}, "iam": {"Throttling", 400}, "organizations": {"TooManyRequestsException", 400},
			"s3": {"SlowDown", 503}, "ec2": {"RequestLimitExceeded", 503},
		},
		FaultAccessDenied: {
			"sts": {"AccessDenied", 403}, "iam": {"AccessDenied", 403}, "organizations": {"AccessDeniedException", 400},
			"s3": {"AccessDenied", 403}, "ec2": {"UnauthorizedOperation", 403},
		},
		FaultInternalError: {
			"sts": {"InternalFailure", 500}, "iam": {"ServiceFailure", 500}, "organizations": {"ServiceException", 500},
			"s3": {"InternalError", 500}, "ec2": {"InternalError", 500},
		},
	}
	s := startSim(t, DemoEstate())
	for kind, services := range want {
		for service, w := range services {
			t.Run(kind+"/"+service, func(t *testing.T) {
				if err := s.SetFaults([]Fault{{Account: "111100000001", Service: service, Kind: kind, Count: 1}}); err != nil {
					t.Fatal(err)
				}
				call := callers(s)[service]
				err := call()
				wantCode(t, err, w.code)
				if got := httpStatus(err); got != w.status {
					t.Errorf("HTTP status = %d, want %d", got, w.status)
				}
				if err := call(); err != nil {
					t.Errorf("second call (count 1 exhausted): %v", err)
				}
			})
		}
	}
}

func TestFaultMatching(t *testing.T) {
	s := startSim(t, DemoEstate())
	if err := s.SetFaults([]Fault{{Account: "*", Region: "eu-west-1", Service: "ec2", Operation: "DescribeVpcs", Kind: FaultThrottle}}); err != nil {
		t.Fatal(err)
	}
	us := ec2Client(s.retail("us-east-1"))
	eu := ec2Client(s.retail("eu-west-1"))
	for range 3 { // count 0: every call
		_, err := eu.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
		wantCode(t, err, "RequestLimitExceeded")
	}
	if _, err := us.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}); err != nil {
		t.Errorf("other region: %v", err)
	}
	if _, err := eu.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{}); err != nil {
		t.Errorf("other operation: %v", err)
	}
	var throttled int
	for _, c := range s.Calls() {
		if c.ErrorCode == "RequestLimitExceeded" {
			throttled++
		}
	}
	if throttled != 3 {
		t.Errorf("recorded throttled calls = %d, want 3", throttled)
	}
	if err := s.SetFaults([]Fault{{Kind: "explode"}}); err == nil {
		t.Error("SetFaults accepted an unknown kind")
	}
}

func TestLatencyFault(t *testing.T) {
	s := startSim(t, DemoEstate())
	const delay = 50 * time.Millisecond
	if err := s.SetFaults([]Fault{{Service: "iam", Kind: FaultLatency, Latency: delay, Count: 1}}); err != nil {
		t.Fatal(err)
	}
	s.ResetCalls()
	if err := callers(s)["iam"](); err != nil {
		t.Fatal(err)
	}
	calls := s.Calls()
	if len(calls) != 1 {
		t.Fatalf("calls = %d", len(calls))
	}
	// A lower bound only: the call cannot have been served faster than the
	// injected delay.
	if d := calls[0].End.Sub(calls[0].Start); d < delay {
		t.Errorf("call took %v, want at least %v", d, delay)
	}
}

func TestUnsupportedOperations(t *testing.T) {
	s := startSim(t, DemoEstate())
	cfg := s.retail("us-east-1")
	tests := []struct {
		name string
		call func() error
		code string
	}{
		{"iam", func() error { _, err := iamClient(cfg).ListRoles(ctx, &iam.ListRolesInput{}); return err }, "InvalidAction"},
		{"sts", func() error {
			_, err := sts.NewFromConfig(cfg).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
			return err
		}, "InvalidAction"},
		{"ec2", func() error {
			_, err := ec2Client(cfg).DescribeLaunchTemplates(ctx, &ec2.DescribeLaunchTemplatesInput{})
			return err
		}, "InvalidAction"},
		{"organizations", func() error {
			_, err := orgClient(cfg).ListPolicies(ctx, &organizations.ListPoliciesInput{Filter: "SERVICE_CONTROL_POLICY"})
			return err
		}, "UnknownOperationException"},
		{"s3", func() error {
			_, err := s3Client(cfg).GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("retail-mgmt-cloudtrail")})
			return err
		}, "NotImplemented"},
		{"s3 mutating", func() error {
			_, err := s3Client(cfg).PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("retail-mgmt-cloudtrail"), Policy: aws.String("{}")})
			return err
		}, "NotImplemented"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.call(), tt.code) })
	}
	var puts []Call
	for _, c := range MutatingCalls(s.Calls()) {
		puts = append(puts, c)
	}
	if len(puts) != 1 || puts[0].Operation != "PutBucketPolicy" {
		t.Errorf("mutating calls = %+v, want the one PutBucketPolicy", puts)
	}
}

func TestUnknownAccessKey(t *testing.T) {
	s := startSim(t, DemoEstate())
	cfg := s.config("AKIAUNKNOWN000000000", "x", "us-east-1")
	tests := []struct {
		name string
		call func() error
		code string
	}{
		{"sts", func() error { _, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, nil); return err }, "InvalidClientTokenId"},
		{"iam", func() error { _, err := iamClient(cfg).ListUsers(ctx, nil); return err }, "InvalidClientTokenId"},
		{"organizations", func() error {
			_, err := orgClient(cfg).ListAccounts(ctx, &organizations.ListAccountsInput{})
			return err
		}, "UnrecognizedClientException"},
		{"s3", func() error { _, err := s3Client(cfg).ListBuckets(ctx, nil); return err }, "InvalidAccessKeyId"},
		{"ec2", func() error { _, err := ec2Client(cfg).DescribeVpcs(ctx, nil); return err }, "AuthFailure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.call(), tt.code) })
	}
}

func TestCallRecording(t *testing.T) {
	s := startSim(t, DemoEstate())
	member := s3Client(s.member("111100000001", retailExtID, "us-east-1"))
	if _, err := member.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("rec-test")}); err != nil {
		t.Fatal(err)
	}
	if _, err := member.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("rec-test"), Key: aws.String("k"), Body: bytes.NewReader(nil)}); err != nil {
		t.Fatal(err)
	}
	if _, err := member.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("rec-test")}); err != nil {
		t.Fatal(err)
	}
	calls := s.Calls()
	var ops []string
	for _, c := range calls {
		ops = append(ops, c.Service+":"+c.Operation)
	}
	if strings.Join(ops, ",") != "sts:AssumeRole,s3:CreateBucket,s3:PutObject,s3:GetBucketLocation" {
		t.Fatalf("calls = %v", ops)
	}
	assume, put, get := calls[0], calls[2], calls[3]
	if assume.Mutating || !put.Mutating || get.Mutating {
		t.Errorf("mutating flags: AssumeRole %v PutObject %v GetBucketLocation %v", assume.Mutating, put.Mutating, get.Mutating)
	}
	if assume.AccessKey != retailKey || !strings.HasPrefix(put.AccessKey, "ASIA") || put.Account != "111100000001" ||
		put.Region != "us-east-1" || put.Status != 200 || put.ErrorCode != "" || put.StartSeq >= put.EndSeq || put.End.Before(put.Start) {
		t.Errorf("recorded calls = %+v / %+v", assume, put)
	}
	s.ResetCalls()
	if n := len(s.Calls()); n != 0 {
		t.Errorf("after ResetCalls: %d calls", n)
	}
}

func TestMaxConcurrentAccounts(t *testing.T) {
	c := func(acct string, start, end uint64) Call { return Call{Account: acct, StartSeq: start, EndSeq: end} }
	set := map[string]bool{"a": true, "b": true, "c": true}
	tests := []struct {
		name  string
		calls []Call
		want  int
	}{
		{"none", nil, 0},
		{"sequential", []Call{c("a", 1, 2), c("b", 3, 4), c("c", 5, 6)}, 1},
		{"same account overlapping", []Call{c("a", 1, 4), c("a", 2, 3)}, 1},
		{"two overlap", []Call{c("a", 1, 4), c("b", 2, 3), c("c", 5, 6)}, 2},
		{"three overlap", []Call{c("a", 1, 6), c("b", 2, 5), c("c", 3, 4)}, 3},
		{"outsider ignored", []Call{c("a", 1, 4), c("x", 2, 3)}, 1},
		{"end before next start", []Call{c("a", 1, 2), c("b", 3, 6), c("a", 4, 5)}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MaxConcurrentAccounts(tt.calls, set); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}

// TestMaxConcurrentAccountsLive holds the estate lock so that three calls
// for three accounts are certainly in flight together.
func TestMaxConcurrentAccountsLive(t *testing.T) {
	s := startSim(t, DemoEstate())
	accounts := []string{"111100000002", "111100000003", "111100000004"}
	clients := map[string]*iam.Client{}
	for _, a := range accounts {
		cfg := s.member(a, retailExtID, "us-east-1")
		if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
			t.Fatal(err)
		}
		clients[a] = iamClient(cfg)
	}
	s.ResetCalls()
	var wg sync.WaitGroup
	errs := make(chan error, len(accounts))
	err := s.Mutate(func(*Estate) {
		base := s.seq.Load()
		for _, a := range accounts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := clients[a].ListUsers(ctx, &iam.ListUsersInput{})
				errs <- err
			}()
		}
		// Wait until all three requests have arrived; they then block on
		// the estate lock held here.
		for s.seq.Load() < base+uint64(len(accounts)) {
			time.Sleep(time.Millisecond)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	set := map[string]bool{}
	for _, a := range accounts {
		set[a] = true
	}
	if got := MaxConcurrentAccounts(s.Calls(), set); got != 3 {
		t.Errorf("MaxConcurrentAccounts = %d, want 3", got)
	}
	if got := MaxConcurrentAccounts(s.Calls(), map[string]bool{accounts[0]: true}); got != 1 {
		t.Errorf("one-account set = %d, want 1", got)
	}
}
