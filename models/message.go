package models

import "time"

// MessageAuthorKind says who wrote a message.
type MessageAuthorKind string

const (
	AuthorContact MessageAuthorKind = "CONTACT"
	AuthorAgent   MessageAuthorKind = "AGENT"
)

// Message is one message of a conversation. An agent author is kept after
// that agent is removed.
type Message struct {
	ID             int64
	WorkspaceID    int64
	ConversationID int64
	Body           string
	AuthorKind     MessageAuthorKind
	AuthorAgentID  *int64
	CreatedAt      time.Time
}
