package awssim

import (
	"crypto/sha256"
	"encoding/hex"
)

// Services are an account's resources in the services beyond IAM, S3 and
// EC2: RDS, DynamoDB, Lambda, AWS Config, SSM, CloudTrail, GuardDuty,
// Security Hub, IAM Access Analyzer, CloudWatch Logs, CloudWatch alarms and
// KMS. Regional maps are keyed by region name; the key "*" applies to every
// region the map does not name.
type Services struct {
	RDS            map[string]*RDSRegion         `yaml:"rds"`
	DynamoDB       map[string][]*DynamoTable     `yaml:"dynamodb"`
	Lambda         map[string][]*LambdaFunction  `yaml:"lambda"`
	Config         map[string]*ConfigRegion      `yaml:"config"`
	SSM            map[string]*SSMRegion         `yaml:"ssm"`
	CloudTrail     []*Trail                      `yaml:"cloudtrail"`
	GuardDuty      map[string]*GuardDutyRegion   `yaml:"guardduty"`
	SecurityHub    map[string]*SecurityHubRegion `yaml:"securityhub"`
	AccessAnalyzer map[string][]*Analyzer        `yaml:"access_analyzer"`
	Logs           map[string][]*LogGroup        `yaml:"logs"`
	Alarms         map[string][]*Alarm           `yaml:"cloudwatch_alarms"`
	KMS            map[string][]*KMSKey          `yaml:"kms"`
}

// regional returns m[region], or m["*"] when the region has no entry.
func regional[V any](m map[string]V, region string) V {
	if v, ok := m[region]; ok {
		return v
	}
	return m["*"]
}

// RDSRegion is an account's RDS resources in one region.
type RDSRegion struct {
	Instances []*DBInstance `yaml:"instances"`
	Clusters  []*DBCluster  `yaml:"clusters"`
	Snapshots []*DBSnapshot `yaml:"snapshots"`
}

// DBInstance is one RDS DB instance.
type DBInstance struct {
	ID                 string            `yaml:"id"`
	Engine             string            `yaml:"engine"` // default postgres
	EngineVersion      string            `yaml:"engine_version"`
	Class              string            `yaml:"class"`
	Public             bool              `yaml:"public"`
	Encrypted          bool              `yaml:"encrypted"`
	BackupRetention    int               `yaml:"backup_retention"`
	DeletionProtection bool              `yaml:"deletion_protection"`
	AutoMinorUpgrade   bool              `yaml:"auto_minor_upgrade"`
	MultiAZ            bool              `yaml:"multi_az"`
	IAMAuth            bool              `yaml:"iam_auth"`
	MonitoringInterval int               `yaml:"monitoring_interval"`
	CopyTags           bool              `yaml:"copy_tags"`
	LogExports         []string          `yaml:"log_exports"`
	MasterUsername     string            `yaml:"master_username"`
	Port               int               `yaml:"port"`
	Cluster            string            `yaml:"cluster"`
	Tags               map[string]string `yaml:"tags"`
}

// DBCluster is one Aurora / Multi-AZ DB cluster.
type DBCluster struct {
	ID                 string            `yaml:"id"`
	Engine             string            `yaml:"engine"` // default aurora-postgresql
	Encrypted          bool              `yaml:"encrypted"`
	DeletionProtection bool              `yaml:"deletion_protection"`
	MultiAZ            bool              `yaml:"multi_az"`
	IAMAuth            bool              `yaml:"iam_auth"`
	CopyTags           bool              `yaml:"copy_tags"`
	BackupRetention    int               `yaml:"backup_retention"`
	MasterUsername     string            `yaml:"master_username"`
	Tags               map[string]string `yaml:"tags"`
}

// DBSnapshot is one manual DB snapshot.
type DBSnapshot struct {
	ID        string `yaml:"id"`
	Instance  string `yaml:"instance"`
	Encrypted bool   `yaml:"encrypted"`
	// Public shares the snapshot with all AWS accounts (restore attribute "all").
	Public bool `yaml:"public"`
}

// DynamoTable is one DynamoDB table.
type DynamoTable struct {
	Name               string `yaml:"name"`
	PITR               bool   `yaml:"pitr"`
	DeletionProtection bool   `yaml:"deletion_protection"`
	// KMSKey is "" (AWS owned key, the default), "aws" (the AWS managed key
	// aws/dynamodb) or the alias of a key of the account's kms list.
	KMSKey string `yaml:"kms_key"`
}

// LambdaFunction is one Lambda function.
type LambdaFunction struct {
	Name    string            `yaml:"name"`
	Runtime string            `yaml:"runtime"` // default python3.12
	Env     map[string]string `yaml:"env"`
	// EnvKMSKey is the alias of an account KMS key encrypting the environment.
	EnvKMSKey string `yaml:"env_kms_key"`
	// Policy is the resource-based policy document ("" = none).
	Policy string `yaml:"policy"`
	// URLAuth is the function URL's auth type: "" (no URL), NONE or AWS_IAM.
	URLAuth        string   `yaml:"url_auth"`
	URLCorsOrigins []string `yaml:"url_cors_origins"`
	VPCSubnets     []string `yaml:"vpc_subnets"`
	DeadLetter     string   `yaml:"dead_letter"` // target ARN
}

// ConfigRegion is the AWS Config setup of one region.
type ConfigRegion struct {
	Recorder        bool   `yaml:"recorder"`
	AllSupported    bool   `yaml:"all_supported"`
	GlobalResources bool   `yaml:"global_resources"`
	Recording       bool   `yaml:"recording"`
	LastStatus      string `yaml:"last_status"` // SUCCESS (default), FAILURE
	DeliveryChannel bool   `yaml:"delivery_channel"`
	// Role is the recorder's role name; default the service-linked role
	// AWSServiceRoleForConfig.
	Role string `yaml:"role"`
}

// SSMRegion is the Systems Manager state of one region.
type SSMRegion struct {
	// Managed lists the EC2 instances (names or IDs) registered with SSM.
	Managed []string `yaml:"managed"`
	// Patch maps an instance (name or ID) to its patch compliance status:
	// COMPLIANT or NON_COMPLIANT.
	Patch     map[string]string `yaml:"patch"`
	Documents []*SSMDocument    `yaml:"documents"`
}

// SSMDocument is a document owned by the account.
type SSMDocument struct {
	Name    string `yaml:"name"`
	Public  bool   `yaml:"public"`
	Content string `yaml:"content"`
}

// Trail is one CloudTrail trail, created in HomeRegion.
type Trail struct {
	Name          string `yaml:"name"`
	HomeRegion    string `yaml:"home_region"` // default us-east-1
	MultiRegion   bool   `yaml:"multi_region"`
	Organization  bool   `yaml:"organization"` // an organization trail (management account only)
	LogValidation bool   `yaml:"log_validation"`
	KMSKey        string `yaml:"kms_key"` // key ARN or alias
	Bucket        string `yaml:"bucket"`
	// LogGroup is the CloudWatch Logs group the trail delivers to ("" =
	// none), in the trail's home region.
	LogGroup string `yaml:"log_group"`
	// Logging is whether the trail is logging; nil means true.
	Logging *bool `yaml:"logging"`
	// ManagementEvents is ReadWriteType of management events: All (default),
	// ReadOnly, WriteOnly or None.
	ManagementEvents string `yaml:"management_events"`
	// S3DataEvents is "", ReadOnly, WriteOnly or All.
	S3DataEvents string `yaml:"s3_data_events"`
	Insights     bool   `yaml:"insights"`
}

// GuardDutyRegion is the GuardDuty detector of one region.
type GuardDutyRegion struct {
	Enabled bool `yaml:"enabled"`
	// Administrator is the delegated administrator account managing this
	// member's detector ("" = standalone).
	Administrator string   `yaml:"administrator"`
	Features      []string `yaml:"features"` // enabled features, e.g. S3_DATA_EVENTS
	HighFindings  int      `yaml:"high_findings"`
}

// SecurityHubRegion is the Security Hub subscription of one region.
type SecurityHubRegion struct {
	Enabled       bool   `yaml:"enabled"`
	Administrator string `yaml:"administrator"`
}

// Analyzer is one IAM Access Analyzer analyzer.
type Analyzer struct {
	Name           string `yaml:"name"`
	Type           string `yaml:"type"`   // ACCOUNT (default) or ORGANIZATION
	Status         string `yaml:"status"` // ACTIVE (default)
	ActiveFindings int    `yaml:"active_findings"`
}

// LogGroup is one CloudWatch Logs log group.
type LogGroup struct {
	Name          string         `yaml:"name"`
	RetentionDays int            `yaml:"retention_days"` // 0 = never expire
	KMSKey        string         `yaml:"kms_key"`
	MetricFilters []MetricFilter `yaml:"metric_filters"`
}

// MetricFilter is a metric filter on a log group.
type MetricFilter struct {
	Name      string `yaml:"name"`
	Pattern   string `yaml:"pattern"`
	Metric    string `yaml:"metric"`
	Namespace string `yaml:"namespace"` // default CISBenchmark
}

// Alarm is one CloudWatch metric alarm.
type Alarm struct {
	Name           string   `yaml:"name"`
	Metric         string   `yaml:"metric"`
	Namespace      string   `yaml:"namespace"` // default CISBenchmark
	ActionsEnabled *bool    `yaml:"actions_enabled"`
	Actions        []string `yaml:"actions"` // SNS topic ARNs
}

// KMSKey is one KMS key.
type KMSKey struct {
	Alias       string `yaml:"alias"`
	ID          string `yaml:"id"`      // derived from account, region and alias when empty
	Manager     string `yaml:"manager"` // CUSTOMER (default) or AWS
	State       string `yaml:"state"`   // Enabled (default), Disabled, PendingDeletion
	Rotation    bool   `yaml:"rotation"`
	MultiRegion bool   `yaml:"multi_region"`
	Asymmetric  bool   `yaml:"asymmetric"`
	Policy      string `yaml:"policy"` // default: the account root may administer the key
}

// kmsKeyID returns k's key ID.
func kmsKeyID(account, region string, k *KMSKey) string {
	if k.ID != "" {
		return k.ID
	}
	sum := sha256.Sum256([]byte(account + "\x00" + region + "\x00kms\x00" + k.Alias))
	h := hex.EncodeToString(sum[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func kmsKeyARN(account, region string, k *KMSKey) string {
	return "arn:aws:kms:" + region + ":" + account + ":key/" + kmsKeyID(account, region, k)
}

// kmsKeyRef resolves an alias ("alias/x" or "x") or key ID of the account's
// keys in region to the key's ARN; other values are returned as they are.
func kmsKeyRef(a *Account, region, ref string) string {
	if ref == "" {
		return ""
	}
	for _, k := range regional(a.KMS, region) {
		if k.Alias == ref || "alias/"+k.Alias == ref || k.ID == ref {
			return kmsKeyARN(a.ID, region, k)
		}
	}
	return ref
}
