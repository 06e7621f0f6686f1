package graph

import (
	"encoding/base64"
	"strings"
	"testing"

	"agentdesk/apperr"
	"agentdesk/models"
	"agentdesk/paging"
)

// FuzzParseGlobalID: any string a client sends as an id is either refused
// or is exactly the id globalID writes for what it names, so one object has
// one id.
func FuzzParseGlobalID(f *testing.F) {
	for _, seed := range []string{
		globalID(typeAgent, 1), globalID(typeConversation, 9223372036854775807), globalID(typeRole, 42),
		"", "QWdlbnQ6MA", "QWdlbnQ6LTE", "QWdlbnQ6KzE", "QWdlbnQ6MDA3", "QWdlbnQ6MR", "QWdlbnQ6MQ==",
		base64.RawURLEncoding.EncodeToString([]byte("Agent:1\x00")), strings.Repeat("A", 100),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, gid string) {
		typ, id, ok := parseGlobalID(gid)
		if !ok {
			return
		}
		if id <= 0 {
			t.Fatalf("%q parsed to id %d", gid, id)
		}
		if back := globalID(typ, id); back != gid {
			t.Fatalf("%q parsed to %s:%d, which is written %q", gid, typ, id, back)
		}
	})
}

// FuzzDecodeCursor: any string a client sends as `after` is refused with
// BAD_USER_INPUT on the field after, or decodes to a cursor whose key a
// database accepts, which names an order, and which encodes back to a
// cursor of the same position in the same list.
func FuzzDecodeCursor(f *testing.F) {
	names := models.AgentScope(models.AgentFilter{Search: "zoë"}, models.AgentOrder{Field: models.AgentOrderName, Desc: true})
	for _, c := range []paging.Cursor{
		{Key: "2026-11-27T09:32:31.123456Z", ID: 42, CursorScope: models.ConversationScope(models.ConversationFilter{})},
		{Key: "zoë 日本", ID: 9, CursorScope: names}, {Key: `q"\`, ID: 7, CursorScope: names},
		{ID: 3, CursorScope: models.AuditScope}, {Key: "k", ID: 1, CursorScope: paging.CursorScope{Order: `"<`, Filter: "\\"}},
		// Cursors written before they carried their order: refused.
		{Key: "2026-11-27T09:32:31.123456Z", ID: 42}, {Key: "zoë 日本", ID: 9},
	} {
		f.Add(encodeCursor(c))
	}
	for _, seed := range []string{"", "e30", "eyJrIjoiXHUwMDAwIiwiaSI6MX0", "eyJrIjoiYSIsImkiOi0xfQ", "%%%", strings.Repeat("e", 3000)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := decodeCursor(s)
		if err != nil {
			e, ok := err.(*apperr.Error)
			if !ok || e.Code != apperr.BadUserInput || e.Field != "after" {
				t.Fatalf("%q: error %#v, want BAD_USER_INPUT on after", s, err)
			}
			return
		}
		if c.ID <= 0 || strings.ContainsRune(c.Key, 0) || c.Order == "" || len(s) > maxCursorLen {
			t.Fatalf("%q accepted as %+v", s, c)
		}
		back, err := decodeCursor(encodeCursor(*c))
		if err != nil || *back != *c {
			t.Fatalf("%+v re-encoded decodes to %+v, %v", c, back, err)
		}
	})
}
