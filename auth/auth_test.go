package auth

import (
	"encoding/base64"
	"strings"
	"sync"
	"testing"
)

func TestNewTokenIsRandomURLSafeAndHashed(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		tok, hash := NewToken()
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(raw)*8 < 128 {
			t.Fatalf("token %q: %d bits, err %v", tok, len(raw)*8, err)
		}
		if seen[tok] {
			t.Fatal("token repeated")
		}
		seen[tok] = true
		if hash != HashToken(tok) || hash == tok || strings.Contains(hash, tok) {
			t.Fatalf("hash %q of %q", hash, tok)
		}
	}
}

func TestPasswords(t *testing.T) {
	p := NewPasswords(Argon2Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1})
	h := p.Hash("correct horse")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q", h)
	}
	if h == p.Hash("correct horse") {
		t.Fatal("no salt: equal hashes for equal passwords")
	}
	if !p.Verify("correct horse", h) {
		t.Fatal("right password refused")
	}
	if p.Verify("correct horse ", h) || p.Verify("", h) {
		t.Fatal("wrong password accepted")
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=64,t=1,p=1$c2FsdA$a2V5", h[:len(h)-4] + "!!!!"} {
		if p.Verify("correct horse", bad) {
			t.Fatalf("accepted malformed hash %q", bad)
		}
	}
	// A hash made with other parameters still verifies: they travel with it.
	other := NewPasswords(Argon2Params{MemoryKiB: 128, Iterations: 2, Parallelism: 1})
	if !p.Verify("pw with other cost", other.Hash("pw with other cost")) {
		t.Fatal("hash with other parameters refused")
	}
}

// TestPasswordHashesAreBoundedInNumberAtOnce: every hash holds its memory
// cost while it runs and sign-in is anonymous, so however many requests
// arrive together, at most MaxConcurrent hashes run at once.
func TestPasswordHashesAreBoundedInNumberAtOnce(t *testing.T) {
	pw := NewPasswords(Argon2Params{MemoryKiB: 4 * 1024, Iterations: 2, Parallelism: 1})
	hash := pw.Hash("a long enough password")
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 * pw.MaxConcurrent() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if !pw.Verify("a long enough password", hash) {
				t.Error("the right password was refused")
			}
		}()
	}
	close(start)
	wg.Wait()
	if peak := pw.PeakConcurrent(); peak < 1 || peak > pw.MaxConcurrent() {
		t.Fatalf("%d hashes ran at once; at most %d may", peak, pw.MaxConcurrent())
	}
	t.Logf("peak %d of %d", pw.PeakConcurrent(), pw.MaxConcurrent())
}
