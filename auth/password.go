package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"

	"golang.org/x/crypto/argon2"
)

// Argon2Params are argon2id cost parameters. Stored hashes carry their own,
// so the cost can be changed without invalidating existing passwords.
type Argon2Params struct {
	MemoryKiB   uint32
	Iterations  uint32
	Parallelism uint8
}

// DefaultArgon2 follows the OWASP Password Storage Cheat Sheet's argon2id
// recommendation (19 MiB, 2 iterations, 1 lane).
var DefaultArgon2 = Argon2Params{MemoryKiB: 19 * 1024, Iterations: 2, Parallelism: 1}

// Passwords hashes and verifies passwords with argon2id.
type Passwords struct {
	Params Argon2Params
	dummy  string
	// slots bounds the hashes computed at once. Each holds MemoryKiB (19 MiB
	// by default) while it runs, and sign-in is reachable anonymously from
	// as many addresses as an attacker has: without a bound, 100 concurrent
	// logins would hold 1.9 GB. Beyond the slots a request waits its turn;
	// it cannot finish sooner anyway, with every core already hashing.
	slots chan struct{}
	// busy and peak count hashes in progress (peak: the most at once), for
	// the test of the bound.
	busy, peak atomic.Int64
	// computed counts the hashes computed, for tests of what is hashed.
	computed atomic.Int64
}

// NewPasswords returns a hasher with the given cost that computes at most
// two hashes per core at once.
func NewPasswords(p Argon2Params) *Passwords {
	pw := &Passwords{Params: p, slots: make(chan struct{}, 2*runtime.GOMAXPROCS(0))}
	pw.dummy = pw.Hash("agentdesk-dummy-password")
	return pw
}

// MaxConcurrent is how many hashes may run at once.
func (p *Passwords) MaxConcurrent() int { return cap(p.slots) }

// Computed is how many hashes have been computed.
func (p *Passwords) Computed() int64 { return p.computed.Load() }

// PeakConcurrent is the most hashes that have run at once.
func (p *Passwords) PeakConcurrent() int { return int(p.peak.Load()) }

func (p *Passwords) idKey(password, salt []byte, params Argon2Params, keyLen uint32) []byte {
	p.slots <- struct{}{}
	defer func() { p.busy.Add(-1); <-p.slots }()
	p.computed.Add(1)
	n := p.busy.Add(1)
	for peak := p.peak.Load(); n > peak && !p.peak.CompareAndSwap(peak, n); peak = p.peak.Load() {
	}
	return argon2.IDKey(password, salt, params.Iterations, params.MemoryKiB, params.Parallelism, keyLen)
}

// Hash returns the PHC-style encoding of password's argon2id hash.
func (p *Passwords) Hash(password string) string {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		panic("auth: crypto/rand failed: " + err.Error())
	}
	key := p.idKey([]byte(password), salt, p.Params, 32)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		p.Params.MemoryKiB, p.Params.Iterations, p.Params.Parallelism,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// Verify reports whether password matches encoded.
func (p *Passwords) Verify(password, encoded string) bool {
	params, salt, key, err := decodeHash(encoded)
	if err != nil {
		return false
	}
	got := p.idKey([]byte(password), salt, params, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1
}

// VerifyNothing spends the time of one verification; used when there is no
// account, so unknown emails answer no faster than known ones.
func (p *Passwords) VerifyNothing(password string) { p.Verify(password, p.dummy) }

func decodeHash(encoded string) (Argon2Params, []byte, []byte, error) {
	var params Argon2Params
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return params, nil, nil, errors.New("not an argon2id hash")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return params, nil, nil, errors.New("unsupported argon2 version")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &params.MemoryKiB, &params.Iterations, &params.Parallelism); err != nil {
		return params, nil, nil, err
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return params, nil, nil, err
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(key) == 0 {
		return params, nil, nil, errors.New("bad key")
	}
	return params, salt, key, nil
}
