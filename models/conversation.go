package models

import "time"

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

// CautionFor derives the badge from the assignee's status. An assignee that
// is not ACTIVE can only have been removed (assignment needs ACTIVE), and
// stays flagged while re-invited until it is ACTIVE again.
func CautionFor(assignee *Agent) *ConversationCaution {
	if assignee == nil || assignee.Status == AgentActive {
		return nil
	}
	c := CautionAssigneeRemoved
	return &c
}

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
