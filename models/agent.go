package models

import (
	"strings"
	"time"

	"agentdesk/apperr"
	"agentdesk/paging"
)

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

// WithoutDetails is a copy of a with only what every agent of the workspace
// may see of it (id, email, name, status, invitedAt): no remover, dates,
// inviter or activation link (BEHAVIOUR.md §8 Visibility of agents).
func (a *Agent) WithoutDetails() *Agent {
	return &Agent{ID: a.ID, WorkspaceID: a.WorkspaceID, Email: a.Email, Name: a.Name, Status: a.Status, InvitedAt: a.InvitedAt}
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

// AgentOrderField is a sort order of the agent list.
type AgentOrderField string

const (
	AgentOrderInvitedAt AgentOrderField = "INVITED_AT"
	AgentOrderName      AgentOrderField = "NAME"
	AgentOrderEmail     AgentOrderField = "EMAIL"
)

// AgentOrder sorts the agent list. The zero value is newest invitations first.
type AgentOrder struct {
	Field AgentOrderField
	Desc  bool
}

// AgentFilter narrows the agent list.
type AgentFilter struct {
	// Statuses defaults to PENDING and ACTIVE (the Agents page).
	Statuses []AgentStatus
	// RoleIDs: agents holding at least one of these roles.
	RoleIDs []int64
	// Search: case-insensitive substring of name or email.
	Search string
}

// AgentRow is an agent in a list, with the sort key of its cursor.
type AgentRow struct {
	Agent   `gorm:"embedded"`
	SortKey string
}

// Normalized spells out the default order (newest invitations first).
func (o AgentOrder) Normalized() AgentOrder {
	if o.Field == "" {
		return AgentOrder{Field: AgentOrderInvitedAt, Desc: true}
	}
	return o
}

// CursorOf returns the keyset position of a row in this order.
func (o AgentOrder) CursorOf(r *AgentRow) paging.Cursor {
	if o.Normalized().Field == AgentOrderInvitedAt {
		return paging.Cursor{Key: r.InvitedAt.UTC().Format(time.RFC3339Nano), ID: r.ID}
	}
	return paging.Cursor{Key: r.SortKey, ID: r.ID}
}

// Tag names the order as the cursor records it, e.g. "NAME:ASC".
func (o AgentOrder) Tag() string {
	o = o.Normalized()
	return string(o.Field) + ":" + paging.Direction(o.Desc)
}

// AgentScope is the scope of the agent list under f and o. The filter is
// normalised as the query reads it: no statuses means PENDING and ACTIVE,
// lists are sets, the search is trimmed and lower-cased.
func AgentScope(f AgentFilter, o AgentOrder) paging.CursorScope {
	statuses := f.Statuses
	if len(statuses) == 0 {
		statuses = SeatStatuses
	}
	return paging.CursorScope{Order: o.Tag(), Filter: paging.FilterHash("agents",
		paging.SortedSet(statuses), paging.SortedIDs(f.RoleIDs), strings.ToLower(strings.TrimSpace(f.Search)))}
}

// AgentCounts is the number of agents per status (the Agents page's tabs).
type AgentCounts struct {
	Pending, Active, Removed int
}

// AgentAction names an action on an agent (Agent.viewerCan).
type AgentAction string

const (
	AgentActionResendActivationLink AgentAction = "RESEND_ACTIVATION_LINK"
	AgentActionRemove               AgentAction = "REMOVE"
	AgentActionUpdateRoles          AgentAction = "UPDATE_ROLES"
	AgentActionReinvite             AgentAction = "REINVITE"
)

// AgentActionList is every AgentAction, in the schema's order.
var AgentActionList = []AgentAction{AgentActionResendActivationLink, AgentActionRemove, AgentActionUpdateRoles, AgentActionReinvite}

// AgentActions is what a viewer may do to one agent right now, as the team
// rules answer it (the mutations' own checks).
type AgentActions struct {
	ResendActivationLink bool
	Remove               bool
	UpdateRoles          bool
	Reinvite             bool
	// Blocked has one entry per false action: what its mutation would
	// answer now.
	Blocked []BlockedAgentAction
}

// BlockedAgentAction is an action a viewer may not take, with the error the
// mutation would answer.
type BlockedAgentAction struct {
	Action  AgentAction
	Code    apperr.Code
	Message string
}

// RefusedAgentActions is every action refused with one answer: for an agent
// the viewer may not see the details of, and for the agent of a sign-in
// response, whose request has no viewer yet.
func RefusedAgentActions(why *apperr.Error) AgentActions {
	var out AgentActions
	for _, action := range AgentActionList {
		out.Blocked = append(out.Blocked, BlockedAgentAction{Action: action, Code: why.Code, Message: why.Message})
	}
	return out
}

// WorkspaceFacts are the counts over a whole workspace that the checks on an
// agent need. The team rules implement them, reading each on first use and
// keeping it: inside a mutation's transaction, or once per request for a
// page of permission hints. Safe for concurrent use.
type WorkspaceFacts interface {
	// ActiveOwners counts the workspace's ACTIVE Owners.
	ActiveOwners() (int64, error)
	// CheckSeat answers SEAT_LIMIT_REACHED when no seat is free.
	CheckSeat() error
}
