package s3

import (
	"fmt"
	"strings"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/checks"
	"github.com/rampart-cspm/rampart/checks/internal/modkit"
	"github.com/rampart-cspm/rampart/checks/internal/prowlerfacts"
)

const docs = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/"

func meta(m checks.Meta) checks.Meta {
	m.Module, m.Service = Name, Name
	return prowlerfacts.Fill(m)
}

// Checks lists the module's checks in the order they run.
var Checks = []checks.Check[*State]{
	{Meta: meta(checks.Meta{
		ID:             "s3_bucket_public_access",
		Title:          "S3 buckets are not publicly accessible",
		Description:    "Fails a bucket whose policy allows any principal without a condition that narrows it, or whose ACL grants access to all users or all authenticated AWS users, unless the bucket's public access block neutralises that grant.",
		Risk:           "Anyone on the internet can read, list or change objects: the classic data-leak path.",
		Remediation:    "Remove the statement allowing \"*\" (or add a condition naming your accounts or networks), drop AllUsers/AuthenticatedUsers ACL grants, and turn on the bucket's public access block.",
		RemediationURL: docs + "access-control-block-public-access.html",
		Categories:     []string{"internet-exposed"},
	}), Eval: evalPublicAccess},
	{Meta: meta(checks.Meta{
		ID:             "s3_bucket_level_public_access_block",
		Title:          "S3 buckets have every public access block setting on",
		Description:    "Passes a bucket whose public access block has all four settings enabled: block and ignore public ACLs, block and restrict public policies.",
		Risk:           "Without the block, one careless policy or ACL change makes the bucket public.",
		Remediation:    "Enable BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy and RestrictPublicBuckets on the bucket (or at account level).",
		RemediationURL: docs + "configuring-block-public-access-bucket.html",
	}), Eval: evalPublicAccessBlock},
	{Meta: meta(checks.Meta{
		ID:             "s3_bucket_default_encryption",
		Title:          "S3 buckets encrypt new objects by default",
		Description:    "Passes a bucket with a default server-side encryption rule (SSE-S3, SSE-KMS or DSSE-KMS).",
		Risk:           "Objects written without an encryption header are stored unencrypted.",
		Remediation:    "Configure default encryption on the bucket, preferably with a KMS key you control.",
		RemediationURL: docs + "default-bucket-encryption.html",
		Categories:     []string{"encryption"},
	}), Eval: evalEncryption},
	{Meta: meta(checks.Meta{
		ID:             "s3_bucket_object_versioning",
		Title:          "S3 buckets keep object versions",
		Description:    "Passes a bucket whose versioning status is Enabled; suspended or never-enabled versioning fails.",
		Risk:           "An overwrite or delete, accidental or malicious, cannot be undone.",
		Remediation:    "Enable versioning on the bucket and add a lifecycle rule to expire old versions.",
		RemediationURL: docs + "Versioning.html",
		Categories:     []string{"resilience"},
	}), Eval: evalVersioning},
	{Meta: meta(checks.Meta{
		ID:             "s3_bucket_server_access_logging_enabled",
		Title:          "S3 buckets log requests",
		Description:    "Passes a bucket that delivers server access logs to a target bucket.",
		Risk:           "Without request logs, access to the data cannot be investigated after an incident.",
		Remediation:    "Enable server access logging to a dedicated log bucket.",
		RemediationURL: docs + "enable-server-access-logging.html",
		Categories:     []string{"logging"},
	}), Eval: evalLogging},
	{Meta: meta(checks.Meta{
		ID:             "s3_bucket_secure_transport_policy",
		Title:          "S3 bucket policies refuse plain HTTP",
		Description:    "Passes a bucket whose policy denies every principal all S3 actions when aws:SecureTransport is false.",
		Risk:           "Requests over plain HTTP expose data and credentials to anyone on the network path.",
		Remediation:    "Add a Deny statement for s3:* on the bucket and its objects with the condition Bool aws:SecureTransport = false.",
		RemediationURL: docs + "security-best-practices.html",
		Categories:     []string{"encryption"},
	}), Eval: evalSecureTransport},
}

// base is the result skeleton of a check on bucket b.
// Every result carries the bucket's exposure as the "public" fact when it
// is known, so that any finding on a public bucket is scored as exposed.
func base(b *Bucket) checks.Result {
	r := checks.Result{ResourceID: b.ARN, ResourceName: b.Name, Region: b.Region, Tags: b.Tags}
	pol, acl := policyExposure(b), aclExposure(b)
	switch {
	case pol.public || acl.public:
		r.Context = map[string]string{"public": "true"}
	case pol.unknown == nil && acl.unknown == nil:
		r.Context = map[string]string{"public": "false"}
	}
	return r
}

func pass(b *Bucket, format string, args ...any) checks.Result {
	r := base(b)
	r.Status, r.StatusExtended = rampart.StatusPass, fmt.Sprintf(format, args...)
	return r
}

func fail(b *Bucket, format string, args ...any) checks.Result {
	r := base(b)
	r.Status, r.StatusExtended = rampart.StatusFail, fmt.Sprintf(format, args...)
	return r
}

// eachBucket runs eval on every bucket, or returns NOT_EVALUATED for a bucket
// when one of the attributes in needs could not be read.
func eachBucket(st *State, needs []string, eval func(b *Bucket) checks.Result) []checks.Result {
	out := make([]checks.Result, 0, len(st.Buckets))
	for _, b := range st.Buckets {
		if attr, e := firstErr(b, needs...); e != nil {
			out = append(out, modkit.NotEvaluated(base(b), attr, e))
			continue
		}
		out = append(out, eval(b))
	}
	return out
}

func firstErr(b *Bucket, attrs ...string) (string, *modkit.AttrError) {
	for _, a := range attrs {
		if e := b.err(a); e != nil {
			return a, e
		}
	}
	return "", nil
}

// exposure is what one path (policy or ACL) contributes to public access.
type exposure struct {
	public  bool              // the path is public and not blocked
	unknown *modkit.AttrError // the path could not be judged
	attr    string
	detail  string
}

func policyExposure(b *Bucket) exposure {
	blocked := func() (bool, *modkit.AttrError) {
		if e := b.err(AttrPublicAccessBlock); e != nil {
			return false, e
		}
		pab := b.PublicAccess
		return pab != nil && (pab.BlockPublicPolicy || pab.RestrictPublicBuckets), nil
	}
	if e := b.err(AttrPolicy); e != nil {
		if ok, _ := blocked(); ok {
			return exposure{}
		}
		return exposure{unknown: e, attr: AttrPolicy}
	}
	var reasons []string
	if b.Policy != "" {
		doc, err := parsePolicy(b.Policy)
		if err != nil {
			return exposure{unknown: &modkit.AttrError{Class: rampart.ErrClassServiceError, Message: err.Error()}, attr: AttrPolicy}
		}
		if st := doc.publicStatements(); len(st) > 0 {
			reasons = append(reasons, "its policy allows any principal without a restricting condition ("+strings.Join(st, ", ")+")")
		}
	}
	if len(reasons) == 0 && b.PolicyIsPublic != nil && *b.PolicyIsPublic {
		reasons = append(reasons, "S3 reports its policy as public")
	}
	if len(reasons) == 0 {
		return exposure{}
	}
	ok, e := blocked()
	if e != nil {
		return exposure{unknown: e, attr: AttrPublicAccessBlock}
	}
	if ok {
		return exposure{}
	}
	return exposure{public: true, detail: reasons[0]}
}

func aclExposure(b *Bucket) exposure {
	blocked := func() (bool, *modkit.AttrError) {
		if e := b.err(AttrPublicAccessBlock); e != nil {
			return false, e
		}
		pab := b.PublicAccess
		return pab != nil && (pab.BlockPublicAcls || pab.IgnorePublicAcls), nil
	}
	if e := b.err(AttrACL); e != nil {
		if ok, _ := blocked(); ok {
			return exposure{}
		}
		return exposure{unknown: e, attr: AttrACL}
	}
	var grants []string
	for _, g := range b.Grants {
		switch g.GranteeURI {
		case AllUsersURI:
			grants = append(grants, g.Permission+" to all users")
		case AuthenticatedUsersURI:
			grants = append(grants, g.Permission+" to all authenticated AWS users")
		}
	}
	if len(grants) == 0 {
		return exposure{}
	}
	ok, e := blocked()
	if e != nil {
		return exposure{unknown: e, attr: AttrPublicAccessBlock}
	}
	if ok {
		return exposure{}
	}
	return exposure{public: true, detail: "its ACL grants " + strings.Join(grants, ", ")}
}

func evalPublicAccess(st *State) []checks.Result {
	return eachBucket(st, nil, func(b *Bucket) checks.Result {
		pol, acl := policyExposure(b), aclExposure(b)
		var why []string
		for _, x := range []exposure{pol, acl} {
			if x.public {
				why = append(why, x.detail)
			}
		}
		if len(why) > 0 {
			return fail(b, "Bucket %s is public: %s.", b.Name, strings.Join(why, "; "))
		}
		for _, x := range []exposure{pol, acl} {
			if x.unknown != nil {
				return modkit.NotEvaluated(base(b), x.attr, x.unknown)
			}
		}
		return pass(b, "Bucket %s is not public through its policy or its ACL.", b.Name)
	})
}

func evalPublicAccessBlock(st *State) []checks.Result {
	return eachBucket(st, []string{AttrPublicAccessBlock}, func(b *Bucket) checks.Result {
		p := b.PublicAccess
		if p == nil {
			return fail(b, "Bucket %s has no public access block configured.", b.Name)
		}
		var off []string
		for _, s := range []struct {
			name string
			on   bool
		}{
			{"BlockPublicAcls", p.BlockPublicAcls}, {"IgnorePublicAcls", p.IgnorePublicAcls},
			{"BlockPublicPolicy", p.BlockPublicPolicy}, {"RestrictPublicBuckets", p.RestrictPublicBuckets},
		} {
			if !s.on {
				off = append(off, s.name)
			}
		}
		if len(off) > 0 {
			return fail(b, "Bucket %s has a public access block with %s turned off.", b.Name, strings.Join(off, ", "))
		}
		return pass(b, "Bucket %s blocks public ACLs and public policies.", b.Name)
	})
}

func evalEncryption(st *State) []checks.Result {
	return eachBucket(st, []string{AttrEncryption}, func(b *Bucket) checks.Result {
		if len(b.Encryption) == 0 {
			return fail(b, "Bucket %s has no default encryption.", b.Name)
		}
		return pass(b, "Bucket %s encrypts new objects by default with %s.", b.Name, b.Encryption[0].Algorithm)
	})
}

func evalVersioning(st *State) []checks.Result {
	return eachBucket(st, []string{AttrVersioning}, func(b *Bucket) checks.Result {
		switch b.Versioning {
		case "Enabled":
			return pass(b, "Bucket %s has versioning enabled.", b.Name)
		case "Suspended":
			return fail(b, "Bucket %s has versioning suspended.", b.Name)
		}
		return fail(b, "Bucket %s has never had versioning enabled.", b.Name)
	})
}

func evalLogging(st *State) []checks.Result {
	return eachBucket(st, []string{AttrLogging}, func(b *Bucket) checks.Result {
		if b.Logging == nil {
			return fail(b, "Bucket %s does not log requests.", b.Name)
		}
		return pass(b, "Bucket %s delivers server access logs to bucket %s.", b.Name, b.Logging.TargetBucket)
	})
}

func evalSecureTransport(st *State) []checks.Result {
	return eachBucket(st, []string{AttrPolicy}, func(b *Bucket) checks.Result {
		if b.Policy == "" {
			return fail(b, "Bucket %s has no bucket policy, so plain HTTP requests are not refused.", b.Name)
		}
		doc, err := parsePolicy(b.Policy)
		if err != nil {
			return modkit.NotEvaluated(base(b), AttrPolicy, &modkit.AttrError{Class: rampart.ErrClassServiceError, Message: err.Error()})
		}
		if doc.deniesInsecureTransport() {
			return pass(b, "Bucket %s's policy denies requests that do not use TLS.", b.Name)
		}
		return fail(b, "Bucket %s's policy does not deny requests made without TLS.", b.Name)
	})
}
