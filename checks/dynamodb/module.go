// Package dynamodb is Rampart's DynamoDB scanner module. It lists the tables
// of one region, reads each table's description, continuous backups and,
// for KMS-encrypted tables, who manages the key, and evaluates pure checks:
// point-in-time recovery, encryption with a customer managed key and
// deletion protection. It runs once per account and region.
package dynamodb

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/rampart-cspm/rampart/checks"
	"github.com/rampart-cspm/rampart/checks/internal/modkit"
)

// Name is the module's name and the service of its findings.
const Name = "dynamodb"

// API is the part of the DynamoDB client the collector calls.
type API interface {
	ListTables(ctx context.Context, in *awsddb.ListTablesInput, optFns ...func(*awsddb.Options)) (*awsddb.ListTablesOutput, error)
	DescribeTable(ctx context.Context, in *awsddb.DescribeTableInput, optFns ...func(*awsddb.Options)) (*awsddb.DescribeTableOutput, error)
	DescribeContinuousBackups(ctx context.Context, in *awsddb.DescribeContinuousBackupsInput, optFns ...func(*awsddb.Options)) (*awsddb.DescribeContinuousBackupsOutput, error)
}

// KeyAPI is the part of the KMS client the collector calls to learn who
// manages a table's key.
type KeyAPI interface {
	DescribeKey(ctx context.Context, in *kms.DescribeKeyInput, optFns ...func(*kms.Options)) (*kms.DescribeKeyOutput, error)
}

// State is the DynamoDB inventory of one account and region.
type State struct {
	AccountID string   `json:"account_id"`
	Region    string   `json:"region"`
	Tables    []*Table `json:"tables"`
}

// Table is one table. KeyManager is CUSTOMER or AWS for KMS-encrypted tables,
// "" for the AWS owned default key. Errors are keyed by attribute.
type Table struct {
	Name               string                       `json:"name"`
	ARN                string                       `json:"arn"`
	DeletionProtection bool                         `json:"deletion_protection"`
	SSEType            string                       `json:"sse_type,omitempty"`
	KMSKeyARN          string                       `json:"kms_key_arn,omitempty"`
	KeyManager         string                       `json:"key_manager,omitempty"`
	PITR               bool                         `json:"pitr"`
	Errors             map[string]*modkit.AttrError `json:"errors,omitempty"`
}

// Module is the dynamodb scanner module.
type Module struct{ *modkit.Std[*State] }

// Option configures the module.
type Option func(*options)

type options struct {
	api  func(checks.Env) API
	keys func(checks.Env) KeyAPI
}

// WithAPI makes the module call fakes instead of SDK clients.
func WithAPI(api API, keys KeyAPI) Option {
	return func(o *options) {
		o.api = func(checks.Env) API { return api }
		o.keys = func(checks.Env) KeyAPI { return keys }
	}
}

// New returns the DynamoDB module.
func New(opts ...Option) checks.Module {
	o := options{api: func(env checks.Env) API { return awsddb.NewFromConfig(env.Config) },
		keys: func(env checks.Env) KeyAPI { return kms.NewFromConfig(env.Config) }}
	for _, f := range opts {
		f(&o)
	}
	return &Module{&modkit.Std[*State]{ModName: Name, ModScope: checks.ScopeRegional, List: Checks,
		Collect: func(ctx context.Context, env checks.Env) (*State, error) {
			return collect(ctx, env, o.api(env), o.keys(env))
		}}}
}

func (t *Table) setErr(attr string, e *modkit.AttrError) {
	if t.Errors == nil {
		t.Errors = map[string]*modkit.AttrError{}
	}
	t.Errors[attr] = e
}

func collect(ctx context.Context, env checks.Env, api API, keys KeyAPI) (*State, error) {
	st := &State{AccountID: env.AccountID, Region: env.Region, Tables: []*Table{}}
	in := &awsddb.ListTablesInput{}
	for {
		out, err := api.ListTables(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("dynamodb: list tables of %s in %s: %w", env.AccountID, env.Region, err)
		}
		for _, name := range out.TableNames {
			t := &Table{Name: name, ARN: "arn:aws:dynamodb:" + env.Region + ":" + env.AccountID + ":table/" + name}
			if d, err := api.DescribeTable(ctx, &awsddb.DescribeTableInput{TableName: aws.String(name)}); err != nil {
				t.setErr("description", modkit.NewAttrError(env, fmt.Errorf("dynamodb: describe table %s: %w", name, err)))
			} else if d.Table != nil {
				t.ARN = aws.ToString(d.Table.TableArn)
				t.DeletionProtection = aws.ToBool(d.Table.DeletionProtectionEnabled)
				if s := d.Table.SSEDescription; s != nil {
					t.SSEType, t.KMSKeyARN = string(s.SSEType), aws.ToString(s.KMSMasterKeyArn)
				}
				if t.KMSKeyARN != "" {
					if k, err := keys.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(t.KMSKeyARN)}); err != nil {
						t.setErr("key", modkit.NewAttrError(env, fmt.Errorf("kms: describe key %s of table %s: %w", t.KMSKeyARN, name, err)))
					} else if k.KeyMetadata != nil {
						t.KeyManager = string(k.KeyMetadata.KeyManager)
					}
				}
			}
			if b, err := api.DescribeContinuousBackups(ctx, &awsddb.DescribeContinuousBackupsInput{TableName: aws.String(name)}); err != nil {
				t.setErr("continuous backups", modkit.NewAttrError(env, fmt.Errorf("dynamodb: describe continuous backups of %s: %w", name, err)))
			} else if d := b.ContinuousBackupsDescription; d != nil && d.PointInTimeRecoveryDescription != nil {
				t.PITR = d.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus == "ENABLED"
			}
			st.Tables = append(st.Tables, t)
		}
		if out.LastEvaluatedTableName == nil {
			return st, nil
		}
		in = &awsddb.ListTablesInput{ExclusiveStartTableName: out.LastEvaluatedTableName}
	}
}
