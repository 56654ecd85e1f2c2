package awssim

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"hash/crc32"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

func init() {
	handlers["s3"] = map[string]handler{
		"ListBuckets":           (*Server).s3ListBuckets,
		"HeadBucket":            (*Server).s3HeadBucket,
		"CreateBucket":          (*Server).s3CreateBucket,
		"DeleteBucket":          (*Server).s3DeleteBucket,
		"GetBucketLocation":     (*Server).s3GetBucketLocation,
		"GetBucketPolicy":       (*Server).s3GetBucketPolicy,
		"GetBucketPolicyStatus": (*Server).s3GetBucketPolicyStatus,
		"GetBucketAcl":          (*Server).s3GetBucketAcl,
		"GetPublicAccessBlock":  (*Server).s3GetPublicAccessBlock,
		"GetBucketEncryption":   (*Server).s3GetBucketEncryption,
		"GetBucketVersioning":   (*Server).s3GetBucketVersioning,
		"GetBucketLogging":      (*Server).s3GetBucketLogging,
		"GetBucketTagging":      (*Server).s3GetBucketTagging,
		"ListObjectsV2":         (*Server).s3ListObjectsV2,
		"PutObject":             (*Server).s3PutObject,
		"GetObject":             (*Server).s3GetObject,
		"HeadObject":            (*Server).s3HeadObject,
		"DeleteObject":          (*Server).s3DeleteObject,
	}
}

type object struct {
	data         []byte
	etag         string
	contentType  string
	lastModified time.Time
	// meta is the user metadata (x-amz-meta-* headers), returned as sent
	// by GetObject and HeadObject, as S3 does.
	meta http.Header
}

// s3Subresources maps a bucket sub-resource query key to the operation
// name stem; the HTTP method supplies the Get/Put/Delete prefix.
var s3Subresources = map[string]string{
	"location": "BucketLocation", "policy": "BucketPolicy", "policyStatus": "BucketPolicyStatus",
	"acl": "BucketAcl", "publicAccessBlock": "PublicAccessBlock", "encryption": "BucketEncryption",
	"versioning": "BucketVersioning", "logging": "BucketLogging", "tagging": "BucketTagging",
	"lifecycle": "BucketLifecycleConfiguration", "cors": "BucketCors", "website": "BucketWebsite",
	"replication": "BucketReplication", "ownershipControls": "BucketOwnershipControls",
	"notification": "BucketNotificationConfiguration", "object-lock": "ObjectLockConfiguration",
	"accelerate": "BucketAccelerateConfiguration", "requestPayment": "BucketRequestPayment",
	"analytics": "BucketAnalyticsConfiguration", "metrics": "BucketMetricsConfiguration",
	"inventory": "BucketInventoryConfiguration", "intelligent-tiering": "BucketIntelligentTieringConfiguration",
}

var methodPrefix = map[string]string{http.MethodGet: "Get", http.MethodPut: "Put", http.MethodDelete: "Delete", http.MethodHead: "Head", http.MethodPost: "Post"}

// s3Path splits a path-style request path into bucket and key.
func s3Path(r *http.Request) (bucket, key string) {
	p := strings.TrimPrefix(r.URL.Path, "/")
	bucket, key, _ = strings.Cut(p, "/")
	return bucket, key
}

// s3Operation names the S3 operation of a path-style request.
func s3Operation(r *http.Request) string {
	bucket, key := s3Path(r)
	q := r.URL.Query()
	m := r.Method
	if bucket == "" {
		if m == http.MethodGet {
			return "ListBuckets"
		}
		return methodPrefix[m] + "Service"
	}
	if key == "" {
		switch {
		case q.Has("uploads") && m == http.MethodGet:
			return "ListMultipartUploads"
		case q.Has("versions"):
			return "ListObjectVersions"
		case q.Has("delete") && m == http.MethodPost:
			return "DeleteObjects"
		}
		for k, stem := range s3Subresources {
			if q.Has(k) {
				if k == "location" && m == http.MethodGet {
					return "GetBucketLocation"
				}
				return methodPrefix[m] + stem
			}
		}
		switch m {
		case http.MethodGet:
			if q.Get("list-type") == "2" {
				return "ListObjectsV2"
			}
			return "ListObjects"
		case http.MethodHead:
			return "HeadBucket"
		case http.MethodPut:
			return "CreateBucket"
		case http.MethodDelete:
			return "DeleteBucket"
		}
		return methodPrefix[m] + "Bucket"
	}
	switch {
	case q.Has("acl"):
		return methodPrefix[m] + "ObjectAcl"
	case q.Has("tagging"):
		return methodPrefix[m] + "ObjectTagging"
	case q.Has("uploads"), q.Has("uploadId"):
		return methodPrefix[m] + "MultipartUpload"
	case m == http.MethodPut && r.Header.Get("X-Amz-Copy-Source") != "":
		return "CopyObject"
	}
	return methodPrefix[m] + "Object"
}

// s3OK writes an XML document.
func (c *call) s3XML(x *xmlw) {
	c.w.Header().Set("Content-Type", "application/xml")
	c.w.Header().Set("x-amz-request-id", c.reqID)
	c.wrote = true
	c.w.Write(x.Bytes())
}

func (c *call) s3Empty(status int) {
	c.w.Header().Set("x-amz-request-id", c.reqID)
	c.wrote, c.status = true, status
	c.w.WriteHeader(status)
}

// bucket finds the request's bucket and checks that the caller owns it.
func (s *Server) bucket(c *call) (*Bucket, *awsError) {
	name, _ := s3Path(c.r)
	b, owner := s.estate.Bucket(name)
	if b == nil {
		return nil, errf(404, "NoSuchBucket", "The specified bucket does not exist")
	}
	if owner.ID != c.account.ID {
		return nil, errf(403, "AccessDenied", "Access Denied")
	}
	c.w.Header().Set("x-amz-bucket-region", b.Region)
	return b, nil
}

func (s *Server) s3ListBuckets(c *call) *awsError {
	buckets := append([]*Bucket(nil), c.account.S3...)
	sort.Slice(buckets, func(i, j int) bool { return buckets[i].Name < buckets[j].Name })
	q := c.r.URL.Query()
	if r := q.Get("bucket-region"); r != "" {
		var kept []*Bucket
		for _, b := range buckets {
			if b.Region == r {
				kept = append(kept, b)
			}
		}
		buckets = kept
	}
	lo, hi, next := 0, len(buckets), ""
	if mb := q.Get("max-buckets"); mb != "" || q.Get("continuation-token") != "" {
		n, _ := strconv.Atoi(mb)
		var err error
		if lo, hi, next, err = s.page(len(buckets), q.Get("continuation-token"), n); err != nil {
			return errf(400, "InvalidArgument", "%v", err)
		}
	}
	var x xmlw
	x.header()
	x.open("ListAllMyBucketsResult", "xmlns", nsS3)
	x.open("Owner")
	x.el("ID", canonicalID(c.account.ID))
	x.el("DisplayName", c.account.Name)
	x.close("Owner")
	x.open("Buckets")
	for _, b := range buckets[lo:hi] {
		x.open("Bucket")
		x.el("Name", b.Name)
		x.ts("CreationDate", s.daysAgo(b.CreatedDaysAgo))
		x.el("BucketRegion", b.Region)
		x.close("Bucket")
	}
	x.close("Buckets")
	x.opt("ContinuationToken", next)
	x.close("ListAllMyBucketsResult")
	c.s3XML(&x)
	return nil
}

func (s *Server) s3HeadBucket(c *call) *awsError {
	if _, e := s.bucket(c); e != nil {
		return e
	}
	c.s3Empty(http.StatusOK)
	return nil
}

func (s *Server) s3CreateBucket(c *call) *awsError {
	name, _ := s3Path(c.r)
	if !reBucket.MatchString(name) {
		return errf(400, "InvalidBucketName", "The specified bucket is not valid.")
	}
	region := "us-east-1"
	if len(strings.TrimSpace(string(c.body))) > 0 {
		var cfg struct {
			LocationConstraint string `xml:"LocationConstraint"`
		}
		if err := xml.Unmarshal(c.body, &cfg); err != nil {
			return errf(400, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
		}
		if cfg.LocationConstraint != "" {
			region = cfg.LocationConstraint
		}
	}
	if _, ok := s.estate.region(region); !ok {
		return errf(400, "InvalidLocationConstraint", "The specified location-constraint is not valid")
	}
	if b, owner := s.estate.Bucket(name); b != nil {
		if owner.ID == c.account.ID {
			return errf(409, "BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.")
		}
		return errf(409, "BucketAlreadyExists", "The requested bucket name is not available.")
	}
	c.account.S3 = append(c.account.S3, &Bucket{
		Name: name, Region: region, ACL: "private", Encryption: "AES256",
		PublicAccessBlock: &PublicAccessBlock{true, true, true, true},
	})
	c.w.Header().Set("Location", "/"+name)
	c.s3Empty(http.StatusOK)
	return nil
}

func (s *Server) s3DeleteBucket(c *call) *awsError {
	b, e := s.bucket(c)
	if e != nil {
		return e
	}
	if len(b.objects) > 0 {
		return errf(409, "BucketNotEmpty", "The bucket you tried to delete is not empty")
	}
	for i, x := range c.account.S3 {
		if x == b {
			c.account.S3 = append(c.account.S3[:i:i], c.account.S3[i+1:]...)
			break
		}
	}
	c.s3Empty(http.StatusNoContent)
	return nil
}

func (s *Server) s3GetBucketLocation(c *call) *awsError {
	b, e := s.bucket(c)
	if e != nil {
		return e
	}
	var x xmlw
	x.header()
	loc := b.Region
	if loc == "us-east-1" {
		loc = "" // AWS answers an empty LocationConstraint for us-east-1
	}
	x.open("LocationConstraint", "xmlns", nsS3)
	x.WriteString(escapeText(loc))
	x.close("LocationConstraint")
	c.s3XML(&x)
	return nil
}

func (s *Server) s3GetBucketPolicy(c *call) *awsError {
	b, e := s.bucket(c)
	if e != nil {
		return e
	}
	if b.Policy == "" {
		return errf(404, "NoSuchBucketPolicy", "The bucket policy does not exist")
	}
	c.w.Header().Set("Content-Type", "application/json")
	c.wrote = true
	c.w.Write([]byte(b.Policy))
	return nil
}

// policyIsPublic reports whether a bucket policy has an unconditional Allow
// statement for every principal.
func policyIsPublic(policy string) bool {
	var doc struct {
		Statement json.RawMessage
	}
	if json.Unmarshal([]byte(policy), &doc) != nil {
		return false
	}
	type stmt struct {
		Effect    string
		Principal json.RawMessage
		Condition json.RawMessage
	}
	var stmts []stmt
	if json.Unmarshal(doc.Statement, &stmts) != nil {
		var one stmt
		if json.Unmarshal(doc.Statement, &one) != nil {
			return false
		}
		stmts = []stmt{one}
	}
	for _, st := range stmts {
		if st.Effect != "Allow" || len(st.Condition) > 0 && string(st.Condition) != "{}" {
			continue
		}
		var star string
		if json.Unmarshal(st.Principal, &star) == nil && star == "*" {
			return true
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(st.Principal, &m) == nil {
			aws := m["AWS"]
			var one string
			var many []string
			if json.Unmarshal(aws, &one) == nil && one == "*" {
				return true
			}
			if json.Unmarshal(aws, &many) == nil {
				for _, p := range many {
					if p == "*" {
						return true
					}
				}
			}
		}
	}
	return false
}

func (s *Server) s3GetBucketPolicyStatus(c *call) *awsError {
	b, e := s.bucket(c)
	if e != nil {
		return e
	}
	if b.Policy == "" {
		return errf(404, "NoSuchBucketPolicy", "The bucket policy does not exist")
	}
	var x xmlw
	x.header()
	x.open("PolicyStatus", "xmlns", nsS3)
	x.boolean("IsPublic", policyIsPublic(b.Policy))
	x.close("PolicyStatus")
	c.s3XML(&x)
	return nil
}

const (
	groupAllUsers      = "http://acs.amazonaws.com/groups/global/AllUsers"
	groupAuthenticated = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
	groupLogDelivery   = "http://acs.amazonaws.com/groups/s3/LogDelivery"
)

// grants returns the bucket's effective grants: the canned ACL's plus the
// explicit ones. The owner grant comes first.
func (b *Bucket) grants(owner string) []Grant {
	gs := []Grant{{Grantee: canonicalID(owner), Permission: "FULL_CONTROL"}}
	switch b.ACL {
	case "public-read":
		gs = append(gs, Grant{"AllUsers", "READ"})
	case "public-read-write":
		gs = append(gs, Grant{"AllUsers", "READ"}, Grant{"AllUsers", "WRITE"})
	case "authenticated-read":
		gs = append(gs, Grant{"AuthenticatedUsers", "READ"})
	case "log-delivery-write":
		gs = append(gs, Grant{"LogDelivery", "WRITE"}, Grant{"LogDelivery", "READ_ACP"})
	}
	return append(gs, b.Grants...)
}

func (s *Server) s3GetBucketAcl(c *call) *awsError {
	b, e := s.bucket(c)
	if e != nil {
		return e
	}
	var x xmlw
	x.header()
	x.open("AccessControlPolicy", "xmlns", nsS3)
	x.open("Owner")
	x.el("ID", canonicalID(c.account.ID))
	x.el("DisplayName", c.account.Name)
	x.close("Owner")
	x.open("AccessControlList")
	for _, g := range b.grants(c.account.ID) {
		x.open("Grant")
		uri := map[string]string{"AllUsers": groupAllUsers, "AuthenticatedUsers": groupAuthenticated, "LogDelivery": groupLogDelivery}[g.Grantee]
		// AWS declares the xsi prefix; the SDK's decoder then leaves
		// Grantee.Type empty, so consumers should look at URI and ID.
		if uri != "" {
			x.open("Grantee", "xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance", "xsi:type", "Group")
			x.el("URI", uri)
		} else {
			x.open("Grantee", "xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance", "xsi:type", "CanonicalUser")
			x.el("ID", g.Grantee)
			if g.Grantee == canonicalID(c.account.ID) {
				x.el("DisplayName", c.account.Name)
			}
		}
		x.close("Grantee")
		x.el("Permission", g.Permission)
		x.close("Grant")
	}
	x.close("AccessControlList")
	x.close("AccessControlPolicy")
	c.s3XML(&x)
	return nil
}

func (s *Server) s3GetPublicAccessBlock(c *call) *awsError {
	b, e := s.bucket(c)
	if e != nil {
		return e
	}
	pab := b.PublicAccessBlock
	if pab == nil {
		return errf(404, "NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found")
	}
	var x xmlw
	x.header()
	x.open("PublicAccessBlockConfiguration", "xmlns", nsS3)
	x.boolean("BlockPublicAcls", pab.BlockPublicACLs)
	x.boolean("IgnorePublicAcls", pab.IgnorePublicACLs)
	x.boolean("BlockPublicPolicy", pab.BlockPublicPolicy)
	x.boolean("RestrictPublicBuckets", pab.RestrictPublicBuckets)
	x.close("PublicAccessBlockConfiguration")
	c.s3XML(&x)
	return nil
}

func (s *Server) s3GetBucketEncryption(c *call) *awsError {
	b, e := s.bucket(c)
	if e != nil {
		return e
	}
	if b.Encryption == "none" || b.Encryption == "" {
		return errf(404, "ServerSideEncryptionConfigurationNotFoundError", "The server side encryption configuration was not found")
	}
	var x xmlw
	x.header()
	x.open("ServerSideEncryptionConfiguration", "xmlns", nsS3)
	x.open("Rule")
	x.open("ApplyServerSideEncryptionByDefault")
	x.el("SSEAlgorithm", b.Encryption)
	if b.Encryption == "aws:kms" {
		x.opt("KMSMasterKeyID", b.KMSKeyID)
	}
	x.close("ApplyServerSideEncryptionByDefault")
	x.boolean("BucketKeyEnabled", b.BucketKey)
	x.close("Rule")
	x.close("ServerSideEncryptionConfiguration")
	c.s3XML(&x)
	return nil
}

func (s *Server) s3GetBucketVersioning(c *call) *awsError {
	b, e := s.bucket(c)
	if e != nil {
		return e
	}
	var x xmlw
	x.header()
	x.open("VersioningConfiguration", "xmlns", nsS3)
	if b.Versioning != "" {
		x.el("Status", b.Versioning)
		x.el("MfaDelete", map[bool]string{true: "Enabled", false: "Disabled"}[b.MFADelete])
	}
	x.close("VersioningConfiguration")
	c.s3XML(&x)
	return nil
}

func (s *Server) s3GetBucketLogging(c *call) *awsError {
	b, e := s.bucket(c)
	if e != nil {
		return e
	}
	var x xmlw
	x.header()
	x.open("BucketLoggingStatus", "xmlns", nsS3)
	if b.Logging != nil {
		x.open("LoggingEnabled")
		x.el("TargetBucket", b.Logging.TargetBucket)
		x.el("TargetPrefix", b.Logging.TargetPrefix)
		x.close("LoggingEnabled")
	}
	x.close("BucketLoggingStatus")
	c.s3XML(&x)
	return nil
}

func (s *Server) s3GetBucketTagging(c *call) *awsError {
	b, e := s.bucket(c)
	if e != nil {
		return e
	}
	if len(b.Tags) == 0 {
		return errf(404, "NoSuchTagSet", "The TagSet does not exist")
	}
	var x xmlw
	x.header()
	x.open("Tagging", "xmlns", nsS3)
	x.open("TagSet")
	for _, k := range sortedKeys(b.Tags) {
		x.open("Tag")
		x.el("Key", k)
		x.el("Value", b.Tags[k])
		x.close("Tag")
	}
	x.close("TagSet")
	x.close("Tagging")
	c.s3XML(&x)
	return nil
}

func (s *Server) s3ListObjectsV2(c *call) *awsError {
	b, e := s.bucket(c)
	if e != nil {
		return e
	}
	q := c.r.URL.Query()
	prefix, delim, startAfter := q.Get("prefix"), q.Get("delimiter"), q.Get("start-after")
	maxKeys := 1000
	if v := q.Get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errf(400, "InvalidArgument", "max-keys must be a non-negative integer")
		}
		maxKeys = min(n, 1000)
	}
	keys := make([]string, 0, len(b.objects))
	for k := range b.objects {
		if strings.HasPrefix(k, prefix) && k > startAfter {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	// Entries are object keys or common prefixes (marked by a leading NUL).
	var entries []string
	seen := map[string]bool{}
	for _, k := range keys {
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				cp := k[:len(prefix)+i+len(delim)]
				if !seen[cp] {
					seen[cp] = true
					entries = append(entries, "\x00"+cp)
				}
				continue
			}
		}
		entries = append(entries, k)
	}
	lo, hi, next := 0, len(entries), ""
	if maxKeys == 0 {
		hi = 0
	} else {
		var err error
		if lo, hi, next, err = s.page(len(entries), q.Get("continuation-token"), maxKeys); err != nil {
			return errf(400, "InvalidArgument", "The continuation token provided is incorrect")
		}
	}
	var x xmlw
	x.header()
	x.open("ListBucketResult", "xmlns", nsS3)
	x.el("Name", b.Name)
	x.el("Prefix", prefix)
	x.num("KeyCount", hi-lo)
	x.num("MaxKeys", maxKeys)
	x.opt("Delimiter", delim)
	x.boolean("IsTruncated", next != "")
	x.opt("ContinuationToken", q.Get("continuation-token"))
	x.opt("NextContinuationToken", next)
	x.opt("StartAfter", startAfter)
	for _, en := range entries[lo:hi] {
		if cp, ok := strings.CutPrefix(en, "\x00"); ok {
			x.open("CommonPrefixes")
			x.el("Prefix", cp)
			x.close("CommonPrefixes")
			continue
		}
		o := b.objects[en]
		x.open("Contents")
		x.el("Key", en)
		x.el("LastModified", isoTime(o.lastModified))
		x.el("ETag", o.etag)
		x.num("Size", len(o.data))
		x.el("StorageClass", "STANDARD")
		x.close("Contents")
	}
	x.close("ListBucketResult")
	c.s3XML(&x)
	return nil
}

func (s *Server) s3PutObject(c *call) *awsError {
	b, e := s.bucket(c)
	if e != nil {
		return e
	}
	_, key := s3Path(c.r)
	if strings.Contains(c.r.Header.Get("Content-Encoding"), "aws-chunked") {
		return errf(501, "NotImplemented", "aws-chunked uploads are not supported by the simulator; send a seekable body")
	}
	sum := md5.Sum(c.body)
	o := &object{
		data: append([]byte(nil), c.body...), etag: `"` + hex.EncodeToString(sum[:]) + `"`,
		contentType: orDefault(c.r.Header.Get("Content-Type"), "binary/octet-stream"), lastModified: s.now(),
		meta: http.Header{},
	}
	for k, vs := range c.r.Header {
		if strings.HasPrefix(strings.ToLower(k), "x-amz-meta-") {
			o.meta[k] = append([]string(nil), vs...)
		}
	}
	if b.objects == nil {
		b.objects = map[string]*object{}
	}
	b.objects[key] = o
	c.w.Header().Set("ETag", o.etag)
	c.s3Empty(http.StatusOK)
	return nil
}

func (s *Server) objectFor(c *call) (*object, *awsError) {
	b, e := s.bucket(c)
	if e != nil {
		return nil, e
	}
	_, key := s3Path(c.r)
	o := b.objects[key]
	if o == nil {
		return nil, errf(404, "NoSuchKey", "The specified key does not exist.")
	}
	h := c.w.Header()
	h.Set("Content-Type", o.contentType)
	h.Set("Content-Length", strconv.Itoa(len(o.data)))
	h.Set("ETag", o.etag)
	h.Set("Last-Modified", o.lastModified.Format(http.TimeFormat))
	h.Set("Accept-Ranges", "bytes")
	for k, vs := range o.meta {
		h[k] = vs
	}
	if strings.EqualFold(c.r.Header.Get("x-amz-checksum-mode"), "ENABLED") {
		var sum [4]byte
		binary.BigEndian.PutUint32(sum[:], crc32.ChecksumIEEE(o.data))
		h.Set("x-amz-checksum-crc32", base64.StdEncoding.EncodeToString(sum[:]))
	}
	return o, nil
}

func (s *Server) s3GetObject(c *call) *awsError {
	o, e := s.objectFor(c)
	if e != nil {
		return e
	}
	c.w.Header().Set("x-amz-request-id", c.reqID)
	c.wrote = true
	c.w.Write(o.data)
	return nil
}

func (s *Server) s3HeadObject(c *call) *awsError {
	if _, e := s.objectFor(c); e != nil {
		return e
	}
	c.s3Empty(http.StatusOK)
	return nil
}

func (s *Server) s3DeleteObject(c *call) *awsError {
	b, e := s.bucket(c)
	if e != nil {
		return e
	}
	_, key := s3Path(c.r)
	delete(b.objects, key)
	c.s3Empty(http.StatusNoContent)
	return nil
}
