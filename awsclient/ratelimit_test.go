package awsclient

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/rampart-cspm/rampart/awssim"
)

// fakeClock is an injected clock: the limiter tests never sleep.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// serverBucket is the server side of the simulation: AWS's token bucket.
type serverBucket struct {
	burst, rate, tokens float64
	last                time.Time
}

func (b *serverBucket) take(now time.Time) bool {
	b.tokens = math.Min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func TestLimiterBucket(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := NewLimiter(Prior{Burst: 3, Rate: 2}, clock.Now)
	var waits []time.Duration
	for i := 0; i < 5; i++ {
		waits = append(waits, l.Reserve())
	}
	want := []time.Duration{0, 0, 0, 500 * time.Millisecond, time.Second}
	for i := range want {
		if waits[i] != want[i] {
			t.Fatalf("reservations on a 3-token bucket at 2/s: waits %v, want %v", waits, want)
		}
	}
	clock.Advance(time.Second) // pays back the two borrowed tokens
	if d := l.Reserve(); d != 500*time.Millisecond {
		t.Errorf("after 1s: wait %v, want 500ms", d)
	}
}

func TestLimiterWaitRespectsDeadline(t *testing.T) {
	l := NewLimiter(Prior{Burst: 1, Rate: 0.5}, nil)
	if err := l.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := l.Wait(ctx) // needs 2s: refused at once
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("wait past the deadline: %v, want DeadlineExceeded", err)
	}
	if Classify(err) != "timeout" {
		t.Errorf("class %s, want timeout", Classify(err))
	}
}

func TestLimiterDecreasesOnThrottleOncePerCooldown(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := NewLimiter(Prior{Burst: 10, Rate: 40}, clock.Now)
	l.OnThrottle()
	r1 := l.Rate()
	if r1 != 20 {
		t.Fatalf("first throttle with nothing accepted: rate %v, want halved to 20", r1)
	}
	l.OnThrottle() // same instant: one overshoot, one decrease
	if l.Rate() != r1 {
		t.Errorf("second throttle within the cooldown lowered the rate to %v", l.Rate())
	}
	if l.Throttles() != 2 {
		t.Errorf("throttles %d, want 2", l.Throttles())
	}
	if d := l.Reserve(); d <= 0 {
		t.Error("after a throttle the bucket must be empty")
	}
}

// TestLimiterConverges runs a client with unbounded demand against a server
// token bucket ten times smaller than the prior, on the injected clock: the
// limiter must settle near the server's refill rate, keep throttles rare
// and lose little throughput.
func TestLimiterConverges(t *testing.T) {
	for _, tc := range []struct {
		name         string
		prior        Prior
		burst, rate  float64
		latency      time.Duration
		wantMinRatio float64
	}{
		{"prior 10x too high", Prior{100, 20}, 10, 2, 20 * time.Millisecond, 0.9},
		{"prior matches", Prior{20, 10}, 20, 10, 20 * time.Millisecond, 0.93},
		{"prior too low", Prior{5, 2}, 20, 10, 20 * time.Millisecond, 0.85},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			l := NewLimiter(tc.prior, clock.Now)
			srv := &serverBucket{burst: tc.burst, rate: tc.rate, tokens: tc.burst, last: clock.Now()}
			start := clock.Now()
			var ok, thr, okLate, thrLate int
			for clock.Now().Sub(start) < 120*time.Second {
				clock.Advance(l.Reserve())
				late := clock.Now().Sub(start) >= 60*time.Second
				if srv.take(clock.Now()) {
					l.OnSuccess()
					ok++
					if late {
						okLate++
					}
				} else {
					l.OnThrottle()
					thr++
					if late {
						thrLate++
					}
				}
				clock.Advance(tc.latency)
			}
			// Over the last minute the server can accept rate×60 calls.
			ratio := float64(okLate) / (tc.rate * 60)
			if ratio < tc.wantMinRatio || ratio > 1.05 {
				t.Errorf("steady state: %d calls accepted in 60s = %.2f of the quota, want >= %.2f", okLate, ratio, tc.wantMinRatio)
			}
			if frac := float64(thrLate) / float64(okLate+thrLate); frac > 0.15 {
				t.Errorf("steady state: %.0f%% of calls throttled, want <= 15%%", frac*100)
			}
			if r := l.Rate(); r < 0.7*tc.rate || r > 1.3*tc.rate {
				t.Errorf("learned rate %.2f/s, server refills %.2f/s", r, tc.rate)
			}
			t.Logf("accepted %d, throttled %d; last minute %.2f of quota; rate %.2f", ok, thr, ratio, l.Rate())
		})
	}
}

// TestLimiterSequentialClientNearBound runs a scanner's usual caller, one
// call at a time, against a service token bucket on the injected clock,
// for a fixed number of calls: how long it takes over the quota bound
// (calls - burst) / rate. The first case is rampart bench scan's IAM phase
// of one account.
func TestLimiterSequentialClientNearBound(t *testing.T) {
	for _, tc := range []struct {
		name        string
		prior       Prior
		burst, rate float64
		calls       int
		maxRatio    float64
	}{
		{"bench scan IAM: prior 2x the quota", Prior{20, 10}, 10, 4, 40, 1.05},
		{"long phase", Prior{20, 10}, 10, 4, 188, 1.02},
		{"prior 10x the quota", Prior{100, 20}, 10, 2, 100, 1.02},
		{"prior below the quota", Prior{5, 2}, 20, 10, 200, 1.10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ratios []float64
			throttles := 0
			for seed := range uint64(50) {
				rng := rand.New(rand.NewPCG(seed, 7))
				clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
				l := NewLimiter(tc.prior, clock.Now)
				srv := &serverBucket{burst: tc.burst, rate: tc.rate, tokens: tc.burst, last: clock.Now()}
				start := clock.Now()
				oneWay := func() time.Duration { return time.Duration(2+rng.IntN(4)) * time.Millisecond }
				for done := 0; done < tc.calls; {
					clock.Advance(l.Reserve())
					clock.Advance(oneWay())
					ok := srv.take(clock.Now())
					clock.Advance(oneWay())
					if !ok {
						l.OnThrottle()
						throttles++
						clock.Advance(time.Duration(25+rng.IntN(25)) * time.Millisecond) // the retryer's throttle backoff
						continue
					}
					l.OnSuccess()
					done++
				}
				bound := (float64(tc.calls) - tc.burst) / tc.rate
				ratios = append(ratios, clock.Now().Sub(start).Seconds()/bound)
			}
			slices.Sort(ratios)
			med, worst := ratios[len(ratios)/2], ratios[len(ratios)-1]
			if worst > tc.maxRatio {
				t.Errorf("makespan / quota bound: median %.3f, worst %.3f; want <= %.2f", med, worst, tc.maxRatio)
			}
			if per := float64(throttles) / 50; per > float64(tc.calls)/2 {
				t.Errorf("%.1f throttles per run of %d calls", per, tc.calls)
			}
			t.Logf("makespan / bound: median %.3f, worst %.3f; %.1f throttles per run", med, worst, float64(throttles)/50)
		})
	}
}

// Between two throttles the service refilled what it accepted: the
// limiter drops to that rate (rounded up by one call), not below it, even
// far under its prior.
func TestLimiterDropsToTheRateBetweenThrottles(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := NewLimiter(Prior{Burst: 100, Rate: 100}, clock.Now)
	l.OnThrottle()
	for range 10 { // 10 calls accepted over 2 s: the service refills 5/s
		clock.Advance(200 * time.Millisecond)
		l.OnSuccess()
	}
	l.OnThrottle()
	if got, want := l.Rate(), 11.0/2; math.Abs(got-want) > 0.01 {
		t.Errorf("rate after throttles 2 s apart with 10 calls accepted between: %.2f, want %.2f", got, want)
	}
}

func TestFamilyOfAndScopes(t *testing.T) {
	for _, tc := range []struct{ svc, op, want string }{
		{"EC2", "DescribeSecurityGroups", "ec2"},
		{"IAM", "ListUsers", "iam"},
		{"STS", "AssumeRole", "sts:AssumeRole"},
		{"Lambda", "GetFunction", "lambda:GetFunction"},
		{"Lambda", "ListFunctions", "lambda"},
		{"CloudTrail", "LookupEvents", "cloudtrail:LookupEvents"},
		{"KMS", "ListKeys", "kms:ListKeys"},
	} {
		if got := FamilyOf(tc.svc, tc.op); got != tc.want {
			t.Errorf("FamilyOf(%s, %s) = %s, want %s", tc.svc, tc.op, got, tc.want)
		}
	}
	ls := NewLimiters()
	if ls.Get("acct:1", "us-east-1", "ec2") == ls.Get("acct:1", "eu-west-1", "ec2") {
		t.Error("EC2 limiters must be per region")
	}
	if ls.Get("acct:1", "us-east-1", "iam") != ls.Get("acct:1", "eu-west-1", "iam") {
		t.Error("IAM is global: one limiter per account")
	}
	if ls.Get("acct:1", "us-east-1", "iam") == ls.Get("acct:2", "us-east-1", "iam") {
		t.Error("limiters must be per account")
	}
	ls.Get("lz:p", "us-east-1", "sts:AssumeRole").OnThrottle()
	ls.Get("acct:1", "us-east-1", "iam").OnThrottle()
	if n := ls.Throttles("lz:p"); n != 1 {
		t.Errorf("shared throttles of lz:p = %d, want 1", n)
	}
}

// TestAdaptiveModeAgainstSimulatorQuota: a burst of IAM calls far beyond
// the simulated account's quota all succeed in adaptive mode, the
// simulator counts the throttles it answered, and the limiter learned a
// lower rate than its prior.
func TestAdaptiveModeAgainstSimulatorQuota(t *testing.T) {
	estate := awssim.DemoEstate()
	estate.Quotas = &awssim.Quotas{Buckets: map[string]awssim.TokenBucket{"iam": {Burst: 3, Rate: 8}}}
	sim, f, base := retailFactory(t, estate, 8)
	cfg := f.ForAccount(base, "111100000003", "RampartAudit", "rampart-retail", "")
	client := iam.NewFromConfig(cfg)
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				if _, err := client.GetAccountSummary(context.Background(), &iam.GetAccountSummaryInput{}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("call failed: %v", err)
	}
	throttled := 0
	for _, c := range sim.Calls() {
		if c.ErrorCode == "Throttling" {
			throttled++
		}
	}
	l := f.Limiters().Get("acct:111100000003", "us-east-1", "iam")
	if l.Throttles() != uint64(throttled) {
		t.Errorf("limiter saw %d throttles, simulator answered %d", l.Throttles(), throttled)
	}
	if throttled > 0 && l.Rate() >= Priors["iam"].Rate {
		t.Errorf("rate %.1f after %d throttles: did not learn", l.Rate(), throttled)
	}
}

// An answer that is an error but not a throttle (here NoSuchEntity) took a
// token of the service's quota: the limiter counts it as accepted.
func TestLimiterCountsErrorAnswersAsAccepted(t *testing.T) {
	_, f, base := retailFactory(t, awssim.DemoEstate(), 1)
	client := iam.NewFromConfig(f.ForAccount(base, "111100000004", "RampartAudit", "rampart-retail", ""))
	for range 3 {
		_, err := client.GetLoginProfile(context.Background(), &iam.GetLoginProfileInput{UserName: aws.String("deploy-bot")})
		if err == nil {
			t.Fatal("deploy-bot has no login profile: want NoSuchEntity")
		}
	}
	if _, err := client.GetAccountSummary(context.Background(), &iam.GetAccountSummaryInput{}); err != nil {
		t.Fatal(err)
	}
	l := f.Limiters().Get("acct:111100000004", "us-east-1", "iam")
	if got := l.Accepted(); got != 4 {
		t.Errorf("limiter counted %d accepted calls, want 4 (3 NoSuchEntity answers and a success)", got)
	}
}

// retailFactory starts a simulator of estate and returns it with a Factory
// whose base config holds the retail management account's credentials.
func retailFactory(t *testing.T, estate *awssim.Estate, maxAttempts int) (*awssim.Server, *Factory, aws.Config) {
	t.Helper()
	isolateEnv(t)
	sim := awssim.New(estate, awssim.Options{})
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIARETAILMGMT000001")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "retail-demo-secret")
	f := NewFactory(Options{EndpointURL: url, MaxAttempts: maxAttempts})
	base, err := f.Base(context.Background(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	return sim, f, base
}
