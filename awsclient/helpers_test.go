package awsclient

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// isolateEnv clears every AWS_* variable for the test and points the shared
// files at empty temp files, so the developer's ~/.aws and environment
// cannot leak into a test. Tests using it cannot run in parallel.
func isolateEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") {
			t.Setenv(k, "")
			os.Unsetenv(k) // t.Setenv restores the original value on cleanup
		}
	}
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", writeFile(t, dir, "config", ""))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", writeFile(t, dir, "credentials", ""))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// staticProfile writes a shared credentials file with one static profile
// and returns its path.
func staticProfile(t *testing.T, profile string) string {
	t.Helper()
	return writeFile(t, t.TempDir(), "credentials",
		"["+profile+"]\naws_access_key_id = AKIDTEST\naws_secret_access_key = secret\n")
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
