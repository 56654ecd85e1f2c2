package ingest

import (
	"math/rand/v2"
	"testing"
	"unicode/utf8"
)

// randomBytes draws strings rich in the bytes the word-at-a-time checks
// look for, at every length around the 8-byte boundaries.
func randomBytes(rng *rand.Rand) []byte {
	alphabet := []byte("abz_AZ@[`{\\\"09 \x00\x7f\x80\xc3\xa9\xff")
	b := make([]byte, rng.IntN(40))
	for i := range b {
		if rng.IntN(4) == 0 {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		} else {
			b[i] = byte('a' + rng.IntN(26))
		}
	}
	return b
}

func TestWordChecks(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 200_000 {
		b := randomBytes(rng)
		plain, lower := true, true
		for _, c := range b {
			if c >= utf8.RuneSelf || c == '\\' {
				plain, lower = false, false
			}
			if 'A' <= c && c <= 'Z' {
				lower = false
			}
		}
		if got := plainASCII(b); got != plain {
			t.Fatalf("plainASCII(%q) = %v, want %v", b, got, plain)
		}
		if got := lowerASCII(b); got != lower {
			t.Fatalf("lowerASCII(%q) = %v, want %v", b, got, lower)
		}
	}
}

func TestInterner(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var in interner
	pool := make([][]byte, 20_000) // more strings than slots: collisions
	for i := range pool {
		pool[i] = randomBytes(rng)
	}
	pool = append(pool, make([]byte, internLen+1), []byte{})
	for range 200_000 {
		b := pool[rng.IntN(len(pool))]
		if got := in.get(b); got != string(b) {
			t.Fatalf("get(%q) = %q", b, got)
		}
	}
	// A hit returns the stored copy: no allocation.
	in.get([]byte("eu-west-1"))
	key := []byte("eu-west-1")
	if n := testing.AllocsPerRun(100, func() { in.get(key) }); n != 0 {
		t.Errorf("a hit allocates %v times", n)
	}
}
