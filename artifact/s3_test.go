package artifact

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/internal/storetest"
)

// startMoto starts moto_server on a free port and returns its endpoint. It
// skips the test when moto_server is not installed, unless CI=true.
func startMoto(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("moto_server not on PATH (required when CI=true)")
		}
		t.Skip("moto_server not on PATH")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()

	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.Env = append(os.Environ(), "MOTO_IAM_LOAD_MANAGED_POLICIES=true", "MOTO_EC2_LOAD_DEFAULT_AMIS=false")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start moto_server: %v", err)
	}
	exited := make(chan error, 1)
	var logTail []string
	logDone := make(chan struct{})
	go func() {
		defer close(logDone)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if len(logTail) < 50 {
				logTail = append(logTail, sc.Text())
			}
		}
	}()
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		// Kill the process group this test started, then reap it.
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	})

	endpoint := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-exited:
			<-logDone
			t.Fatalf("moto_server exited early: %v\n%s", err, strings.Join(logTail, "\n"))
		default:
		}
		resp, err := http.Get(endpoint + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return endpoint
		}
		if time.Now().After(deadline) {
			t.Fatalf("moto_server did not answer on %s within 60s: %v", endpoint, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestS3(t *testing.T) {
	endpoint := startMoto(t)
	// Credentials for the default chain that Open uses; no host config.
	home := t.TempDir()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIARAMPARTTEST00000")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "rampart-test-secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(home, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(home, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")

	admin := s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		DisableLogOutputChecksumValidationSkipped: true,
		Credentials: credentials.NewStaticCredentialsProvider("AKIARAMPARTTEST00000", "rampart-test-secret", ""),
	})
	ctx := context.Background()
	n := 0
	newBucket := func(t *testing.T) string {
		t.Helper()
		n++
		bucket := fmt.Sprintf("rampart-artifacts-%d", n)
		if _, err := admin.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
			t.Fatalf("create bucket %s: %v", bucket, err)
		}
		return bucket
	}

	t.Run("Conformance", func(t *testing.T) {
		storetest.RunArtifacts(t, func(t *testing.T) rampart.ArtifactStore {
			bucket := newBucket(t)
			s, err := Open(ctx, fmt.Sprintf("s3://%s/raw/v1?region=us-east-1&endpoint=%s&path_style=true", bucket, endpoint))
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := s.(*S3); !ok {
				t.Fatalf("Open gave %T, want *S3", s)
			}
			return s
		})
	})

	t.Run("ObjectLayout", func(t *testing.T) {
		bucket := newBucket(t)
		s, err := Open(ctx, fmt.Sprintf("s3://%s/raw/v1/?endpoint=%s&path_style=true", bucket, endpoint))
		if err != nil {
			t.Fatal(err)
		}
		a, err := s.Put(ctx, "scans/s1/out.json", "application/json", strings.NewReader(`{"ok":true}`))
		if err != nil {
			t.Fatal(err)
		}
		if want := "s3://" + bucket + "/raw/v1/scans/s1/out.json"; a.URI != want {
			t.Fatalf("URI = %s, want %s", a.URI, want)
		}
		// The object is where the URI says, with its content type and sha256.
		head, err := admin.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("raw/v1/scans/s1/out.json")})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(head.ContentType) != "application/json" {
			t.Errorf("stored content type = %q, want application/json", aws.ToString(head.ContentType))
		}
		if head.Metadata["sha256"] != a.SHA256 {
			t.Errorf("stored sha256 metadata = %q, want %s", head.Metadata["sha256"], a.SHA256)
		}
		// Another bucket's URI is refused, not fetched.
		if _, err := s.Open(ctx, "s3://other-bucket/raw/v1/scans/s1/out.json"); rampart.ErrorCode(err) != rampart.EINVALID {
			t.Errorf("Open of another bucket's URI error = %v, want EINVALID", err)
		}
	})

	t.Run("MissingBucket", func(t *testing.T) {
		s, err := Open(ctx, fmt.Sprintf("s3://no-such-bucket?endpoint=%s&path_style=true", endpoint))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Put(ctx, "k", "", strings.NewReader("x")); err == nil || !strings.Contains(err.Error(), "s3://no-such-bucket/k") {
			t.Fatalf("Put to a missing bucket error = %v, want an error naming s3://no-such-bucket/k", err)
		}
	})
}

// headDenied is an S3 client whose HeadObject is refused as S3 refuses it
// for a missing key when the credentials lack s3:ListBucket.
type headDenied struct{ S3API }

func (headDenied) HeadObject(context.Context, *s3.HeadObjectInput, ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	return nil, &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 403}},
		Err: errors.New("Forbidden")}
}

func TestS3HasDeniedNamesListBucket(t *testing.T) {
	s, err := NewS3(headDenied{}, "bucket", "raw")
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Has(context.Background(), "prowler/x.json")
	if err == nil || !strings.Contains(err.Error(), "s3:ListBucket") || !strings.Contains(err.Error(), "s3://bucket/raw/prowler/x.json") {
		t.Fatalf("error = %v, want one naming the object and s3:ListBucket", err)
	}
}
