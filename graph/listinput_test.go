package graph_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// TestLongListInputsAnswerBadUserInput: every list a client passes becomes
// bound parameters, and a 1 MB variables object can hold more than either
// database accepts in one statement (PostgreSQL answered INTERNAL "extended
// protocol limited to 65535 parameters"). Lists are bounded to 100 entries,
// with the field named, before any statement runs.
func TestLongListInputsAnswerBadUserInput(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Lists")
		roleIDs := make([]string, 101)
		for i := range roleIDs {
			roleIDs[i] = base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "Role:%d", i+1))
		}
		statuses := make([]string, 101)
		for i := range statuses {
			statuses[i] = []string{"PENDING", "ACTIVE", "REMOVED"}[i%3]
		}
		convStatuses := make([]string, 101)
		channels := make([]string, 101)
		for i := range convStatuses {
			convStatuses[i], channels[i] = "OPEN", "EMAIL"
		}
		for _, tc := range []struct {
			name, query, field string
			vars               map[string]any
		}{
			{"agents roleIds", `query($v: [ID!]) { agents(filter: {roleIds: $v}) { totalCount } }`, "roleIds", map[string]any{"v": roleIDs}},
			{"agents status", `query($v: [AgentStatus!]) { agents(filter: {status: $v}) { totalCount } }`, "status", map[string]any{"v": statuses}},
			{"conversations status", `query($v: [ConversationStatus!]) { conversations(filter: {status: $v}) { totalCount } }`, "status", map[string]any{"v": convStatuses}},
			{"conversations channel", `query($v: [Channel!]) { conversations(filter: {channel: $v}) { totalCount } }`, "channel", map[string]any{"v": channels}},
			{"inviteAgent roleIds", `mutation($v: [ID!]!) { inviteAgent(input: {email: "x@lists.test", roleIds: $v}) { agent { id } } }`, "roleIds", map[string]any{"v": roleIDs[:101]}},
			{"reassign status", `mutation($v: [ConversationStatus!], $from: ID!) { reassignConversations(input: {fromAgentId: $from, status: $v}) { reassignedCount } }`, "status", map[string]any{"v": convStatuses, "from": owner.ID}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res := s.expectCode(owner.Token, tc.query, tc.vars, "BAD_USER_INPUT")
				if got := res.Errors[0].Extensions["field"]; got != tc.field {
					t.Errorf("field %v, want %s: %s", got, tc.field, res.raw)
				}
			})
		}
		if n := s.count("agents", "email = ?", "x@lists.test"); n != 0 {
			t.Errorf("a refused invitation left %d agents", n)
		}
		// A list longer than either database takes as parameters (SQLite:
		// 32,766) is already refused by the size of the request.
		many := make([]string, 40_000)
		for i := range many {
			many[i] = base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "Role:%d", i+1))
		}
		s.expectCode(owner.Token, `query($v: [ID!]) { agents(filter: {roleIds: $v}) { totalCount } }`, map[string]any{"v": many}, "BAD_USER_INPUT")
		// 100 entries are still fine.
		s.must(owner.Token, `query($v: [ID!]) { agents(filter: {roleIds: $v}) { totalCount } }`, map[string]any{"v": roleIDs[:100]}, nil)
	})
}

// TestHostileCursorsAnswerBadUserInput: a cursor is decoded from what the
// client sends; one whose key holds NUL reached PostgreSQL, which refuses NUL
// in text and answered INTERNAL.
func TestHostileCursorsAnswerBadUserInput(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Cursors")
		for _, tc := range []struct{ name, query, cursor string }{
			{"NUL key by name", `query($a: String) { agents(after: $a, orderBy: {field: NAME}) { edges { cursor } } }`, `{"k":"a\u0000b","i":1,"o":"NAME:ASC"}`},
			{"NUL key by email", `query($a: String) { agents(after: $a, orderBy: {field: EMAIL}) { edges { cursor } } }`, `{"k":"\u0000","i":1,"o":"EMAIL:ASC"}`},
			{"long key", `query($a: String) { agents(after: $a, orderBy: {field: NAME}) { edges { cursor } } }`, `{"k":"` + strings.Repeat("a", 5000) + `","i":1,"o":"NAME:ASC"}`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				cursor := base64.RawURLEncoding.EncodeToString([]byte(tc.cursor))
				res := s.expectCode(owner.Token, tc.query, map[string]any{"a": cursor}, "BAD_USER_INPUT")
				if got := res.Errors[0].Extensions["field"]; got != "after" {
					t.Errorf("field %v, want after: %s", got, res.raw)
				}
			})
		}
	})
}
