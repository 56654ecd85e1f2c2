package artifact

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rampart-cspm/rampart"
)

// Local keeps artifacts as files under a root directory. Puts are atomic:
// the bytes go to a temporary file in the target directory, which is synced
// and then renamed into place.
type Local struct {
	// Now stamps CreatedAt. Tests inject it.
	Now func() time.Time

	root string
}

var _ rampart.ArtifactStore = (*Local)(nil)

// NewLocal returns a store rooted at the absolute directory root, creating
// it with mode 0700 if needed.
func NewLocal(root string) (*Local, error) {
	if !filepath.IsAbs(root) {
		return nil, rampart.Errorf(rampart.EINVALID, "artifact directory %q is not absolute", root)
	}
	root = filepath.Clean(root)
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("artifact: create directory %s: %w", root, err)
	}
	return &Local{Now: time.Now, root: root}, nil
}

// Root returns the store's directory.
func (l *Local) Root() string { return l.root }

// Put writes r to <root>/<key> atomically and returns its pointer. It
// returns EINVALID for an unsafe key.
func (l *Local) Put(ctx context.Context, key, contentType string, r io.Reader) (rampart.Artifact, error) {
	if err := ValidateKey(key); err != nil {
		return rampart.Artifact{}, err
	}
	if contentType == "" {
		contentType = DefaultContentType
	}
	path := filepath.Join(l.root, filepath.FromSlash(key))
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return rampart.Artifact{}, fmt.Errorf("artifact: put %s: %w", key, err)
	}
	tmp, err := os.CreateTemp(dir, ".put-*.tmp")
	if err != nil {
		return rampart.Artifact{}, fmt.Errorf("artifact: put %s: %w", key, err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	size, err := io.Copy(io.MultiWriter(tmp, h), ctxReader{ctx, r})
	if err != nil {
		return rampart.Artifact{}, fmt.Errorf("artifact: put %s: write: %w", key, err)
	}
	if err := tmp.Sync(); err != nil {
		return rampart.Artifact{}, fmt.Errorf("artifact: put %s: sync: %w", key, err)
	}
	if err := tmp.Close(); err != nil {
		return rampart.Artifact{}, fmt.Errorf("artifact: put %s: close: %w", key, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return rampart.Artifact{}, fmt.Errorf("artifact: put %s: rename: %w", key, err)
	}
	done = true
	// Make the rename itself durable.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	return rampart.Artifact{
		URI:         (&url.URL{Scheme: "file", Path: filepath.ToSlash(path)}).String(),
		SHA256:      hex.EncodeToString(h.Sum(nil)),
		Size:        size,
		ContentType: contentType,
		CreatedAt:   now(),
	}, nil
}

// Has reports whether key holds an object. It returns EINVALID for an
// unsafe key.
func (l *Local) Has(ctx context.Context, key string) (bool, error) {
	if err := ValidateKey(key); err != nil {
		return false, err
	}
	fi, err := os.Stat(filepath.Join(l.root, filepath.FromSlash(key)))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("artifact: stat %s: %w", key, err)
	}
	return fi.Mode().IsRegular(), nil
}

// Remove deletes the object under key; a missing one is not an error. It
// is for taking back what a failed write stored (ingest.File), never for
// an object a database row points to.
func (l *Local) Remove(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(l.root, filepath.FromSlash(key))); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("artifact: remove %s: %w", key, err)
	}
	return nil
}

// Open returns the file behind a file:// URI of this store. It returns
// EINVALID for a URI outside the store's directory and ENOTFOUND for a
// missing file.
func (l *Local) Open(ctx context.Context, uri string) (io.ReadCloser, error) {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "file" || (u.Host != "" && u.Host != "localhost") {
		return nil, rampart.Errorf(rampart.EINVALID, "artifact URI %q is not a file:/// URI", uri)
	}
	path := filepath.Clean(filepath.FromSlash(u.Path))
	rel, err := filepath.Rel(l.root, path)
	if err != nil || rel == "." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || rel == ".." {
		return nil, rampart.Errorf(rampart.EINVALID, "artifact URI %q is outside the store directory %s", uri, l.root)
	}
	if err := ValidateKey(filepath.ToSlash(rel)); err != nil {
		return nil, rampart.Errorf(rampart.EINVALID, "artifact URI %q: %s", uri, rampart.ErrorMessage(err))
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, rampart.Errorf(rampart.ENOTFOUND, "artifact %s not found", uri)
	} else if err != nil {
		return nil, fmt.Errorf("artifact: open %s: %w", uri, err)
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, rampart.Errorf(rampart.ENOTFOUND, "artifact %s is not a file", uri)
	}
	return f, nil
}
