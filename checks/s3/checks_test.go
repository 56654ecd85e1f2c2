package s3

import (
	"testing"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/checks"
	"github.com/rampart-cspm/rampart/checks/internal/modkit"
)

var denied = &modkit.AttrError{Class: rampart.ErrClassAccessDenied, Message: "AccessDenied"}

func bucket(name string, mod func(b *Bucket)) *Bucket {
	b := &Bucket{Name: name, ARN: "arn:aws:s3:::" + name, Region: "eu-west-1"}
	if mod != nil {
		mod(b)
	}
	return b
}

func withErr(attr string) func(*Bucket) {
	return func(b *Bucket) { b.setErr(attr, denied) }
}

func allBlocked() *PublicAccessBlock {
	return &PublicAccessBlock{BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}
}

const (
	publicPolicy     = `{"Version":"2012-10-17","Statement":[{"Sid":"Open","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`
	publicAWSPolicy  = `{"Statement":{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:GetObject"],"Resource":"*"}}`
	vpcPolicy        = `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1"}}}]}`
	ifExistsPolicy   = `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringEqualsIfExists":{"aws:SourceVpce":"vpce-1"}}}]}`
	accountPolicy    = `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:*","Resource":"*"}]}`
	tlsPolicy        = `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`
	tlsBoolPolicy    = `{"Statement":[{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":false}}}]}`
	tlsGetOnlyPolicy = `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`
)

type want struct {
	status rampart.Status
	class  rampart.ErrorClass
}

func runCheck(t *testing.T, id string, buckets ...*Bucket) []checks.Result {
	t.Helper()
	for _, c := range Checks {
		if c.Meta.ID == id {
			return c.Eval(&State{AccountID: "111122223333", Buckets: buckets})
		}
	}
	t.Fatalf("no check %s", id)
	return nil
}

func assertOne(t *testing.T, id string, b *Bucket, w want) {
	t.Helper()
	got := runCheck(t, id, b)
	if len(got) != 1 {
		t.Fatalf("got %d results, want 1", len(got))
	}
	r := got[0]
	if r.Status != w.status || r.ErrorClass != w.class {
		t.Errorf("got %s/%q (%s), want %s/%q", r.Status, r.ErrorClass, r.StatusExtended, w.status, w.class)
	}
	if r.ResourceID != b.ARN || r.ResourceName != b.Name || r.Region != b.Region {
		t.Errorf("resource = %s %s %s", r.ResourceID, r.ResourceName, r.Region)
	}
	if r.StatusExtended == "" {
		t.Error("empty StatusExtended")
	}
}

var (
	passed = want{status: rampart.StatusPass}
	failed = want{status: rampart.StatusFail}
	notEv  = want{status: rampart.StatusNotEvaluated, class: rampart.ErrClassAccessDenied}
)

func TestPublicAccess(t *testing.T) {
	pabPolicyOnly := &PublicAccessBlock{BlockPublicPolicy: true}
	pabACLOnly := &PublicAccessBlock{IgnorePublicAcls: true}
	allUsersRead := []Grant{{GranteeType: "Group", GranteeURI: AllUsersURI, Permission: "READ"}}
	authUsers := []Grant{{GranteeType: "Group", GranteeURI: AuthenticatedUsersURI, Permission: "WRITE"}}
	tests := []struct {
		name string
		b    *Bucket
		want want
	}{
		{"private", bucket("p", nil), passed},
		{"policy principal star", bucket("b", func(b *Bucket) { b.Policy = publicPolicy }), failed},
		{"policy AWS star in a list", bucket("b", func(b *Bucket) { b.Policy = publicAWSPolicy }), failed},
		{"policy star restricted to a VPC endpoint", bucket("b", func(b *Bucket) { b.Policy = vpcPolicy }), passed},
		{"IfExists condition does not restrict", bucket("b", func(b *Bucket) { b.Policy = ifExistsPolicy }), failed},
		{"policy to one account", bucket("b", func(b *Bucket) { b.Policy = accountPolicy }), passed},
		{"S3 says policy is public", bucket("b", func(b *Bucket) { t := true; b.PolicyIsPublic = &t }), failed},
		{"public policy blocked", bucket("b", func(b *Bucket) { b.Policy = publicPolicy; b.PublicAccess = pabPolicyOnly }), passed},
		{"public policy, only ACLs blocked", bucket("b", func(b *Bucket) { b.Policy = publicPolicy; b.PublicAccess = pabACLOnly }), failed},
		{"ACL to all users", bucket("b", func(b *Bucket) { b.Grants = allUsersRead }), failed},
		{"ACL to authenticated users", bucket("b", func(b *Bucket) { b.Grants = authUsers }), failed},
		{"public ACL ignored", bucket("b", func(b *Bucket) { b.Grants = allUsersRead; b.PublicAccess = pabACLOnly }), passed},
		{"public ACL, only policies blocked", bucket("b", func(b *Bucket) { b.Grants = allUsersRead; b.PublicAccess = pabPolicyOnly }), failed},
		{"policy unreadable", bucket("b", withErr(AttrPolicy)), notEv},
		{"policy unreadable but policies blocked", bucket("b", func(b *Bucket) { withErr(AttrPolicy)(b); b.PublicAccess = allBlocked() }), passed},
		{"policy unreadable, ACL public", bucket("b", func(b *Bucket) { withErr(AttrPolicy)(b); b.Grants = allUsersRead }), failed},
		{"ACL unreadable", bucket("b", withErr(AttrACL)), notEv},
		{"block unreadable, nothing public", bucket("b", withErr(AttrPublicAccessBlock)), passed},
		{"block unreadable, policy public", bucket("b", func(b *Bucket) { withErr(AttrPublicAccessBlock)(b); b.Policy = publicPolicy }), notEv},
		{"policy not JSON", bucket("b", func(b *Bucket) { b.Policy = "{" }), want{rampart.StatusNotEvaluated, rampart.ErrClassServiceError}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assertOne(t, "s3_bucket_public_access", tt.b, tt.want) })
	}
}

func TestPublicAccessBlock(t *testing.T) {
	tests := []struct {
		name string
		b    *Bucket
		want want
	}{
		{"all four on", bucket("b", func(b *Bucket) { b.PublicAccess = allBlocked() }), passed},
		{"not configured", bucket("b", nil), failed},
		{"one off", bucket("b", func(b *Bucket) { b.PublicAccess = allBlocked(); b.PublicAccess.RestrictPublicBuckets = false }), failed},
		{"unreadable", bucket("b", withErr(AttrPublicAccessBlock)), notEv},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assertOne(t, "s3_bucket_level_public_access_block", tt.b, tt.want) })
	}
}

func TestSimpleBucketChecks(t *testing.T) {
	tests := []struct {
		check string
		name  string
		b     *Bucket
		want  want
	}{
		{"s3_bucket_default_encryption", "kms", bucket("b", func(b *Bucket) { b.Encryption = []EncryptionRule{{Algorithm: "aws:kms", KMSKeyID: "k"}} }), passed},
		{"s3_bucket_default_encryption", "none", bucket("b", nil), failed},
		{"s3_bucket_default_encryption", "unreadable", bucket("b", withErr(AttrEncryption)), notEv},
		{"s3_bucket_object_versioning", "enabled", bucket("b", func(b *Bucket) { b.Versioning = "Enabled" }), passed},
		{"s3_bucket_object_versioning", "suspended", bucket("b", func(b *Bucket) { b.Versioning = "Suspended" }), failed},
		{"s3_bucket_object_versioning", "never", bucket("b", nil), failed},
		{"s3_bucket_object_versioning", "unreadable", bucket("b", withErr(AttrVersioning)), notEv},
		{"s3_bucket_server_access_logging_enabled", "on", bucket("b", func(b *Bucket) { b.Logging = &Logging{TargetBucket: "logs"} }), passed},
		{"s3_bucket_server_access_logging_enabled", "off", bucket("b", nil), failed},
		{"s3_bucket_server_access_logging_enabled", "unreadable", bucket("b", withErr(AttrLogging)), notEv},
		{"s3_bucket_secure_transport_policy", "deny insecure", bucket("b", func(b *Bucket) { b.Policy = tlsPolicy }), passed},
		{"s3_bucket_secure_transport_policy", "deny insecure, bool literal", bucket("b", func(b *Bucket) { b.Policy = tlsBoolPolicy }), passed},
		{"s3_bucket_secure_transport_policy", "deny only GetObject", bucket("b", func(b *Bucket) { b.Policy = tlsGetOnlyPolicy }), failed},
		{"s3_bucket_secure_transport_policy", "no policy", bucket("b", nil), failed},
		{"s3_bucket_secure_transport_policy", "policy without TLS rule", bucket("b", func(b *Bucket) { b.Policy = accountPolicy }), failed},
		{"s3_bucket_secure_transport_policy", "unreadable", bucket("b", withErr(AttrPolicy)), notEv},
	}
	for _, tt := range tests {
		t.Run(tt.check+"/"+tt.name, func(t *testing.T) { assertOne(t, tt.check, tt.b, tt.want) })
	}
}

func TestResultsCarryTags(t *testing.T) {
	b := bucket("b", func(b *Bucket) { b.Tags = map[string]string{"env": "prod"} })
	r := runCheck(t, "s3_bucket_default_encryption", b)[0]
	if r.Tags["env"] != "prod" {
		t.Errorf("tags = %v", r.Tags)
	}
}

func TestEveryCheckHasARowPerBucket(t *testing.T) {
	st := &State{Buckets: []*Bucket{bucket("a", nil), bucket("b", withErr(AttrPolicy)), bucket("c", func(b *Bucket) { b.PublicAccess = allBlocked() })}}
	for _, c := range Checks {
		if got := len(c.Eval(st)); got != 3 {
			t.Errorf("%s: %d results for 3 buckets", c.Meta.ID, got)
		}
	}
}
