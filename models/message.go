package models

import (
	"strconv"
	"time"

	"agentdesk/paging"
)

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

// MessageCursor is the keyset position of a message (oldest first).
func MessageCursor(m *Message) paging.Cursor {
	return paging.Cursor{Key: m.CreatedAt.UTC().Format(time.RFC3339Nano), ID: m.ID}
}

// MessageScope is the scope of one conversation's messages: a cursor of
// another conversation's messages is refused.
func MessageScope(conversationID int64) paging.CursorScope {
	return paging.CursorScope{Order: "CREATED_AT:ASC", Filter: paging.FilterHash("messages", strconv.FormatInt(conversationID, 10))}
}
