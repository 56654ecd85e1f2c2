package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/logging"
)

// Static test credentials of moto's management account (123456789012).
const (
	testKeyID  = "AKIARAMPARTCONF00000"
	testSecret = "rampart-conformance-secret"
	auditRole  = "RampartAudit"
)

// seeder creates the conformance estate with UNGUARDED clients: test-only
// code, never reachable from the scanner.
type seeder struct {
	t   *testing.T
	ctx context.Context
	url string
}

func (s *seeder) must(err error, what string) {
	s.t.Helper()
	if err != nil {
		s.t.Fatalf("seed %s: %v", what, err)
	}
}

func (s *seeder) cfg(region string, creds aws.CredentialsProvider) aws.Config {
	// Retries are logged: a seed call that the SDK retried is the first
	// thing to look at when a create reports that its resource exists.
	// Seed calls create things, so they must not be retried after moto
	// carried them out. One CI run failed that way: CreateUser's response
	// was cut by "use of closed network connection", which the SDK retries
	// (aws-sdk-go-v2 #2949), and the retry found the user created. That
	// error has been traced to net/http closing a pooled connection as
	// idle while a response is read from it (aws-sdk-go-v2 #2737), so the
	// seeder keeps no connection between calls: a new one per call.
	return aws.Config{Region: region, Credentials: creds, BaseEndpoint: aws.String(s.url),
		HTTPClient:    awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) { t.DisableKeepAlives = true }),
		ClientLogMode: aws.LogRetries, Logger: logging.LoggerFunc(func(c logging.Classification, format string, v ...any) {
			s.t.Logf("seed sdk %s: "+format, append([]any{c}, v...)...)
		})}
}

func (s *seeder) management(region string) aws.Config {
	return s.cfg(region, credentials.NewStaticCredentialsProvider(testKeyID, testSecret, ""))
}

// member returns a config with credentials of role in account, obtained by
// sts AssumeRole from the management account: moto scopes every call made
// with assumed-role credentials to the role's account.
func (s *seeder) member(account, role, region string) aws.Config {
	s.t.Helper()
	out, err := sts.NewFromConfig(s.management("us-east-1")).AssumeRole(s.ctx, &sts.AssumeRoleInput{
		RoleArn:         aws.String(fmt.Sprintf("arn:aws:iam::%s:role/%s", account, role)),
		RoleSessionName: aws.String("conformance-seed"),
	})
	s.must(err, "AssumeRole into "+account)
	c := out.Credentials
	return s.cfg(region, credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)))
}

// org is the organization the suite seeds.
type org struct {
	root, workloads, prod, sandbox string
	web, data, play                string // member accounts: web and data under workloads, play under sandbox
}

func (s *seeder) organization() org {
	admin := organizations.NewFromConfig(s.management("us-east-1"))
	_, err := admin.CreateOrganization(s.ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll})
	s.must(err, "CreateOrganization")
	roots, err := admin.ListRoots(s.ctx, &organizations.ListRootsInput{})
	s.must(err, "ListRoots")
	var o org
	o.root = aws.ToString(roots.Roots[0].Id)
	mkOU := func(parent, name string) string {
		out, err := admin.CreateOrganizationalUnit(s.ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(parent), Name: aws.String(name)})
		s.must(err, "CreateOrganizationalUnit "+name)
		return aws.ToString(out.OrganizationalUnit.Id)
	}
	o.workloads = mkOU(o.root, "workloads")
	o.prod = mkOU(o.workloads, "prod")
	o.sandbox = mkOU(o.root, "sandbox")
	mkAccount := func(name, parent string) string {
		out, err := admin.CreateAccount(s.ctx, &organizations.CreateAccountInput{AccountName: aws.String(name), Email: aws.String(name + "@example.com")})
		s.must(err, "CreateAccount "+name)
		id := aws.ToString(out.CreateAccountStatus.AccountId)
		_, err = admin.MoveAccount(s.ctx, &organizations.MoveAccountInput{AccountId: aws.String(id), SourceParentId: aws.String(o.root), DestinationParentId: aws.String(parent)})
		s.must(err, "MoveAccount "+name)
		return id
	}
	o.web = mkAccount("web", o.prod)
	o.data = mkAccount("data", o.workloads)
	o.play = mkAccount("play", o.sandbox) // outside the scanned OU
	return o
}

// auditRole creates the audit role in account, trusting the management
// account, with the AWS managed SecurityAudit policy attached.
func (s *seeder) auditRole(account string) {
	c := iam.NewFromConfig(s.member(account, "OrganizationAccountAccessRole", "us-east-1"))
	trust, _ := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{{
			"Effect": "Allow", "Action": "sts:AssumeRole",
			"Principal": map[string]any{"AWS": "arn:aws:iam::123456789012:root"},
		}},
	})
	_, err := c.CreateRole(s.ctx, &iam.CreateRoleInput{RoleName: aws.String(auditRole), AssumeRolePolicyDocument: aws.String(string(trust))})
	s.must(err, "CreateRole "+auditRole+" in "+account)
	_, err = c.AttachRolePolicy(s.ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(auditRole), PolicyArn: aws.String("arn:aws:iam::aws:policy/SecurityAudit")})
	s.must(err, "AttachRolePolicy SecurityAudit in "+account)
}

func policyJSON(stmts ...map[string]any) string {
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": stmts})
	return string(b)
}

// buckets creates, in account: a bucket public by policy, a clean bucket
// (default encryption, versioning, server access logging, the bucket-level
// public access block, a TLS-only policy) and its log bucket.
func (s *seeder) buckets(account, region, public, clean, logs string) {
	c := s3.NewFromConfig(s.member(account, "OrganizationAccountAccessRole", region), func(o *s3.Options) { o.UsePathStyle = true })
	create := func(name string) {
		in := &s3.CreateBucketInput{Bucket: aws.String(name)}
		if region != "us-east-1" {
			in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(region)}
		}
		_, err := c.CreateBucket(s.ctx, in)
		s.must(err, "CreateBucket "+name)
	}
	create(public)
	create(clean)
	create(logs)
	_, err := c.PutBucketPolicy(s.ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(public), Policy: aws.String(policyJSON(map[string]any{
		"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
		"Resource": "arn:aws:s3:::" + public + "/*",
	}))})
	s.must(err, "PutBucketPolicy "+public)

	_, err = c.PutBucketEncryption(s.ctx, &s3.PutBucketEncryptionInput{Bucket: aws.String(clean), ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{
		Rules: []s3types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAwsKms}}},
	}})
	s.must(err, "PutBucketEncryption "+clean)
	_, err = c.PutBucketVersioning(s.ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(clean), VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}})
	s.must(err, "PutBucketVersioning "+clean)
	_, err = c.PutBucketPolicy(s.ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(logs), Policy: aws.String(policyJSON(map[string]any{
		"Sid": "S3ServerAccessLogs", "Effect": "Allow", "Principal": map[string]any{"Service": "logging.s3.amazonaws.com"},
		"Action": "s3:PutObject", "Resource": "arn:aws:s3:::" + logs + "/*",
	}))})
	s.must(err, "PutBucketPolicy "+logs)
	_, err = c.PutBucketLogging(s.ctx, &s3.PutBucketLoggingInput{Bucket: aws.String(clean), BucketLoggingStatus: &s3types.BucketLoggingStatus{
		LoggingEnabled: &s3types.LoggingEnabled{TargetBucket: aws.String(logs), TargetPrefix: aws.String(clean + "/")},
	}})
	s.must(err, "PutBucketLogging "+clean)
	_, err = c.PutPublicAccessBlock(s.ctx, &s3.PutPublicAccessBlockInput{Bucket: aws.String(clean), PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{
		BlockPublicAcls: aws.Bool(true), IgnorePublicAcls: aws.Bool(true), BlockPublicPolicy: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true),
	}})
	s.must(err, "PutPublicAccessBlock "+clean)
	_, err = c.PutBucketPolicy(s.ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(clean), Policy: aws.String(policyJSON(map[string]any{
		"Sid": "TLSOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
		"Resource":  []string{"arn:aws:s3:::" + clean, "arn:aws:s3:::" + clean + "/*"},
		"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
	}))})
	s.must(err, "PutBucketPolicy "+clean)
}

// users creates a console user without MFA and a console user with an
// enabled virtual MFA device.
func (s *seeder) users(account, noMFA, withMFA string) {
	c := iam.NewFromConfig(s.member(account, "OrganizationAccountAccessRole", "us-east-1"))
	for _, u := range []string{noMFA, withMFA} {
		_, err := c.CreateUser(s.ctx, &iam.CreateUserInput{UserName: aws.String(u)})
		s.must(err, "CreateUser "+u)
		_, err = c.CreateLoginProfile(s.ctx, &iam.CreateLoginProfileInput{UserName: aws.String(u), Password: aws.String("Conformance-Passw0rd!")})
		s.must(err, "CreateLoginProfile "+u)
	}
	dev, err := c.CreateVirtualMFADevice(s.ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String(withMFA)})
	s.must(err, "CreateVirtualMFADevice")
	_, err = c.EnableMFADevice(s.ctx, &iam.EnableMFADeviceInput{UserName: aws.String(withMFA), SerialNumber: dev.VirtualMFADevice.SerialNumber,
		AuthenticationCode1: aws.String("123456"), AuthenticationCode2: aws.String("654321")})
	s.must(err, "EnableMFADevice")
}

// securityGroup creates the group name in vpc and returns its id. The SDK
// retries a call whose answer was lost (a reset connection when moto is slow
// on a loaded machine), and CreateSecurityGroup is not idempotent: a retried
// create finds the group its first attempt made. That group is the one
// wanted, so it is looked up instead of failing the seed.
func (s *seeder) securityGroup(c *ec2.Client, vpc *string, name string) string {
	s.t.Helper()
	out, err := c.CreateSecurityGroup(s.ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(name), Description: aws.String(name), VpcId: vpc})
	if err == nil {
		return aws.ToString(out.GroupId)
	}
	if !strings.Contains(err.Error(), "InvalidGroup.Duplicate") {
		s.must(err, "CreateSecurityGroup "+name)
	}
	found, derr := c.DescribeSecurityGroups(s.ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: aws.String("group-name"), Values: []string{name}}, {Name: aws.String("vpc-id"), Values: []string{aws.ToString(vpc)}}}})
	s.must(derr, "DescribeSecurityGroups "+name+" after "+err.Error())
	if len(found.SecurityGroups) != 1 {
		s.t.Fatalf("seed CreateSecurityGroup %s: %v, and %d groups of that name exist", name, err, len(found.SecurityGroups))
	}
	return aws.ToString(found.SecurityGroups[0].GroupId)
}

// regional are the ids of what regionalEstate created in one region.
type regional struct {
	openSG, restrictedSG   string
	plainVol, encryptedVol string
	imdsv1, imdsv2         string // instances in the restricted group
	exposed                string // instance in the SSH-open group
}

// regionalEstate creates, in one account and region: a security group with
// SSH open to the internet and a restricted one, an unencrypted and an
// encrypted EBS volume, instances with and without IMDSv2 required in the
// restricted group, and an instance (with a public IP) in the open group.
func (s *seeder) regionalEstate(account, region string) regional {
	c := ec2.NewFromConfig(s.member(account, "OrganizationAccountAccessRole", region))
	var r regional
	vpcs, err := c.DescribeVpcs(s.ctx, &ec2.DescribeVpcsInput{})
	s.must(err, "DescribeVpcs")
	if len(vpcs.Vpcs) == 0 {
		s.t.Fatalf("seed: moto has no default VPC in %s/%s", account, region)
	}
	vpc := vpcs.Vpcs[0].VpcId
	mkSG := func(name string, perm ec2types.IpPermission) string {
		id := s.securityGroup(c, vpc, name)
		_, err := c.AuthorizeSecurityGroupIngress(s.ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(id), IpPermissions: []ec2types.IpPermission{perm}})
		if err != nil && !strings.Contains(err.Error(), "InvalidPermission.Duplicate") {
			s.must(err, "AuthorizeSecurityGroupIngress "+name)
		}
		return id
	}
	r.openSG = mkSG("conf-ssh-open", ec2types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22),
		IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}})
	r.restrictedSG = mkSG("conf-restricted", ec2types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443),
		IpRanges: []ec2types.IpRange{{CidrIp: aws.String("10.0.0.0/8")}}})

	// The lookup that recovers a retried create finds the same group.
	if again := s.securityGroup(c, vpc, "conf-restricted"); again != r.restrictedSG {
		s.t.Fatalf("seed: conf-restricted created as %s, found again as %s", r.restrictedSG, again)
	}

	az := region + "a"
	mkVol := func(encrypted bool) string {
		out, err := c.CreateVolume(s.ctx, &ec2.CreateVolumeInput{AvailabilityZone: aws.String(az), Size: aws.Int32(8), VolumeType: ec2types.VolumeTypeGp3, Encrypted: aws.Bool(encrypted)})
		s.must(err, "CreateVolume")
		return aws.ToString(out.VolumeId)
	}
	r.plainVol = mkVol(false)
	r.encryptedVol = mkVol(true)

	img, err := c.RegisterImage(s.ctx, &ec2.RegisterImageInput{Name: aws.String("conf-ami"), RootDeviceName: aws.String("/dev/xvda"),
		Architecture: ec2types.ArchitectureValuesX8664, VirtualizationType: aws.String("hvm")})
	s.must(err, "RegisterImage")
	mkInstance := func(tokens ec2types.HttpTokensState, sg string) string {
		out, err := c.RunInstances(s.ctx, &ec2.RunInstancesInput{ImageId: img.ImageId, MinCount: aws.Int32(1), MaxCount: aws.Int32(1), InstanceType: ec2types.InstanceTypeT3Micro,
			SecurityGroupIds: []string{sg},
			MetadataOptions:  &ec2types.InstanceMetadataOptionsRequest{HttpTokens: tokens, HttpEndpoint: ec2types.InstanceMetadataEndpointStateEnabled}})
		s.must(err, "RunInstances")
		return aws.ToString(out.Instances[0].InstanceId)
	}
	r.imdsv1 = mkInstance(ec2types.HttpTokensStateOptional, r.restrictedSG)
	r.imdsv2 = mkInstance(ec2types.HttpTokensStateRequired, r.restrictedSG)
	r.exposed = mkInstance(ec2types.HttpTokensStateRequired, r.openSG)
	return r
}
