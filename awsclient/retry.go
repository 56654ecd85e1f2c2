package awsclient

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"github.com/rampart-cspm/rampart"
)

// Retry defaults.
const (
	DefaultMaxAttempts = 8
	DefaultMaxBackoff  = 20 * time.Second
	DefaultBaseBackoff = 500 * time.Millisecond
)

// extraRetryableCodes are retried on top of the SDK's defaults (which already
// cover the throttling codes, HTTP 500/502/503/504, 429, RequestTimeout,
// timeouts and connection errors): server-side failures some services
// report with an error code rather than (only) a 5xx status.
var extraRetryableCodes = map[string]struct{}{
	"InternalError":         {},
	"InternalFailure":       {},
	"ServiceUnavailable":    {},
	"Unavailable":           {}, // EC2
	"IDPCommunicationError": {}, // STS, documented as retryable
}

// Backoff is a full-jitter exponential backoff: the delay before the retry
// after attempt n (1 for the first failed attempt) is uniformly random in
// [0, min(Max, Base*2^n)). It implements retry.BackoffDelayer.
type Backoff struct {
	Base time.Duration // default DefaultBaseBackoff
	Max  time.Duration // default DefaultMaxBackoff
	// Rand returns a number in [0, 1); nil uses math/rand/v2. Tests inject a
	// fixed source.
	Rand func() float64
}

var _ retry.BackoffDelayer = (*Backoff)(nil)

// Ceiling returns min(Max, Base*2^attempt), the upper bound of the delay
// after attempt, without overflowing.
func (b *Backoff) Ceiling(attempt int) time.Duration {
	base, maxd := b.Base, b.Max
	if base <= 0 {
		base = DefaultBaseBackoff
	}
	if maxd <= 0 {
		maxd = DefaultMaxBackoff
	}
	d := base
	for i := 0; i < attempt && d < maxd; i++ {
		d *= 2
	}
	return min(d, maxd)
}

// BackoffDelay returns the delay before the next attempt after attempt
// failed with err. It never returns an error.
func (b *Backoff) BackoffDelay(attempt int, _ error) (time.Duration, error) {
	r := rand.Float64
	if b.Rand != nil {
		r = b.Rand
	}
	f := r()
	if f < 0 || f >= 1 {
		f = 0 // a broken source must not exceed the ceiling
	}
	return time.Duration(f * float64(b.Ceiling(attempt))), nil
}

// newRetryer returns the retryer of every config the factory makes: the
// SDK's standard retryer with MaxAttempts, full-jitter backoff, the extra
// retryable codes and, when set, the OnRetry hook. The SDK calls the
// function once per client, so each client keeps its own retry-quota token
// bucket (the SDK default of 500 tokens; a throttling retry costs 5): a
// service that keeps failing stops being retried without starving the
// account's other clients.
//
// Other retry modes (Options.RetryMode) replace the standard retryer with
// their own (ratelimit.go).
func (f *Factory) newRetryer() aws.Retryer {
	var std aws.RetryerV2
	switch f.opts.RetryMode {
	case RetryAdaptive:
		std = f.adaptiveRetryer()
	case RetrySDKAdaptive:
		std = f.sdkAdaptiveRetryer()
	default:
		std = retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = f.opts.MaxAttempts
			o.MaxBackoff = f.opts.MaxBackoff
			o.Backoff = &Backoff{Max: f.opts.MaxBackoff, Rand: f.rand}
			o.Retryables = append(o.Retryables, retry.RetryableErrorCode{Codes: extraRetryableCodes})
		})
	}
	if f.opts.OnRetry == nil {
		return std
	}
	return &hookRetryer{RetryerV2: std, onRetry: f.opts.OnRetry}
}

// hookRetryer calls onRetry each time the retry middleware decides to retry:
// GetRetryToken is called exactly then, with the operation's context.
type hookRetryer struct {
	aws.RetryerV2
	onRetry func(service, operation string, class rampart.ErrorClass)
}

func (r *hookRetryer) GetRetryToken(ctx context.Context, opErr error) (func(error) error, error) {
	release, err := r.RetryerV2.GetRetryToken(ctx, opErr)
	if err == nil {
		r.onRetry(awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx), Classify(opErr))
	}
	return release, err
}
