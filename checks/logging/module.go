// Package logging is Rampart's logging-and-detection scanner module:
// CloudTrail trails (with their S3 buckets), GuardDuty, Security Hub, IAM
// Access Analyzer, CloudWatch Logs log groups, CloudWatch alarms and the CIS
// section 4 metric filters and alarms. It runs once per account and region.
//
// It is landing-zone aware from the member side: an organization trail of
// the management account is visible in every member account
// (DescribeTrails with shadow trails) and satisfies the account-level trail
// controls there; a GuardDuty detector or Security Hub hub managed by a
// delegated administrator (GetAdministratorAccount) is reported as centrally
// managed. Each such finding names the mechanism that satisfied it.
//
// Each sub-service is collected independently: a service whose API fails
// (access denied, not supported) makes only its own checks NOT_EVALUATED.
package logging

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"

	"github.com/rampart-cspm/rampart/checks"
	"github.com/rampart-cspm/rampart/checks/internal/modkit"
)

// Name is the module's name and the service of its findings.
const Name = "logging"

// TrailAPI is the part of the CloudTrail client the collector calls.
type TrailAPI interface {
	DescribeTrails(ctx context.Context, in *cloudtrail.DescribeTrailsInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.DescribeTrailsOutput, error)
	GetTrailStatus(ctx context.Context, in *cloudtrail.GetTrailStatusInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.GetTrailStatusOutput, error)
	GetEventSelectors(ctx context.Context, in *cloudtrail.GetEventSelectorsInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.GetEventSelectorsOutput, error)
}

// BucketAPI is the part of the S3 client used on trail buckets.
type BucketAPI interface {
	GetBucketPolicyStatus(ctx context.Context, in *s3.GetBucketPolicyStatusInput, optFns ...func(*s3.Options)) (*s3.GetBucketPolicyStatusOutput, error)
	GetBucketAcl(ctx context.Context, in *s3.GetBucketAclInput, optFns ...func(*s3.Options)) (*s3.GetBucketAclOutput, error)
	GetPublicAccessBlock(ctx context.Context, in *s3.GetPublicAccessBlockInput, optFns ...func(*s3.Options)) (*s3.GetPublicAccessBlockOutput, error)
	GetBucketLogging(ctx context.Context, in *s3.GetBucketLoggingInput, optFns ...func(*s3.Options)) (*s3.GetBucketLoggingOutput, error)
}

// GuardDutyAPI is the part of the GuardDuty client the collector calls.
type GuardDutyAPI interface {
	ListDetectors(ctx context.Context, in *guardduty.ListDetectorsInput, optFns ...func(*guardduty.Options)) (*guardduty.ListDetectorsOutput, error)
	GetDetector(ctx context.Context, in *guardduty.GetDetectorInput, optFns ...func(*guardduty.Options)) (*guardduty.GetDetectorOutput, error)
	GetAdministratorAccount(ctx context.Context, in *guardduty.GetAdministratorAccountInput, optFns ...func(*guardduty.Options)) (*guardduty.GetAdministratorAccountOutput, error)
	ListFindings(ctx context.Context, in *guardduty.ListFindingsInput, optFns ...func(*guardduty.Options)) (*guardduty.ListFindingsOutput, error)
}

// HubAPI is the part of the Security Hub client the collector calls.
type HubAPI interface {
	DescribeHub(ctx context.Context, in *securityhub.DescribeHubInput, optFns ...func(*securityhub.Options)) (*securityhub.DescribeHubOutput, error)
	GetAdministratorAccount(ctx context.Context, in *securityhub.GetAdministratorAccountInput, optFns ...func(*securityhub.Options)) (*securityhub.GetAdministratorAccountOutput, error)
}

// AnalyzerAPI is the part of the IAM Access Analyzer client the collector calls.
type AnalyzerAPI interface {
	ListAnalyzers(ctx context.Context, in *accessanalyzer.ListAnalyzersInput, optFns ...func(*accessanalyzer.Options)) (*accessanalyzer.ListAnalyzersOutput, error)
	ListFindings(ctx context.Context, in *accessanalyzer.ListFindingsInput, optFns ...func(*accessanalyzer.Options)) (*accessanalyzer.ListFindingsOutput, error)
}

// LogsAPI is the part of the CloudWatch Logs client the collector calls.
type LogsAPI interface {
	DescribeLogGroups(ctx context.Context, in *cloudwatchlogs.DescribeLogGroupsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogGroupsOutput, error)
	DescribeMetricFilters(ctx context.Context, in *cloudwatchlogs.DescribeMetricFiltersInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeMetricFiltersOutput, error)
}

// AlarmAPI is the part of the CloudWatch client the collector calls.
type AlarmAPI interface {
	DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
}

// Clients are the SDK clients of one region.
type Clients struct {
	Trail    TrailAPI
	Bucket   BucketAPI
	Guard    GuardDutyAPI
	Hub      HubAPI
	Analyzer AnalyzerAPI
	Logs     LogsAPI
	Alarms   AlarmAPI
}

// Module is the logging scanner module.
type Module struct{ *modkit.Std[*State] }

// Option configures the module.
type Option func(*options)

type options struct {
	clients func(env checks.Env) func(region string) Clients
}

// WithClients makes the module call fn(region) instead of SDK clients.
func WithClients(fn func(region string) Clients) Option {
	return func(o *options) { o.clients = func(checks.Env) func(string) Clients { return fn } }
}

func sdkClients(env checks.Env) func(region string) Clients {
	return func(region string) Clients {
		cfg := env.Config.Copy()
		if region != "" {
			cfg.Region = region
		}
		return Clients{
			Trail:    cloudtrail.NewFromConfig(cfg),
			Bucket:   s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = env.S3UsePathStyle }),
			Guard:    guardduty.NewFromConfig(cfg),
			Hub:      securityhub.NewFromConfig(cfg),
			Analyzer: accessanalyzer.NewFromConfig(cfg),
			Logs:     cloudwatchlogs.NewFromConfig(cfg),
			Alarms:   cloudwatch.NewFromConfig(cfg),
		}
	}
}

// New returns the logging and detection module.
func New(opts ...Option) checks.Module {
	o := options{clients: sdkClients}
	for _, f := range opts {
		f(&o)
	}
	return &Module{&modkit.Std[*State]{ModName: Name, ModScope: checks.ScopeRegional, List: Checks,
		Collect: func(ctx context.Context, env checks.Env) (*State, error) {
			st := collect(ctx, env, o.clients(env))
			// When every sub-service failed, nothing was collected: the
			// module fails as a whole (every check NOT_EVALUATED).
			if e := st.allFailed(); e != nil {
				return nil, e
			}
			return st, nil
		}}}
}
