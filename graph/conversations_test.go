package graph_test

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

const (
	createConvQ = `mutation($ch: Channel!, $m: String!, $e: String) { createConversation(input: {channel: $ch, message: $m,
		contactName: "Carl Customer", contactEmail: $e, subject: "Help"}) { conversation { id status caution assignee { id } } } }`
	assignQ   = `mutation($c: ID!, $a: ID) { assignConversation(input: {conversationId: $c, agentId: $a}) { conversation { id assignee { id } } } }`
	reassignQ = `mutation($from: ID!, $to: ID, $st: [ConversationStatus!]) { reassignConversations(input: {fromAgentId: $from, toAgentId: $to, status: $st}) { reassignedCount } }`
	statusQ   = `mutation($c: ID!, $s: ConversationStatus!) { setConversationStatus(input: {conversationId: $c, status: $s}) { conversation { status } } }`
	sendQ     = `mutation($c: ID!, $b: String!) { sendMessage(input: {conversationId: $c, body: $b}) { message { id author { id } } } }`
	convQ     = `query($id: ID!) { conversation(id: $id) { id status caution assignee { id status name } } }`
)

// conversation creates a conversation through the API and returns its id.
func (s *testServer) conversation(token, channel string) string {
	s.t.Helper()
	var out struct {
		CreateConversation struct{ Conversation struct{ ID string } }
	}
	s.must(token, createConvQ, map[string]any{"ch": channel, "m": "My order never arrived", "e": "carl@customer.test"}, &out)
	return out.CreateConversation.Conversation.ID
}

func (s *testServer) assign(token, conv, agent string) {
	s.t.Helper()
	s.must(token, assignQ, map[string]any{"c": conv, "a": agent}, nil)
}

// listIDs returns the ids of the conversations list for a filter.
func (s *testServer) listIDs(token string, filter map[string]any) []string {
	s.t.Helper()
	var out struct {
		Conversations struct {
			TotalCount int
			Edges      []struct{ Node struct{ ID string } }
		}
	}
	s.must(token, `query($f: ConversationFilter) { conversations(first: 100, filter: $f) { totalCount edges { node { id } } } }`,
		map[string]any{"f": filter}, &out)
	var ids []string
	for _, e := range out.Conversations.Edges {
		ids = append(ids, e.Node.ID)
	}
	if out.Conversations.TotalCount != len(ids) {
		s.t.Fatalf("totalCount %d for %d conversations", out.Conversations.TotalCount, len(ids))
	}
	slices.Sort(ids)
	return ids
}

func sorted(ids ...string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

func TestConversationVisibility(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Acme")
		admin := s.member(owner, "admin@example.com", "Administrator")
		sup := s.member(owner, "sup@example.com", "Supervisor")
		ann := s.member(owner, "ann@example.com", "Agent")
		ben := s.member(owner, "ben@example.com", "Agent")
		mine := s.conversation(owner.Token, "EMAIL")
		theirs := s.conversation(owner.Token, "SMS")
		open := s.conversation(ann.Token, "WEB_CHAT")
		s.assign(owner.Token, mine, ann.ID)
		s.assign(owner.Token, theirs, ben.ID)
		var msg struct {
			SendMessage struct{ Message struct{ ID string } }
		}
		s.must(ben.Token, sendQ, map[string]any{"c": theirs, "b": "On it"}, &msg)

		all := sorted(mine, theirs, open)
		for name, p := range map[string]person{"Owner": owner, "Administrator": admin, "Supervisor": sup} {
			if got := s.listIDs(p.Token, nil); !slices.Equal(got, all) {
				t.Fatalf("%s sees %v, want all %v", name, got, all)
			}
			s.must(p.Token, convQ, map[string]any{"id": theirs}, nil)
		}
		if got := s.listIDs(ann.Token, nil); !slices.Equal(got, sorted(mine, open)) {
			t.Fatalf("Agent sees %v, want own and unassigned", got)
		}
		// Everything else is NOT_FOUND for her, whichever way she asks.
		for _, tc := range []struct {
			q    string
			vars map[string]any
		}{
			{convQ, map[string]any{"id": theirs}},
			{`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": theirs}},
			{`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": msg.SendMessage.Message.ID}},
			{sendQ, map[string]any{"c": theirs, "b": "Sneaky"}},
			{statusQ, map[string]any{"c": theirs, "s": "RESOLVED"}},
		} {
			s.expectCode(ann.Token, tc.q, tc.vars, "NOT_FOUND")
		}
		var viewer struct {
			Viewer struct {
				AssignedConversations struct {
					Edges []struct{ Node struct{ ID string } }
				}
			}
		}
		s.must(ann.Token, `{ viewer { assignedConversations { edges { node { id } } } } }`, nil, &viewer)
		if e := viewer.Viewer.AssignedConversations.Edges; len(e) != 1 || e[0].Node.ID != mine {
			t.Fatalf("assignedConversations = %+v", e)
		}
		// The supervisor sees Ben's through his agent page; Ben's node too.
		var agent struct {
			Agent struct {
				AssignedConversations struct {
					TotalCount int
					Edges      []struct{ Node struct{ ID string } }
				}
			}
		}
		s.must(sup.Token, `query($id: ID!) { agent(id: $id) { assignedConversations { totalCount edges { node { id } } } } }`, map[string]any{"id": ben.ID}, &agent)
		if a := agent.Agent.AssignedConversations; a.TotalCount != 1 || a.Edges[0].Node.ID != theirs {
			t.Fatalf("Ben's conversations for the supervisor = %+v", a)
		}
		s.must(sup.Token, `query($id: ID!) { node(id: $id) { ... on Message { body author { id } } } }`, map[string]any{"id": msg.SendMessage.Message.ID}, nil)
	})
}

func TestAssignmentRefusals(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Acme")
		other := s.createWorkspace("Globex")
		conv := s.conversation(owner.Token, "EMAIL")
		pending := s.invite(owner.Token, "pending@example.com", "Agent")
		removed := s.member(owner, "removed@example.com", "Agent")
		s.must(owner.Token, removeQ, map[string]any{"id": removed.ID}, nil)
		s.createRole(owner.Token, "Reader", "AGENTS_READ")
		reader := s.member(owner, "reader@example.com", "Reader")
		outsider := s.member(other, "outsider@example.com", "Agent")
		for name, id := range map[string]string{"PENDING": pending, "REMOVED": removed.ID, "no reply permission": reader.ID,
			"other workspace": outsider.ID, "not an agent id": conv} {
			res := s.expectCode(owner.Token, assignQ, map[string]any{"c": conv, "a": id}, "BAD_USER_INPUT")
			if res.Errors[0].Extensions["field"] != "agentId" {
				t.Fatalf("%s: field = %v", name, res.Errors[0].Extensions["field"])
			}
		}
		var out struct {
			Conversation struct{ Assignee *struct{ ID string } }
		}
		s.must(owner.Token, convQ, map[string]any{"id": conv}, &out)
		if out.Conversation.Assignee != nil {
			t.Fatal("a refused assignment assigned")
		}
		// Their conversation is not ours to assign.
		s.expectCode(owner.Token, assignQ, map[string]any{"c": s.conversation(other.Token, "SMS"), "a": owner.ID}, "NOT_FOUND")
	})
}

func TestCautionBadgeLifecycle(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Acme")
		xavi := s.member(owner, "xavi@example.com", "Agent")
		yara := s.member(owner, "yara@example.com", "Agent")
		open, pending, resolved, unrelated := s.conversation(owner.Token, "EMAIL"), s.conversation(owner.Token, "SMS"),
			s.conversation(owner.Token, "API"), s.conversation(owner.Token, "WHATSAPP")
		for _, c := range []string{open, pending, resolved} {
			s.assign(owner.Token, c, xavi.ID)
		}
		s.assign(owner.Token, unrelated, yara.ID)
		s.must(owner.Token, statusQ, map[string]any{"c": pending, "s": "PENDING"}, nil)
		s.must(owner.Token, statusQ, map[string]any{"c": resolved, "s": "RESOLVED"}, nil)
		var msg struct {
			SendMessage struct{ Message struct{ ID string } }
		}
		s.must(xavi.Token, sendQ, map[string]any{"c": open, "b": "Looking into it"}, &msg)

		if got := s.listIDs(owner.Token, map[string]any{"caution": "ASSIGNEE_REMOVED"}); len(got) != 0 {
			t.Fatalf("caution list before removal = %v", got)
		}
		var rm struct {
			RemoveAgent struct{ AffectedConversations int }
		}
		s.must(owner.Token, `mutation($id: ID!) { removeAgent(input: {agentId: $id}) { affectedConversations } }`, map[string]any{"id": xavi.ID}, &rm)
		if rm.RemoveAgent.AffectedConversations != 2 {
			t.Fatalf("affectedConversations = %d, want 2 (OPEN and PENDING)", rm.RemoveAgent.AffectedConversations)
		}
		caution := func(id string) (string, string) {
			var out struct {
				Conversation struct {
					Caution  *string
					Assignee *struct{ ID, Status string }
				}
			}
			s.must(owner.Token, convQ, map[string]any{"id": id}, &out)
			c := ""
			if out.Conversation.Caution != nil {
				c = *out.Conversation.Caution
			}
			a := ""
			if out.Conversation.Assignee != nil {
				a = out.Conversation.Assignee.ID + "/" + out.Conversation.Assignee.Status
			}
			return c, a
		}
		for _, c := range []string{open, pending, resolved} {
			if badge, who := caution(c); badge != "ASSIGNEE_REMOVED" || who != xavi.ID+"/REMOVED" {
				t.Fatalf("after removal: caution %q, assignee %q", badge, who)
			}
		}
		if badge, _ := caution(unrelated); badge != "" {
			t.Fatal("badge on another agent's conversation")
		}
		if got := s.listIDs(owner.Token, map[string]any{"caution": "ASSIGNEE_REMOVED"}); !slices.Equal(got, sorted(open, pending, resolved)) {
			t.Fatalf("needs-attention list = %v", got)
		}
		// His messages keep him as their author.
		var msgs struct {
			Conversation struct {
				Messages struct {
					TotalCount int
					Edges      []struct {
						Node struct {
							AuthorKind string
							Author     *struct{ ID, Status string }
						}
					}
				}
			}
		}
		s.must(owner.Token, `query($id: ID!) { conversation(id: $id) { messages { totalCount edges { node { authorKind author { id status } } } } } }`,
			map[string]any{"id": open}, &msgs)
		m := msgs.Conversation.Messages
		if m.TotalCount != 2 || m.Edges[0].Node.AuthorKind != "CONTACT" || m.Edges[1].Node.Author == nil ||
			m.Edges[1].Node.Author.ID != xavi.ID || m.Edges[1].Node.Author.Status != "REMOVED" {
			t.Fatalf("messages = %+v", m)
		}

		// Reassigning moves exactly OPEN and PENDING (the default) and clears
		// their badge; the RESOLVED one keeps both.
		var re struct{ ReassignConversations struct{ ReassignedCount int } }
		s.must(owner.Token, reassignQ, map[string]any{"from": xavi.ID, "to": yara.ID}, &re)
		if re.ReassignConversations.ReassignedCount != 2 {
			t.Fatalf("reassignedCount = %d", re.ReassignConversations.ReassignedCount)
		}
		for _, c := range []string{open, pending} {
			if badge, who := caution(c); badge != "" || who != yara.ID+"/ACTIVE" {
				t.Fatalf("after reassignment: caution %q, assignee %q", badge, who)
			}
		}
		if badge, _ := caution(resolved); badge != "ASSIGNEE_REMOVED" {
			t.Fatal("RESOLVED conversation moved or lost its badge")
		}

		// Re-invited, the badge stays until he is ACTIVE again.
		s.clock.Advance(time.Minute) // the re-send cooldown holds for re-invites
		s.invite(owner.Token, "xavi@example.com", "Agent")
		if badge, _ := caution(resolved); badge != "ASSIGNEE_REMOVED" {
			t.Fatal("badge cleared while the re-invited agent is still PENDING")
		}
		s.activate("xavi@example.com", "Xavi")
		if badge, _ := caution(resolved); badge != "" {
			t.Fatal("badge kept after the agent is ACTIVE again")
		}

		var audit struct {
			AuditLog struct {
				Edges []struct{ Node struct{ Action string } }
			}
		}
		s.must(owner.Token, `{ auditLog(first: 100) { edges { node { action } } } }`, nil, &audit)
		counts := map[string]int{}
		for _, e := range audit.AuditLog.Edges {
			counts[e.Node.Action]++
		}
		if counts["CONVERSATION_ASSIGNED"] != 4 || counts["CONVERSATIONS_REASSIGNED"] != 1 {
			t.Fatalf("audit counts = %v", counts)
		}
	})
}

func TestReassignStatusesAndUnassign(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Acme")
		zed := s.member(owner, "zed@example.com", "Agent")
		a, b := s.conversation(owner.Token, "EMAIL"), s.conversation(owner.Token, "EMAIL")
		s.assign(owner.Token, a, zed.ID)
		s.assign(owner.Token, b, zed.ID)
		s.must(owner.Token, statusQ, map[string]any{"c": b, "s": "RESOLVED"}, nil)
		var re struct{ ReassignConversations struct{ ReassignedCount int } }
		s.must(owner.Token, reassignQ, map[string]any{"from": zed.ID, "to": nil, "st": []string{"RESOLVED"}}, &re)
		if re.ReassignConversations.ReassignedCount != 1 {
			t.Fatalf("reassignedCount = %d", re.ReassignConversations.ReassignedCount)
		}
		if got := s.listIDs(owner.Token, map[string]any{"unassigned": true}); !slices.Equal(got, []string{b}) {
			t.Fatalf("unassigned = %v", got)
		}
		if got := s.listIDs(owner.Token, map[string]any{"unassigned": false}); !slices.Equal(got, []string{a}) {
			t.Fatalf("assigned = %v", got)
		}
		if got := s.listIDs(owner.Token, map[string]any{"assigneeId": zed.ID, "status": []string{"OPEN"}}); !slices.Equal(got, []string{a}) {
			t.Fatalf("zed's open = %v", got)
		}
		s.expectCode(owner.Token, reassignQ, map[string]any{"from": zed.ID, "to": zed.ID}, "BAD_USER_INPUT")
	})
}

func TestConversationListOrderAndFilters(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Acme")
		var ids []string
		for i := range 7 {
			s.clock.Advance(time.Minute)
			ids = append(ids, s.conversation(owner.Token, []string{"EMAIL", "SMS", "API"}[i%3]))
		}
		// A reply makes the oldest the newest.
		s.clock.Advance(time.Minute)
		s.must(owner.Token, sendQ, map[string]any{"c": ids[0], "b": "Any news?"}, nil)
		want := []string{ids[0], ids[6], ids[5], ids[4], ids[3], ids[2], ids[1]}
		var got []string
		var after any
		for {
			var out struct {
				Conversations struct {
					Edges    []struct{ Node struct{ ID string } }
					PageInfo struct {
						HasNextPage bool
						EndCursor   string
					}
				}
			}
			s.must(owner.Token, `query($a: String) { conversations(first: 3, after: $a) { edges { node { id } } pageInfo { hasNextPage endCursor } } }`,
				map[string]any{"a": after}, &out)
			for _, e := range out.Conversations.Edges {
				got = append(got, e.Node.ID)
			}
			if !out.Conversations.PageInfo.HasNextPage {
				break
			}
			after = out.Conversations.PageInfo.EndCursor
		}
		if !slices.Equal(got, want) {
			t.Fatalf("newest activity first:\n got %v\nwant %v", got, want)
		}
		if got := s.listIDs(owner.Token, map[string]any{"channel": []string{"SMS", "API"}}); len(got) != 4 {
			t.Fatalf("SMS+API = %v", got)
		}
		s.expectCode(owner.Token, `{ conversations(first: 101) { totalCount } }`, nil, "BAD_USER_INPUT")
		res := s.expectCode(owner.Token, `query($id: ID) { conversations(filter: {assigneeId: $id}) { totalCount } }`, map[string]any{"id": "nope"}, "BAD_USER_INPUT")
		if res.Errors[0].Extensions["field"] != "assigneeId" {
			t.Fatalf("field = %v", res.Errors[0].Extensions["field"])
		}
		s.expectCode(owner.Token, createConvQ, map[string]any{"ch": "EMAIL", "m": "  ", "e": nil}, "BAD_USER_INPUT")
		s.expectCode(owner.Token, createConvQ, map[string]any{"ch": "EMAIL", "m": "hi", "e": "not-an-email"}, "BAD_USER_INPUT")
	})
}

func TestConversationListStatementsDoNotGrowWithPageSize(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Acme")
		var agents []person
		for i := range 4 {
			agents = append(agents, s.member(owner, fmt.Sprintf("ag%d@example.com", i), "Agent"))
		}
		for i := range 105 {
			var out struct {
				CreateConversation struct{ Conversation struct{ ID string } }
			}
			s.must(owner.Token, createConvQ, map[string]any{"ch": "EMAIL", "m": "Hello", "e": fmt.Sprintf("c%d@customer.test", i)}, &out)
			if i%3 != 0 {
				s.assign(owner.Token, out.CreateConversation.Conversation.ID, agents[i%4].ID)
			}
		}
		s.must(owner.Token, removeQ, map[string]any{"id": agents[1].ID}, nil)
		statements := func(n int) int64 {
			before := s.stmts.n.Load()
			var out struct {
				Conversations struct {
					Edges []struct{ Node struct{ Caution *string } }
				}
			}
			s.must(owner.Token, `query($n: Int!) { conversations(first: $n) { edges { node { assignee { name status } contact { name } caution } } } }`,
				map[string]any{"n": n}, &out)
			if len(out.Conversations.Edges) != n {
				t.Fatalf("page of %d has %d", n, len(out.Conversations.Edges))
			}
			return s.stmts.n.Load() - before
		}
		at10, at100 := statements(10), statements(100)
		t.Logf("%s: %d statements for 10 conversations, %d for 100", s.dialect, at10, at100)
		if at10 != at100 || at100 > 6 {
			t.Fatalf("statements: %d for 10, %d for 100", at10, at100)
		}
	})
}
