package logging

import (
	"fmt"
	"strings"

	"github.com/rampart-cspm/rampart/checks"
	"github.com/rampart-cspm/rampart/checks/internal/modkit"
)

const (
	ctDocs = "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/"
	gdDocs = "https://docs.aws.amazon.com/guardduty/latest/ug/"
	cwDocs = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/"
)

func meta(m checks.Meta) checks.Meta { return modkit.Meta(Name, m) }

func acctResult(st *State, kind string) checks.Result {
	return checks.Result{ResourceID: "arn:aws:" + kind + ":" + st.Region + ":" + st.AccountID + ":account", ResourceName: kind + " " + st.Region}
}

func notEval(r checks.Result, what string, e *modkit.AttrError) []checks.Result {
	return []checks.Result{modkit.NotEvaluated(r, what, e)}
}

// regionTrail is a per-region check over the trails visible in the region:
// the first trail satisfying ok passes the region; an organization trail of
// another account says so. When no trail passes and one could not be read
// (its status, or its event selectors when selectors is set), the region is
// NOT_EVALUATED with that error, never a FAIL on what could not be seen.
func regionTrail(m checks.Meta, selectors bool, ok func(t *Trail) bool, good, bad string) checks.Check[*State] {
	return checks.Check[*State]{Meta: meta(m), Eval: func(st *State) []checks.Result {
		r := acctResult(st, "cloudtrail")
		if st.TrailErr != nil {
			return notEval(r, "trails", st.TrailErr)
		}
		var unread *Trail
		var unreadErr *modkit.AttrError
		for _, t := range st.Trails {
			err := t.StatusErr
			if err == nil && selectors {
				err = t.SelectorsErr
			}
			if err != nil {
				if unread == nil {
					unread, unreadErr = t, err
				}
				continue
			}
			if ok(t) {
				if t.Organization && t.Owner != st.AccountID {
					return []checks.Result{modkit.Pass(r, "Satisfied by the organization trail %s of management account %s (landing zone mechanism): %s",
						t.Name, t.Owner, fmt.Sprintf(good, t.Name))}
				}
				return []checks.Result{modkit.Pass(r, good, t.Name)}
			}
		}
		if unread != nil {
			return notEval(r, "trail "+unread.Name, unreadErr)
		}
		return []checks.Result{modkit.FailR(r, bad, st.Region)}
	}}
}

// ownTrail is a per-trail check on the trails the account owns, evaluated in
// their home region (organization trails are evaluated in their owner).
func ownTrail(m checks.Meta, needsBucket bool, eval func(t *Trail) (bool, string)) checks.Check[*State] {
	return checks.Check[*State]{Meta: meta(m), Eval: func(st *State) []checks.Result {
		var out []checks.Result
		for _, t := range st.Trails {
			if t.Owner != st.AccountID || t.HomeRegion != st.Region {
				continue
			}
			r := checks.Result{ResourceID: t.ARN, ResourceName: t.Name}
			if needsBucket && t.BucketErr != nil {
				out = append(out, modkit.NotEvaluated(r, "trail bucket", t.BucketErr))
				continue
			}
			if needsBucket && t.BucketPublic == nil {
				continue
			}
			ok, msg := eval(t)
			out = append(out, modkit.Verdict(r, ok, msg, msg))
		}
		return out
	}}
}

// detector is a check on the region's enabled GuardDuty detector.
func detector(m checks.Meta, eval func(st *State, d *Detector) (bool, string)) checks.Check[*State] {
	return checks.Check[*State]{Meta: meta(m), Eval: func(st *State) []checks.Result {
		d := st.GuardDuty
		if d == nil || !d.Enabled {
			if st.GuardDutyErr != nil {
				return notEval(acctResult(st, "guardduty"), "GuardDuty detector", st.GuardDutyErr)
			}
			return nil
		}
		r := checks.Result{ResourceID: "arn:aws:guardduty:" + st.Region + ":" + st.AccountID + ":detector/" + d.ID, ResourceName: d.ID}
		ok, msg := eval(st, d)
		return []checks.Result{modkit.Verdict(r, ok, msg, msg)}
	}}
}

func feature(id, name, title, what, url string) checks.Check[*State] {
	return detector(checks.Meta{ID: id, Title: title,
		Description:    "Passes an enabled GuardDuty detector with " + what + " turned on.",
		Risk:           "Threats in " + what + " go undetected.",
		Remediation:    "Enable " + what + " on the detector (or through the delegated administrator's auto-enable for the organization).",
		RemediationURL: gdDocs + url, Categories: []string{"threat-detection"}},
		func(st *State, d *Detector) (bool, string) {
			if d.Features[name] {
				return true, fmt.Sprintf("GuardDuty %s is enabled in %s.", what, st.Region)
			}
			return false, fmt.Sprintf("GuardDuty %s is not enabled in %s.", what, st.Region)
		})
}

// cis is one CIS section 4 monitoring control: a metric filter whose pattern
// contains every token, with an alarm that has actions on its metric.
type cis struct {
	id, req, what string
	tokens        []string
}

var cisControls = []cis{
	{"cloudwatch_log_metric_filter_unauthorized_api_calls", "4.1", "unauthorized API calls", []string{`$.errorCode="*UnauthorizedOperation"`, `$.errorCode="AccessDenied*"`}},
	{"cloudwatch_log_metric_filter_sign_in_without_mfa", "4.2", "console sign-in without MFA", []string{`$.eventName="ConsoleLogin"`, `$.additionalEventData.MFAUsed!="Yes"`}},
	{"cloudwatch_log_metric_filter_root_usage", "4.3", "use of the root user", []string{`$.userIdentity.type="Root"`, `$.userIdentity.invokedBy NOT EXISTS`, `$.eventType!="AwsServiceEvent"`}},
	{"cloudwatch_log_metric_filter_policy_changes", "4.4", "IAM policy changes", []string{"DeleteRolePolicy", "PutUserPolicy", "CreatePolicyVersion", "AttachRolePolicy", "DetachUserPolicy"}},
	{"cloudwatch_log_metric_filter_and_alarm_for_cloudtrail_configuration_changes_enabled", "4.5", "CloudTrail configuration changes", []string{"CreateTrail", "UpdateTrail", "DeleteTrail", "StopLogging"}},
	{"cloudwatch_log_metric_filter_authentication_failures", "4.6", "console authentication failures", []string{`$.eventName=ConsoleLogin`, `$.errorMessage="Failed authentication"`}},
	{"cloudwatch_log_metric_filter_disable_or_scheduled_deletion_of_kms_cmk", "4.7", "disabling or scheduled deletion of KMS keys", []string{"kms.amazonaws.com", "DisableKey", "ScheduleKeyDeletion"}},
	{"cloudwatch_log_metric_filter_for_s3_bucket_policy_changes", "4.8", "S3 bucket policy changes", []string{"s3.amazonaws.com", "PutBucketPolicy", "DeleteBucketPolicy", "PutBucketAcl"}},
	{"cloudwatch_log_metric_filter_and_alarm_for_aws_config_configuration_changes_enabled", "4.9", "AWS Config configuration changes", []string{"config.amazonaws.com", "StopConfigurationRecorder", "DeleteDeliveryChannel"}},
	{"cloudwatch_log_metric_filter_security_group_changes", "4.10", "security group changes", []string{"AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress", "CreateSecurityGroup", "DeleteSecurityGroup"}},
	{"cloudwatch_changes_to_network_acls_alarm_configured", "4.11", "network ACL changes", []string{"CreateNetworkAcl", "CreateNetworkAclEntry", "DeleteNetworkAcl", "ReplaceNetworkAclAssociation"}},
	{"cloudwatch_changes_to_network_gateways_alarm_configured", "4.12", "network gateway changes", []string{"CreateCustomerGateway", "AttachInternetGateway", "DeleteInternetGateway", "DetachInternetGateway"}},
	{"cloudwatch_changes_to_network_route_tables_alarm_configured", "4.13", "route table changes", []string{"CreateRoute", "CreateRouteTable", "ReplaceRoute", "DeleteRouteTable"}},
	{"cloudwatch_changes_to_vpcs_alarm_configured", "4.14", "VPC changes", []string{"CreateVpc", "DeleteVpc", "ModifyVpcAttribute", "CreateVpcPeeringConnection"}},
	{"cloudwatch_log_metric_filter_aws_organizations_changes", "4.15", "AWS Organizations changes", []string{"organizations.amazonaws.com", "CreateAccount", "LeaveOrganization", "AttachPolicy"}},
}

func squash(s string) string {
	return strings.ToLower(strings.NewReplacer(" ", "", "\t", "", "\n", "", `"`, "", "'", "").Replace(s))
}

// Matches reports whether pattern covers every token of c.
func (c cis) Matches(pattern string) bool {
	p := squash(pattern)
	for _, t := range c.tokens {
		if !strings.Contains(p, squash(t)) {
			return false
		}
	}
	return true
}

func (c cis) check() checks.Check[*State] {
	return checks.Check[*State]{Meta: meta(checks.Meta{ID: c.id,
		Title:          "CloudWatch alarms on " + c.what,
		Description:    "CIS " + c.req + ": passes when the multi-region trail delivering to CloudWatch Logs has a metric filter for " + c.what + " and an alarm with actions on its metric. Evaluated once per account, in the home region.",
		Risk:           "Nobody is told when " + c.what + " happen, so abuse or mistakes go unnoticed until much later.",
		Remediation:    "Create a metric filter for " + c.what + " on the trail's log group, an alarm on its metric, and subscribe the security team to the alarm's SNS topic.",
		RemediationURL: cwDocs + "CloudWatch-Alarms-for-CloudTrail.html", Categories: []string{"logging", "threat-detection"}}),
		Eval: func(st *State) []checks.Result {
			if !st.Anchor || st.CIS == nil {
				return nil
			}
			r := acctResult(st, "cloudwatch")
			ev := st.CIS
			switch {
			case ev.Err != nil:
				return notEval(r, "monitoring trail, metric filters and alarms", ev.Err)
			case ev.Trail == nil:
				return []checks.Result{modkit.FailR(r, "No multi-region trail logging management events delivers to CloudWatch Logs, so %s are not monitored.", c.what)}
			case ev.OrgCovered:
				return []checks.Result{modkit.Pass(r, "Satisfied by the organization trail %s of management account %s (landing zone mechanism): its log group and the alarm on %s are evaluated in that account.", ev.Trail.Name, ev.Trail.Owner, c.what)}
			}
			for _, f := range ev.Filters {
				if c.Matches(f.Pattern) && ev.Alarmed[f.Namespace+"/"+f.Metric] {
					return []checks.Result{modkit.Pass(r, "Metric filter %s on trail %s's log group feeds an alarm with actions for %s.", f.Name, ev.Trail.Name, c.what)}
				}
			}
			for _, f := range ev.Filters {
				if c.Matches(f.Pattern) {
					return []checks.Result{modkit.FailR(r, "Metric filter %s matches %s but no alarm with actions watches metric %s/%s.", f.Name, c.what, f.Namespace, f.Metric)}
				}
			}
			return []checks.Result{modkit.FailR(r, "No metric filter for %s on trail %s's log group.", c.what, ev.Trail.Name)}
		}}
}

// Checks lists the module's checks in the order they run.
var Checks = buildChecks()

func buildChecks() []checks.Check[*State] {
	list := []checks.Check[*State]{
		regionTrail(checks.Meta{ID: "cloudtrail_multi_region_enabled",
			Title:          "A multi-region CloudTrail trail is logging",
			Description:    "Passes a region covered by a multi-region trail that is logging; an organization trail of the management account satisfies it in member accounts.",
			Risk:           "API activity in the region is not recorded: no audit trail, no detection, no investigation.",
			Remediation:    "Create a multi-region trail (an organization trail from the management account covers every member) and start logging.",
			RemediationURL: ctDocs + "cloudtrail-create-and-update-a-trail.html", Categories: []string{"logging"}},
			false, func(t *Trail) bool { return t.MultiRegion && t.Logging }, "Multi-region trail %s is logging.", "No logging multi-region trail covers %s."),
		regionTrail(checks.Meta{ID: "cloudtrail_multi_region_enabled_logging_management_events",
			Title:          "A multi-region trail records all management events",
			Description:    "Passes a region covered by a logging multi-region trail recording read and write management events.",
			Risk:           "Read or write management calls are missing from the audit trail.",
			Remediation:    "Set the trail's event selector to include management events with ReadWriteType All.",
			RemediationURL: ctDocs + "logging-management-events-with-cloudtrail.html", Categories: []string{"logging"}},
			true, func(t *Trail) bool { return t.MultiRegion && t.Logging && t.ManagementRW == "All" },
			"Multi-region trail %s records all management events.", "No multi-region trail records all management events in %s."),
		regionTrail(checks.Meta{ID: "cloudtrail_s3_dataevents_read_enabled",
			Title:          "CloudTrail records S3 object reads",
			Description:    "Passes a region covered by a trail recording read data events for all S3 buckets.",
			Risk:           "Who read which object cannot be established after a data leak.",
			Remediation:    "Add an event selector for AWS::S3::Object read data events on all buckets.",
			RemediationURL: ctDocs + "logging-data-events-with-cloudtrail.html", Categories: []string{"logging"}},
			true, func(t *Trail) bool { return t.Logging && t.S3DataRead }, "Trail %s records S3 object reads.", "No trail records S3 object-level read events in %s."),
		regionTrail(checks.Meta{ID: "cloudtrail_s3_dataevents_write_enabled",
			Title:          "CloudTrail records S3 object writes",
			Description:    "Passes a region covered by a trail recording write data events for all S3 buckets.",
			Risk:           "Object tampering and deletion leave no trace.",
			Remediation:    "Add an event selector for AWS::S3::Object write data events on all buckets.",
			RemediationURL: ctDocs + "logging-data-events-with-cloudtrail.html", Categories: []string{"logging"}},
			true, func(t *Trail) bool { return t.Logging && t.S3DataWrite }, "Trail %s records S3 object writes.", "No trail records S3 object-level write events in %s."),
		ownTrail(checks.Meta{ID: "cloudtrail_log_file_validation_enabled",
			Title:          "CloudTrail log file validation is on",
			Description:    "Passes a trail with log file integrity validation (signed digest files).",
			Risk:           "Altered or deleted log files cannot be detected.",
			Remediation:    "Update the trail with EnableLogFileValidation=true.",
			RemediationURL: ctDocs + "cloudtrail-log-file-validation-intro.html", Categories: []string{"logging"}},
			false, func(t *Trail) (bool, string) {
				return t.LogValidation, map[bool]string{true: "Trail " + t.Name + " validates its log files.", false: "Trail " + t.Name + " does not validate its log files."}[t.LogValidation]
			}),
		ownTrail(checks.Meta{ID: "cloudtrail_kms_encryption_enabled",
			Title:          "CloudTrail logs are encrypted with KMS",
			Description:    "Passes a trail that encrypts its log files with a KMS key (SSE-KMS).",
			Risk:           "Anyone with read access to the bucket reads the whole audit trail.",
			Remediation:    "Update the trail with a KMS key whose policy allows CloudTrail to encrypt and your auditors to decrypt.",
			RemediationURL: ctDocs + "encrypting-cloudtrail-log-files-with-aws-kms.html", Categories: []string{"encryption", "logging"}},
			false, func(t *Trail) (bool, string) {
				return t.KMSKey != "", map[bool]string{true: "Trail " + t.Name + " encrypts logs with " + t.KMSKey + ".", false: "Trail " + t.Name + " does not encrypt logs with KMS."}[t.KMSKey != ""]
			}),
		ownTrail(checks.Meta{ID: "cloudtrail_cloudwatch_logging_enabled",
			Title:          "CloudTrail delivers to CloudWatch Logs",
			Description:    "Passes a trail that sends its events to a CloudWatch Logs log group.",
			Risk:           "Events cannot be alarmed on in near real time.",
			Remediation:    "Configure the trail with a CloudWatch Logs log group and a delivery role.",
			RemediationURL: ctDocs + "send-cloudtrail-events-to-cloudwatch-logs.html", Categories: []string{"logging"}},
			false, func(t *Trail) (bool, string) {
				return t.LogGroupARN != "", map[bool]string{true: "Trail " + t.Name + " delivers to " + t.LogGroupARN + ".", false: "Trail " + t.Name + " does not deliver to CloudWatch Logs."}[t.LogGroupARN != ""]
			}),
		ownTrail(checks.Meta{ID: "cloudtrail_insights_exist",
			Title:          "CloudTrail Insights is enabled",
			Description:    "Passes a trail with Insights selectors (unusual API call rates or error rates).",
			Risk:           "Bursts of unusual activity, typical of compromised credentials, are not surfaced.",
			Remediation:    "Enable CloudTrail Insights events on the trail.",
			RemediationURL: ctDocs + "logging-insights-events-with-cloudtrail.html", Categories: []string{"threat-detection"}},
			false, func(t *Trail) (bool, string) {
				return t.Insights, map[bool]string{true: "Trail " + t.Name + " has Insights.", false: "Trail " + t.Name + " has no Insights selectors."}[t.Insights]
			}),
		ownTrail(checks.Meta{ID: "cloudtrail_logs_s3_bucket_is_not_publicly_accessible",
			Title:          "CloudTrail buckets are not public",
			Description:    "Fails a trail whose S3 bucket is public through its policy or ACL and not neutralised by a public access block.",
			Risk:           "The audit trail, with account IDs, principals and resource names, is readable by anyone.",
			Remediation:    "Remove public grants from the trail bucket and enable its public access block.",
			RemediationURL: ctDocs + "create-s3-bucket-policy-for-cloudtrail.html", Categories: []string{"internet-exposed", "logging"}},
			true, func(t *Trail) (bool, string) {
				return !*t.BucketPublic, map[bool]string{true: "Bucket " + t.Bucket + " of trail " + t.Name + " is not public.", false: "Bucket " + t.Bucket + " of trail " + t.Name + " is public."}[!*t.BucketPublic]
			}),
		ownTrail(checks.Meta{ID: "cloudtrail_logs_s3_bucket_access_logging_enabled",
			Title:          "CloudTrail buckets log access",
			Description:    "Passes a trail whose S3 bucket has server access logging on.",
			Risk:           "Who read or deleted audit logs cannot be established.",
			Remediation:    "Enable server access logging on the trail bucket to a separate log bucket.",
			RemediationURL: "https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html", Categories: []string{"logging"}},
			true, func(t *Trail) (bool, string) {
				ok := t.BucketLogging != nil && *t.BucketLogging
				return ok, map[bool]string{true: "Bucket " + t.Bucket + " of trail " + t.Name + " logs access.", false: "Bucket " + t.Bucket + " of trail " + t.Name + " does not log access."}[ok]
			}),
		{Meta: meta(checks.Meta{ID: "guardduty_is_enabled",
			Title:          "GuardDuty is enabled",
			Description:    "Passes a region with an enabled GuardDuty detector; a detector managed by the organization's delegated administrator says so.",
			Risk:           "Compromised credentials, crypto-mining and reconnaissance go undetected.",
			Remediation:    "Enable GuardDuty in every region, preferably from a delegated administrator with auto-enable for the organization.",
			RemediationURL: gdDocs + "guardduty_settingup.html", Categories: []string{"threat-detection"}}),
			Eval: func(st *State) []checks.Result {
				r := acctResult(st, "guardduty")
				switch d := st.GuardDuty; {
				case d == nil && st.GuardDutyErr != nil:
					return notEval(r, "GuardDuty detector", st.GuardDutyErr)
				case d == nil:
					return []checks.Result{modkit.FailR(r, "GuardDuty has no detector in %s.", st.Region)}
				case !d.Enabled:
					return []checks.Result{modkit.FailR(r, "GuardDuty detector %s is suspended in %s.", d.ID, st.Region)}
				case d.Administrator != "":
					return []checks.Result{modkit.Pass(r, "GuardDuty is enabled in %s, managed by delegated administrator %s (landing zone mechanism).", st.Region, d.Administrator)}
				}
				return []checks.Result{modkit.Pass(r, "GuardDuty is enabled in %s.", st.Region)}
			}},
		detector(checks.Meta{ID: "guardduty_centrally_managed",
			Title:          "GuardDuty is managed by the organization",
			Description:    "Passes an enabled detector that is a member of a GuardDuty administrator account (or is the administrator).",
			Risk:           "Findings stay in the account and are not seen by the security team.",
			Remediation:    "Designate a delegated administrator for GuardDuty in the organization and enable the account as a member.",
			RemediationURL: gdDocs + "guardduty_organizations.html", Categories: []string{"threat-detection"}},
			func(st *State, d *Detector) (bool, string) {
				switch d.Administrator {
				case "":
					return false, "GuardDuty detector " + d.ID + " is standalone: no administrator account."
				}
				return true, "GuardDuty detector " + d.ID + " is managed by administrator account " + d.Administrator + " (landing zone mechanism)."
			}),
		detector(checks.Meta{ID: "guardduty_no_high_severity_findings",
			Title:          "GuardDuty has no open high-severity findings",
			Description:    "Fails an enabled detector with unarchived findings of severity 7 or more.",
			Risk:           "A high-severity finding is a likely active compromise.",
			Remediation:    "Triage and remediate the findings, then archive them.",
			RemediationURL: gdDocs + "guardduty_findings.html", Categories: []string{"threat-detection"}},
			func(st *State, d *Detector) (bool, string) {
				if d.HighFindings > 0 {
					return false, fmt.Sprintf("GuardDuty has %d open high-severity findings in %s.", d.HighFindings, st.Region)
				}
				return true, "GuardDuty has no open high-severity findings in " + st.Region + "."
			}),
		feature("guardduty_s3_protection_enabled", "S3_DATA_EVENTS", "GuardDuty S3 Protection is enabled", "S3 Protection", "s3-protection.html"),
		feature("guardduty_rds_protection_enabled", "RDS_LOGIN_EVENTS", "GuardDuty RDS Protection is enabled", "RDS Protection", "rds-protection.html"),
		feature("guardduty_lambda_protection_enabled", "LAMBDA_NETWORK_LOGS", "GuardDuty Lambda Protection is enabled", "Lambda Protection", "lambda-protection.html"),
		feature("guardduty_eks_audit_log_enabled", "EKS_AUDIT_LOGS", "GuardDuty EKS audit log monitoring is enabled", "EKS audit log monitoring", "kubernetes-protection.html"),
		feature("guardduty_ec2_malware_protection_enabled", "EBS_MALWARE_PROTECTION", "GuardDuty Malware Protection for EC2 is enabled", "Malware Protection for EC2", "malware-protection.html"),
		{Meta: meta(checks.Meta{ID: "securityhub_enabled",
			Title:          "Security Hub is enabled",
			Description:    "Passes a region where the account is subscribed to Security Hub; a hub administered by the organization's delegated administrator says so.",
			Risk:           "Findings from AWS services and partners are not aggregated and security standards are not evaluated.",
			Remediation:    "Enable Security Hub in every region, preferably through a delegated administrator with central configuration.",
			RemediationURL: "https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-settingup.html", Categories: []string{"threat-detection"}}),
			Eval: func(st *State) []checks.Result {
				r := acctResult(st, "securityhub")
				switch {
				case st.HubErr != nil:
					return notEval(r, "Security Hub subscription", st.HubErr)
				case !st.HubEnabled:
					return []checks.Result{modkit.FailR(r, "Security Hub is not enabled in %s.", st.Region)}
				case st.HubAdmin != "":
					return []checks.Result{modkit.Pass(r, "Security Hub is enabled in %s, administered by delegated administrator %s (landing zone mechanism).", st.Region, st.HubAdmin)}
				}
				return []checks.Result{modkit.Pass(r, "Security Hub is enabled in %s.", st.Region)}
			}},
		{Meta: meta(checks.Meta{ID: "accessanalyzer_enabled",
			Title:          "IAM Access Analyzer is enabled",
			Description:    "Passes a region with an active analyzer (account or organization zone of trust).",
			Risk:           "Resources shared outside the account or organization are not detected.",
			Remediation:    "Create an analyzer in every region (an organization analyzer in the delegated administrator covers all members).",
			RemediationURL: "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-getting-started.html"}),
			Eval: func(st *State) []checks.Result {
				r := acctResult(st, "access-analyzer")
				if st.AnalyzerErr != nil {
					return notEval(r, "analyzers", st.AnalyzerErr)
				}
				for _, a := range st.Analyzers {
					if a.Status == "ACTIVE" {
						return []checks.Result{modkit.Pass(r, "Analyzer %s (%s) is active in %s.", a.Name, a.Type, st.Region)}
					}
				}
				return []checks.Result{modkit.FailR(r, "No active IAM Access Analyzer in %s.", st.Region)}
			}},
		{Meta: meta(checks.Meta{ID: "accessanalyzer_enabled_without_findings",
			Title:          "IAM Access Analyzer has no active findings",
			Description:    "Fails an active analyzer with active findings (resources shared outside the zone of trust).",
			Risk:           "Each active finding is a resource reachable from outside the account or organization.",
			Remediation:    "Review each finding: remove the unintended access, or archive the finding with a rule when it is intended.",
			RemediationURL: "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-work-with-findings.html"}),
			Eval: func(st *State) []checks.Result {
				var out []checks.Result
				for _, a := range st.Analyzers {
					if a.Status != "ACTIVE" {
						continue
					}
					r := checks.Result{ResourceID: a.ARN, ResourceName: a.Name}
					if a.FindingsErr != nil {
						out = append(out, modkit.NotEvaluated(r, "findings", a.FindingsErr))
						continue
					}
					out = append(out, modkit.Verdict(r, a.ActiveFindings == 0, "Analyzer "+a.Name+" has no active findings.",
						fmt.Sprintf("Analyzer %s has %d active findings.", a.Name, a.ActiveFindings)))
				}
				return out
			}},
		{Meta: meta(checks.Meta{ID: "cloudwatch_log_group_retention_policy_specific_days_enabled",
			Title:          "Log groups keep logs for at least a year",
			Description:    "Passes a log group whose retention is 365 days or more, or never expires.",
			Risk:           "Logs needed for an investigation or an audit have already expired.",
			Remediation:    "Set the log group's retention to at least 365 days (PutRetentionPolicy).",
			RemediationURL: "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/Working-with-log-groups-and-streams.html#SettingLogRetention", Categories: []string{"logging"}}),
			Eval: func(st *State) []checks.Result {
				if st.LogsErr != nil {
					return notEval(acctResult(st, "logs"), "log groups", st.LogsErr)
				}
				var out []checks.Result
				for _, g := range st.LogGroups {
					r := checks.Result{ResourceID: g.ARN, ResourceName: g.Name}
					ok := g.RetentionDays == 0 || g.RetentionDays >= 365
					out = append(out, modkit.Verdict(r, ok, fmt.Sprintf("Log group %s keeps logs long enough (retention %d days, 0 = never expire).", g.Name, g.RetentionDays),
						fmt.Sprintf("Log group %s keeps logs only %d days.", g.Name, g.RetentionDays)))
				}
				return out
			}},
		{Meta: meta(checks.Meta{ID: "cloudwatch_log_group_kms_encryption_enabled",
			Title:          "Log groups are encrypted with a KMS key",
			Description:    "Passes a log group associated with a KMS key.",
			Risk:           "Anyone with logs:GetLogEvents reads the logs; a key policy adds a second control.",
			Remediation:    "Associate a customer managed KMS key with the log group (AssociateKmsKey).",
			RemediationURL: "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html", Categories: []string{"encryption"}}),
			Eval: func(st *State) []checks.Result {
				if st.LogsErr != nil {
					return notEval(acctResult(st, "logs"), "log groups", st.LogsErr)
				}
				var out []checks.Result
				for _, g := range st.LogGroups {
					r := checks.Result{ResourceID: g.ARN, ResourceName: g.Name}
					out = append(out, modkit.Verdict(r, g.KMSKey != "", "Log group "+g.Name+" is encrypted with "+g.KMSKey+".", "Log group "+g.Name+" is not encrypted with a KMS key."))
				}
				return out
			}},
		{Meta: meta(checks.Meta{ID: "cloudwatch_alarm_actions_enabled",
			Title:          "CloudWatch alarms have actions enabled",
			Description:    "Passes an alarm whose actions are enabled.",
			Risk:           "An alarm with disabled actions changes state without telling anyone.",
			Remediation:    "Enable the alarm's actions (EnableAlarmActions).",
			RemediationURL: cwDocs + "AlarmThatSendsEmail.html"}),
			Eval: func(st *State) []checks.Result {
				if st.AlarmsErr != nil {
					return notEval(acctResult(st, "cloudwatch"), "alarms", st.AlarmsErr)
				}
				var out []checks.Result
				for _, a := range st.Alarms {
					r := checks.Result{ResourceID: a.ARN, ResourceName: a.Name}
					out = append(out, modkit.Verdict(r, a.ActionsEnabled, "Alarm "+a.Name+" has actions enabled.", "Alarm "+a.Name+" has its actions disabled."))
				}
				return out
			}},
		{Meta: meta(checks.Meta{ID: "cloudwatch_alarm_actions_alarm_state_configured",
			Title:          "CloudWatch alarms act when they fire",
			Description:    "Passes an alarm with at least one action for the ALARM state.",
			Risk:           "The alarm fires into the void.",
			Remediation:    "Add an SNS topic (or another action) to the alarm's ALARM state.",
			RemediationURL: cwDocs + "AlarmThatSendsEmail.html"}),
			Eval: func(st *State) []checks.Result {
				if st.AlarmsErr != nil {
					return notEval(acctResult(st, "cloudwatch"), "alarms", st.AlarmsErr)
				}
				var out []checks.Result
				for _, a := range st.Alarms {
					r := checks.Result{ResourceID: a.ARN, ResourceName: a.Name}
					out = append(out, modkit.Verdict(r, len(a.AlarmActions) > 0, "Alarm "+a.Name+" notifies on ALARM.", "Alarm "+a.Name+" has no action for the ALARM state."))
				}
				return out
			}},
	}
	for _, c := range cisControls {
		list = append(list, c.check())
	}
	return list
}
