package graph

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"agentdesk/apperr"
	"agentdesk/models"
	"agentdesk/paging"
	"agentdesk/validate"
)

// TestCursorEncodingMatchesEncodingJSON: the hand-written fast path and
// encoding/json give the same cursor for every kind of key and scope (with
// and without a filter hash), and each decodes back to what was encoded.
func TestCursorEncodingMatchesEncodingJSON(t *testing.T) {
	agents := models.AgentScope(models.AgentFilter{Search: "ada"}, models.AgentOrder{Field: models.AgentOrderName})
	for _, c := range []paging.Cursor{
		{Key: "", ID: 1, CursorScope: models.AuditScope},
		{Key: "2026-11-27T09:32:31.123456Z", ID: 42, CursorScope: models.MessageScope(7)},
		{Key: "ada lovelace", ID: 9007199254740993, CursorScope: agents},
		{Key: `quote " and \ backslash`, ID: 7, CursorScope: agents},
		{Key: "<script>&amp;", ID: 8, CursorScope: models.ConversationScope(models.ConversationFilter{})},
		{Key: "zoë 日本", ID: 9, CursorScope: agents},
		{Key: "tab\tnewline\n", ID: 10, CursorScope: agents},
		// Longer than the stack buffers of the fast path.
		{Key: strings.Repeat("a", 400), ID: 9223372036854775807, CursorScope: agents},
		// Never written by a list, but a client may send it back.
		{Key: "a", ID: 11, CursorScope: paging.CursorScope{Order: `x"<y>`, Filter: "é\\"}},
		{Key: "a", ID: 12, CursorScope: paging.CursorScope{Order: "NAME:ASC", Filter: "&"}},
	} {
		want, _ := json.Marshal(c)
		got := encodeCursor(c)
		if got != base64.RawURLEncoding.EncodeToString(want) {
			raw, _ := base64.RawURLEncoding.DecodeString(got)
			t.Errorf("cursor of %+v is %s, encoding/json gives %s", c, raw, want)
		}
		back, err := decodeCursor(got)
		if err != nil || *back != c {
			t.Errorf("cursor of %+v decodes to %+v, %v", c, back, err)
		}
	}
}

// TestCursorWithoutOrderIsRefused: every cursor a list writes names its
// order, so one without (or one written before cursors carried their
// order) is refused rather than read in whatever order the request asks.
func TestCursorWithoutOrderIsRefused(t *testing.T) {
	for _, raw := range []string{`{"k":"ada","i":1}`, `{"k":"ada","i":1,"o":""}`, `{"k":"ada","i":1,"f":"AAAAAAAAAAA"}`} {
		_, err := decodeCursor(base64.RawURLEncoding.EncodeToString([]byte(raw)))
		if e, ok := apperr.As(err); !ok || e.Code != apperr.BadUserInput || e.Field != "after" {
			t.Errorf("%s: %v, want BAD_USER_INPUT on after", raw, err)
		}
	}
}

// TestCursorsStayShort: a cursor is sent back with every page; its scope
// adds a fixed few dozen characters, whatever the filter.
func TestCursorsStayShort(t *testing.T) {
	long := models.AgentFilter{Search: strings.Repeat("x", validate.MaxSearchLength), RoleIDs: make([]int64, validate.MaxListInput)}
	for i := range long.RoleIDs {
		long.RoleIDs[i] = 9007199254740993 + int64(i)
	}
	order := models.AgentOrder{Field: models.AgentOrderInvitedAt, Desc: true}
	c := paging.Cursor{Key: "2026-11-27T09:32:31.123456Z", ID: 9007199254740993}
	bare := len(encodeCursor(c))
	for _, f := range []models.AgentFilter{{}, long} {
		c.CursorScope = models.AgentScope(f, order)
		if n := len(encodeCursor(c)); n > bare+56 {
			t.Errorf("cursor is %d characters, %d without its scope: %s", n, bare, encodeCursor(c))
		}
	}
}

// BenchmarkCursorPage is the cursor work of one 50-row agent page: the
// scope once (twice in fact: the rule checks, the builder stamps), then a
// cursor per edge.
func BenchmarkCursorPage(b *testing.B) {
	f := models.AgentFilter{Search: "ada", RoleIDs: []int64{3, 1}}
	o := models.AgentOrder{Field: models.AgentOrderInvitedAt, Desc: true}
	b.ReportAllocs()
	for b.Loop() {
		_ = models.AgentScope(f, o).Check(nil)
		sc := models.AgentScope(f, o)
		for i := range 50 {
			encodeCursor(paging.Cursor{Key: "2026-11-27T09:32:31.123456Z", ID: int64(i + 1), CursorScope: sc})
		}
	}
}
