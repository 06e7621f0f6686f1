package models

import "time"

// ActivationToken is one activation link. Only the SHA-256 of the token is
// stored; it is consumed at most once and dies when revoked or expired.
type ActivationToken struct {
	ID         int64
	AgentID    int64
	TokenHash  string
	ExpiresAt  time.Time
	ConsumedAt *time.Time
	RevokedAt  *time.Time
	CreatedAt  time.Time
}
