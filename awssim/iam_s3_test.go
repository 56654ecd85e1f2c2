package awssim

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func daysBefore(n int) time.Time { return fixedNow.Add(-time.Duration(n) * 24 * time.Hour) }

func TestIAM(t *testing.T) {
	estate := DemoEstate()
	estate.Account("111100000004").IAM.Users[0].Tags = map[string]string{"team": "orders", "Owner": "jane@example.com"}
	s := startSim(t, estate)
	client := iamClient(s.member("111100000004", retailExtID, "us-east-1"))

	sum, err := client.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.SummaryMap["AccountMFAEnabled"] != 0 || sum.SummaryMap["Users"] != 2 || sum.SummaryMap["AccountAccessKeysPresent"] != 0 {
		t.Errorf("summary = %v", sum.SummaryMap)
	}

	_, err = client.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	wantCode(t, err, "NoSuchEntity")

	// ListUsers over pages of one.
	var users []string
	p := iam.NewListUsersPaginator(client, &iam.ListUsersInput{MaxItems: aws.Int32(1)})
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, u := range page.Users {
			users = append(users, aws.ToString(u.UserName))
			if aws.ToString(u.UserName) == "jane.ops" && !aws.ToTime(u.PasswordLastUsed).Equal(daysBefore(4)) {
				t.Errorf("jane.ops PasswordLastUsed = %v", u.PasswordLastUsed)
			}
			if aws.ToString(u.UserName) == "deploy-bot" && u.PasswordLastUsed != nil {
				t.Errorf("deploy-bot has PasswordLastUsed %v, want none", u.PasswordLastUsed)
			}
		}
	}
	if !slices.Equal(users, []string{"jane.ops", "deploy-bot"}) || pages != 2 {
		t.Fatalf("users = %v over %d pages", users, pages)
	}

	if _, err := client.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("jane.ops")}); err != nil {
		t.Errorf("jane.ops login profile: %v", err)
	}
	_, err = client.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("deploy-bot")})
	wantCode(t, err, "NoSuchEntity")
	_, err = client.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("nobody")})
	wantCode(t, err, "NoSuchEntity")

	tags, err := client.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("jane.ops")})
	if err != nil {
		t.Fatal(err)
	}
	var kv []string
	for _, tg := range tags.Tags {
		kv = append(kv, aws.ToString(tg.Key)+"="+aws.ToString(tg.Value))
	}
	if !slices.Equal(kv, []string{"Owner=jane@example.com", "team=orders"}) || tags.IsTruncated {
		t.Errorf("jane.ops tags = %v (truncated %v)", kv, tags.IsTruncated)
	}
	_, err = client.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("nobody")})
	wantCode(t, err, "NoSuchEntity")

	mfa, err := client.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String("jane.ops")})
	if err != nil || len(mfa.MFADevices) != 0 {
		t.Errorf("jane.ops MFA devices = %v, %v; want none", mfa, err)
	}

	keys, err := client.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("deploy-bot")})
	if err != nil {
		t.Fatal(err)
	}
	if len(keys.AccessKeyMetadata) != 2 {
		t.Fatalf("deploy-bot keys = %d, want 2", len(keys.AccessKeyMetadata))
	}
	k0, k1 := keys.AccessKeyMetadata[0], keys.AccessKeyMetadata[1]
	if k0.Status != "Active" || k1.Status != "Inactive" || !aws.ToTime(k0.CreateDate).Equal(daysBefore(700)) {
		t.Errorf("keys = %+v %+v", k0, k1)
	}
	used, err := client.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: k0.AccessKeyId})
	if err != nil {
		t.Fatal(err)
	}
	if !aws.ToTime(used.AccessKeyLastUsed.LastUsedDate).Equal(daysBefore(200)) || aws.ToString(used.AccessKeyLastUsed.ServiceName) != "ec2" {
		t.Errorf("last used = %+v", used.AccessKeyLastUsed)
	}
	never, err := client.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: k1.AccessKeyId})
	if err != nil {
		t.Fatal(err)
	}
	if never.AccessKeyLastUsed.LastUsedDate != nil || aws.ToString(never.AccessKeyLastUsed.ServiceName) != "N/A" {
		t.Errorf("never-used key = %+v", never.AccessKeyLastUsed)
	}

	att, err := client.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("jane.ops")})
	if err != nil || len(att.AttachedPolicies) != 1 || aws.ToString(att.AttachedPolicies[0].PolicyName) != "PowerUserAccess" {
		t.Errorf("attached = %+v, %v", att, err)
	}
	inl, err := client.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("jane.ops")})
	if err != nil || !slices.Equal(inl.PolicyNames, []string{"orders-break-glass"}) {
		t.Errorf("inline = %+v, %v", inl, err)
	}

	// A clean account: root MFA, password policy, virtual MFA devices.
	clean := iamClient(s.retail("us-east-1"))
	pp, err := clean.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(pp.PasswordPolicy.MinimumPasswordLength) != 14 || !pp.PasswordPolicy.RequireSymbols ||
		aws.ToInt32(pp.PasswordPolicy.PasswordReusePrevention) != 24 || aws.ToInt32(pp.PasswordPolicy.MaxPasswordAge) != 90 {
		t.Errorf("password policy = %+v", pp.PasswordPolicy)
	}
	v, err := clean.ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{})
	if err != nil {
		t.Fatal(err)
	}
	var serials []string
	for _, d := range v.VirtualMFADevices {
		serials = append(serials, aws.ToString(d.SerialNumber))
	}
	if !slices.Equal(serials, []string{"arn:aws:iam::111100000001:mfa/root-account-mfa-device", "arn:aws:iam::111100000001:mfa/platform.admin"}) {
		t.Errorf("virtual MFA devices = %v", serials)
	}
	if got := aws.ToString(v.VirtualMFADevices[0].User.Arn); got != "arn:aws:iam::111100000001:root" {
		t.Errorf("root device user = %s", got)
	}
}

func TestS3BucketConfiguration(t *testing.T) {
	s := startSim(t, DemoEstate())
	retail3 := s3Client(s.member("111100000003", retailExtID, "us-east-1"))
	b := aws.String("retail-web-assets-prod")

	loc, err := retail3.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: b})
	if err != nil {
		t.Fatal(err)
	}
	if loc.LocationConstraint != "" {
		t.Errorf("us-east-1 LocationConstraint = %q, want empty", loc.LocationConstraint)
	}
	pol, err := retail3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: b})
	if err != nil || !bytes.Contains([]byte(aws.ToString(pol.Policy)), []byte(`"Principal":"*"`)) {
		t.Errorf("policy = %v, %v", pol, err)
	}
	st, err := retail3.GetBucketPolicyStatus(ctx, &s3.GetBucketPolicyStatusInput{Bucket: b})
	if err != nil || !aws.ToBool(st.PolicyStatus.IsPublic) {
		t.Errorf("policy status = %+v, %v", st, err)
	}
	_, err = retail3.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: b})
	wantCode(t, err, "NoSuchPublicAccessBlockConfiguration")
	enc, err := retail3.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: b})
	if err != nil || enc.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm != s3types.ServerSideEncryptionAes256 {
		t.Errorf("encryption = %+v, %v", enc, err)
	}
	ver, err := retail3.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: b})
	if err != nil || ver.Status != s3types.BucketVersioningStatusEnabled {
		t.Errorf("versioning = %+v, %v", ver, err)
	}
	lg, err := retail3.GetBucketLogging(ctx, &s3.GetBucketLoggingInput{Bucket: b})
	if err != nil || lg.LoggingEnabled == nil || aws.ToString(lg.LoggingEnabled.TargetBucket) != "retail-mgmt-access-logs" {
		t.Errorf("logging = %+v, %v", lg, err)
	}
	tags, err := retail3.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: b})
	if err != nil || len(tags.TagSet) != 3 || aws.ToString(tags.TagSet[0].Key) != "DataClassification" {
		t.Errorf("tags = %+v, %v", tags, err)
	}
	// Someone else's bucket and a missing one.
	_, err = retail3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("retail-web-staging-preview")})
	wantCode(t, err, "AccessDenied")
	_, err = retail3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("no-such-bucket-here")})
	wantCode(t, err, "NoSuchBucket")

	staging := s3Client(s.member("111100000005", retailExtID, "eu-west-1"))
	sb := aws.String("retail-web-staging-preview")
	loc, err = staging.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: sb})
	if err != nil || loc.LocationConstraint != "eu-west-1" {
		t.Errorf("location = %+v, %v", loc, err)
	}
	acl, err := staging.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: sb})
	if err != nil {
		t.Fatal(err)
	}
	var public bool
	for _, g := range acl.Grants {
		if aws.ToString(g.Grantee.URI) == groupAllUsers && g.Permission == s3types.PermissionRead {
			public = true
		}
	}
	if !public || len(acl.Grants) != 2 || aws.ToString(acl.Owner.ID) != canonicalID("111100000005") {
		t.Errorf("acl = %+v", acl)
	}
	_, err = staging.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: sb})
	wantCode(t, err, "NoSuchBucketPolicy")
	_, err = staging.GetBucketPolicyStatus(ctx, &s3.GetBucketPolicyStatusInput{Bucket: sb})
	wantCode(t, err, "NoSuchBucketPolicy")

	orders := s3Client(s.member("111100000006", retailExtID, "us-east-1"))
	ob := aws.String("retail-orders-staging-tmp")
	ver, err = orders.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: ob})
	if err != nil || ver.Status != "" {
		t.Errorf("never-versioned bucket = %+v, %v", ver, err)
	}
	lg, err = orders.GetBucketLogging(ctx, &s3.GetBucketLoggingInput{Bucket: ob})
	if err != nil || lg.LoggingEnabled != nil {
		t.Errorf("unlogged bucket = %+v, %v", lg, err)
	}
	pab, err := orders.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: ob})
	if err != nil || !aws.ToBool(pab.PublicAccessBlockConfiguration.RestrictPublicBuckets) {
		t.Errorf("public access block = %+v, %v", pab, err)
	}

	exports := s3Client(s.member("111100000004", retailExtID, "eu-west-1"))
	_, err = exports.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String("retail-orders-exports")})
	wantCode(t, err, "ServerSideEncryptionConfigurationNotFoundError")
	_, err = exports.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String("retail-orders-exports")})
	if err != nil {
		t.Errorf("tagging: %v", err)
	}
}

func TestS3Objects(t *testing.T) {
	s := startSim(t, DemoEstate())
	client := s3Client(s.retail("eu-west-1"))
	bucket := aws.String("rampart-artifacts")
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket,
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: "eu-west-1"}}); err != nil {
		t.Fatal(err)
	}
	_, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket,
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: "eu-west-1"}})
	wantCode(t, err, "BucketAlreadyOwnedByYou")
	loc, err := client.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: bucket})
	if err != nil || loc.LocationConstraint != "eu-west-1" {
		t.Fatalf("location = %+v, %v", loc, err)
	}

	for i := range 5 {
		body := []byte(fmt.Sprintf("report %d", i))
		if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String(fmt.Sprintf("scans/s%d/report.json", i)),
			Body: bytes.NewReader(body), ContentType: aws.String("application/json")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String("top.txt"), Body: bytes.NewReader([]byte("x"))}); err != nil {
		t.Fatal(err)
	}

	got, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("scans/s3/report.json")})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if string(data) != "report 3" || aws.ToString(got.ContentType) != "application/json" {
		t.Errorf("object = %q (%s)", data, aws.ToString(got.ContentType))
	}
	head, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bucket, Key: aws.String("top.txt")})
	if err != nil || aws.ToInt64(head.ContentLength) != 1 {
		t.Errorf("head = %+v, %v", head, err)
	}

	var keys []string
	p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: bucket, Prefix: aws.String("scans/"), MaxKeys: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	if len(keys) != 5 || pages != 3 || keys[0] != "scans/s0/report.json" {
		t.Errorf("keys = %v over %d pages", keys, pages)
	}
	delim, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: bucket, Delimiter: aws.String("/")})
	if err != nil || len(delim.CommonPrefixes) != 1 || aws.ToString(delim.CommonPrefixes[0].Prefix) != "scans/" || len(delim.Contents) != 1 {
		t.Errorf("delimited listing = %+v, %v", delim, err)
	}

	if _, err := client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bucket, Key: aws.String("top.txt")}); err != nil {
		t.Fatal(err)
	}
	_, err = client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bucket, Key: aws.String("top.txt")})
	wantCode(t, err, "NotFound")
	_, err = client.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("top.txt")})
	wantCode(t, err, "NoSuchKey")

	list, err := client.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range list.Buckets {
		names = append(names, aws.ToString(b.Name))
	}
	if !slices.Equal(names, []string{"rampart-artifacts", "retail-mgmt-access-logs", "retail-mgmt-cloudtrail"}) {
		t.Errorf("buckets = %v", names)
	}
}
