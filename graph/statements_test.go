package graph_test

import (
	"fmt"
	"testing"
)

// agentsPageQ is the Agents page with everything that could cost a query per
// agent.
const agentsPageQ = `query($first: Int!) { agents(first: $first, filter: {status: [PENDING, ACTIVE, REMOVED]}) {
	edges { node { roles { name } permissions invitation { invitedBy { name } } removedBy { name } } } } }`

func TestAgentsPageStatementsDoNotGrowWithPageSize(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Acme")
		admin := s.member(owner, "admin@example.com", "Administrator")
		for i := range 110 {
			inviter := owner
			if i%2 == 0 {
				inviter = admin
			}
			id := s.invite(inviter.Token, fmt.Sprintf("a%03d@example.com", i), "Agent", "Supervisor")
			if i%5 == 0 {
				s.must(admin.Token, removeQ, map[string]any{"id": id}, nil)
			}
		}
		statements := func(n int) int64 {
			before := s.stmts.n.Load()
			var out struct {
				Agents struct {
					Edges []struct {
						Node struct{ Roles []struct{ Name string } }
					}
				}
			}
			s.must(owner.Token, agentsPageQ, map[string]any{"first": n}, &out)
			if len(out.Agents.Edges) != n {
				t.Fatalf("page of %d has %d agents", n, len(out.Agents.Edges))
			}
			return s.stmts.n.Load() - before
		}
		at10, at100 := statements(10), statements(100)
		t.Logf("%s: %d statements for 10 agents, %d for 100", s.dialect, at10, at100)
		if at10 != at100 {
			t.Fatalf("statements grow with the page: %d for 10, %d for 100", at10, at100)
		}
		if at100 > 6 {
			t.Fatalf("%d statements, want at most 6", at100)
		}
	})
}

func TestTotalCountOnlyWhenSelected(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Acme")
		run := func(q string) int64 {
			before := s.stmts.n.Load()
			s.must(owner.Token, q, nil, nil)
			return s.stmts.n.Load() - before
		}
		without := run(`{ agents { edges { node { id } } } }`)
		with := run(`{ agents { totalCount edges { node { id } } } }`)
		if with != without+1 {
			t.Fatalf("totalCount costs %d statements over %d; want exactly one COUNT", with, without)
		}
	})
}

// The viewer's roles are read once, with its session: viewer { roles
// permissions } costs the session, its roles and the agent row.
func TestViewerRolesAreReadOnce(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Acme")
		before := s.stmts.n.Load()
		var out struct {
			Viewer struct {
				Roles       []struct{ Name string }
				Permissions []string
			}
		}
		s.must(owner.Token, `{ viewer { roles { name } permissions } }`, nil, &out)
		if n := s.stmts.n.Load() - before; n != 3 {
			t.Fatalf("%d statements, want 3", n)
		}
		if len(out.Viewer.Roles) != 1 || out.Viewer.Roles[0].Name != "Owner" || len(out.Viewer.Permissions) != 12 {
			t.Fatalf("viewer = %+v", out.Viewer)
		}
	})
}

// Objects reached through a connection's edges resolve their fields one
// after the other, so every list primes the loaders for its page: the audit
// log (actors, target agents and roles) and a conversation's messages
// (authors) cost the same number of statements for any page size.
func TestAuditLogAndMessagesStatementsDoNotGrowWithPageSize(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Acme")
		var convID string
		var agents []person
		for i := range 12 {
			agents = append(agents, s.member(owner, fmt.Sprintf("a%02d@example.com", i), "Agent", "Supervisor"))
		}
		var out struct {
			CreateConversation struct{ Conversation struct{ ID string } }
		}
		s.must(owner.Token, createConvQ, map[string]any{"ch": "EMAIL", "m": "Hello", "e": "c@customer.test"}, &out)
		convID = out.CreateConversation.Conversation.ID
		s.assign(owner.Token, convID, owner.ID)
		for i := range 6 { // audit events with a target role, among the others
			s.must(owner.Token, `mutation($n: String!) { createRole(input: {name: $n, permissions: []}) { role { id } } }`,
				map[string]any{"n": fmt.Sprintf("Role %d", i)}, nil)
		}
		for _, a := range agents {
			s.must(owner.Token, sendQ, map[string]any{"c": convID, "b": "from owner"}, nil)
			s.must(a.Token, sendQ, map[string]any{"c": convID, "b": "from " + a.Email}, nil)
		}
		statements := func(q string, n int) int64 {
			before := s.stmts.n.Load()
			s.must(owner.Token, q, map[string]any{"first": n, "c": convID}, nil)
			return s.stmts.n.Load() - before
		}
		for _, q := range []string{
			`query($first: Int!) { auditLog(first: $first) { edges { node { actor { name } targetAgent { name } targetRole { name } } } } }`,
			`query($first: Int!, $c: ID!) { node(id: $c) { ... on Conversation { messages(first: $first) { edges { node { body author { name } } } } } } }`,
		} {
			small, large := statements(q, 3), statements(q, 24)
			t.Logf("%s: %d statements for 3, %d for 24: %s", s.dialect, small, large, q)
			if small != large {
				t.Errorf("statements grow with the page (%d for 3, %d for 24): %s", small, large, q)
			}
		}
	})
}
