package awssim

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Estate is the declarative description of everything the simulator serves:
// regions, organizations with their accounts, per-account resources, faults
// and latency. See the package documentation for the YAML schema.
//
// An Estate returned by ParseEstate or LoadEstate is validated and has every
// derived identifier (VPC, subnet, security group, instance and access key
// IDs that the file leaves out) filled in.
type Estate struct {
	// Name is a label only (defaults to the file name).
	Name string `yaml:"name"`
	// Latency is added to every served call.
	Latency Latency `yaml:"latency"`
	// Regions are all regions the simulated AWS knows. Regions without OptIn
	// are enabled in every account; opt-in regions only in accounts that list
	// them in EnabledRegions.
	Regions []Region `yaml:"regions"`
	// Organizations each become one landing zone.
	Organizations []*Organization `yaml:"organizations"`
	// Faults are the initial fault injections (see Server.SetFaults).
	Faults []Fault `yaml:"faults"`
	// Quotas, when set, throttle calls per API family as AWS does (see
	// Quotas and QuotaFamilies in quota.go).
	Quotas *Quotas `yaml:"quotas"`
}

// Latency delays every served call by Fixed, plus a uniformly random
// duration in [Min, Max] when Max is set, or a log-normal one with median
// P50 and 99th percentile P99 when P50 is set.
type Latency struct {
	Fixed time.Duration `yaml:"fixed"`
	Min   time.Duration `yaml:"min"`
	Max   time.Duration `yaml:"max"`
	P50   time.Duration `yaml:"p50"`
	P99   time.Duration `yaml:"p99"`
}

// Region is one AWS region.
type Region struct {
	Name  string `yaml:"name"`
	OptIn bool   `yaml:"opt_in"`
}

// Organization is one AWS Organization.
type Organization struct {
	ID string `yaml:"id"` // o-xxxx
	// Name is a label (the demo uses it as the landing-zone name).
	Name              string `yaml:"name"`
	RootID            string `yaml:"root_id"` // r-xxxx; derived when empty
	ManagementAccount string `yaml:"management_account"`
	// FeatureSet is ALL (default) or CONSOLIDATED_BILLING.
	FeatureSet string     `yaml:"feature_set"`
	OUs        []*OU      `yaml:"ous"`
	Accounts   []*Account `yaml:"accounts"`
}

// OU is an organizational unit. Parent is "root" (or empty, or the root ID)
// or the ID of another OU.
type OU struct {
	ID     string `yaml:"id"`
	Name   string `yaml:"name"`
	Parent string `yaml:"parent"`
}

// Account is one member (or management) account and its resources.
type Account struct {
	ID    string `yaml:"id"`
	Name  string `yaml:"name"`
	Email string `yaml:"email"` // defaults to <name>@example.com
	// OU is the parent OU ID; "" or "root" places the account under the root.
	OU string `yaml:"ou"`
	// Status is ACTIVE (default) or SUSPENDED.
	Status        string `yaml:"status"`
	JoinedDaysAgo int    `yaml:"joined_days_ago"`
	// EnabledRegions, when set, is the complete list of regions enabled in
	// this account (it replaces the non-opt-in defaults).
	EnabledRegions []string          `yaml:"enabled_regions"`
	Tags           map[string]string `yaml:"tags"`
	// AccessKeys are static keys whose calls are made as this account
	// (normally only the management account has them).
	AccessKeys []StaticKey `yaml:"access_keys"`
	// Roles are the IAM roles that sts:AssumeRole may assume in this account.
	Roles []Role                `yaml:"roles"`
	IAM   IAM                   `yaml:"iam"`
	S3    []*Bucket             `yaml:"s3"`
	EC2   map[string]*EC2Region `yaml:"ec2"`
	// Services are the account's other services (estate_services.go).
	Services `yaml:",inline"`
}

// StaticKey is a long-term access key.
type StaticKey struct {
	ID     string `yaml:"id"`
	Secret string `yaml:"secret"`
	User   string `yaml:"user"` // IAM user name in ARNs; default "rampart"
}

// Role is an assumable IAM role, optionally requiring an external ID.
type Role struct {
	Name       string `yaml:"name"`
	ExternalID string `yaml:"external_id"`
}

// IAM is the account's IAM configuration.
type IAM struct {
	RootMFA        bool            `yaml:"root_mfa"`
	RootAccessKeys bool            `yaml:"root_access_keys"`
	PasswordPolicy *PasswordPolicy `yaml:"password_policy"` // nil = none
	Users          []*User         `yaml:"users"`
}

// PasswordPolicy is the account password policy.
type PasswordPolicy struct {
	MinimumLength      int  `yaml:"minimum_length"`
	RequireSymbols     bool `yaml:"require_symbols"`
	RequireNumbers     bool `yaml:"require_numbers"`
	RequireUppercase   bool `yaml:"require_uppercase"`
	RequireLowercase   bool `yaml:"require_lowercase"`
	AllowUsersToChange bool `yaml:"allow_users_to_change"`
	MaxAgeDays         int  `yaml:"max_age_days"`     // 0 = no expiry
	ReusePrevention    int  `yaml:"reuse_prevention"` // 0 = not set
	HardExpiry         bool `yaml:"hard_expiry"`
}

// User is an IAM user.
type User struct {
	Name           string `yaml:"name"`
	CreatedDaysAgo int    `yaml:"created_days_ago"`
	// ConsolePassword gives the user a login profile.
	ConsolePassword bool `yaml:"console_password"`
	// PasswordLastUsedDaysAgo is nil when the password was never used.
	PasswordLastUsedDaysAgo *int              `yaml:"password_last_used_days_ago"`
	MFA                     bool              `yaml:"mfa"` // one virtual MFA device
	AccessKeys              []*UserAccessKey  `yaml:"access_keys"`
	AttachedPolicies        []string          `yaml:"attached_policies"` // policy ARNs
	InlinePolicies          []string          `yaml:"inline_policies"`   // policy names
	Tags                    map[string]string `yaml:"tags"`
}

// UserAccessKey is an IAM user's access key (listed, never usable).
type UserAccessKey struct {
	ID      string `yaml:"id"`     // derived when empty
	Status  string `yaml:"status"` // Active (default) or Inactive
	AgeDays int    `yaml:"age_days"`
	// LastUsedDaysAgo is nil when the key was never used.
	LastUsedDaysAgo *int   `yaml:"last_used_days_ago"`
	LastUsedService string `yaml:"last_used_service"`
	LastUsedRegion  string `yaml:"last_used_region"`
}

// Bucket is an S3 bucket.
type Bucket struct {
	Name           string `yaml:"name"`
	Region         string `yaml:"region"`
	CreatedDaysAgo int    `yaml:"created_days_ago"`
	Policy         string `yaml:"policy"` // JSON; "" = none
	// ACL is a canned ACL: private (default), public-read,
	// public-read-write, authenticated-read, log-delivery-write.
	ACL               string             `yaml:"acl"`
	Grants            []Grant            `yaml:"grants"` // in addition to the canned ACL
	PublicAccessBlock *PublicAccessBlock `yaml:"public_access_block"`
	// Encryption is none (default), AES256 or aws:kms.
	Encryption string `yaml:"encryption"`
	KMSKeyID   string `yaml:"kms_key_id"`
	BucketKey  bool   `yaml:"bucket_key"`
	// Versioning is "" (never enabled), Enabled or Suspended.
	Versioning string            `yaml:"versioning"`
	MFADelete  bool              `yaml:"mfa_delete"`
	Logging    *BucketLogging    `yaml:"logging"`
	Tags       map[string]string `yaml:"tags"`

	objects map[string]*object
}

// Grant is one ACL grant. Grantee is AllUsers, AuthenticatedUsers,
// LogDelivery or a canonical user ID.
type Grant struct {
	Grantee    string `yaml:"grantee"`
	Permission string `yaml:"permission"` // READ, WRITE, READ_ACP, WRITE_ACP, FULL_CONTROL
}

// PublicAccessBlock is a bucket's public access block configuration.
type PublicAccessBlock struct {
	BlockPublicACLs       bool `yaml:"block_public_acls"`
	IgnorePublicACLs      bool `yaml:"ignore_public_acls"`
	BlockPublicPolicy     bool `yaml:"block_public_policy"`
	RestrictPublicBuckets bool `yaml:"restrict_public_buckets"`
}

// BucketLogging is a bucket's server access logging target.
type BucketLogging struct {
	TargetBucket string `yaml:"target_bucket"`
	TargetPrefix string `yaml:"target_prefix"`
}

// EC2Region holds one account's EC2 resources in one region. Resources
// refer to each other by name (or by explicit ID).
type EC2Region struct {
	VPCs           []*VPC           `yaml:"vpcs"`
	Subnets        []*Subnet        `yaml:"subnets"`
	SecurityGroups []*SecurityGroup `yaml:"security_groups"`
	Instances      []*Instance      `yaml:"instances"`

	// Network resources (ec2_network.go).
	NetworkACLs     []*NetworkACL     `yaml:"network_acls"`
	FlowLogs        []*FlowLog        `yaml:"flow_logs"`
	TransitGateways []*TransitGateway `yaml:"transit_gateways"`
	VPCEndpoints    []*VPCEndpoint    `yaml:"vpc_endpoints"`
	// Compute resources and account-level settings of the region
	// (ec2_compute.go).
	Volumes                   []*Volume   `yaml:"volumes"`
	Snapshots                 []*Snapshot `yaml:"snapshots"`
	Images                    []*Image    `yaml:"images"`
	Addresses                 []*Address  `yaml:"addresses"`
	EBSEncryptionByDefault    bool        `yaml:"ebs_encryption_by_default"`
	IMDSDefault               string      `yaml:"imds_http_tokens_default"`     // "" (no preference), required, optional
	SnapshotBlockPublicAccess string      `yaml:"snapshot_block_public_access"` // unblocked (default), block-all-sharing, block-new-sharing
	ImageBlockPublicAccess    bool        `yaml:"image_block_public_access"`
}

// VPC is a virtual private cloud.
type VPC struct {
	ID      string            `yaml:"id"` // derived when empty
	Name    string            `yaml:"name"`
	CIDR    string            `yaml:"cidr"`
	Default bool              `yaml:"default"`
	Tags    map[string]string `yaml:"tags"`
}

// Subnet is a subnet; Public sets MapPublicIpOnLaunch.
type Subnet struct {
	ID     string            `yaml:"id"`
	Name   string            `yaml:"name"`
	VPC    string            `yaml:"vpc"`
	CIDR   string            `yaml:"cidr"`
	AZ     string            `yaml:"az"` // default <region>a
	Public bool              `yaml:"public"`
	Tags   map[string]string `yaml:"tags"`

	vpcID string
}

// SecurityGroup is a VPC security group. Egress defaults to allow-all.
type SecurityGroup struct {
	ID          string            `yaml:"id"`
	Name        string            `yaml:"name"`
	Description string            `yaml:"description"`
	VPC         string            `yaml:"vpc"`
	Ingress     []Rule            `yaml:"ingress"`
	Egress      []Rule            `yaml:"egress"`
	Tags        map[string]string `yaml:"tags"`

	vpcID    string
	implicit bool // the VPC's default group, created by the simulator
}

// Rule is one security group permission. Protocol is tcp, udp, icmp or
// "-1"/"all" (every protocol; ports are then ignored). Port sets FromPort
// and ToPort at once.
type Rule struct {
	Protocol     string   `yaml:"protocol"`
	Port         *int     `yaml:"port"`
	FromPort     *int     `yaml:"from_port"`
	ToPort       *int     `yaml:"to_port"`
	CIDRs        []string `yaml:"cidrs"`
	IPv6CIDRs    []string `yaml:"ipv6_cidrs"`
	SourceGroups []string `yaml:"source_groups"` // names or IDs in the same region
	Description  string   `yaml:"description"`

	sourceGroupIDs []string
}

// Instance is an EC2 instance.
type Instance struct {
	ID              string   `yaml:"id"`
	Name            string   `yaml:"name"`
	Type            string   `yaml:"type"` // default t3.micro
	ImageID         string   `yaml:"image_id"`
	Subnet          string   `yaml:"subnet"`
	PrivateIP       string   `yaml:"private_ip"`
	PublicIP        string   `yaml:"public_ip"`
	SecurityGroups  []string `yaml:"security_groups"` // names or IDs
	State           string   `yaml:"state"`           // running (default), stopped, ...
	LaunchedDaysAgo int      `yaml:"launched_days_ago"`
	IAMProfile      string   `yaml:"iam_instance_profile"`
	HTTPTokens      string   `yaml:"http_tokens"` // required or optional (default)
	// DetailedMonitoring enables one-minute CloudWatch metrics.
	DetailedMonitoring bool `yaml:"detailed_monitoring"`
	// Virtualization is hvm (default) or paravirtual.
	Virtualization string `yaml:"virtualization"`
	// StoppedDaysAgo dates the stop of a stopped instance (its state
	// transition reason).
	StoppedDaysAgo int               `yaml:"stopped_days_ago"`
	Tags           map[string]string `yaml:"tags"`

	subnetID string
	vpcID    string
	sgIDs    []string
}

// Fault kinds.
const (
	FaultThrottle      = "throttle"
	FaultAccessDenied  = "access_denied"
	FaultInternalError = "internal_error"
	FaultLatency       = "latency"
)

// Fault injects an error or a delay into matching calls. Empty or "*"
// fields match anything. Count limits the fault to the first Count matching
// calls; 0 means every matching call.
type Fault struct {
	Account   string        `yaml:"account"`
	Region    string        `yaml:"region"`
	Service   string        `yaml:"service"`
	Operation string        `yaml:"operation"`
	Kind      string        `yaml:"kind"`
	Count     int           `yaml:"count"`
	Latency   time.Duration `yaml:"latency"` // with kind latency
}

//go:embed estates/demo.yaml
var demoYAML []byte

// DemoEstate returns a fresh copy of the embedded demo estate
// (estates/demo.yaml). It panics if the embedded file is invalid, which the
// package tests rule out.
func DemoEstate() *Estate {
	e, err := ParseEstate(demoYAML, "demo.yaml")
	if err != nil {
		panic(fmt.Sprintf("awssim: embedded demo estate: %v", err))
	}
	return e
}

// DemoEstateYAML returns the embedded demo estate's source.
func DemoEstateYAML() []byte { return bytes.Clone(demoYAML) }

// LoadEstate reads and validates an estate file.
func LoadEstate(path string) (*Estate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("awssim: load estate: %w", err)
	}
	return ParseEstate(data, path)
}

// ParseEstate parses and validates an estate document; name (usually the
// file name) prefixes every error, which also carries the line and the
// field path where they are known.
func ParseEstate(data []byte, name string) (*Estate, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("awssim: estate %s: %w", name, err)
	}
	var e Estate
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&e); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("awssim: estate %s: empty document", name)
		}
		return nil, fmt.Errorf("awssim: estate %s: %w", name, err)
	}
	if e.Name == "" {
		e.Name = strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
	}
	v := &validator{file: name, root: &root}
	v.estate(&e)
	if len(v.errs) > 0 {
		return nil, fmt.Errorf("awssim: invalid estate:\n  %s", strings.Join(v.errs, "\n  "))
	}
	return &e, nil
}

// Account returns the account with the given ID, or nil.
func (e *Estate) Account(id string) *Account {
	for _, o := range e.Organizations {
		for _, a := range o.Accounts {
			if a.ID == id {
				return a
			}
		}
	}
	return nil
}

// Organization returns the organization with the given ID, or nil.
func (e *Estate) Organization(id string) *Organization {
	for _, o := range e.Organizations {
		if o.ID == id {
			return o
		}
	}
	return nil
}

// OrganizationOf returns the organization account id belongs to, or nil.
func (e *Estate) OrganizationOf(id string) *Organization {
	for _, o := range e.Organizations {
		for _, a := range o.Accounts {
			if a.ID == id {
				return o
			}
		}
	}
	return nil
}

// Bucket returns the bucket with the given name and its owning account.
func (e *Estate) Bucket(name string) (*Bucket, *Account) {
	for _, o := range e.Organizations {
		for _, a := range o.Accounts {
			for _, b := range a.S3 {
				if b.Name == name {
					return b, a
				}
			}
		}
	}
	return nil, nil
}

// AccountCount returns the number of accounts across all organizations.
func (e *Estate) AccountCount() int {
	n := 0
	for _, o := range e.Organizations {
		n += len(o.Accounts)
	}
	return n
}

// RegionEnabled reports whether region is enabled in account a.
func (e *Estate) RegionEnabled(a *Account, region string) bool {
	if len(a.EnabledRegions) > 0 {
		for _, r := range a.EnabledRegions {
			if r == region {
				return true
			}
		}
		return false
	}
	for _, r := range e.Regions {
		if r.Name == region {
			return !r.OptIn
		}
	}
	return false
}

func (e *Estate) region(name string) (Region, bool) {
	for _, r := range e.Regions {
		if r.Name == name {
			return r, true
		}
	}
	return Region{}, false
}

// derivedID returns a deterministic AWS-looking ID: prefix-<17 hex>.
func derivedID(prefix string, parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return prefix + "-" + hex.EncodeToString(h[:])[:17]
}

// derivedKeyID returns a deterministic access key ID with the given prefix
// (AKIA, ASIA) followed by 16 upper-case base-32 characters.
func derivedKeyID(prefix string, parts ...string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	var b strings.Builder
	b.WriteString(prefix)
	for i := 0; i < 16; i++ {
		b.WriteByte(alphabet[h[i]%32])
	}
	return b.String()
}

// canonicalID is the S3 canonical user ID of an account.
func canonicalID(account string) string {
	h := sha256.Sum256([]byte("canonical\x00" + account))
	return hex.EncodeToString(h[:])
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func validJSON(s string) bool { return json.Valid([]byte(s)) }
