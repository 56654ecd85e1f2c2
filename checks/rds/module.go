// Package rds is Rampart's RDS scanner module. It lists the DB instances, DB
// clusters and manual DB snapshots of one region (with each snapshot's
// restore attribute) and evaluates pure checks over them: exposure,
// encryption, backups, deletion protection, upgrades, high availability,
// authentication and monitoring. It runs once per account and region.
package rds

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsrds "github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/rampart-cspm/rampart/checks"
	"github.com/rampart-cspm/rampart/checks/internal/modkit"
)

// Name is the module's name and the service of its findings.
const Name = "rds"

// API is the part of the RDS client the collector calls.
type API interface {
	DescribeDBInstances(ctx context.Context, in *awsrds.DescribeDBInstancesInput, optFns ...func(*awsrds.Options)) (*awsrds.DescribeDBInstancesOutput, error)
	DescribeDBClusters(ctx context.Context, in *awsrds.DescribeDBClustersInput, optFns ...func(*awsrds.Options)) (*awsrds.DescribeDBClustersOutput, error)
	DescribeDBSnapshots(ctx context.Context, in *awsrds.DescribeDBSnapshotsInput, optFns ...func(*awsrds.Options)) (*awsrds.DescribeDBSnapshotsOutput, error)
	DescribeDBSnapshotAttributes(ctx context.Context, in *awsrds.DescribeDBSnapshotAttributesInput, optFns ...func(*awsrds.Options)) (*awsrds.DescribeDBSnapshotAttributesOutput, error)
}

var _ API = (*awsrds.Client)(nil)

// State is the RDS inventory of one account and region.
type State struct {
	AccountID string      `json:"account_id"`
	Region    string      `json:"region"`
	Instances []*Instance `json:"instances"`
	Clusters  []*Cluster  `json:"clusters"`
	Snapshots []*Snapshot `json:"snapshots"`
}

// Instance is one DB instance.
type Instance struct {
	ID                 string            `json:"id"`
	ARN                string            `json:"arn"`
	Engine             string            `json:"engine"`
	EngineVersion      string            `json:"engine_version,omitempty"`
	Cluster            string            `json:"cluster,omitempty"`
	Public             bool              `json:"public"`
	Encrypted          bool              `json:"encrypted"`
	BackupRetention    int32             `json:"backup_retention"`
	DeletionProtection bool              `json:"deletion_protection"`
	AutoMinorUpgrade   bool              `json:"auto_minor_upgrade"`
	MultiAZ            bool              `json:"multi_az"`
	IAMAuth            bool              `json:"iam_auth"`
	MonitoringInterval int32             `json:"monitoring_interval"`
	CopyTags           bool              `json:"copy_tags"`
	LogExports         []string          `json:"log_exports,omitempty"`
	MasterUsername     string            `json:"master_username,omitempty"`
	Port               int32             `json:"port"`
	Tags               map[string]string `json:"tags,omitempty"`
}

// Cluster is one DB cluster.
type Cluster struct {
	ID                 string            `json:"id"`
	ARN                string            `json:"arn"`
	Engine             string            `json:"engine"`
	Encrypted          bool              `json:"encrypted"`
	DeletionProtection bool              `json:"deletion_protection"`
	MultiAZ            bool              `json:"multi_az"`
	IAMAuth            bool              `json:"iam_auth"`
	CopyTags           bool              `json:"copy_tags"`
	MasterUsername     string            `json:"master_username,omitempty"`
	Tags               map[string]string `json:"tags,omitempty"`
}

// Snapshot is one manual DB snapshot. Public is nil when its attributes
// could not be read (AttrErr says why).
type Snapshot struct {
	ID        string            `json:"id"`
	ARN       string            `json:"arn"`
	Instance  string            `json:"instance"`
	Encrypted bool              `json:"encrypted"`
	Public    *bool             `json:"public,omitempty"`
	AttrErr   *modkit.AttrError `json:"attr_error,omitempty"`
}

// Module is the rds scanner module.
type Module struct{ *modkit.Std[*State] }

// Option configures the module.
type Option func(*options)

type options struct{ api func(checks.Env) API }

// WithAPI makes the module call api instead of an SDK client. Tests inject fakes.
func WithAPI(api API) Option { return func(o *options) { o.api = func(checks.Env) API { return api } } }

// New returns the RDS module.
func New(opts ...Option) checks.Module {
	o := options{api: func(env checks.Env) API { return awsrds.NewFromConfig(env.Config) }}
	for _, f := range opts {
		f(&o)
	}
	return &Module{&modkit.Std[*State]{ModName: Name, ModScope: checks.ScopeRegional, List: Checks,
		Collect: func(ctx context.Context, env checks.Env) (*State, error) { return collect(ctx, env, o.api(env)) }}}
}

func tagMap[T any](list []T, kv func(T) (string, string)) map[string]string {
	if len(list) == 0 {
		return nil
	}
	m := map[string]string{}
	for _, t := range list {
		k, v := kv(t)
		m[k] = v
	}
	return m
}

func collect(ctx context.Context, env checks.Env, api API) (*State, error) {
	st := &State{AccountID: env.AccountID, Region: env.Region, Instances: []*Instance{}, Clusters: []*Cluster{}, Snapshots: []*Snapshot{}}
	var marker *string
	for {
		out, err := api.DescribeDBInstances(ctx, &awsrds.DescribeDBInstancesInput{Marker: marker})
		if err != nil {
			return nil, fmt.Errorf("rds: describe DB instances of %s in %s: %w", env.AccountID, env.Region, err)
		}
		for _, d := range out.DBInstances {
			in := &Instance{ID: aws.ToString(d.DBInstanceIdentifier), ARN: aws.ToString(d.DBInstanceArn), Engine: aws.ToString(d.Engine),
				EngineVersion: aws.ToString(d.EngineVersion), Cluster: aws.ToString(d.DBClusterIdentifier),
				Public: aws.ToBool(d.PubliclyAccessible), Encrypted: aws.ToBool(d.StorageEncrypted), BackupRetention: aws.ToInt32(d.BackupRetentionPeriod),
				DeletionProtection: aws.ToBool(d.DeletionProtection), AutoMinorUpgrade: aws.ToBool(d.AutoMinorVersionUpgrade),
				MultiAZ: aws.ToBool(d.MultiAZ), IAMAuth: aws.ToBool(d.IAMDatabaseAuthenticationEnabled), MonitoringInterval: aws.ToInt32(d.MonitoringInterval),
				CopyTags: aws.ToBool(d.CopyTagsToSnapshot), LogExports: d.EnabledCloudwatchLogsExports, MasterUsername: aws.ToString(d.MasterUsername)}
			if d.Endpoint != nil {
				in.Port = aws.ToInt32(d.Endpoint.Port)
			}
			in.Tags = tagMap(d.TagList, func(t types.Tag) (string, string) { return aws.ToString(t.Key), aws.ToString(t.Value) })
			st.Instances = append(st.Instances, in)
		}
		if marker = out.Marker; aws.ToString(marker) == "" {
			break
		}
	}
	marker = nil
	for {
		out, err := api.DescribeDBClusters(ctx, &awsrds.DescribeDBClustersInput{Marker: marker})
		if err != nil {
			return nil, fmt.Errorf("rds: describe DB clusters of %s in %s: %w", env.AccountID, env.Region, err)
		}
		for _, d := range out.DBClusters {
			st.Clusters = append(st.Clusters, &Cluster{ID: aws.ToString(d.DBClusterIdentifier), ARN: aws.ToString(d.DBClusterArn),
				Engine: aws.ToString(d.Engine), Encrypted: aws.ToBool(d.StorageEncrypted), DeletionProtection: aws.ToBool(d.DeletionProtection),
				MultiAZ: aws.ToBool(d.MultiAZ), IAMAuth: aws.ToBool(d.IAMDatabaseAuthenticationEnabled), CopyTags: aws.ToBool(d.CopyTagsToSnapshot),
				MasterUsername: aws.ToString(d.MasterUsername),
				Tags:           tagMap(d.TagList, func(t types.Tag) (string, string) { return aws.ToString(t.Key), aws.ToString(t.Value) })})
		}
		if marker = out.Marker; aws.ToString(marker) == "" {
			break
		}
	}
	marker = nil
	for {
		out, err := api.DescribeDBSnapshots(ctx, &awsrds.DescribeDBSnapshotsInput{Marker: marker, SnapshotType: aws.String("manual")})
		if err != nil {
			return nil, fmt.Errorf("rds: describe DB snapshots of %s in %s: %w", env.AccountID, env.Region, err)
		}
		for _, d := range out.DBSnapshots {
			s := &Snapshot{ID: aws.ToString(d.DBSnapshotIdentifier), ARN: aws.ToString(d.DBSnapshotArn),
				Instance: aws.ToString(d.DBInstanceIdentifier), Encrypted: aws.ToBool(d.Encrypted)}
			attrs, err := api.DescribeDBSnapshotAttributes(ctx, &awsrds.DescribeDBSnapshotAttributesInput{DBSnapshotIdentifier: d.DBSnapshotIdentifier})
			if err != nil {
				s.AttrErr = modkit.NewAttrError(env, fmt.Errorf("rds: describe attributes of snapshot %s: %w", s.ID, err))
			} else {
				public := false
				if r := attrs.DBSnapshotAttributesResult; r != nil {
					for _, a := range r.DBSnapshotAttributes {
						if aws.ToString(a.AttributeName) == "restore" && slices.Contains(a.AttributeValues, "all") {
							public = true
						}
					}
				}
				s.Public = &public
			}
			st.Snapshots = append(st.Snapshots, s)
		}
		if marker = out.Marker; aws.ToString(marker) == "" {
			break
		}
	}
	return st, nil
}
