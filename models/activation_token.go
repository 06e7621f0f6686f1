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

// InvitationPreview is what the activation page shows before sign-up.
type InvitationPreview struct {
	Email           string
	WorkspaceName   string
	InvitedByName   *string
	ExpiresAt       time.Time
	ExistingAccount bool
}

// ActivateInput completes registration from an activation link.
type ActivateInput struct {
	Token string
	// Name is required for a new account and ignored for an existing one.
	Name     *string
	Password string
}

// Invitation is the activation link of a PENDING agent as the Agents page
// shows it.
type Invitation struct {
	SentAt         time.Time
	ExpiresAt      time.Time
	Expired        bool
	SendCount      int
	DeliveryStatus EmailDeliveryStatus
	InvitedByID    *int64
	// ResendAvailableAt is the earliest moment ResendActivationLink is
	// accepted: RESEND_COOLDOWN after SentAt (the team rules' cooldown).
	ResendAvailableAt time.Time
}

// InviteFailure is an address of a bulk invitation that was not invited:
// Err is what inviting it alone answered.
type InviteFailure struct {
	Email string
	Err   error
}
