package rampart_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rampart-cspm/rampart"
)

// oldFindingID is FindingID as first written (fmt into a SHA-256 hash):
// stored finding IDs were computed with it, so FindingID must agree with it
// byte for byte.
func oldFindingID(cloud, lz, account, region, service, resourceID, controlID string) string {
	h := sha256.New()
	for _, p := range []string{cloud, lz, account, region, service, resourceID, controlID} {
		fmt.Fprintf(h, "%d:%s|", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

func TestFindingIDMatchesTheOriginalFormula(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"", "a", "aws", "|", ":", "1:", "9|", "é", "日本", "\xff", "\x00", "arn:aws:s3:::bucket", "111111111111", "eu-west-1"}
	part := func() string {
		var b strings.Builder
		switch rng.IntN(10) {
		case 0:
			return ""
		case 1: // long parts: keys past the stack buffer
			for b.Len() < 300+rng.IntN(700) {
				b.WriteString(pieces[rng.IntN(len(pieces))])
			}
			return b.String()
		}
		for range rng.IntN(6) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		return b.String()
	}
	for i := 0; i < 20000; i++ {
		var k [7]string
		for j := range k {
			k[j] = part()
		}
		got := rampart.FindingID(k[0], k[1], k[2], k[3], k[4], k[5], k[6])
		if want := oldFindingID(k[0], k[1], k[2], k[3], k[4], k[5], k[6]); got != want {
			t.Fatalf("FindingID(%q) = %s, the original formula gives %s", k, got, want)
		}
	}
}

func BenchmarkFindingID(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		rampart.FindingID("aws", "lz-prod", "111111111111", "eu-west-1", "s3", "arn:aws:s3:::retail-exports-2026", "s3_bucket_default_encryption")
	}
}
