package artifact

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/awssim"
	"github.com/rampart-cspm/rampart/awssim/awssimtest"
	"github.com/rampart-cspm/rampart/internal/storetest"
)

// TestS3OnSimulator runs the artifact store conformance suite against the
// simulator's S3 (a real HTTP S3-compatible server, path style, SigV4
// signed with a simulated management account's key), through the same
// artifact.Open URL an R2 or MinIO deployment uses.
func TestS3OnSimulator(t *testing.T) {
	estate := awssim.DemoEstate()
	_, endpoint := awssimtest.NewTestServer(t, estate)
	org := estate.Organizations[0]
	mgmt := estate.Account(org.ManagementAccount)
	if mgmt == nil || len(mgmt.AccessKeys) == 0 {
		t.Fatalf("organization %s: management account has no access key", org.ID)
	}
	key := mgmt.AccessKeys[0]
	// Open uses the default credential chain: give it the key, nothing else.
	home := t.TempDir()
	t.Setenv("AWS_ACCESS_KEY_ID", key.ID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", key.Secret)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(home, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(home, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")

	cfg := awssimtest.ManagementConfig(t, endpoint, estate, org.ID, "us-east-1")
	admin := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = true
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	ctx := context.Background()
	n := 0
	newBucket := func(t *testing.T) string {
		t.Helper()
		n++
		bucket := fmt.Sprintf("rampart-sim-artifacts-%d", n)
		if _, err := admin.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
			t.Fatalf("create bucket %s on the simulator: %v", bucket, err)
		}
		return bucket
	}
	open := func(t *testing.T, bucket string) rampart.ArtifactStore {
		t.Helper()
		s, err := Open(ctx, fmt.Sprintf("s3://%s/prefix?endpoint=%s&path_style=true&region=us-east-1", bucket, endpoint))
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := s.(*S3); !ok {
			t.Fatalf("Open gave %T, want *S3", s)
		}
		return s
	}

	t.Run("Conformance", func(t *testing.T) {
		storetest.RunArtifacts(t, func(t *testing.T) rampart.ArtifactStore { return open(t, newBucket(t)) })
	})

	t.Run("ObjectLayout", func(t *testing.T) {
		bucket := newBucket(t)
		s := open(t, bucket)
		a, err := s.Put(ctx, "scans/s1/out.json", "application/json", strings.NewReader(`{"ok":true}`))
		if err != nil {
			t.Fatal(err)
		}
		if want := "s3://" + bucket + "/prefix/scans/s1/out.json"; a.URI != want {
			t.Fatalf("URI = %s, want %s", a.URI, want)
		}
		head, err := admin.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("prefix/scans/s1/out.json")})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(head.ContentType) != "application/json" {
			t.Errorf("stored content type = %q, want application/json", aws.ToString(head.ContentType))
		}
		if head.Metadata["sha256"] != a.SHA256 {
			t.Errorf("stored sha256 metadata = %q, want %s", head.Metadata["sha256"], a.SHA256)
		}
	})

	t.Run("MissingBucket", func(t *testing.T) {
		s := open(t, "no-such-bucket")
		if _, err := s.Put(ctx, "k", "", strings.NewReader("x")); err == nil || !strings.Contains(err.Error(), "s3://no-such-bucket/prefix/k") {
			t.Fatalf("Put to a missing bucket error = %v, want an error naming s3://no-such-bucket/prefix/k", err)
		}
	})
}
