package awssim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// Quotas turns on AWS-style request throttling: one token bucket per API
// family and scope (see QuotaFamilies). A call that finds its bucket empty
// is answered with the service's own throttling error and consumes nothing.
// A nil *Quotas (the default) throttles nothing.
type Quotas struct {
	// Scale multiplies every burst and rate (default 1). 0.1 models an
	// account whose quota is ten times lower than documented, or shared
	// with other tools that use nine tenths of it.
	Scale float64 `yaml:"scale"`
	// Buckets override the burst and rate of families by name, e.g.
	// {iam: {burst: 10, rate: 4}}. Scale applies to them too.
	Buckets map[string]TokenBucket `yaml:"buckets"`
}

// TokenBucket is a bucket of Burst tokens refilled at Rate per second.
type TokenBucket struct {
	Burst float64 `yaml:"burst"`
	Rate  float64 `yaml:"rate"`
}

// Quota scopes: what one bucket is shared by.
const (
	// ScopeAccountRegion: one bucket per caller account and region.
	ScopeAccountRegion = "account-region"
	// ScopeAccount: one bucket per caller account (global services).
	ScopeAccount = "account"
)

// QuotaFamily is one throttling family: the calls that share a bucket.
type QuotaFamily struct {
	Name  string
	Scope string
	TokenBucket
	// Source says where the numbers come from.
	Source string
}

// QuotaFamilies are the default buckets, from AWS's documentation where it
// publishes numbers. The caller account of sts:AssumeRole and of
// Organizations calls is the landing zone's management account, so their
// buckets are the quotas a landing zone's accounts share.
var QuotaFamilies = []QuotaFamily{
	{"ec2:describe", ScopeAccountRegion, TokenBucket{100, 20}, "AWS EC2 API throttling: non-mutating actions"},
	{"ec2:describe-unbounded", ScopeAccountRegion, TokenBucket{50, 10}, "AWS EC2 API throttling: unfiltered and unpaginated non-mutating actions"},
	{"rds", ScopeAccountRegion, TokenBucket{300, 12}, "AWS RDS API request throttling"},
	{"lambda:control", ScopeAccountRegion, TokenBucket{15, 15}, "AWS Lambda control-plane API quota (15 requests/s shared)"},
	{"lambda:GetFunction", ScopeAccountRegion, TokenBucket{100, 100}, "AWS Lambda GetFunction quota (100 requests/s)"},
	{"cloudtrail:LookupEvents", ScopeAccountRegion, TokenBucket{2, 2}, "AWS CloudTrail quota: LookupEvents 2 requests/s"},
	{"kms:ListKeys", ScopeAccountRegion, TokenBucket{500, 500}, "AWS KMS request quotas: ListKeys 500/s"},
	{"kms:GetKeyRotationStatus", ScopeAccountRegion, TokenBucket{1000, 1000}, "AWS KMS request quotas: GetKeyRotationStatus 1000/s"},
	// AWS publishes no IAM request rates; IAM is global, so one bucket per
	// account. These numbers are deliberately conservative.
	{"iam", ScopeAccount, TokenBucket{20, 10}, "no AWS number; conservative choice"},
	// STS: AWS documents 600 requests/s per account and region for the
	// AssumeRole family.
	{"sts:AssumeRole", ScopeAccountRegion, TokenBucket{600, 600}, "AWS STS quotas: 600 requests/s per account and region"},
	// AWS publishes no general Organizations rate (it answers
	// TooManyRequestsException); a conservative choice.
	{"organizations", ScopeAccount, TokenBucket{20, 5}, "no AWS number; conservative choice"},
}

// S3 is not throttled: its documented rates (3,500 writes and 5,500 reads
// per second per prefix) are far above what a scanner's per-bucket reads
// reach, so they play no part here.

// QuotaFamilyOf returns the throttling family of a call to service's op
// with the given query parameters (EC2), or ok=false when such calls are
// not throttled.
func QuotaFamilyOf(service, op string, params map[string][]string) (family string, ok bool) {
	switch service {
	case "ec2":
		if IsMutating(service, op) {
			return "", false
		}
		if ec2Unbounded(params) {
			return "ec2:describe-unbounded", true
		}
		return "ec2:describe", true
	case "rds":
		return "rds", true
	case "lambda":
		if op == "GetFunction" {
			return "lambda:GetFunction", true
		}
		return "lambda:control", true
	case "cloudtrail":
		if op == "LookupEvents" {
			return "cloudtrail:LookupEvents", true
		}
	case "kms":
		if op == "ListKeys" || op == "GetKeyRotationStatus" {
			return "kms:" + op, true
		}
	case "iam":
		return "iam", true
	case "sts":
		if op == "AssumeRole" || strings.HasPrefix(op, "AssumeRoleWith") {
			return "sts:AssumeRole", true
		}
	case "organizations":
		return "organizations", true
	}
	return "", false
}

// ec2Unbounded reports whether an EC2 call is neither paginated nor
// filtered: no MaxResults, no NextToken, no Filter.N and no ID list.
func ec2Unbounded(params map[string][]string) bool {
	for k := range params {
		switch {
		case k == "MaxResults" || k == "NextToken" || strings.HasPrefix(k, "Filter."):
			return false
		case strings.HasSuffix(strings.SplitN(k, ".", 2)[0], "Id") && strings.Contains(k, "."):
			return false // GroupId.1, InstanceId.1, ...
		}
	}
	return true
}

// familyBucket returns the bucket shape of family under q.
func (q *Quotas) familyBucket(family string) (TokenBucket, string, bool) {
	for _, f := range QuotaFamilies {
		if f.Name != family {
			continue
		}
		b := f.TokenBucket
		if o, ok := q.Buckets[family]; ok {
			b = o
		}
		scale := q.Scale
		if scale <= 0 {
			scale = 1
		}
		return TokenBucket{Burst: b.Burst * scale, Rate: b.Rate * scale}, f.Scope, true
	}
	return TokenBucket{}, "", false
}

func (q *Quotas) validate() error {
	if q.Scale < 0 {
		return fmt.Errorf("scale must be >= 0")
	}
	var names []string
	for n := range q.Buckets {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		known := false
		for _, f := range QuotaFamilies {
			known = known || f.Name == n
		}
		if !known {
			var all []string
			for _, f := range QuotaFamilies {
				all = append(all, f.Name)
			}
			return fmt.Errorf("buckets: unknown family %q (known: %s)", n, strings.Join(all, ", "))
		}
		if b := q.Buckets[n]; b.Burst < 1 || b.Rate <= 0 {
			return fmt.Errorf("buckets.%s: need burst >= 1 and rate > 0", n)
		}
	}
	return nil
}

// QuotaKey names one bucket: family, scope key (account or account/region).
func QuotaKey(family, scope, account, region string) string {
	if scope == ScopeAccount {
		return family + "@" + account
	}
	return family + "@" + account + "/" + region
}

// bucketState is one live token bucket.
type bucketState struct {
	tokens float64
	last   time.Time
}

// quotaState holds the live buckets of a server.
type quotaState struct {
	mu      sync.Mutex
	buckets map[string]*bucketState
	expired map[string]bool // access keys whose session expired (FaultExpiredToken)
	taken   map[string]int  // tokens taken per bucket key
}

// QuotaTakes returns, per bucket key (QuotaKey), how many calls took a
// token: the calls each bucket had to serve. Only counted while the estate
// has Quotas.
func (s *Server) QuotaTakes() map[string]int {
	s.quota.mu.Lock()
	defer s.quota.mu.Unlock()
	out := make(map[string]int, len(s.quota.taken))
	for k, v := range s.quota.taken {
		out[k] = v
	}
	return out
}

// Bucket returns the bucket shape and scope of family under q (scale and
// overrides applied).
func (q *Quotas) Bucket(family string) (TokenBucket, string, bool) { return q.familyBucket(family) }

// take takes one token from the bucket key of shape b at now, refilling
// first. It reports whether a token was there.
func (q *quotaState) take(key string, b TokenBucket, now time.Time) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.buckets == nil {
		q.buckets = map[string]*bucketState{}
	}
	st, ok := q.buckets[key]
	if !ok {
		st = &bucketState{tokens: b.Burst, last: now}
		q.buckets[key] = st
	}
	if el := now.Sub(st.last).Seconds(); el > 0 {
		st.tokens = math.Min(b.Burst, st.tokens+el*b.Rate)
		st.last = now
	}
	if st.tokens < 1 {
		return false
	}
	st.tokens--
	if q.taken == nil {
		q.taken = map[string]int{}
	}
	q.taken[key]++
	return true
}

// applyQuota throttles c when its bucket is empty.
// It also answers calls made with an expired session key.
func (s *Server) applyQuota(c *call) *awsError {
	s.quota.mu.Lock()
	expired := s.quota.expired[c.cred.AccessKey]
	s.quota.mu.Unlock()
	if expired {
		return expiredTokenError(c.service)
	}
	s.mu.RLock()
	q := s.estate.Quotas
	s.mu.RUnlock()
	if q == nil || c.account == nil {
		return nil
	}
	family, ok := QuotaFamilyOf(c.service, c.op, c.form)
	if !ok {
		return nil
	}
	b, scope, ok := q.familyBucket(family)
	if !ok {
		return nil
	}
	now := time.Now()
	if s.opts.QuotaNow != nil {
		now = s.opts.QuotaNow()
	}
	if s.quota.take(QuotaKey(family, scope, c.account.ID, c.region()), b, now) {
		return nil
	}
	return quotaThrottleError(c.service)
}

// quotaThrottleError is the service's own answer to a call over its quota:
// EC2 503 RequestLimitExceeded, S3 503 SlowDown, Organizations and Lambda
// TooManyRequestsException, other JSON services 400 ThrottlingException,
// query services (STS, IAM, RDS) 400 Throttling.
func quotaThrottleError(service string) *awsError {
	switch service {
	case "ec2", "s3", "organizations", "sts", "iam":
		return throttleError(service)
	case "lambda":
		return errf(429, "TooManyRequestsException", "Rate exceeded")
	case "rds":
		return errf(400, "Throttling", "Rate exceeded")
	}
	if protocolOf(service) == protoJSON {
		return errf(400, "ThrottlingException", "Rate exceeded")
	}
	return errf(400, "Throttling", "Rate exceeded")
}

// More fault kinds (see the package documentation).
const (
	// FaultExpiredToken expires the caller's temporary session, as if it
	// ran out mid-scan: this call and every later call with the same key
	// get the service's expired-token error until new credentials are
	// obtained.
	FaultExpiredToken = "expired_token"
	// FaultConnectionReset closes the connection without a response.
	FaultConnectionReset = "connection_reset"
	// FaultMalformed answers 200 with a body cut short.
	FaultMalformed = "malformed"
)

func init() {
	faultKinds[FaultExpiredToken] = true
	faultKinds[FaultConnectionReset] = true
	faultKinds[FaultMalformed] = true
}

// errAnswered tells ServeHTTP that a fault already answered (or cut) the call.
var errAnswered = &awsError{Status: -1, Code: "answered"}

// expiredTokenError is the service's answer to an expired session token.
func expiredTokenError(service string) *awsError {
	switch protocolOf(service) {
	case protoJSON:
		return errf(400, "ExpiredTokenException", "The security token included in the request is expired")
	case protoEC2:
		return errf(400, "RequestExpired", "Request has expired.")
	}
	return errf(400, "ExpiredToken", "The security token included in the request is expired")
}

// extraFault applies the fault kinds defined in this file.
func (s *Server) extraFault(c *call, kind string) *awsError {
	switch kind {
	case FaultExpiredToken:
		s.quota.mu.Lock()
		if s.quota.expired == nil {
			s.quota.expired = map[string]bool{}
		}
		s.quota.expired[c.cred.AccessKey] = true
		s.quota.mu.Unlock()
		return expiredTokenError(c.service)
	case FaultConnectionReset:
		c.status, c.errCode, c.wrote = 0, "ConnectionReset", true
		hj, ok := c.w.(http.Hijacker)
		if !ok {
			return internalError(c.service)
		}
		conn, _, err := hj.Hijack()
		if err != nil {
			return internalError(c.service)
		}
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // RST rather than FIN
		}
		// Record first: once the connection is reset the client may read
		// the call log before this handler returns.
		s.record(c, c.start, c.startSeq)
		c.recorded = true
		_ = conn.Close()
		return errAnswered
	case FaultMalformed:
		c.status, c.errCode, c.wrote = http.StatusOK, "Malformed", true
		switch protocolOf(c.service) {
		case protoJSON:
			c.w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			c.w.Write([]byte(`{"Accounts":[{"Id":"1111`))
		case protoREST:
			c.w.Header().Set("Content-Type", "application/xml")
			c.w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><ListAllMyBucketsResult><Buckets><Bucket><Na`))
		default:
			c.w.Header().Set("Content-Type", "text/xml")
			c.w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><` + c.op + `Response><` + c.op + `Result><Us`))
		}
		return errAnswered
	}
	return nil
}

// sample draws one latency: Fixed plus, when P50 is set, a log-normal
// value with that median and 99th percentile (P99, default 3×P50), capped
// at 10×P99; otherwise a uniform value in [Min, Max].
func (l Latency) sample() time.Duration {
	d := l.Fixed
	switch {
	case l.P50 > 0:
		p99 := l.P99
		if p99 < l.P50 {
			p99 = 3 * l.P50
		}
		sigma := math.Log(float64(p99)/float64(l.P50)) / 2.326 // z of the 99th percentile
		v := float64(l.P50) * math.Exp(sigma*rand.NormFloat64())
		d += time.Duration(math.Min(v, 10*float64(p99)))
	case l.Max > l.Min:
		d += l.Min + rand.N(l.Max-l.Min+1)
	default:
		d += l.Min
	}
	return d
}

func (l Latency) validate() error {
	if l.Max < l.Min || l.Fixed < 0 || l.Min < 0 {
		return errors.New("need 0 <= min <= max and fixed >= 0")
	}
	if l.P50 < 0 || (l.P99 > 0 && l.P99 < l.P50) {
		return errors.New("need 0 <= p50 <= p99")
	}
	return nil
}
