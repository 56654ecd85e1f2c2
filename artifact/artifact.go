// Package artifact keeps raw scanner output for Rampart: in a local
// directory by default, or in any S3-compatible object store (AWS S3,
// Cloudflare R2, MinIO). Both implement rampart.ArtifactStore; the database
// keeps only the pointers (URI, sha256, size) they return.
package artifact

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/rampart-cspm/rampart"
)

// DefaultContentType is recorded for artifacts put without a content type.
const DefaultContentType = "application/octet-stream"

// Open returns the artifact store that rawURL names:
//
//	/var/lib/rampart/artifacts            a local directory (relative paths are made absolute)
//	file:///var/lib/rampart/artifacts     the same
//	s3://bucket/prefix?region=us-east-1&endpoint=http://127.0.0.1:9000&path_style=true&profile=audit
//
// S3 stores use the default AWS credential chain (environment, shared
// config with the optional profile, IMDS). Every S3 query parameter is
// optional; unknown ones are refused so a typo does not go unnoticed.
func Open(ctx context.Context, rawURL string) (rampart.ArtifactStore, error) {
	if rawURL == "" {
		return nil, rampart.Errorf(rampart.EINVALID, "artifact store: empty URL")
	}
	if u, err := url.Parse(rawURL); err != nil || len(u.Scheme) < 2 {
		// A plain path (a one-letter "scheme" is a Windows drive).
		abs, err := filepath.Abs(rawURL)
		if err != nil {
			return nil, fmt.Errorf("artifact: open %s: %w", rawURL, err)
		}
		return NewLocal(abs)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, rampart.Errorf(rampart.EINVALID, "artifact store URL %q: %v", rawURL, err)
	}
	switch u.Scheme {
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return nil, rampart.Errorf(rampart.EINVALID, "artifact store URL %q: file URLs must not name a host (want file:///abs/dir)", rawURL)
		}
		if u.Path == "" || !filepath.IsAbs(u.Path) {
			return nil, rampart.Errorf(rampart.EINVALID, "artifact store URL %q: want an absolute directory (file:///abs/dir)", rawURL)
		}
		return NewLocal(u.Path)
	case "s3":
		cfg, err := parseS3URL(u)
		if err != nil {
			return nil, rampart.Errorf(rampart.EINVALID, "artifact store URL %q: %v", rawURL, err)
		}
		return openS3(ctx, cfg)
	default:
		return nil, rampart.Errorf(rampart.EINVALID, "artifact store URL %q: unknown scheme %q (want a directory, file:// or s3://)", rawURL, u.Scheme)
	}
}

// ValidateKey checks an artifact key: a relative slash-separated path with
// no empty, "." or ".." segments, no backslashes and no control characters.
func ValidateKey(key string) error {
	if key == "" {
		return rampart.Errorf(rampart.EINVALID, "artifact key is empty")
	}
	if strings.HasPrefix(key, "/") {
		return rampart.Errorf(rampart.EINVALID, "artifact key %q is absolute (want a relative slash path)", key)
	}
	for _, r := range key {
		if r == '\\' || r < 0x20 || r == 0x7f {
			return rampart.Errorf(rampart.EINVALID, "artifact key %q contains %q (want a relative slash path)", key, r)
		}
	}
	for _, seg := range strings.Split(key, "/") {
		switch seg {
		case "":
			return rampart.Errorf(rampart.EINVALID, "artifact key %q has an empty segment", key)
		case ".", "..":
			return rampart.Errorf(rampart.EINVALID, "artifact key %q has a %q segment", key, seg)
		}
	}
	return nil
}

// ctxReader stops reading once ctx is done, so a cancelled Put fails
// instead of storing a complete artifact.
type ctxReader struct {
	ctx context.Context
	r   interface{ Read([]byte) (int, error) }
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
