package s3

import (
	"time"

	"github.com/rampart-cspm/rampart/checks/internal/modkit"
)

// Attributes of a bucket that are collected by separate calls. A failed call
// is recorded in Bucket.Errors under its attribute's name.
const (
	AttrLocation          = "location"
	AttrPolicy            = "bucket policy"
	AttrPolicyStatus      = "bucket policy status"
	AttrACL               = "bucket ACL"
	AttrPublicAccessBlock = "public access block"
	AttrEncryption        = "default encryption"
	AttrVersioning        = "versioning configuration"
	AttrLogging           = "server access logging configuration"
	AttrTags              = "tags"
)

// State is the S3 inventory of one account: the raw evidence of a scan unit.
type State struct {
	AccountID string    `json:"account_id"`
	Buckets   []*Bucket `json:"buckets"`
}

// Bucket is one bucket, normalized from the S3 API. Zero values mean "not
// configured" unless the attribute's name is a key of Errors, in which case
// the attribute is unknown.
type Bucket struct {
	Name         string     `json:"name"`
	ARN          string     `json:"arn"`
	Region       string     `json:"region"`
	CreationDate *time.Time `json:"creation_date,omitempty"`

	// Policy is the bucket policy document, "" when the bucket has none.
	Policy string `json:"policy,omitempty"`
	// PolicyIsPublic is S3's own verdict on the policy (GetBucketPolicyStatus);
	// nil when S3 gave none.
	PolicyIsPublic *bool              `json:"policy_is_public,omitempty"`
	Grants         []Grant            `json:"grants,omitempty"`
	PublicAccess   *PublicAccessBlock `json:"public_access_block,omitempty"` // nil: not configured
	Encryption     []EncryptionRule   `json:"encryption,omitempty"`          // empty: no default encryption
	Versioning     string             `json:"versioning,omitempty"`          // "Enabled", "Suspended" or "" (never enabled)
	MFADelete      string             `json:"mfa_delete,omitempty"`
	Logging        *Logging           `json:"logging,omitempty"` // nil: server access logging off
	Tags           map[string]string  `json:"tags,omitempty"`

	Errors map[string]*modkit.AttrError `json:"errors,omitempty"`
}

// Grant is one ACL grant.
type Grant struct {
	GranteeType string `json:"grantee_type"`          // CanonicalUser, Group, AmazonCustomerByEmail
	GranteeURI  string `json:"grantee_uri,omitempty"` // for Group grantees
	GranteeID   string `json:"grantee_id,omitempty"`
	Permission  string `json:"permission"`
}

// PublicAccessBlock is a bucket's public access block configuration.
type PublicAccessBlock struct {
	BlockPublicAcls       bool `json:"block_public_acls"`
	IgnorePublicAcls      bool `json:"ignore_public_acls"`
	BlockPublicPolicy     bool `json:"block_public_policy"`
	RestrictPublicBuckets bool `json:"restrict_public_buckets"`
}

// EncryptionRule is one default-encryption rule.
type EncryptionRule struct {
	Algorithm        string `json:"algorithm"` // AES256, aws:kms, aws:kms:dsse
	KMSKeyID         string `json:"kms_key_id,omitempty"`
	BucketKeyEnabled bool   `json:"bucket_key_enabled,omitempty"`
}

// Logging is where a bucket's server access logs go.
type Logging struct {
	TargetBucket string `json:"target_bucket"`
	TargetPrefix string `json:"target_prefix,omitempty"`
}

// Group grantee URIs that make an ACL grant public.
const (
	AllUsersURI           = "http://acs.amazonaws.com/groups/global/AllUsers"
	AuthenticatedUsersURI = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
)

func (b *Bucket) err(attr string) *modkit.AttrError {
	return b.Errors[attr]
}

func (b *Bucket) setErr(attr string, e *modkit.AttrError) {
	if b.Errors == nil {
		b.Errors = map[string]*modkit.AttrError{}
	}
	b.Errors[attr] = e
}
