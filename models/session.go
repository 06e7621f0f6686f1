package models

import "time"

// Session is a signed-in agent. Only the SHA-256 of its token is stored.
type Session struct {
	ID        int64
	AgentID   int64
	TokenHash string
	ExpiresAt time.Time
	RevokedAt *time.Time
	CreatedAt time.Time
}

// AuthResult is a signed-in session.
type AuthResult struct {
	Token     string
	ExpiresAt time.Time
	Agent     *Agent
}
