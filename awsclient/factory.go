package awsclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rampart-cspm/rampart"
)

// Defaults of Options.
const (
	DefaultHomeRegion = "us-east-1"

	// SessionName is the role session name of every AssumeRole Rampart
	// makes, so its sessions are easy to find in CloudTrail.
	SessionName = "rampart-audit"

	// sessionDuration is requested for assumed-role sessions. One hour is
	// the most role chaining allows and the default maximum of a role.
	sessionDuration = time.Hour
	// expiryWindow is how long before expiry cached credentials refresh.
	expiryWindow = 5 * time.Minute
)

// Options configure a Factory. Zero values select the documented defaults.
type Options struct {
	// EndpointURL, when set, sends every call to this endpoint (a simulator,
	// a VPC endpoint, a proxy), like AWS_ENDPOINT_URL. It also applies to the
	// calls credential providers make while Base loads a profile (STS for
	// role_arn profiles, SSO). When empty, the SDK's own handling of
	// AWS_ENDPOINT_URL and friends applies.
	EndpointURL string
	// SharedConfigFiles and SharedCredentialsFiles replace the default
	// ~/.aws/config and ~/.aws/credentials when set.
	SharedConfigFiles      []string
	SharedCredentialsFiles []string
	// HomeRegion is the region of global services (STS, Organizations,
	// IAM) and the default region. Default "us-east-1".
	HomeRegion string
	// MaxAttempts is the number of attempts per call, retries included.
	// Default 8.
	MaxAttempts int
	// MaxBackoff caps the delay between attempts. Default 20s.
	MaxBackoff time.Duration
	// HTTPClient, when set, sends every request.
	HTTPClient *http.Client
	// OnRetry, when set, is called before each retry with the SDK service
	// ID, the operation and the class of the error being retried. It must
	// be safe for concurrent use and must not block.
	OnRetry func(service, operation string, class rampart.ErrorClass)
	// RetryMode is RetryAdaptive (default), RetryStandard or
	// RetrySDKAdaptive; see ratelimit.go.
	RetryMode string
	// Limiters, with RetryAdaptive, are the client-side rate limiters to
	// share; nil makes new ones.
	Limiters *Limiters
}

// Factory makes the aws.Configs Rampart scans with: each carries the
// read-only guard, the retryer, the region and the endpoint override.
// A Factory is safe for concurrent use.
type Factory struct {
	opts      Options
	pathStyle bool
	partition string
	rand      func() float64 // backoff randomness; nil = math/rand/v2
	limiters  *Limiters      // RetryAdaptive only
	scopes    sync.Map       // credentials provider → rate-control scope
}

// NewFactory returns a Factory for opts, with defaults filled in.
func NewFactory(opts Options) *Factory {
	if opts.HomeRegion == "" {
		opts.HomeRegion = DefaultHomeRegion
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = DefaultMaxBackoff
	}
	opts.SharedConfigFiles = slices.Clone(opts.SharedConfigFiles)
	opts.SharedCredentialsFiles = slices.Clone(opts.SharedCredentialsFiles)
	if opts.RetryMode == "" {
		opts.RetryMode = RetryAdaptive
	}
	if opts.RetryMode == RetryAdaptive && opts.Limiters == nil {
		opts.Limiters = NewLimiters()
	}
	if opts.RetryMode != RetryAdaptive {
		opts.Limiters = nil
	}
	return &Factory{
		limiters:  opts.Limiters,
		opts:      opts,
		pathStyle: opts.EndpointURL != "" || os.Getenv("AWS_ENDPOINT_URL") != "" || os.Getenv("AWS_ENDPOINT_URL_S3") != "",
		partition: partitionOf(opts.HomeRegion),
	}
}

// HomeRegion returns the region of global services.
func (f *Factory) HomeRegion() string { return f.opts.HomeRegion }

// S3UsePathStyle reports whether S3 clients must use path-style addressing:
// true when a custom endpoint is configured (Options.EndpointURL, or the
// AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_S3 environment when the factory was
// made), since simulators and proxies do not serve virtual-hosted buckets.
func (f *Factory) S3UsePathStyle() bool { return f.pathStyle }

// Base loads a landing zone's source credentials: the shared-config profile
// named profile (SSO, assume-role and credential-process profiles included)
// or, when profile is "", the SDK's default chain (environment, shared
// files, web identity, container and instance roles). region "" means the
// home region. Base retrieves the credentials once so that a missing
// profile, an expired SSO session or an absent chain fails here; the error
// is a *rampart.ClassifiedError (usually credentials).
func (f *Factory) Base(ctx context.Context, profile, region string) (aws.Config, error) {
	if region == "" {
		region = f.opts.HomeRegion
	}
	// The guard is added after loading, not through config.WithAPIOptions:
	// credential providers built while loading (SSO token refresh calls
	// sso-oidc CreateToken) must keep working.
	load := []func(*config.LoadOptions) error{
		config.WithRegion(region),
		config.WithRetryer(f.newRetryer),
	}
	if profile != "" {
		load = append(load, config.WithSharedConfigProfile(profile))
	}
	if len(f.opts.SharedConfigFiles) > 0 {
		load = append(load, config.WithSharedConfigFiles(f.opts.SharedConfigFiles))
	}
	if len(f.opts.SharedCredentialsFiles) > 0 {
		load = append(load, config.WithSharedCredentialsFiles(f.opts.SharedCredentialsFiles))
	}
	if f.opts.HTTPClient != nil {
		load = append(load, config.WithHTTPClient(f.opts.HTTPClient))
	}
	if f.opts.EndpointURL != "" {
		load = append(load, config.WithBaseEndpoint(f.opts.EndpointURL))
	}
	cfg, err := config.LoadDefaultConfig(ctx, load...)
	if err != nil {
		return aws.Config{}, classifyBase(fmt.Errorf("awsclient: load config (profile %q): %w", profile, err))
	}
	f.harden(&cfg, region)
	if cfg.Credentials == nil {
		return aws.Config{}, &rampart.ClassifiedError{Class: rampart.ErrClassCredentials,
			Err: fmt.Errorf("awsclient: no credentials found (profile %q)", profile)}
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return aws.Config{}, classifyBase(fmt.Errorf("awsclient: retrieve credentials (profile %q): %w", profile, err))
	}
	f.setScope(&cfg, baseScope(profile), true)
	return cfg, nil
}

// classifyBase classifies an error of loading source credentials: a
// timeout, throttling or service failure keeps its class; anything else is
// a credentials problem.
func classifyBase(err error) error {
	class := Classify(err)
	switch class {
	case rampart.ErrClassTimeout, rampart.ErrClassThrottling, rampart.ErrClassServiceError:
	default:
		if !errors.Is(err, context.Canceled) {
			class = rampart.ErrClassCredentials
		}
	}
	return &rampart.ClassifiedError{Class: class, Err: err}
}

// ForAccount returns a config for the member account's audit role in
// region ("" = home region). Credentials come from sts:AssumeRole (made
// with base's credentials against STS in the home region) of roleName in
// accountID, with externalID when it is not "", session name SessionName
// and a one-hour session; they are cached and refreshed five minutes before
// expiry. roleName may be a name, a path and name ("audit/Role") or a full
// role ARN. Nothing is called until the config is used; a role that cannot
// be assumed then fails the call with an error Classify reports as
// credentials.
func (f *Factory) ForAccount(base aws.Config, accountID, roleName, externalID, region string) aws.Config {
	if region == "" {
		region = f.opts.HomeRegion
	}
	stsCfg := base.Copy()
	f.harden(&stsCfg, f.opts.HomeRegion)
	f.setScope(&stsCfg, f.scopeOf(base), false) // credential vending is the landing zone's shared quota
	provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(stsCfg), f.RoleARN(accountID, roleName),
		func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = SessionName
			o.Duration = sessionDuration
			if externalID != "" {
				o.ExternalID = aws.String(externalID)
			}
		})
	cfg := base.Copy()
	f.harden(&cfg, region)
	cache := aws.NewCredentialsCache(provider, func(o *aws.CredentialsCacheOptions) {
		o.ExpiryWindow = expiryWindow
	})
	cfg.Credentials = cache
	cfg.Retryer = func() aws.Retryer {
		return refreshRetryer{RetryerV2: f.newRetryer().(aws.RetryerV2), invalidate: cache.Invalidate}
	}
	f.setScope(&cfg, "acct:"+accountID, false)
	return cfg
}

// RoleARN returns the ARN of roleName in accountID, in the partition of the
// home region. A roleName that is already an ARN is returned unchanged.
func (f *Factory) RoleARN(accountID, roleName string) string {
	if strings.HasPrefix(roleName, "arn:") {
		return roleName
	}
	return fmt.Sprintf("arn:%s:iam::%s:role/%s", f.partition, accountID, strings.TrimPrefix(roleName, "/"))
}

// harden gives cfg the guard, the retryer, the endpoint, the HTTP client
// and region. It is idempotent: the guard is installed once per stack.
func (f *Factory) harden(cfg *aws.Config, region string) {
	cfg.Region = region
	cfg.Retryer = f.newRetryer
	cfg.RetryMaxAttempts = 0 // the retryer decides
	if f.opts.EndpointURL != "" {
		cfg.BaseEndpoint = aws.String(f.opts.EndpointURL)
	}
	if f.opts.HTTPClient != nil {
		cfg.HTTPClient = f.opts.HTTPClient
	}
	// Clone: configs copied from one base must not share a backing array.
	cfg.APIOptions = append(slices.Clone(cfg.APIOptions), ReadOnlyGuard)
}

// partitionOf returns the AWS partition of region.
func partitionOf(region string) string {
	switch {
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	case strings.HasPrefix(region, "eu-isoe-"):
		return "aws-iso-e"
	case strings.HasPrefix(region, "us-isof-"):
		return "aws-iso-f"
	}
	return "aws"
}
