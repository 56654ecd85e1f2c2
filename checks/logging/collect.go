package logging

import (
	"context"
	"fmt"
	"github.com/rampart-cspm/rampart"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	aatypes "github.com/aws/aws-sdk-go-v2/service/accessanalyzer/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	gdtypes "github.com/aws/aws-sdk-go-v2/service/guardduty/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"

	"github.com/rampart-cspm/rampart/checks"
	"github.com/rampart-cspm/rampart/checks/internal/modkit"
)

// State is the logging and detection view of one account and region.
// A nil *Err field means that part was collected.
type State struct {
	AccountID string `json:"account_id"`
	Region    string `json:"region"`
	// Anchor is set in the unit whose region is the home region: the
	// account-level CIS section 4 checks are evaluated there only.
	Anchor bool `json:"anchor"`

	Trails   []*Trail          `json:"trails"`
	TrailErr *modkit.AttrError `json:"trail_error,omitempty"`

	GuardDuty    *Detector         `json:"guardduty,omitempty"` // nil: no detector
	GuardDutyErr *modkit.AttrError `json:"guardduty_error,omitempty"`

	HubEnabled bool              `json:"hub_enabled"`
	HubAdmin   string            `json:"hub_admin,omitempty"`
	HubErr     *modkit.AttrError `json:"hub_error,omitempty"`

	Analyzers   []*Analyzer       `json:"analyzers"`
	AnalyzerErr *modkit.AttrError `json:"analyzer_error,omitempty"`

	LogGroups []*LogGroup       `json:"log_groups"`
	LogsErr   *modkit.AttrError `json:"logs_error,omitempty"`
	Alarms    []*Alarm          `json:"alarms"`
	AlarmsErr *modkit.AttrError `json:"alarms_error,omitempty"`

	// CIS is the monitoring evidence of the anchor unit.
	CIS *CISEvidence `json:"cis,omitempty"`
}

// Trail is one trail visible in the region. Owner is the account that owns
// it (the management account for an organization trail seen from a member).
type Trail struct {
	Name          string            `json:"name"`
	ARN           string            `json:"arn"`
	Owner         string            `json:"owner"`
	HomeRegion    string            `json:"home_region"`
	MultiRegion   bool              `json:"multi_region"`
	Organization  bool              `json:"organization"`
	LogValidation bool              `json:"log_validation"`
	KMSKey        string            `json:"kms_key,omitempty"`
	Bucket        string            `json:"bucket,omitempty"`
	LogGroupARN   string            `json:"log_group_arn,omitempty"`
	Insights      bool              `json:"insights"`
	Logging       bool              `json:"logging"`
	ManagementRW  string            `json:"management_rw,omitempty"` // "" = no management events
	S3DataRead    bool              `json:"s3_data_read"`
	S3DataWrite   bool              `json:"s3_data_write"`
	BucketPublic  *bool             `json:"bucket_public,omitempty"`
	BucketLogging *bool             `json:"bucket_logging,omitempty"`
	BucketErr     *modkit.AttrError `json:"bucket_error,omitempty"`
	StatusErr     *modkit.AttrError `json:"status_error,omitempty"`
	// SelectorsErr is set when GetEventSelectors failed: only the checks
	// that read ManagementRW or S3Data* cannot use the trail then.
	SelectorsErr *modkit.AttrError `json:"selectors_error,omitempty"`
}

// Detector is the region's GuardDuty detector.
type Detector struct {
	ID            string          `json:"id"`
	Enabled       bool            `json:"enabled"`
	Administrator string          `json:"administrator,omitempty"`
	Features      map[string]bool `json:"features"`
	HighFindings  int             `json:"high_findings"`
}

// Analyzer is one IAM Access Analyzer analyzer.
type Analyzer struct {
	Name           string            `json:"name"`
	ARN            string            `json:"arn"`
	Type           string            `json:"type"`
	Status         string            `json:"status"`
	ActiveFindings int               `json:"active_findings"`
	FindingsErr    *modkit.AttrError `json:"findings_error,omitempty"`
}

// LogGroup is one CloudWatch Logs log group.
type LogGroup struct {
	Name          string `json:"name"`
	ARN           string `json:"arn"`
	RetentionDays int32  `json:"retention_days"`
	KMSKey        string `json:"kms_key,omitempty"`
}

// Alarm is one CloudWatch metric alarm.
type Alarm struct {
	Name           string   `json:"name"`
	ARN            string   `json:"arn"`
	Metric         string   `json:"metric"`
	Namespace      string   `json:"namespace"`
	ActionsEnabled bool     `json:"actions_enabled"`
	AlarmActions   []string `json:"alarm_actions,omitempty"`
}

// CISEvidence is what the CIS section 4 checks need: the multi-region trail
// delivering to CloudWatch Logs, its metric filters and the alarms on their
// metrics.
type CISEvidence struct {
	// Trail is the multi-region, logging trail with a log group chosen as
	// the monitoring source; nil when there is none.
	Trail   *Trail          `json:"trail,omitempty"`
	Filters []MetricFilter  `json:"filters,omitempty"`
	Alarmed map[string]bool `json:"alarmed,omitempty"` // namespace/metric with an alarm that has actions
	// OrgCovered is set in a member account whose monitoring trail is the
	// organization trail of another account: the metric filters live on
	// its log group in that account and are evaluated there.
	OrgCovered bool              `json:"org_covered"`
	Err        *modkit.AttrError `json:"error,omitempty"`
}

// MetricFilter is one metric filter on the monitoring log group.
type MetricFilter struct {
	Name      string `json:"name"`
	Pattern   string `json:"pattern"`
	Metric    string `json:"metric"`
	Namespace string `json:"namespace"`
}

func homeRegion(env checks.Env) string {
	if env.HomeRegion != "" {
		return env.HomeRegion
	}
	return "us-east-1"
}

func collect(ctx context.Context, env checks.Env, clients func(string) Clients) *State {
	st := &State{AccountID: env.AccountID, Region: env.Region, Anchor: env.Region == homeRegion(env),
		Trails: []*Trail{}, Analyzers: []*Analyzer{}, LogGroups: []*LogGroup{}, Alarms: []*Alarm{}}
	c := clients(env.Region)
	attrErr := func(format string, err error) *modkit.AttrError {
		return modkit.NewAttrError(env, fmt.Errorf(format+" of %s in %s: %w", env.AccountID, env.Region, err))
	}
	collectTrails(ctx, env, c, st, attrErr)
	collectGuardDuty(ctx, c, st, attrErr)
	if _, err := c.Hub.DescribeHub(ctx, &securityhub.DescribeHubInput{}); err != nil {
		if !modkit.HasCode(err, "InvalidAccessException", "ResourceNotFoundException") {
			st.HubErr = attrErr("securityhub: describe hub", err)
		}
	} else {
		st.HubEnabled = true
		if a, err := c.Hub.GetAdministratorAccount(ctx, &securityhub.GetAdministratorAccountInput{}); err == nil && a.Administrator != nil {
			st.HubAdmin = aws.ToString(a.Administrator.AccountId)
		}
	}
	collectAnalyzers(ctx, c, st, attrErr)
	collectLogsAndAlarms(ctx, c, st, attrErr)
	if st.Anchor {
		st.CIS = collectCIS(ctx, env, clients, st, attrErr)
	}
	return st
}

func collectTrails(ctx context.Context, env checks.Env, c Clients, st *State, attrErr func(string, error) *modkit.AttrError) {
	out, err := c.Trail.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{IncludeShadowTrails: aws.Bool(true)})
	if err != nil {
		st.TrailErr = attrErr("cloudtrail: describe trails", err)
		return
	}
	for _, t := range out.TrailList {
		tr := &Trail{Name: aws.ToString(t.Name), ARN: aws.ToString(t.TrailARN), HomeRegion: aws.ToString(t.HomeRegion),
			MultiRegion: aws.ToBool(t.IsMultiRegionTrail), Organization: aws.ToBool(t.IsOrganizationTrail),
			LogValidation: aws.ToBool(t.LogFileValidationEnabled), KMSKey: aws.ToString(t.KmsKeyId), Bucket: aws.ToString(t.S3BucketName),
			LogGroupARN: aws.ToString(t.CloudWatchLogsLogGroupArn), Insights: aws.ToBool(t.HasInsightSelectors)}
		tr.Owner = arnAccount(tr.ARN)
		if s, err := c.Trail.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(tr.ARN)}); err != nil {
			tr.StatusErr = modkit.NewAttrError(env, fmt.Errorf("cloudtrail: get status of trail %s: %w", tr.ARN, err))
		} else {
			tr.Logging = aws.ToBool(s.IsLogging)
		}
		if sel, err := c.Trail.GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: aws.String(tr.ARN)}); err != nil {
			tr.SelectorsErr = modkit.NewAttrError(env, fmt.Errorf("cloudtrail: get event selectors of trail %s: %w", tr.ARN, err))
		} else {
			for _, s := range sel.EventSelectors {
				rw := string(s.ReadWriteType)
				if aws.ToBool(s.IncludeManagementEvents) {
					tr.ManagementRW = mergeRW(tr.ManagementRW, rw)
				}
				for _, d := range s.DataResources {
					if aws.ToString(d.Type) != "AWS::S3::Object" || !allBuckets(d.Values) {
						continue
					}
					tr.S3DataRead = tr.S3DataRead || rw == "All" || rw == "ReadOnly"
					tr.S3DataWrite = tr.S3DataWrite || rw == "All" || rw == "WriteOnly"
				}
			}
		}
		if tr.Owner == env.AccountID && tr.HomeRegion == env.Region && tr.Bucket != "" {
			inspectBucket(ctx, env, c.Bucket, tr)
		}
		st.Trails = append(st.Trails, tr)
	}
}

func mergeRW(a, b string) string {
	switch {
	case a == "" || a == b:
		return b
	}
	return "All"
}

func allBuckets(values []string) bool {
	for _, v := range values {
		if v == "arn:aws:s3" || v == "arn:aws:s3:::" {
			return true
		}
	}
	return false
}

func arnAccount(arn string) string {
	f := strings.SplitN(arn, ":", 6)
	if len(f) < 5 {
		return ""
	}
	return f[4]
}

func inspectBucket(ctx context.Context, env checks.Env, api BucketAPI, tr *Trail) {
	name := aws.String(tr.Bucket)
	fail := func(what string, err error) {
		tr.BucketErr = modkit.NewAttrError(env, fmt.Errorf("s3: get %s of trail bucket %s: %w", what, tr.Bucket, err))
	}
	blocked := false
	if p, err := api.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: name}); err == nil {
		if c := p.PublicAccessBlockConfiguration; c != nil {
			blocked = aws.ToBool(c.IgnorePublicAcls) && aws.ToBool(c.RestrictPublicBuckets)
		}
	} else if !modkit.HasCode(err, "NoSuchPublicAccessBlockConfiguration") {
		fail("public access block", err)
		return
	}
	public := false
	if s, err := api.GetBucketPolicyStatus(ctx, &s3.GetBucketPolicyStatusInput{Bucket: name}); err == nil {
		public = s.PolicyStatus != nil && aws.ToBool(s.PolicyStatus.IsPublic)
	} else if !modkit.HasCode(err, "NoSuchBucketPolicy") {
		fail("policy status", err)
		return
	}
	if acl, err := api.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: name}); err == nil {
		for _, g := range acl.Grants {
			if g.Grantee != nil && strings.HasSuffix(aws.ToString(g.Grantee.URI), "/global/AllUsers") ||
				g.Grantee != nil && strings.HasSuffix(aws.ToString(g.Grantee.URI), "/global/AuthenticatedUsers") {
				public = true
			}
		}
	} else {
		fail("ACL", err)
		return
	}
	public = public && !blocked
	tr.BucketPublic = &public
	if l, err := api.GetBucketLogging(ctx, &s3.GetBucketLoggingInput{Bucket: name}); err == nil {
		tr.BucketLogging = aws.Bool(l.LoggingEnabled != nil)
	} else {
		fail("logging", err)
	}
}

func collectGuardDuty(ctx context.Context, c Clients, st *State, attrErr func(string, error) *modkit.AttrError) {
	ids, err := c.Guard.ListDetectors(ctx, &guardduty.ListDetectorsInput{})
	if err != nil {
		st.GuardDutyErr = attrErr("guardduty: list detectors", err)
		return
	}
	if len(ids.DetectorIds) == 0 {
		return
	}
	id := ids.DetectorIds[0]
	d, err := c.Guard.GetDetector(ctx, &guardduty.GetDetectorInput{DetectorId: aws.String(id)})
	if err != nil {
		st.GuardDutyErr = attrErr("guardduty: get detector", err)
		return
	}
	det := &Detector{ID: id, Enabled: d.Status == gdtypes.DetectorStatusEnabled, Features: map[string]bool{}}
	for _, f := range d.Features {
		det.Features[string(f.Name)] = f.Status == gdtypes.FeatureStatusEnabled
	}
	if a, err := c.Guard.GetAdministratorAccount(ctx, &guardduty.GetAdministratorAccountInput{DetectorId: aws.String(id)}); err == nil && a.Administrator != nil {
		det.Administrator = aws.ToString(a.Administrator.AccountId)
	}
	if f, err := c.Guard.ListFindings(ctx, &guardduty.ListFindingsInput{DetectorId: aws.String(id),
		FindingCriteria: &gdtypes.FindingCriteria{Criterion: map[string]gdtypes.Condition{
			"severity":         {GreaterThanOrEqual: aws.Int64(7)},
			"service.archived": {Equals: []string{"false"}},
		}}}); err == nil {
		det.HighFindings = len(f.FindingIds)
	} else {
		st.GuardDutyErr = attrErr("guardduty: list findings", err)
	}
	st.GuardDuty = det
}

func collectAnalyzers(ctx context.Context, c Clients, st *State, attrErr func(string, error) *modkit.AttrError) {
	out, err := c.Analyzer.ListAnalyzers(ctx, &accessanalyzer.ListAnalyzersInput{})
	if err != nil {
		st.AnalyzerErr = attrErr("access-analyzer: list analyzers", err)
		return
	}
	for _, a := range out.Analyzers {
		an := &Analyzer{Name: aws.ToString(a.Name), ARN: aws.ToString(a.Arn), Type: string(a.Type), Status: string(a.Status)}
		if an.Status == "ACTIVE" {
			f, err := c.Analyzer.ListFindings(ctx, &accessanalyzer.ListFindingsInput{AnalyzerArn: a.Arn,
				Filter: map[string]aatypes.Criterion{"status": {Eq: []string{"ACTIVE"}}}})
			if err != nil {
				an.FindingsErr = attrErr("access-analyzer: list findings", err)
			} else {
				an.ActiveFindings = len(f.Findings)
			}
		}
		st.Analyzers = append(st.Analyzers, an)
	}
}

func collectLogsAndAlarms(ctx context.Context, c Clients, st *State, attrErr func(string, error) *modkit.AttrError) {
	in := &cloudwatchlogs.DescribeLogGroupsInput{}
	for {
		out, err := c.Logs.DescribeLogGroups(ctx, in)
		if err != nil {
			st.LogsErr = attrErr("logs: describe log groups", err)
			break
		}
		for _, g := range out.LogGroups {
			st.LogGroups = append(st.LogGroups, &LogGroup{Name: aws.ToString(g.LogGroupName), ARN: strings.TrimSuffix(aws.ToString(g.Arn), ":*"),
				RetentionDays: aws.ToInt32(g.RetentionInDays), KMSKey: aws.ToString(g.KmsKeyId)})
		}
		if aws.ToString(out.NextToken) == "" {
			break
		}
		in = &cloudwatchlogs.DescribeLogGroupsInput{NextToken: out.NextToken}
	}
	st.Alarms, st.AlarmsErr = alarms(ctx, c.Alarms, attrErr)
}

func alarms(ctx context.Context, api AlarmAPI, attrErr func(string, error) *modkit.AttrError) ([]*Alarm, *modkit.AttrError) {
	list := []*Alarm{}
	in := &cloudwatch.DescribeAlarmsInput{}
	for {
		out, err := api.DescribeAlarms(ctx, in)
		if err != nil {
			return list, attrErr("cloudwatch: describe alarms", err)
		}
		for _, a := range out.MetricAlarms {
			list = append(list, &Alarm{Name: aws.ToString(a.AlarmName), ARN: aws.ToString(a.AlarmArn), Metric: aws.ToString(a.MetricName),
				Namespace: aws.ToString(a.Namespace), ActionsEnabled: aws.ToBool(a.ActionsEnabled), AlarmActions: a.AlarmActions})
		}
		if aws.ToString(out.NextToken) == "" {
			return list, nil
		}
		in = &cloudwatch.DescribeAlarmsInput{NextToken: out.NextToken}
	}
}

// collectCIS picks the monitoring trail (multi-region, logging, management
// events, with a log group) and reads the metric filters of its log group and
// the alarms of the log group's region.
func collectCIS(ctx context.Context, env checks.Env, clients func(string) Clients, st *State, attrErr func(string, error) *modkit.AttrError) *CISEvidence {
	ev := &CISEvidence{Alarmed: map[string]bool{}}
	if st.TrailErr != nil {
		ev.Err = st.TrailErr
		return ev
	}
	for _, t := range st.Trails {
		if !t.MultiRegion || !t.Logging || t.ManagementRW != "All" || t.LogGroupARN == "" {
			continue
		}
		if ev.Trail == nil || (ev.Trail.Owner != env.AccountID && t.Owner == env.AccountID) {
			ev.Trail = t
		}
	}
	if ev.Trail == nil {
		return ev
	}
	if ev.Trail.Owner != env.AccountID {
		ev.OrgCovered = true
		return ev
	}
	// arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*
	f := strings.SplitN(ev.Trail.LogGroupARN, ":", 7)
	if len(f) < 7 {
		ev.Err = &modkit.AttrError{Class: "service_error", Message: "unexpected log group ARN " + ev.Trail.LogGroupARN}
		return ev
	}
	region, group := f[3], strings.TrimSuffix(f[6], ":*")
	c := clients(region)
	in := &cloudwatchlogs.DescribeMetricFiltersInput{LogGroupName: aws.String(group)}
	for {
		out, err := c.Logs.DescribeMetricFilters(ctx, in)
		if err != nil {
			ev.Err = attrErr("logs: describe metric filters", err)
			return ev
		}
		for _, m := range out.MetricFilters {
			for _, t := range m.MetricTransformations {
				ev.Filters = append(ev.Filters, MetricFilter{Name: aws.ToString(m.FilterName), Pattern: aws.ToString(m.FilterPattern),
					Metric: aws.ToString(t.MetricName), Namespace: aws.ToString(t.MetricNamespace)})
			}
		}
		if aws.ToString(out.NextToken) == "" {
			break
		}
		in = &cloudwatchlogs.DescribeMetricFiltersInput{LogGroupName: aws.String(group), NextToken: out.NextToken}
	}
	list := st.Alarms
	if region != env.Region {
		var e *modkit.AttrError
		if list, e = alarms(ctx, c.Alarms, attrErr); e != nil {
			ev.Err = e
			return ev
		}
	} else if st.AlarmsErr != nil {
		ev.Err = st.AlarmsErr
		return ev
	}
	for _, a := range list {
		if a.ActionsEnabled && len(a.AlarmActions) > 0 {
			ev.Alarmed[a.Namespace+"/"+a.Metric] = true
		}
	}
	return ev
}

// allFailed returns an error carrying the first part's class when every
// sub-service of the state (CloudTrail, GuardDuty, Security Hub, Access
// Analyzer, CloudWatch Logs) failed, and nil otherwise.
func (st *State) allFailed() error {
	parts := []*modkit.AttrError{st.TrailErr, st.GuardDutyErr, st.HubErr, st.AnalyzerErr, st.LogsErr}
	for _, p := range parts {
		if p == nil {
			return nil
		}
	}
	return &rampart.ClassifiedError{Class: parts[0].Class, Err: fmt.Errorf("logging: every sub-service failed; first: %s", parts[0].Message)}
}
