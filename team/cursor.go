package team

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"slices"
	"strconv"
	"strings"

	"agentdesk/apperr"
	"agentdesk/models"
)

// A cursor is a keyset position, and a position means something only in the
// list it was taken from: a name compared with a timestamp, or an ascending
// position read in descending order, pages silently wrong. So every cursor
// carries the scope of its list, and a list refuses a cursor of another one.

// CursorScope names the list a cursor belongs to: Order is the sort order
// ("NAME:ASC"), Filter a short hash of the normalised filter, including the
// parent of a nested list. A list computes its scope once per page.
type CursorScope struct {
	Order  string `json:"o"`
	Filter string `json:"f,omitempty"`
}

// Check refuses a cursor taken from another list: BAD_USER_INPUT on after,
// which is what a client changing its order or filter mid-walk must see
// rather than a page that silently skips or repeats rows.
func (sc CursorScope) Check(after *Cursor) error {
	switch {
	case after == nil:
		return nil
	case after.Order != sc.Order:
		return apperr.Input("after", "The cursor was taken under another order; start again without after.")
	case after.Filter != sc.Filter:
		return apperr.Input("after", "The cursor was taken under another filter; start again without after.")
	}
	return nil
}

// filterHash is the first 8 bytes of SHA-256 over the list's name and the
// parts of its normalised filter, each prefixed with its length so that no
// two different filters share an encoding; base64url keeps it 11 characters.
func filterHash(list string, parts ...string) string {
	b := make([]byte, 0, 64)
	b = binary.AppendUvarint(b, uint64(len(list)))
	b = append(b, list...)
	for _, p := range parts {
		b = binary.AppendUvarint(b, uint64(len(p)))
		b = append(b, p...)
	}
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(sum[:8])
}

// sortedSet is a list input as a set: the order a client lists statuses in,
// or a repeated entry, does not change the list it asks for.
func sortedSet[T ~string](vs []T) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = string(v)
	}
	slices.Sort(s)
	return strings.Join(slices.Compact(s), ",")
}

func sortedIDs(ids []int64) string {
	s := slices.Clone(ids)
	slices.Sort(s)
	s = slices.Compact(s)
	b := make([]byte, 0, 8*len(s))
	for i, id := range s {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(b)
}

func direction(desc bool) string {
	if desc {
		return "DESC"
	}
	return "ASC"
}

// Tag names the order as the cursor records it, e.g. "NAME:ASC".
func (o AgentOrder) Tag() string {
	o = o.normalized()
	return string(o.Field) + ":" + direction(o.Desc)
}

// AgentScope is the scope of the agent list under f and o. The filter is
// normalised as the query reads it: no statuses means PENDING and ACTIVE,
// lists are sets, the search is trimmed and lower-cased.
func AgentScope(f AgentFilter, o AgentOrder) CursorScope {
	statuses := f.Statuses
	if len(statuses) == 0 {
		statuses = models.SeatStatuses
	}
	return CursorScope{Order: o.Tag(), Filter: filterHash("agents",
		sortedSet(statuses), sortedIDs(f.RoleIDs), strings.ToLower(strings.TrimSpace(f.Search)))}
}

// ConversationScope is the scope of a conversation list under f; an
// agent's assignedConversations is the list filtered by its assignee, so
// its cursors are that list's.
func ConversationScope(f ConversationFilter) CursorScope {
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
	return CursorScope{Order: "ACTIVITY_AT:DESC", Filter: filterHash("conversations",
		sortedSet(f.Statuses), sortedSet(f.Channels), assignee, unassigned, caution)}
}

// MessageScope is the scope of one conversation's messages: a cursor of
// another conversation's messages is refused.
func MessageScope(conversationID int64) CursorScope {
	return CursorScope{Order: "CREATED_AT:ASC", Filter: filterHash("messages", strconv.FormatInt(conversationID, 10))}
}

// AuditScope is the scope of the audit log, which has one order and no filter.
var AuditScope = CursorScope{Order: "ID:DESC"}
