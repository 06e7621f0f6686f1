package models

import "time"

// EmailState is the life of one queued email in the outbox.
type EmailState string

const (
	EmailQueued EmailState = "QUEUED"
	EmailSent   EmailState = "SENT"
	EmailFailed EmailState = "FAILED"
	// EmailDropped: its link died (re-sent, used, revoked) before it was sent.
	EmailDropped EmailState = "DROPPED"
)

// Email is an outbox row, inserted in the transaction of the mutation that
// wants it sent (together with the job that sends it), so an email exists
// exactly when that mutation committed.
type Email struct {
	ID          int64
	WorkspaceID int64
	AgentID     int64
	// TokenID is the activation token the email carries; the email is dropped
	// instead of sent once that token is no longer live.
	TokenID   int64
	ToAddress string
	Subject   string
	BodyText  string
	BodyHTML  string
	State     EmailState
	Attempts  int
	LastError string
	SentAt    *time.Time
	CreatedAt time.Time
	UpdatedAt time.Time

	// RecipientKey is ToAddress normalised for the per-address mail limits
	// (team.RecipientKey).
	RecipientKey string
}
