package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/rampart-cspm/rampart"
)

// RunArtifacts runs the artifact store conformance suite. open must return
// a new, empty store for each call.
func RunArtifacts(t *testing.T, open func(t *testing.T) rampart.ArtifactStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s rampart.ArtifactStore)
	}{
		{"RoundTrip", testArtifactRoundTrip},
		{"Overwrite", testArtifactOverwrite},
		{"FailedPutKeepsPrevious", testArtifactFailedPut},
		{"UnsafeKeysRejected", testArtifactUnsafeKeys},
		{"MissingIsNotFound", testArtifactMissing},
		{"ConcurrentPuts", testArtifactConcurrent},
		{"HasRemove", testArtifactHasRemove},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, open(t))
		})
	}
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func readAll(t *testing.T, s rampart.ArtifactStore, uri string) []byte {
	t.Helper()
	rc, err := s.Open(context.Background(), uri)
	if err != nil {
		t.Fatalf("Open(%s): %v", uri, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", uri, err)
	}
	return b
}

func put(t *testing.T, s rampart.ArtifactStore, key, contentType string, body []byte) rampart.Artifact {
	t.Helper()
	a, err := s.Put(context.Background(), key, contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("Put(%s): %v", key, err)
	}
	return a
}

func testArtifactRoundTrip(t *testing.T, s rampart.ArtifactStore) {
	cases := []struct {
		key, contentType string
		body             []byte
	}{
		{"scans/scan-1/111111111111/eu-west-1/native-raw.json", "application/json", []byte(`{"buckets":["a","b"]}`)},
		{"empty.bin", "application/octet-stream", []byte{}},
		{"scans/scan-1/prowler output (1).ocsf.json", "application/x-ndjson", bytes.Repeat([]byte("0123456789abcdef\n"), 70000)},
	}
	for _, c := range cases {
		a := put(t, s, c.key, c.contentType, c.body)
		if a.SHA256 != sum(c.body) {
			t.Errorf("%s: sha256 = %s, want %s", c.key, a.SHA256, sum(c.body))
		}
		if a.Size != int64(len(c.body)) {
			t.Errorf("%s: size = %d, want %d", c.key, a.Size, len(c.body))
		}
		if a.ContentType != c.contentType {
			t.Errorf("%s: content type = %q, want %q", c.key, a.ContentType, c.contentType)
		}
		if a.URI == "" || !strings.Contains(a.URI, "://") {
			t.Errorf("%s: URI %q is not a URI", c.key, a.URI)
		}
		if got := readAll(t, s, a.URI); !bytes.Equal(got, c.body) {
			t.Errorf("%s: read back %d bytes (sha256 %s), want %d (sha256 %s)", c.key, len(got), sum(got), len(c.body), sum(c.body))
		}
	}
}

func testArtifactOverwrite(t *testing.T, s rampart.ArtifactStore) {
	a1 := put(t, s, "scans/x/raw.json", "application/json", []byte("first"))
	a2 := put(t, s, "scans/x/raw.json", "application/json", []byte("second, longer"))
	if a1.URI != a2.URI {
		t.Fatalf("same key gave URIs %s and %s", a1.URI, a2.URI)
	}
	if got := string(readAll(t, s, a2.URI)); got != "second, longer" {
		t.Fatalf("after overwrite read %q, want the second body", got)
	}
}

// failingReader returns some bytes and then an error.
type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, errors.New("source broke")
	}
	n := min(len(p), r.n)
	for i := range p[:n] {
		p[i] = 'x'
	}
	r.n -= n
	return n, nil
}

func testArtifactFailedPut(t *testing.T, s rampart.ArtifactStore) {
	a := put(t, s, "scans/y/raw.json", "application/json", []byte("good"))
	if _, err := s.Put(context.Background(), "scans/y/raw.json", "application/json", &failingReader{n: 100000}); err == nil {
		t.Fatal("Put from a failing reader succeeded")
	}
	if got := string(readAll(t, s, a.URI)); got != "good" {
		t.Fatalf("after a failed overwrite read %q, want the previous body", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Put(ctx, "scans/y/raw.json", "application/json", strings.NewReader("from a cancelled put")); err == nil {
		t.Fatal("Put with a cancelled context succeeded")
	}
	if got := string(readAll(t, s, a.URI)); got != "good" {
		t.Fatalf("after a cancelled overwrite read %q, want the previous body", got)
	}
}

func testArtifactUnsafeKeys(t *testing.T, s rampart.ArtifactStore) {
	for _, key := range []string{
		"", "../escape", "a/../../escape", "a/..", "..", "/etc/passwd", "/abs/key",
		"a//b", "a/", "./a", "a/./b", `a\..\b`, "a/b\x00c", "a\nb",
	} {
		_, err := s.Put(context.Background(), key, "text/plain", strings.NewReader("x"))
		if rampart.ErrorCode(err) != rampart.EINVALID {
			t.Errorf("Put(%q) error = %v, want EINVALID", key, err)
		}
	}
}

func testArtifactMissing(t *testing.T, s rampart.ArtifactStore) {
	a := put(t, s, "present/a.txt", "text/plain", []byte("a"))
	missing := strings.TrimSuffix(a.URI, "a.txt") + "missing.txt"
	if missing == a.URI {
		t.Fatalf("URI %s does not end with its key", a.URI)
	}
	_, err := s.Open(context.Background(), missing)
	if rampart.ErrorCode(err) != rampart.ENOTFOUND {
		t.Fatalf("Open(%s) error = %v, want ENOTFOUND", missing, err)
	}
	if _, err := s.Open(context.Background(), "gopher://elsewhere/x"); err == nil {
		t.Fatal("Open of a foreign URI succeeded")
	}
}

func testArtifactConcurrent(t *testing.T, s rampart.ArtifactStore) {
	const n = 8
	arts := make([]rampart.Artifact, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := bytes.Repeat([]byte(fmt.Sprintf("unit %d\n", i)), 1000*(i+1))
			arts[i], errs[i] = s.Put(context.Background(), fmt.Sprintf("scans/c/unit-%d.json", i), "application/json", bytes.NewReader(body))
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("put %d: %v", i, errs[i])
		}
		body := bytes.Repeat([]byte(fmt.Sprintf("unit %d\n", i)), 1000*(i+1))
		if got := readAll(t, s, arts[i].URI); !bytes.Equal(got, body) || arts[i].SHA256 != sum(body) {
			t.Fatalf("put %d: read %d bytes, want %d; sha256 %s, want %s", i, len(got), len(body), arts[i].SHA256, sum(body))
		}
	}
}

// removable is what ingest.File needs to copy an artifact beside the
// parse and take the copy back when the ingest fails.
type removable interface {
	Has(ctx context.Context, key string) (bool, error)
	Remove(ctx context.Context, key string) error
}

func testArtifactHasRemove(t *testing.T, s rampart.ArtifactStore) {
	rs, ok := s.(removable)
	if !ok {
		t.Skipf("%T has no Has and Remove: ingest copies its artifact after the parse", s)
	}
	ctx := context.Background()
	a, err := s.Put(ctx, "p/x.json", "", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]bool{"p/x.json": true, "p/y.json": false, "p": false} {
		if got, err := rs.Has(ctx, key); err != nil || got != want {
			t.Errorf("Has(%q) = %v, %v; want %v", key, got, err, want)
		}
	}
	if err := rs.Remove(ctx, "p/x.json"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(ctx, a.URI); rampart.ErrorCode(err) != rampart.ENOTFOUND {
		t.Fatalf("Open after Remove: %v, want ENOTFOUND", err)
	}
	if got, err := rs.Has(ctx, "p/x.json"); err != nil || got {
		t.Fatalf("Has after Remove = %v, %v", got, err)
	}
	if err := rs.Remove(ctx, "p/x.json"); err != nil {
		t.Fatalf("removing a missing object: %v", err)
	}
	for _, key := range []string{"../x", "/etc/passwd", ""} {
		if _, err := rs.Has(ctx, key); rampart.ErrorCode(err) != rampart.EINVALID {
			t.Errorf("Has(%q): %v, want EINVALID", key, err)
		}
		if err := rs.Remove(ctx, key); rampart.ErrorCode(err) != rampart.EINVALID {
			t.Errorf("Remove(%q): %v, want EINVALID", key, err)
		}
	}
}
