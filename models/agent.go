package models

import "time"

// AgentStatus is where an agent is in its lifecycle (BEHAVIOUR.md §4).
type AgentStatus string

const (
	AgentPending AgentStatus = "PENDING"
	AgentActive  AgentStatus = "ACTIVE"
	AgentRemoved AgentStatus = "REMOVED"
)

// EmailDeliveryStatus is how far the current activation email has got.
type EmailDeliveryStatus string

const (
	DeliveryQueued EmailDeliveryStatus = "QUEUED"
	DeliverySent   EmailDeliveryStatus = "SENT"
	DeliveryFailed EmailDeliveryStatus = "FAILED"
)

// Agent is a membership of one person (by email) in one workspace. The row is
// kept when the agent is removed so history (audit, conversations) stays
// readable, and reused when the same email is invited again.
type Agent struct {
	ID          int64
	WorkspaceID int64
	// AccountID is set once the agent has activated.
	AccountID *int64
	Email     string // normalised: trimmed, lower-cased
	// Name is empty until activation; copied from the account then.
	Name   string
	Status AgentStatus

	InvitedAt   time.Time
	InvitedByID *int64
	ActivatedAt *time.Time
	RemovedAt   *time.Time
	RemovedByID *int64

	// The current activation link (meaningful while PENDING).
	LinkSentAt        time.Time
	LinkExpiresAt     time.Time
	LinkSendCount     int
	LinkDeliveryState EmailDeliveryStatus
	LinkEmailID       *int64

	CreatedAt time.Time
	UpdatedAt time.Time
}

// SeatStatuses are the statuses that hold a seat, hold roles, and make up
// the Agents page: everyone but the removed.
var SeatStatuses = []AgentStatus{AgentPending, AgentActive}

// AgentRole is one role held by one agent.
type AgentRole struct {
	AgentID int64 `gorm:"primaryKey;autoIncrement:false"`
	RoleID  int64 `gorm:"primaryKey;autoIncrement:false"`
}

// AgentColumns are the columns of Agent in the order of ScanTargets. The hot
// list queries select them and scan rows without GORM's reflection
// (docs/PERFORMANCE.md); TestColumnListsMatchTheModels keeps both in step
// with the struct.
const AgentColumns = "agents.id, agents.workspace_id, agents.account_id, agents.email, agents.name, agents.status, " +
	"agents.invited_at, agents.invited_by_id, agents.activated_at, agents.removed_at, agents.removed_by_id, " +
	"agents.link_sent_at, agents.link_expires_at, agents.link_send_count, agents.link_delivery_state, agents.link_email_id, " +
	"agents.created_at, agents.updated_at"

// ScanTargets returns pointers to a's fields in the order of AgentColumns.
func (a *Agent) ScanTargets() []any {
	return []any{&a.ID, &a.WorkspaceID, &a.AccountID, &a.Email, &a.Name, (*string)(&a.Status),
		&a.InvitedAt, &a.InvitedByID, &a.ActivatedAt, &a.RemovedAt, &a.RemovedByID,
		&a.LinkSentAt, &a.LinkExpiresAt, &a.LinkSendCount, (*string)(&a.LinkDeliveryState), &a.LinkEmailID,
		&a.CreatedAt, &a.UpdatedAt}
}
