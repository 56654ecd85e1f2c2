package ingest

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"
)

// genCheck is one check the generator reports.
type genCheck struct{ id, service, severity, rtype, cis string }

var genChecks = []genCheck{
	{"s3_bucket_default_encryption", "s3", "Medium", "AwsS3Bucket", "2.1.1"},
	{"s3_bucket_level_public_access_block", "s3", "High", "AwsS3Bucket", "2.1.4"},
	{"s3_bucket_object_versioning", "s3", "Medium", "AwsS3Bucket", ""},
	{"ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22", "ec2", "High", "AwsEc2SecurityGroup", "5.3"},
	{"ec2_securitygroup_default_restrict_traffic", "ec2", "High", "AwsEc2SecurityGroup", "5.5"},
	{"ec2_ebs_default_encryption", "ec2", "Medium", "AwsAccount", "2.2.1"},
	{"ec2_instance_imdsv2_enabled", "ec2", "Medium", "AwsEc2Instance", "5.7"},
	{"rds_instance_storage_encrypted", "rds", "Medium", "AwsRdsDbInstance", "2.3.1"},
	{"rds_instance_no_public_access", "rds", "Critical", "AwsRdsDbInstance", "2.3.3"},
	{"cloudtrail_multi_region_enabled", "cloudtrail", "High", "AwsCloudTrailTrail", "3.1"},
	{"kms_cmk_rotation_enabled", "kms", "Medium", "AwsKmsKey", "3.6"},
	{"vpc_flow_logs_enabled", "vpc", "Medium", "AwsEc2Vpc", "3.7"},
	{"iam_user_mfa_enabled_console_access", "iam", "High", "AwsIamUser", "1.9"},
	{"iam_rotate_access_key_90_days", "iam", "Medium", "AwsIamUser", "1.13"},
	{"guardduty_is_enabled", "guardduty", "Medium", "AwsGuardDutyDetector", ""},
	{"lambda_function_not_publicly_accessible", "lambda", "Critical", "AwsLambdaFunction", ""},
}

var genRegions = []string{"us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-1"}

// GeneratedAt is the scan time of Generate's records.
var GeneratedAt = time.Date(2026, 4, 1, 6, 0, 0, 0, time.UTC)

// Generate writes a json-ocsf file of about size bytes (at least one
// record) in Prowler's shape: records spread over 40 accounts and 4
// regions, a distinct resource per record, ~70% FAIL, 5% muted. It
// returns the number of records. The same seed gives the same file.
func Generate(w io.Writer, size int64, seed uint64) (int, error) {
	return GenerateAt(w, size, seed, GeneratedAt)
}

// GenerateAt is Generate with the records' scan time at (whole seconds).
// The same seed and size at another time is the same estate scanned again:
// the same records, in the same order, but for their times.
func GenerateAt(w io.Writer, size int64, seed uint64, at time.Time) (int, error) {
	bw := bufio.NewWriterSize(w, 1<<20)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	ts := at.Unix()
	var written int64
	n := 0
	buf := make([]byte, 0, 4096)
	bw.WriteString("[\n")
	written += 2
	for n == 0 || written < size-2 {
		c := genChecks[rng.IntN(len(genChecks))]
		account := fmt.Sprintf("%012d", 100000000000+rng.IntN(40))
		region := genRegions[rng.IntN(len(genRegions))]
		status, statusID, statusName := "FAIL", 1, "New"
		switch r := rng.IntN(100); {
		case r < 28:
			status = "PASS"
		case r < 33:
			statusID, statusName = 3, "Suppressed"
		}
		res := "arn:aws:" + c.service + ":" + region + ":" + account + ":" + c.service + "/res-" + strconv.Itoa(n)
		buf = buf[:0]
		if n > 0 {
			buf = append(buf, ",\n"...)
		}
		buf = fmt.Appendf(buf, `{"message":"%s on %s","metadata":{"event_code":%q,"product":{"name":"Prowler","uid":"prowler","vendor_name":"Prowler","version":"5.4.0"},"profiles":["cloud","datetime"],"tenant_uid":"","version":"1.4.0"},`,
			c.id, res, c.id)
		buf = fmt.Appendf(buf, `"severity_id":%d,"severity":%q,"status":%q,"status_code":%q,"status_detail":"%s: %s evaluated %s","status_id":%d,`,
			sevID(c.severity), c.severity, statusName, status, res, c.id, status, statusID)
		buf = append(buf, `"unmapped":{"related_url":"","categories":["encryption"],"depends_on":[],"related_to":[],"additional_urls":[],"notes":"","compliance":{`...)
		if c.cis != "" {
			buf = fmt.Appendf(buf, `"CIS-3.0":[%q],"CIS-5.0":[%q],`, c.cis, c.cis)
		}
		buf = append(buf, `"SOC2":["cc_6_1"],"ISO27001-2022":["A.8.24"]}},"activity_name":"Create","activity_id":1,`...)
		buf = fmt.Appendf(buf, `"finding_info":{"created_time":%d,"created_time_dt":"%s","desc":"Check %s","product_uid":"prowler","title":"Check %s","types":["Software and Configuration Checks"],"uid":"prowler-aws-%s-%s-%s-%d"},`,
			ts, time.Unix(ts, 0).UTC().Format("2006-01-02T15:04:05"), c.id, c.id, c.id, account, region, n)
		buf = fmt.Appendf(buf, `"resources":[{"cloud_partition":"aws","region":%q,"data":{"details":"","metadata":{}},"group":{"name":%q},"labels":["env:prod"],"name":"res-%d","type":%q,"uid":%q}],`,
			region, c.service, n, c.rtype, res)
		buf = fmt.Appendf(buf, `"category_name":"Findings","category_uid":2,"class_name":"Detection Finding","class_uid":2004,"cloud":{"account":{"name":"acct-%s","type":"AWS Account","type_id":10,"uid":%q,"labels":[]},"org":{"name":"","uid":""},"provider":"aws","region":%q},`,
			account[8:], account, region)
		buf = fmt.Appendf(buf, `"remediation":{"desc":"Remediate %s following the AWS documentation.","references":["https://docs.aws.amazon.com/"]},"risk_details":"Leaving %s unremediated exposes the account.","time":%d,"time_dt":"%s","type_uid":200401,"type_name":"Detection Finding: Create"}`,
			c.id, c.id, ts, time.Unix(ts, 0).UTC().Format("2006-01-02T15:04:05"))
		if _, err := bw.Write(buf); err != nil {
			return n, err
		}
		written += int64(len(buf))
		n++
	}
	bw.WriteString("\n]\n")
	return n, bw.Flush()
}

func sevID(s string) int {
	switch s {
	case "Informational":
		return 1
	case "Low":
		return 2
	case "Medium":
		return 3
	case "High":
		return 4
	}
	return 5
}
