// Package auth holds secrets and who is asking: random tokens and their
// hashes, password hashing, sessions, and the request's viewer.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// tokenBytes is 256 bits: well past the contract's 128-bit floor.
const tokenBytes = 32

// NewToken returns a fresh URL-safe token from the CSPRNG and the hash under
// which it is stored. The token itself is never stored.
func NewToken() (token, hash string) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		panic("auth: crypto/rand failed: " + err.Error()) // cannot happen on Linux
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken is the stored form of a token. A plain SHA-256 is enough because
// tokens carry 256 bits of entropy: nothing to brute-force.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
