package artifact

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-cspm/rampart"
	"github.com/rampart-cspm/rampart/internal/storetest"
)

func TestLocal(t *testing.T) {
	storetest.RunArtifacts(t, func(t *testing.T) rampart.ArtifactStore {
		l, err := NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return l
	})
}

func TestLocalLeavesNoTempFiles(t *testing.T) {
	l, err := NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := l.Put(ctx, "a/b.json", "", strings.NewReader("{}")); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Put(ctx, "a/c.json", "", iotestErrReader{}); err == nil {
		t.Fatal("Put from a failing reader succeeded")
	}
	entries, err := os.ReadDir(filepath.Join(l.Root(), "a"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 1 || names[0] != "b.json" {
		t.Fatalf("directory holds %v, want only b.json", names)
	}
	a, err := l.Put(ctx, "a/d.json", "", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	if a.ContentType != DefaultContentType {
		t.Fatalf("content type = %q, want %q", a.ContentType, DefaultContentType)
	}
	if want := "file://" + filepath.ToSlash(filepath.Join(l.Root(), "a", "d.json")); a.URI != want {
		t.Fatalf("URI = %s, want %s", a.URI, want)
	}
}

type iotestErrReader struct{}

func (iotestErrReader) Read([]byte) (int, error) { return 0, os.ErrClosed }

func TestLocalOpenRefusesOutsideRoot(t *testing.T) {
	base := t.TempDir()
	l, err := NewLocal(filepath.Join(base, "store"))
	if err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(base, "secret")
	if err := os.WriteFile(secret, []byte("s"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, uri := range []string{
		"file://" + secret,
		"file://" + filepath.Join(base, "store") + "/../secret",
		"file://" + filepath.Join(base, "store"),
		"file://otherhost" + secret,
		"s3://bucket/key",
	} {
		if _, err := l.Open(context.Background(), uri); rampart.ErrorCode(err) != rampart.EINVALID {
			t.Errorf("Open(%s) error = %v, want EINVALID", uri, err)
		}
	}
}

func TestOpenURL(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	for _, u := range []string{dir, "file://" + dir} {
		s, err := Open(ctx, u)
		if err != nil {
			t.Fatalf("Open(%s): %v", u, err)
		}
		if l, ok := s.(*Local); !ok || l.Root() != dir {
			t.Fatalf("Open(%s) = %#v, want a local store at %s", u, s, dir)
		}
	}
	t.Chdir(dir)
	s, err := Open(ctx, "relative/artifacts")
	if err != nil {
		t.Fatal(err)
	}
	if l := s.(*Local); l.Root() != filepath.Join(dir, "relative", "artifacts") {
		t.Fatalf("relative directory opened at %s", l.Root())
	}

	bad := []struct{ url, mention string }{
		{"", "empty"},
		{"ftp://host/dir", `unknown scheme "ftp"`},
		{"file://host/dir", "host"},
		{"file:relative", "absolute"},
		{"s3:///prefix", "missing bucket"},
		{"s3://bucket/p?regoin=us-east-1", `unknown parameter "regoin"`},
		{"s3://bucket/p?path_style=maybe", "path_style"},
		{"s3://bucket/p?endpoint=127.0.0.1:9000", "endpoint"},
	}
	for _, b := range bad {
		_, err := Open(ctx, b.url)
		if rampart.ErrorCode(err) != rampart.EINVALID || !strings.Contains(err.Error(), b.mention) {
			t.Errorf("Open(%q) error = %v, want EINVALID mentioning %q", b.url, err, b.mention)
		}
		if b.url != "" && err != nil && !strings.Contains(err.Error(), b.url) {
			t.Errorf("Open(%q) error = %v, want it to name the URL", b.url, err)
		}
	}
}

func TestValidateKey(t *testing.T) {
	for _, k := range []string{"a", "a/b/c.json", "scans/2025-03-01T09:00:00Z/x y.json", "a..b/c.", ".hidden"} {
		if err := ValidateKey(k); err != nil {
			t.Errorf("ValidateKey(%q) = %v, want nil", k, err)
		}
	}
	for _, k := range []string{"", "/a", "a//b", "a/", "../a", "a/../b", ".", "a\\b", "a\tb"} {
		if err := ValidateKey(k); rampart.ErrorCode(err) != rampart.EINVALID {
			t.Errorf("ValidateKey(%q) = %v, want EINVALID", k, err)
		}
	}
}
