package models

import "time"

// Account is a person's credentials, shared by all their agent memberships:
// one email, one password, however many workspaces.
type Account struct {
	ID           int64
	Email        string // normalised: trimmed, lower-cased
	Name         string
	PasswordHash string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// LoginInput signs in with email and password.
type LoginInput struct {
	Email, Password string
	// WorkspaceID is needed only when the account is ACTIVE in several.
	WorkspaceID *int64
}
