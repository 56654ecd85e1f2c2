package conformance

import (
	"archive/zip"
	"bytes"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	cstypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// services are the ids of what servicesEstate created in one account and
// region.
type services struct {
	rotatedKey, plainKey   string // KMS key ids
	cleanTable, plainTable string // DynamoDB tables
	cleanDB, plainDB       string // RDS instance identifiers
	idleEIP                string // allocation id
	cleanFn, leakyFn       string // Lambda functions
}

// servicesEstate creates, in one account and region: a customer KMS key
// with rotation and one without; a DynamoDB table with point-in-time
// recovery, deletion protection and the rotated CMK, and a plain one; an
// encrypted RDS instance with backups and deletion protection and a plain
// one; an unassociated Elastic IP; a Lambda function on a current runtime
// and one on a deprecated runtime with a secret in its environment. When
// guardDuty is set, a GuardDuty detector too.
func (s *seeder) servicesEstate(account, region string, guardDuty bool) services {
	cfg := s.member(account, "OrganizationAccountAccessRole", region)
	var r services

	k := kms.NewFromConfig(cfg)
	mkKey := func(rotate bool) string {
		out, err := k.CreateKey(s.ctx, &kms.CreateKeyInput{Description: aws.String("conformance")})
		s.must(err, "kms CreateKey")
		id := aws.ToString(out.KeyMetadata.KeyId)
		if rotate {
			_, err = k.EnableKeyRotation(s.ctx, &kms.EnableKeyRotationInput{KeyId: aws.String(id)})
			s.must(err, "kms EnableKeyRotation")
		}
		return id
	}
	r.rotatedKey, r.plainKey = mkKey(true), mkKey(false)

	d := dynamodb.NewFromConfig(cfg)
	mkTable := func(name string, clean bool) string {
		in := &dynamodb.CreateTableInput{TableName: aws.String(name), BillingMode: ddbtypes.BillingModePayPerRequest,
			AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
			KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}}}
		if clean {
			in.DeletionProtectionEnabled = aws.Bool(true)
			in.SSESpecification = &ddbtypes.SSESpecification{Enabled: aws.Bool(true), SSEType: ddbtypes.SSETypeKms, KMSMasterKeyId: aws.String(r.rotatedKey)}
		}
		_, err := d.CreateTable(s.ctx, in)
		s.must(err, "dynamodb CreateTable "+name)
		if clean {
			_, err = d.UpdateContinuousBackups(s.ctx, &dynamodb.UpdateContinuousBackupsInput{TableName: aws.String(name),
				PointInTimeRecoverySpecification: &ddbtypes.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(true)}})
			s.must(err, "dynamodb UpdateContinuousBackups "+name)
		}
		return name
	}
	r.cleanTable, r.plainTable = mkTable("conf-clean-table", true), mkTable("conf-plain-table", false)

	db := rds.NewFromConfig(cfg)
	mkDB := func(name string, clean bool) string {
		in := &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String(name), DBInstanceClass: aws.String("db.t3.micro"), Engine: aws.String("postgres"),
			AllocatedStorage: aws.Int32(20), MasterUsername: aws.String("dbowner"), MasterUserPassword: aws.String("Conformance-Passw0rd"),
			PubliclyAccessible: aws.Bool(!clean), StorageEncrypted: aws.Bool(clean), DeletionProtection: aws.Bool(clean), BackupRetentionPeriod: aws.Int32(0)}
		if clean {
			in.BackupRetentionPeriod = aws.Int32(7)
		}
		_, err := db.CreateDBInstance(s.ctx, in)
		s.must(err, "rds CreateDBInstance "+name)
		return name
	}
	r.cleanDB, r.plainDB = mkDB("conf-clean-db", true), mkDB("conf-plain-db", false)

	eip, err := ec2.NewFromConfig(cfg).AllocateAddress(s.ctx, &ec2.AllocateAddressInput{})
	s.must(err, "ec2 AllocateAddress")
	r.idleEIP = aws.ToString(eip.AllocationId)

	// Lambda: moto stores functions without running them (no Docker needed).
	roleOut, err := iam.NewFromConfig(cfg).CreateRole(s.ctx, &iam.CreateRoleInput{RoleName: aws.String("conf-lambda-" + region),
		AssumeRolePolicyDocument: aws.String(policyJSON(map[string]any{"Effect": "Allow", "Action": "sts:AssumeRole",
			"Principal": map[string]any{"Service": "lambda.amazonaws.com"}}))})
	s.must(err, "iam CreateRole for lambda")
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	f, _ := zw.Create("index.py")
	fmt.Fprint(f, "def handler(event, context):\n    return event\n")
	s.must(zw.Close(), "zip")
	l := lambda.NewFromConfig(cfg)
	mkFn := func(name string, runtime lambdatypes.Runtime, env map[string]string) string {
		_, err := l.CreateFunction(s.ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(name), Runtime: runtime, Role: roleOut.Role.Arn,
			Handler: aws.String("index.handler"), Code: &lambdatypes.FunctionCode{ZipFile: zbuf.Bytes()},
			Environment: &lambdatypes.Environment{Variables: env}})
		s.must(err, "lambda CreateFunction "+name)
		return name
	}
	r.cleanFn = mkFn("conf-clean-fn", lambdatypes.RuntimePython312, map[string]string{"LOG_LEVEL": "info"})
	r.leakyFn = mkFn("conf-leaky-fn", lambdatypes.RuntimePython37, map[string]string{"DB_PASSWORD": "hunter2-but-longer-Secret!", "AWS_KEY": "AKIAIOSFODNN7EXAMPLE"})

	if guardDuty {
		_, err := guardduty.NewFromConfig(cfg).CreateDetector(s.ctx, &guardduty.CreateDetectorInput{Enable: aws.Bool(true)})
		s.must(err, "guardduty CreateDetector")
	}
	return r
}

// governance are the names of what governanceEstate created.
type governance struct {
	validatedTrail, plainTrail string
	publicDoc, privateDoc      string
	aclPublicBucket            string
}

// governanceEstate creates, in account: a multi-region CloudTrail trail
// with log file validation (home us-east-1) and a single-region trail
// without; an AWS Config recorder and delivery channel recording in
// recorderRegion only; an SSM document shared with everyone and a private
// one (in us-east-1); a bucket made public by the public-read ACL; and a
// strict password policy when strictPasswords is set.
func (s *seeder) governanceEstate(account, recorderRegion string, strictPasswords bool) governance {
	g := governance{validatedTrail: "conf-org-trail", plainTrail: "conf-plain-trail", publicDoc: "conf-public-doc", privateDoc: "conf-private-doc",
		aclPublicBucket: "conf-acl-public-" + account}
	cfg := s.member(account, "OrganizationAccountAccessRole", "us-east-1")
	c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	trailBucket := "conf-trail-" + account
	for _, b := range []string{trailBucket, g.aclPublicBucket} {
		_, err := c.CreateBucket(s.ctx, &s3.CreateBucketInput{Bucket: aws.String(b)})
		s.must(err, "CreateBucket "+b)
	}
	_, err := c.PutBucketAcl(s.ctx, &s3.PutBucketAclInput{Bucket: aws.String(g.aclPublicBucket), ACL: s3types.BucketCannedACLPublicRead})
	s.must(err, "PutBucketAcl public-read")

	ct := cloudtrail.NewFromConfig(cfg)
	for _, tr := range []struct {
		name  string
		multi bool
	}{{g.validatedTrail, true}, {g.plainTrail, false}} {
		_, err := ct.CreateTrail(s.ctx, &cloudtrail.CreateTrailInput{Name: aws.String(tr.name), S3BucketName: aws.String(trailBucket),
			IsMultiRegionTrail: aws.Bool(tr.multi), EnableLogFileValidation: aws.Bool(tr.multi), IncludeGlobalServiceEvents: aws.Bool(true)})
		s.must(err, "CreateTrail "+tr.name)
		_, err = ct.StartLogging(s.ctx, &cloudtrail.StartLoggingInput{Name: aws.String(tr.name)})
		s.must(err, "StartLogging "+tr.name)
	}
	// The multi-region trail delivers to a CloudWatch Logs group with a CIS
	// 4.1 metric filter: the CIS 4.x checks then need the alarms, which
	// moto cannot serve over RPC v2 CBOR.
	lg := cloudwatchlogs.NewFromConfig(cfg)
	_, err = lg.CreateLogGroup(s.ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("conf-trail-logs")})
	s.must(err, "CreateLogGroup")
	_, err = lg.PutMetricFilter(s.ctx, &cloudwatchlogs.PutMetricFilterInput{LogGroupName: aws.String("conf-trail-logs"), FilterName: aws.String("unauthorized"),
		FilterPattern:         aws.String(`{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }`),
		MetricTransformations: []cwltypes.MetricTransformation{{MetricName: aws.String("UnauthorizedAPICalls"), MetricNamespace: aws.String("CISBenchmark"), MetricValue: aws.String("1")}}})
	s.must(err, "PutMetricFilter")
	_, err = ct.UpdateTrail(s.ctx, &cloudtrail.UpdateTrailInput{Name: aws.String(g.validatedTrail),
		CloudWatchLogsLogGroupArn: aws.String("arn:aws:logs:us-east-1:" + account + ":log-group:conf-trail-logs:*"),
		CloudWatchLogsRoleArn:     aws.String("arn:aws:iam::" + account + ":role/CloudTrailToCloudWatch")})
	s.must(err, "UpdateTrail CloudWatch Logs")
	// AWS gives a new trail a default event selector (all management
	// events, read and write); moto 5.2.1 gives it none, so set it.
	_, err = ct.PutEventSelectors(s.ctx, &cloudtrail.PutEventSelectorsInput{TrailName: aws.String(g.validatedTrail),
		EventSelectors: []cttypes.EventSelector{{ReadWriteType: cttypes.ReadWriteTypeAll, IncludeManagementEvents: aws.Bool(true)}}})
	s.must(err, "PutEventSelectors")

	cs := configservice.NewFromConfig(s.member(account, "OrganizationAccountAccessRole", recorderRegion))
	_, err = cs.PutConfigurationRecorder(s.ctx, &configservice.PutConfigurationRecorderInput{ConfigurationRecorder: &cstypes.ConfigurationRecorder{
		Name:           aws.String("default"),
		RoleARN:        aws.String("arn:aws:iam::" + account + ":role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"),
		RecordingGroup: &cstypes.RecordingGroup{AllSupported: true, IncludeGlobalResourceTypes: true},
	}})
	s.must(err, "PutConfigurationRecorder")
	_, err = cs.PutDeliveryChannel(s.ctx, &configservice.PutDeliveryChannelInput{DeliveryChannel: &cstypes.DeliveryChannel{
		Name: aws.String("default"), S3BucketName: aws.String(trailBucket)}})
	s.must(err, "PutDeliveryChannel")
	_, err = cs.StartConfigurationRecorder(s.ctx, &configservice.StartConfigurationRecorderInput{ConfigurationRecorderName: aws.String("default")})
	s.must(err, "StartConfigurationRecorder")

	sm := ssm.NewFromConfig(cfg)
	content := `{"schemaVersion":"2.2","description":"conformance","mainSteps":[{"action":"aws:runShellScript","name":"noop","inputs":{"runCommand":["true"]}}]}`
	for _, d := range []string{g.publicDoc, g.privateDoc} {
		_, err := sm.CreateDocument(s.ctx, &ssm.CreateDocumentInput{Name: aws.String(d), Content: aws.String(content), DocumentType: ssmtypes.DocumentTypeCommand,
			DocumentFormat: ssmtypes.DocumentFormatJson})
		s.must(err, "ssm CreateDocument "+d)
	}
	// AWS: "To share a document publicly, you must specify All as the
	// account ID" (ModifyDocumentPermission).
	_, err = sm.ModifyDocumentPermission(s.ctx, &ssm.ModifyDocumentPermissionInput{Name: aws.String(g.publicDoc), PermissionType: ssmtypes.DocumentPermissionTypeShare,
		AccountIdsToAdd: []string{"All"}})
	s.must(err, "ssm ModifyDocumentPermission")

	if strictPasswords {
		_, err := iam.NewFromConfig(cfg).UpdateAccountPasswordPolicy(s.ctx, &iam.UpdateAccountPasswordPolicyInput{
			MinimumPasswordLength: aws.Int32(14), RequireLowercaseCharacters: true, RequireUppercaseCharacters: true, RequireNumbers: true,
			RequireSymbols: true, MaxPasswordAge: aws.Int32(90), PasswordReusePrevention: aws.Int32(24), AllowUsersToChangePassword: true})
		s.must(err, "UpdateAccountPasswordPolicy")
	}
	return g
}
