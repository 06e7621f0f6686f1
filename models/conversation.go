package models

import (
	"strconv"
	"time"

	"agentdesk/paging"
)

// ConversationStatus is where a conversation stands.
type ConversationStatus string

const (
	ConversationOpen     ConversationStatus = "OPEN"
	ConversationPending  ConversationStatus = "PENDING"
	ConversationResolved ConversationStatus = "RESOLVED"
)

// Channel is where a conversation came in.
type Channel string

const (
	ChannelEmail     Channel = "EMAIL"
	ChannelWebChat   Channel = "WEB_CHAT"
	ChannelWhatsApp  Channel = "WHATSAPP"
	ChannelFacebook  Channel = "FACEBOOK"
	ChannelInstagram Channel = "INSTAGRAM"
	ChannelTelegram  Channel = "TELEGRAM"
	ChannelSMS       Channel = "SMS"
	ChannelAPI       Channel = "API"
)

// AllChannels lists every channel.
var AllChannels = []Channel{ChannelEmail, ChannelWebChat, ChannelWhatsApp, ChannelFacebook,
	ChannelInstagram, ChannelTelegram, ChannelSMS, ChannelAPI}

// ConversationCaution says why a conversation shows a caution badge.
type ConversationCaution string

// CautionAssigneeRemoved: the assignee was removed and cannot reach it.
const CautionAssigneeRemoved ConversationCaution = "ASSIGNEE_REMOVED"

// Conversation is one customer conversation. The assignee is kept when that
// agent is removed; the caution badge is derived from the assignee's status,
// never stored, so it cannot drift from it.
type Conversation struct {
	ID            int64
	WorkspaceID   int64
	ContactID     int64
	Subject       *string
	Status        ConversationStatus
	Channel       Channel
	AssigneeID    *int64
	LastMessageAt *time.Time
	// ActivityAt orders the lists (newest activity first): creation, then
	// each new message.
	ActivityAt time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// The caution badge (BEHAVIOUR.md §4 "Remove", §5) is defined here, the one
// place it is: a conversation shows ASSIGNEE_REMOVED while its assignee is
// not ACTIVE. An assignee that is not ACTIVE can only have been removed
// (assignment needs ACTIVE), and stays flagged while re-invited until it is
// ACTIVE again. The badge is derived from the assignee's status, never
// stored, so it cannot drift from it. CautionFor says it in Go (the caution
// field), CautionSQL in SQL (the "needs attention" filter): change both
// together. AffectedByRemoval says which of a removed agent's conversations
// removeAgent reports as affected.

// CautionFor derives the badge from the assignee's status.
func CautionFor(assignee *Agent) *ConversationCaution {
	if assignee == nil || assignee.Status == AgentActive {
		return nil
	}
	c := CautionAssigneeRemoved
	return &c
}

// CautionSQL is CautionFor as a condition on the conversations table of a
// workspace, with its arguments: the conversations showing the badge.
func CautionSQL(workspaceID int64) (cond string, args []any) {
	return "conversations.assignee_id IN (SELECT id FROM agents WHERE workspace_id = ? AND status <> ?)",
		[]any{workspaceID, AgentActive}
}

// ChangedConversation is a changed conversation as a live event carries it
// to every subscriber of its workspace: read once per event, with its
// assignee (whose status decides the caution badge), and then matched per
// subscriber without another statement.
type ChangedConversation struct {
	Conversation *Conversation
	// Assignee is nil when the conversation is unassigned.
	Assignee *Agent
}

// AffectedByRemoval are the statuses of the conversations a removal counts
// as affected (removeAgent's affectedConversations): the open work the
// removed agent leaves behind. Resolved ones show the badge too, but need
// nobody.
var AffectedByRemoval = []ConversationStatus{ConversationOpen, ConversationPending}

// ConversationColumns are the columns of Conversation in the order of
// ScanTargets (see AgentColumns).
const ConversationColumns = "conversations.id, conversations.workspace_id, conversations.contact_id, " +
	"conversations.subject, conversations.status, conversations.channel, conversations.assignee_id, " +
	"conversations.last_message_at, conversations.activity_at, conversations.created_at, conversations.updated_at"

// ScanTargets returns pointers to c's fields in the order of ConversationColumns.
func (c *Conversation) ScanTargets() []any {
	return []any{&c.ID, &c.WorkspaceID, &c.ContactID, &c.Subject, (*string)(&c.Status), (*string)(&c.Channel),
		&c.AssigneeID, &c.LastMessageAt, &c.ActivityAt, &c.CreatedAt, &c.UpdatedAt}
}

// ConversationFilter narrows the conversation list.
type ConversationFilter struct {
	Statuses   []ConversationStatus
	Channels   []Channel
	AssigneeID *int64
	// Unassigned: true only unassigned, false only assigned.
	Unassigned *bool
	// Caution: only conversations showing this badge (the "needs attention" list).
	Caution *ConversationCaution
}

// ConversationCursor is the keyset position of a conversation in the lists.
func ConversationCursor(c *Conversation) paging.Cursor {
	return paging.Cursor{Key: c.ActivityAt.UTC().Format(time.RFC3339Nano), ID: c.ID}
}

// CreateConversationInput is a conversation started by a contact's message.
type CreateConversationInput struct {
	Channel                                 Channel
	Subject                                 *string
	ContactName, ContactEmail, ContactPhone *string
	Message                                 string
}

// ConversationScope is the scope of a conversation list under f; an
// agent's assignedConversations is the list filtered by its assignee, so
// its cursors are that list's.
func ConversationScope(f ConversationFilter) paging.CursorScope {
	assignee, unassigned, caution := "", "", ""
	if f.AssigneeID != nil {
		assignee = strconv.FormatInt(*f.AssigneeID, 10)
	}
	if f.Unassigned != nil {
		unassigned = strconv.FormatBool(*f.Unassigned)
	}
	if f.Caution != nil {
		caution = string(*f.Caution)
	}
	return paging.CursorScope{Order: "ACTIVITY_AT:DESC", Filter: paging.FilterHash("conversations",
		paging.SortedSet(f.Statuses), paging.SortedSet(f.Channels), assignee, unassigned, caution)}
}
