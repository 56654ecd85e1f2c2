package awsclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"

	"github.com/rampart-cspm/rampart"
)

func TestBackoffCeiling(t *testing.T) {
	b := &Backoff{Base: 500 * time.Millisecond, Max: 20 * time.Second}
	tests := []struct {
		attempt int
		want    time.Duration
	}{
		{0, 500 * time.Millisecond},
		{1, time.Second},
		{2, 2 * time.Second},
		{5, 16 * time.Second},
		{6, 20 * time.Second}, // 32s capped
		{100, 20 * time.Second},
		{1 << 30, 20 * time.Second}, // no overflow
	}
	for _, tt := range tests {
		if got := b.Ceiling(tt.attempt); got != tt.want {
			t.Errorf("Ceiling(%d) = %v, want %v", tt.attempt, got, tt.want)
		}
	}
	if got := (&Backoff{}).Ceiling(1); got != 2*DefaultBaseBackoff {
		t.Errorf("zero Backoff Ceiling(1) = %v, want %v", got, 2*DefaultBaseBackoff)
	}
}

func TestBackoffDelayIsFullJitter(t *testing.T) {
	throttle := &smithy.GenericAPIError{Code: "ThrottlingException"}
	for _, r := range []float64{0, 0.25, 0.5, 0.999999} {
		b := &Backoff{Base: time.Second, Max: 20 * time.Second, Rand: func() float64 { return r }}
		for attempt := 1; attempt <= 10; attempt++ {
			got, err := b.BackoffDelay(attempt, throttle)
			if err != nil {
				t.Fatal(err)
			}
			ceiling := b.Ceiling(attempt)
			want := time.Duration(r * float64(ceiling))
			if got != want {
				t.Errorf("rand %v attempt %d: delay %v, want %v", r, attempt, got, want)
			}
			if got < 0 || got >= ceiling {
				t.Errorf("rand %v attempt %d: delay %v outside [0, %v)", r, attempt, got, ceiling)
			}
		}
	}
	// A broken source cannot push the delay to or past the ceiling.
	bad := &Backoff{Base: time.Second, Max: 4 * time.Second, Rand: func() float64 { return 7 }}
	if got, _ := bad.BackoffDelay(3, nil); got != 0 {
		t.Errorf("out-of-range rand: delay %v, want 0", got)
	}
}

const ec2ErrorXML = `<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>req-1</RequestID></Response>`

// failingServer answers the first fail requests with status and an EC2
// error code, then with an empty DescribeRegions result.
func failingServer(t *testing.T, fail int64, status int, code string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= fail {
			w.WriteHeader(status)
			fmt.Fprintf(w, ec2ErrorXML, code, "test failure")
			return
		}
		fmt.Fprint(w, `<DescribeRegionsResponse><requestId>req-2</requestId><regionInfo/></DescribeRegionsResponse>`)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

type retryLog struct {
	mu    sync.Mutex
	calls []string
}

func (l *retryLog) hook(service, op string, class rampart.ErrorClass) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, service+":"+op+":"+string(class))
}

func retryFactory(t *testing.T, endpoint string, maxAttempts int, log *retryLog) *Factory {
	t.Helper()
	isolateEnv(t)
	f := NewFactory(Options{
		EndpointURL:            endpoint,
		SharedCredentialsFiles: []string{staticProfile(t, "audit")},
		MaxAttempts:            maxAttempts,
		OnRetry:                log.hook,
	})
	f.rand = func() float64 { return 0 } // zero delay: the test never sleeps
	return f
}

func TestRetryerRetriesThrottlingAndServerErrors(t *testing.T) {
	tests := []struct {
		status    int
		code      string
		wantClass rampart.ErrorClass
	}{
		{503, "RequestLimitExceeded", rampart.ErrClassThrottling},
		{400, "Throttling", rampart.ErrClassThrottling},
		{500, "InternalError", rampart.ErrClassServiceError},
		{503, "Unavailable", rampart.ErrClassServiceError},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			srv, requests := failingServer(t, 3, tt.status, tt.code)
			log := &retryLog{}
			f := retryFactory(t, srv.URL, 8, log)
			cfg, err := f.Base(context.Background(), "audit", "")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ec2.NewFromConfig(cfg).DescribeRegions(context.Background(), &ec2.DescribeRegionsInput{}); err != nil {
				t.Fatalf("DescribeRegions after retries: %v", err)
			}
			if got := requests.Load(); got != 4 {
				t.Errorf("requests = %d, want 4", got)
			}
			want := "EC2:DescribeRegions:" + string(tt.wantClass)
			if len(log.calls) != 3 || log.calls[0] != want {
				t.Errorf("OnRetry calls = %v, want 3 × %s", log.calls, want)
			}
		})
	}
}

func TestRetryerGivesUpAfterMaxAttempts(t *testing.T) {
	srv, requests := failingServer(t, 1000, 400, "RequestLimitExceeded")
	f := retryFactory(t, srv.URL, 3, &retryLog{})
	cfg, err := f.Base(context.Background(), "audit", "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = ec2.NewFromConfig(cfg).DescribeRegions(context.Background(), &ec2.DescribeRegionsInput{})
	var maxErr *retry.MaxAttemptsError
	if !errors.As(err, &maxErr) {
		t.Fatalf("err = %v, want a MaxAttemptsError", err)
	}
	if got := requests.Load(); got != 3 {
		t.Errorf("requests = %d, want 3", got)
	}
	if got := Classify(err); got != rampart.ErrClassThrottling {
		t.Errorf("Classify = %q, want throttling", got)
	}
}

func TestRetryerDoesNotRetryAccessDenied(t *testing.T) {
	srv, requests := failingServer(t, 1000, 403, "UnauthorizedOperation")
	log := &retryLog{}
	f := retryFactory(t, srv.URL, 8, log)
	cfg, err := f.Base(context.Background(), "audit", "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = ec2.NewFromConfig(cfg).DescribeRegions(context.Background(), &ec2.DescribeRegionsInput{})
	if got := Classify(err); got != rampart.ErrClassAccessDenied {
		t.Fatalf("Classify(%v) = %q, want access_denied", err, got)
	}
	if got := requests.Load(); got != 1 {
		t.Errorf("requests = %d, want 1", got)
	}
	if len(log.calls) != 0 {
		t.Errorf("OnRetry called %v", log.calls)
	}
}
