package awsclient

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Retry modes (Options.RetryMode).
const (
	// RetryAdaptive is Rampart's rate control (the default): a client-side
	// token bucket per caller scope, region and API family that starts from
	// AWS's documented quota and learns from throttling answers; throttled
	// calls are re-sent through the bucket instead of backing off blindly.
	RetryAdaptive = "adaptive"
	// RetryStandard is the SDK's standard retryer with full-jitter
	// exponential backoff and its retry quota (the fixed policy).
	RetryStandard = "standard"
	// RetrySDKAdaptive is the SDK's own adaptive retry mode
	// (retry.NewAdaptiveMode): a client-side rate limiter per SDK client.
	RetrySDKAdaptive = "sdk-adaptive"
)

// Prior is the documented (or assumed) shape of one API family's quota: a
// bucket of Burst requests refilled at Rate per second.
type Prior struct {
	Burst, Rate float64
}

// Priors are the starting points of the client-side buckets by API family
// (see FamilyOf), from AWS's published throttling quotas. IAM and
// Organizations publish no numbers; theirs are conservative guesses, and
// the limiter learns the real rate from throttling either way.
var Priors = map[string]Prior{
	"ec2":                      {100, 20},
	"rds":                      {300, 12},
	"lambda":                   {15, 15},
	"lambda:GetFunction":       {100, 100},
	"cloudtrail:LookupEvents":  {2, 2},
	"kms:ListKeys":             {500, 500},
	"kms:GetKeyRotationStatus": {1000, 1000},
	"iam":                      {20, 10},
	"sts:AssumeRole":           {600, 600},
	"organizations":            {20, 5},
	"s3":                       {1000, 1000}, // per-prefix rates are far above a scanner's reads
}

// defaultPrior applies to families without a Prior.
var defaultPrior = Prior{100, 50}

// FamilyOf returns the throttling family of an SDK call: the service's
// normalized ID, or service:operation for operations AWS throttles on
// their own.
func FamilyOf(serviceID, op string) string {
	svc := normalizeService(serviceID)
	if _, ok := Priors[svc+":"+op]; ok {
		return svc + ":" + op
	}
	if svc == "sts" && strings.HasPrefix(op, "AssumeRole") {
		return "sts:AssumeRole"
	}
	return svc
}

// Limiter is a client-side token bucket whose rate adapts to throttling.
//
// A throttling answer means the service's bucket was empty. Between two
// throttles the service therefore accepted what it refilled, give or take
// one call, however fast the client sent: accepted calls over the time
// between the oldest throttle of the last Horizon and the newest one
// estimate the service's refill rate, and the more so the longer that
// span. On a throttle (at most once per Cooldown) the limiter drops to that
// estimate, rounded up by a call (an upper bound of the refill), and empties
// its bucket, which the server's just did. Until two throttles are far
// enough apart it falls back on the rate accepted over the last Window.
// While calls are accepted it probes upwards: 5% of the rate per second,
// 50% before the first throttle (the prior may be below the account's real
// quota). Sending a little above the service's rate costs a throttled call
// now and then; sending below it wastes the quota for good once the
// service's bucket is full, so the estimate errs upwards.
// A Limiter is safe for concurrent use.
type Limiter struct {
	now func() time.Time

	mu           sync.Mutex
	rate, burst  float64
	tokens       float64
	last         time.Time
	created      time.Time
	lastDecrease time.Time
	lastProbe    time.Time
	oks          []time.Time    // accepted calls within Window, oldest first
	accepted     uint64         // accepted calls, ever
	marks        []throttleMark // throttles within Horizon, oldest first

	throttles atomic.Uint64
}

// throttleMark is a throttle's time and the calls accepted before it.
type throttleMark struct {
	at       time.Time
	accepted uint64
}

// Limiter tuning.
const (
	limiterWindow    = 2 * time.Second
	limiterHorizon   = 30 * time.Second
	limiterMinSpan   = 500 * time.Millisecond // shortest span between throttles to estimate from
	limiterCooldown  = 300 * time.Millisecond
	limiterProbe     = 0.05 // rate growth per second without throttles
	limiterSlowStart = 0.5  // the same before the first throttle
	limiterMinRate   = 0.2
)

// NewLimiter returns a limiter starting from p, on clock now (nil =
// time.Now).
func NewLimiter(p Prior, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	t := now()
	return &Limiter{now: now, rate: p.Rate, burst: math.Max(1, p.Burst), tokens: math.Max(1, p.Burst), last: t, created: t, lastProbe: t}
}

// Rate returns the current rate in requests per second.
func (l *Limiter) Rate() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rate
}

// Accepted returns how many calls the service accepted (answered with
// anything but a throttle).
func (l *Limiter) Accepted() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.accepted
}

// Throttles returns how many throttling answers the limiter has seen.
func (l *Limiter) Throttles() uint64 { return l.throttles.Load() }

// refill must be called with mu held.
func (l *Limiter) refill(now time.Time) {
	if el := now.Sub(l.last).Seconds(); el > 0 {
		l.tokens = math.Min(l.burst, l.tokens+el*l.rate)
		l.last = now
	}
}

// Reserve takes a token and returns how long the caller must wait before
// using it (0 when one is available now).
func (l *Limiter) Reserve() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.refill(now)
	l.tokens--
	if l.tokens >= 0 {
		return 0
	}
	return time.Duration(-l.tokens / l.rate * float64(time.Second))
}

// cancel gives back a reserved token that will not be used.
func (l *Limiter) cancel() {
	l.mu.Lock()
	l.tokens = math.Min(l.burst, l.tokens+1)
	l.mu.Unlock()
}

// Wait blocks until a token is available. When ctx's deadline comes before
// that, it returns at once with an error wrapping
// context.DeadlineExceeded, so a unit's deadline is never overrun waiting.
func (l *Limiter) Wait(ctx context.Context) error {
	d := l.Reserve()
	if d <= 0 {
		return nil
	}
	if dl, ok := ctx.Deadline(); ok && l.now().Add(d).After(dl) {
		l.cancel()
		return fmt.Errorf("awsclient: rate limit wait %s would pass the deadline: %w", d.Round(time.Millisecond), context.DeadlineExceeded)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		l.cancel()
		return ctx.Err()
	}
}

// OnSuccess records an accepted call: any answer of the service but a
// throttle (the call took a token of the service's quota).
func (l *Limiter) OnSuccess() {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.accepted++
	l.oks = append(l.oks, now)
	l.trim(now)
	if el := now.Sub(l.lastProbe).Seconds(); el > 0 {
		probe := limiterProbe
		if l.lastDecrease.IsZero() {
			probe = limiterSlowStart // never throttled: the prior may be low
		}
		l.rate *= 1 + probe*math.Min(el, 1)
		l.lastProbe = now
	}
}

// OnThrottle records a throttling answer.
func (l *Limiter) OnThrottle() {
	l.throttles.Add(1)
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.trim(now)
	l.refill(now)
	l.tokens = math.Min(l.tokens, 0) // the server's bucket is empty
	l.lastProbe = now
	i := 0
	for i < len(l.marks) && now.Sub(l.marks[i].at) > limiterHorizon {
		i++
	}
	l.marks = append(l.marks[i:], throttleMark{at: now, accepted: l.accepted})
	if !l.lastDecrease.IsZero() && now.Sub(l.lastDecrease) < limiterCooldown {
		return
	}
	l.lastDecrease = now
	if first := l.marks[0]; now.Sub(first.at) >= limiterMinSpan {
		// Both ends found the service's bucket under one token, so the
		// calls accepted in between were its refill within ±1: est is at
		// or above the refill rate, never below it (a pure token bucket,
		// nobody else drawing on it), and safe to drop to at once.
		est := float64(l.accepted-first.accepted+1) / now.Sub(first.at).Seconds()
		l.rate = math.Max(limiterMinRate, math.Min(l.rate, est))
		return
	}
	window := min(limiterWindow, now.Sub(l.created))
	accepted := float64(len(l.oks)) / math.Max(window.Seconds(), limiterCooldown.Seconds())
	l.rate = math.Max(limiterMinRate, math.Max(l.rate/2, math.Min(l.rate*0.95, accepted)))
}

func (l *Limiter) trim(now time.Time) {
	i := 0
	for i < len(l.oks) && now.Sub(l.oks[i]) > limiterWindow {
		i++
	}
	l.oks = l.oks[i:]
}

// Limiters holds one Limiter per (caller scope, region, API family); it is
// shared by every config of a Factory. Safe for concurrent use.
type Limiters struct {
	// Now is the clock (nil = time.Now); set before first use.
	Now func() time.Time

	mu sync.Mutex
	m  map[string]*Limiter
}

// NewLimiters returns an empty registry.
func NewLimiters() *Limiters { return &Limiters{m: map[string]*Limiter{}} }

// Get returns the limiter of scope, region and family, creating it from
// the family's prior.
func (ls *Limiters) Get(scope, region, family string) *Limiter {
	key := scope + "|" + region + "|" + family
	if family == "iam" || family == "organizations" {
		key = scope + "||" + family // global services: one quota per account
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.m == nil {
		ls.m = map[string]*Limiter{}
	}
	l, ok := ls.m[key]
	if !ok {
		p, ok := Priors[family]
		if !ok {
			p = defaultPrior
		}
		l = NewLimiter(p, ls.Now)
		ls.m[key] = l
	}
	return l
}

// Throttles returns the throttling answers seen by the limiters of scopes
// starting with prefix (e.g. a landing zone's base scope).
func (ls *Limiters) Throttles(prefix string) uint64 {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	var n uint64
	for k, l := range ls.m {
		if strings.HasPrefix(k, prefix+"|") {
			n += l.Throttles()
		}
	}
	return n
}

const rateLimitID = "rampart.RateLimit"

// rateLimit returns an API option that sends every attempt of a call
// through the limiter of (scope, the call's region, its family) and feeds
// the answer back to it. It sits after the retry middleware, so retries
// are paced too.
func (ls *Limiters) rateLimit(scope string) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		mw := middleware.FinalizeMiddlewareFunc(rateLimitID, func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (
			middleware.FinalizeOutput, middleware.Metadata, error,
		) {
			l := ls.Get(scope, awsmiddleware.GetRegion(ctx), FamilyOf(awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx)))
			if err := l.Wait(ctx); err != nil {
				return middleware.FinalizeOutput{}, middleware.Metadata{}, err
			}
			out, md, err := next.HandleFinalize(ctx, in)
			switch {
			case err == nil:
				l.OnSuccess()
			case retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err).Bool():
				l.OnThrottle()
			case answered(err):
				// NoSuchEntity, AccessDenied, a 5xx...: the call passed the
				// service's throttling and took a token of its quota like
				// a success. Not counting it made the limiter think the
				// service accepted less than it does (IAM's scans get a
				// NoSuchEntity for every user without a console password).
				l.OnSuccess()
			}
			return out, md, err
		})
		// The most specific scope wins: a member account's config derives
		// from its landing zone's base config and replaces its limiter.
		if _, ok := stack.Finalize.Get(rateLimitID); ok {
			_, err := stack.Finalize.Swap(rateLimitID, mw)
			return err
		}
		if _, ok := stack.Finalize.Get("Retry"); ok {
			return stack.Finalize.Insert(mw, "Retry", middleware.After)
		}
		return stack.Finalize.Add(mw, middleware.Before)
	}
}

// answered reports whether err carries a service's HTTP response (as
// opposed to a connection, signing or deadline failure before one).
func answered(err error) bool {
	var re *smithyhttp.ResponseError
	return errors.As(err, &re) && re.Response != nil
}

// adaptiveRetryer is the retryer of RetryAdaptive: the SDK's standard
// retryer without its retry quota (the limiters pace throttled calls, so
// throttles must not exhaust a quota meant for outages), with a short
// jittered delay after throttles (the limiter does the waiting) and
// full-jitter exponential backoff after other errors. Delays never pass
// the call's deadline: the SDK sleeps with the call's context and the
// limiter refuses waits that would overrun it.
func (f *Factory) adaptiveRetryer() aws.RetryerV2 {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = f.opts.MaxAttempts
		o.MaxBackoff = f.opts.MaxBackoff
		o.RateLimiter = ratelimit.None
		o.Backoff = throttleAwareBackoff{
			full:     &Backoff{Max: f.opts.MaxBackoff, Rand: f.rand},
			throttle: &Backoff{Base: 25 * time.Millisecond, Max: 50 * time.Millisecond, Rand: f.rand},
		}
		o.Retryables = append(o.Retryables, retry.RetryableErrorCode{Codes: extraRetryableCodes})
	})
}

// sdkAdaptiveRetryer is the SDK's own adaptive mode over the standard
// retryer Rampart configures.
func (f *Factory) sdkAdaptiveRetryer() aws.RetryerV2 {
	return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
		o.StandardOptions = append(o.StandardOptions, func(o *retry.StandardOptions) {
			o.MaxAttempts = f.opts.MaxAttempts
			o.MaxBackoff = f.opts.MaxBackoff
			o.Backoff = &Backoff{Max: f.opts.MaxBackoff, Rand: f.rand}
			o.Retryables = append(o.Retryables, retry.RetryableErrorCode{Codes: extraRetryableCodes})
		})
	})
}

type throttleAwareBackoff struct{ full, throttle *Backoff }

func (b throttleAwareBackoff) BackoffDelay(attempt int, err error) (time.Duration, error) {
	if retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err).Bool() {
		return b.throttle.BackoffDelay(1, err)
	}
	return b.full.BackoffDelay(attempt, err)
}

// expiredCodes are the answers to a session token that expired.
var expiredCodes = map[string]bool{
	"ExpiredToken": true, "ExpiredTokenException": true, "RequestExpired": true, "TokenRefreshRequired": true,
}

// refreshRetryer retries a call whose credentials expired after throwing
// the cached credentials away, so the retry signs with fresh ones.
// Credentials are also refreshed ahead of expiry (expiryWindow); this
// covers sessions that end early (revoked, clock skew).
type refreshRetryer struct {
	aws.RetryerV2
	invalidate func()
}

func (r refreshRetryer) IsErrorRetryable(err error) bool {
	return expiredCodes[apiCode(err)] || r.RetryerV2.IsErrorRetryable(err)
}

func (r refreshRetryer) GetRetryToken(ctx context.Context, opErr error) (func(error) error, error) {
	if expiredCodes[apiCode(opErr)] {
		r.invalidate()
	}
	return r.RetryerV2.GetRetryToken(ctx, opErr)
}

// scopeOf returns the rate-control scope recorded for cfg's credentials.
func (f *Factory) scopeOf(cfg aws.Config) string {
	if cfg.Credentials != nil {
		if s, ok := f.scopes.Load(cfg.Credentials); ok {
			return s.(string)
		}
	}
	return "lz:unknown"
}

// setScope attributes cfg's calls to scope for rate control and, for
// scopes of base credentials, records it so configs derived from cfg find
// it. Without limiters (other retry modes) it only records.
func (f *Factory) setScope(cfg *aws.Config, scope string, record bool) {
	if record && cfg.Credentials != nil {
		f.scopes.Store(cfg.Credentials, scope)
	}
	if f.limiters == nil {
		return
	}
	cfg.APIOptions = append(slices.Clone(cfg.APIOptions), f.limiters.rateLimit(scope))
}

// Limiters returns the factory's client-side rate limiters (nil unless the
// retry mode is RetryAdaptive).
func (f *Factory) Limiters() *Limiters { return f.limiters }

// SharedThrottles returns the throttling answers seen on the shared quotas
// of the landing zone whose base credentials come from profile (its STS
// and Organizations calls). Zero unless the retry mode is RetryAdaptive.
func (f *Factory) SharedThrottles(profile string) uint64 {
	if f.limiters == nil {
		return 0
	}
	return f.limiters.Throttles(baseScope(profile))
}

func baseScope(profile string) string {
	if profile == "" {
		return "lz:default"
	}
	return "lz:" + profile
}
