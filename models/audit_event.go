package models

import (
	"time"

	"agentdesk/paging"
)

// AuditAction names what an audit event records.
type AuditAction string

const (
	AuditWorkspaceCreated        AuditAction = "WORKSPACE_CREATED"
	AuditWorkspaceUpdated        AuditAction = "WORKSPACE_UPDATED"
	AuditAgentInvited            AuditAction = "AGENT_INVITED"
	AuditAgentReinvited          AuditAction = "AGENT_REINVITED"
	AuditActivationLinkResent    AuditAction = "ACTIVATION_LINK_RESENT"
	AuditAgentActivated          AuditAction = "AGENT_ACTIVATED"
	AuditAgentRemoved            AuditAction = "AGENT_REMOVED"
	AuditAgentRolesUpdated       AuditAction = "AGENT_ROLES_UPDATED"
	AuditRoleCreated             AuditAction = "ROLE_CREATED"
	AuditRoleUpdated             AuditAction = "ROLE_UPDATED"
	AuditRoleDeleted             AuditAction = "ROLE_DELETED"
	AuditConversationAssigned    AuditAction = "CONVERSATION_ASSIGNED"
	AuditConversationsReassigned AuditAction = "CONVERSATIONS_REASSIGNED"
)

// AuditEvent records one change, written in the transaction of the change.
type AuditEvent struct {
	ID            int64
	WorkspaceID   int64
	Action        AuditAction
	ActorID       *int64
	TargetAgentID *int64
	TargetRoleID  *int64
	Summary       string
	CreatedAt     time.Time
}

// AuditCursor is the keyset position of an event in the log, which is
// ordered by id alone.
func AuditCursor(e *AuditEvent) paging.Cursor { return paging.Cursor{ID: e.ID} }

// AuditScope is the scope of the audit log, which has one order and no filter.
var AuditScope = paging.CursorScope{Order: "ID:DESC"}
