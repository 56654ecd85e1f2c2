package artifact

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/rampart-cspm/rampart"
)

// S3API is the part of the S3 client the store uses.
type S3API interface {
	PutObject(ctx context.Context, params *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	GetObject(ctx context.Context, params *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	HeadObject(ctx context.Context, params *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	DeleteObject(ctx context.Context, params *s3.DeleteObjectInput, optFns ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
}

// S3 keeps artifacts in a bucket of an S3-compatible store, under a key
// prefix. Put buffers the body in a temporary file to learn its length and
// sha256 before the upload, so a failed read uploads nothing.
type S3 struct {
	// Now stamps CreatedAt. Tests inject it.
	Now func() time.Time
	// TempDir holds the upload buffers; "" is os.TempDir().
	TempDir string

	client S3API
	bucket string
	prefix string // no leading or trailing slash
}

var _ rampart.ArtifactStore = (*S3)(nil)

// NewS3 returns a store over client that writes to bucket under prefix
// ("" for the bucket's root).
func NewS3(client S3API, bucket, prefix string) (*S3, error) {
	if bucket == "" {
		return nil, rampart.Errorf(rampart.EINVALID, "s3 artifact store: empty bucket")
	}
	prefix = strings.Trim(prefix, "/")
	if prefix != "" {
		if err := ValidateKey(prefix); err != nil {
			return nil, rampart.Errorf(rampart.EINVALID, "s3 artifact store prefix: %s", rampart.ErrorMessage(err))
		}
	}
	return &S3{Now: time.Now, client: client, bucket: bucket, prefix: prefix}, nil
}

// s3Config is what an s3:// URL says.
type s3Config struct {
	bucket, prefix, region, endpoint, profile string
	pathStyle                                 bool
}

func parseS3URL(u *url.URL) (s3Config, error) {
	c := s3Config{bucket: u.Host, prefix: strings.Trim(u.Path, "/")}
	if c.bucket == "" {
		return c, errors.New("missing bucket (want s3://bucket/prefix)")
	}
	for k, vs := range u.Query() {
		v := vs[len(vs)-1]
		switch k {
		case "region":
			c.region = v
		case "endpoint":
			e, err := url.Parse(v)
			if err != nil || (e.Scheme != "http" && e.Scheme != "https") || e.Host == "" {
				return c, fmt.Errorf("endpoint %q: want an http:// or https:// URL", v)
			}
			c.endpoint = v
		case "path_style":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return c, fmt.Errorf("path_style %q: want true or false", v)
			}
			c.pathStyle = b
		case "profile":
			c.profile = v
		default:
			return c, fmt.Errorf("unknown parameter %q (want region, endpoint, path_style or profile)", k)
		}
	}
	return c, nil
}

func openS3(ctx context.Context, c s3Config) (*S3, error) {
	var opts []func(*config.LoadOptions) error
	if c.region != "" {
		opts = append(opts, config.WithRegion(c.region))
	}
	if c.profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(c.profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("artifact: s3://%s: load AWS config: %w", c.bucket, err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if c.endpoint != "" {
			o.BaseEndpoint = aws.String(c.endpoint)
		}
		o.UsePathStyle = c.pathStyle
		// S3-compatible stores often return no checksum; that is not news.
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	return NewS3(client, c.bucket, c.prefix)
}

func (s *S3) objectKey(key string) string {
	if s.prefix == "" {
		return key
	}
	return s.prefix + "/" + key
}

// Put uploads r to <prefix>/<key> and returns its pointer
// (s3://bucket/<prefix>/<key>). It returns EINVALID for an unsafe key.
func (s *S3) Put(ctx context.Context, key, contentType string, r io.Reader) (rampart.Artifact, error) {
	if err := ValidateKey(key); err != nil {
		return rampart.Artifact{}, err
	}
	if contentType == "" {
		contentType = DefaultContentType
	}
	objKey := s.objectKey(key)
	uri := "s3://" + s.bucket + "/" + objKey

	tmp, err := os.CreateTemp(s.TempDir, "rampart-artifact-*")
	if err != nil {
		return rampart.Artifact{}, fmt.Errorf("artifact: put %s: buffer: %w", uri, err)
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	h := sha256.New()
	size, err := io.Copy(io.MultiWriter(tmp, h), ctxReader{ctx, r})
	if err != nil {
		return rampart.Artifact{}, fmt.Errorf("artifact: put %s: read: %w", uri, err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return rampart.Artifact{}, fmt.Errorf("artifact: put %s: buffer: %w", uri, err)
	}
	sum := h.Sum(nil)
	_, err = s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:         aws.String(s.bucket),
		Key:            aws.String(objKey),
		Body:           tmp,
		ContentLength:  aws.Int64(size),
		ContentType:    aws.String(contentType),
		ChecksumSHA256: aws.String(base64.StdEncoding.EncodeToString(sum)),
		Metadata:       map[string]string{"sha256": hex.EncodeToString(sum)},
	})
	if err != nil {
		return rampart.Artifact{}, fmt.Errorf("artifact: put %s: %w", uri, err)
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	return rampart.Artifact{URI: uri, SHA256: hex.EncodeToString(sum), Size: size,
		ContentType: contentType, CreatedAt: now()}, nil
}

// Has reports whether key holds an object. It returns EINVALID for an
// unsafe key.
func (s *S3) Has(ctx context.Context, key string) (bool, error) {
	if err := ValidateKey(key); err != nil {
		return false, err
	}
	_, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.objectKey(key))})
	var re *smithyhttp.ResponseError
	switch {
	case isNotFound(err):
		return false, nil
	case errors.As(err, &re) && re.HTTPStatusCode() == 403:
		return false, fmt.Errorf("artifact: head s3://%s/%s: access denied (S3 also answers 403 for a missing key when the credentials lack s3:ListBucket on the bucket): %w",
			s.bucket, s.objectKey(key), err)
	case err != nil:
		return false, fmt.Errorf("artifact: head s3://%s/%s: %w", s.bucket, s.objectKey(key), err)
	}
	return true, nil
}

// Remove deletes the object under key; a missing one is not an error (S3's
// DeleteObject answers the same either way). It is for taking back what a
// failed write stored (ingest.File), never for an object a database row
// points to.
func (s *S3) Remove(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if _, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.objectKey(key))}); err != nil {
		return fmt.Errorf("artifact: delete s3://%s/%s: %w", s.bucket, s.objectKey(key), err)
	}
	return nil
}

// Open returns the object behind an s3:// URI of this store's bucket. It
// returns EINVALID for another bucket or scheme and ENOTFOUND for a missing
// object.
func (s *S3) Open(ctx context.Context, uri string) (io.ReadCloser, error) {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "s3" {
		return nil, rampart.Errorf(rampart.EINVALID, "artifact URI %q is not an s3:// URI", uri)
	}
	if u.Host != s.bucket {
		return nil, rampart.Errorf(rampart.EINVALID, "artifact URI %q is not in bucket %s", uri, s.bucket)
	}
	key := strings.TrimPrefix(u.Path, "/")
	if err := ValidateKey(key); err != nil {
		return nil, rampart.Errorf(rampart.EINVALID, "artifact URI %q: %s", uri, rampart.ErrorMessage(err))
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if isNotFound(err) {
		return nil, rampart.Errorf(rampart.ENOTFOUND, "artifact %s not found", uri)
	} else if err != nil {
		return nil, fmt.Errorf("artifact: open %s: %w", uri, err)
	}
	return out.Body, nil
}

func isNotFound(err error) bool {
	if err == nil {
		return false
	}
	var nsk *types.NoSuchKey
	if errors.As(err, &nsk) {
		return true
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "NoSuchKey", "NotFound":
			return true
		}
	}
	return false
}
