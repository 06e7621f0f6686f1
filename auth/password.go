package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

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
}

// NewPasswords returns a hasher with the given cost.
func NewPasswords(p Argon2Params) *Passwords {
	pw := &Passwords{Params: p}
	pw.dummy = pw.Hash("agentdesk-dummy-password")
	return pw
}

// Hash returns the PHC-style encoding of password's argon2id hash.
func (p *Passwords) Hash(password string) string {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		panic("auth: crypto/rand failed: " + err.Error())
	}
	key := argon2.IDKey([]byte(password), salt, p.Params.Iterations, p.Params.MemoryKiB, p.Params.Parallelism, 32)
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
	got := argon2.IDKey([]byte(password), salt, params.Iterations, params.MemoryKiB, params.Parallelism, uint32(len(key)))
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
