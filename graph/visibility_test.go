package graph_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"agentdesk/graph"
	"agentdesk/graph/generated"
)

// BEHAVIOUR §8 Visibility of agents: a viewer without AGENTS_READ who reaches
// another agent through a conversation, a message or an audit event sees its
// id, name, email and status, and nothing else of it. (invitedAt is Time!,
// so it cannot be hidden without a schema change; it is the one other field
// allowed through.)

// agentShown are the fields of another agent that a viewer without
// AGENTS_READ may see. Every other field of Agent must come back empty (null,
// [], or an empty connection), including fields added after this test.
var agentShown = []string{"__typename", "id", "email", "name", "status", "invitedAt"}

// selection builds a selection set of every field of typ from the server's
// own schema, nested depth levels deep (lists with first: 1), so a field
// added to Agent is queried here without anyone remembering to.
func selection(schema *ast.Schema, typ string, depth int) string {
	parts := []string{"__typename"}
	for _, f := range schema.Types[typ].Fields {
		if strings.HasPrefix(f.Name, "__") {
			continue
		}
		ft := schema.Types[f.Type.Name()]
		if ft.Kind == ast.Scalar || ft.Kind == ast.Enum {
			parts = append(parts, f.Name)
			continue
		}
		if depth == 0 {
			continue
		}
		args := ""
		if f.Arguments.ForName("first") != nil {
			args = "(first: 1)"
		}
		parts = append(parts, fmt.Sprintf("%s%s { %s }", f.Name, args, selection(schema, ft.Name, depth-1)))
	}
	return strings.Join(parts, " ")
}

// agentsIn calls visit for every Agent object in a response, with the name of
// the field it was reached through (author, assignee, removedBy, …).
func agentsIn(v any, via string, visit func(via string, agent map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		if v["__typename"] == "Agent" {
			visit(via, v)
		}
		for k, child := range v {
			agentsIn(child, k, visit)
		}
	case []any:
		for _, child := range v {
			agentsIn(child, via, visit)
		}
	}
}

// empty reports whether a JSON value reveals nothing: null, false, 0, "",
// [], or an object of such values (an empty connection and its pageInfo).
func empty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case bool:
		return !v
	case float64:
		return v == 0
	case string:
		return v == ""
	case []any:
		return len(v) == 0
	case map[string]any:
		for k, child := range v {
			if k != "__typename" && !empty(child) {
				return false
			}
		}
		return true
	}
	return false
}

// hiddenHints reports whether a viewerCan is the one answer every agent
// whose details are hidden gets (team.AgentActions): no action, each refused
// with the AGENTS_READ sentence. The same for all, it reveals nothing.
func hiddenHints(v any) bool {
	hints, _ := v.(map[string]any)
	blocked, _ := hints["blocked"].([]any)
	if hints == nil || len(blocked) != 4 {
		return false
	}
	for k, flag := range hints {
		if k != "blocked" && k != "__typename" && flag != false {
			return false
		}
	}
	for _, b := range blocked {
		entry, _ := b.(map[string]any)
		if entry["code"] != "FORBIDDEN" || entry["message"] != "You need the AGENTS_READ permission to do this." {
			return false
		}
	}
	return true
}

func TestAgentDetailsNeedAgentsRead(t *testing.T) {
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	agentSel := selection(schema, "Agent", 2)
	for _, f := range schema.Types["Agent"].Fields {
		if !strings.Contains(agentSel, f.Name) {
			t.Fatalf("selection misses Agent.%s", f.Name)
		}
	}
	convQuery := fmt.Sprintf(`{ viewer { %[1]s } conversations(first: 5) { edges { node { assignee { %[1]s }
		messages(first: 5) { edges { node { author { %[1]s } } } } } } } }`, agentSel)
	auditQuery := fmt.Sprintf(`{ auditLog(first: 20) { edges { node { actor { %[1]s } targetAgent { %[1]s } } } } }`, agentSel)

	eachDB(t, func(t *testing.T, s *testServer) {
		// Every field of every agent, two levels deep, on pages of five:
		// far beyond the default complexity, which is not what is tested.
		s.serve(graph.Limits{Complexity: 1_000_000})
		owner := s.createWorkspace("Acme")
		sup := s.member(owner, "sup@example.com", "Supervisor")
		// Reads every conversation and the audit log, but not the Agents page.
		s.must(owner.Token, `mutation { createRole(input: {name: "Auditor", permissions: [CONVERSATIONS_READ_ALL, CONVERSATIONS_REPLY, AUDIT_READ]}) { role { id } } }`, nil, nil)
		auditor := s.member(owner, "aud@example.com", "Auditor")
		agent := s.member(owner, "gus@example.com", "Agent")
		gone := s.member(owner, "xena@example.com", "Agent")
		// The Administrator invites and removes, so the Owner's walks meet
		// inviters and removers other than itself.
		admin := s.member(owner, "adm@example.com", "Administrator")
		s.invite(admin.Token, "pat@example.com", "Supervisor") // stays PENDING

		// A conversation of an agent removed since, and an unassigned one
		// everybody sees, with replies from several agents.
		c1 := s.conversation(owner.Token, "EMAIL")
		s.assign(owner.Token, c1, gone.ID)
		s.must(sup.Token, sendQ, map[string]any{"c": c1, "b": "On it"}, nil)
		s.must(admin.Token, `mutation($id: ID!) { removeAgent(input: {agentId: $id}) { agent { id } } }`, map[string]any{"id": gone.ID}, nil)
		c2 := s.conversation(owner.Token, "EMAIL")
		for _, p := range []person{sup, owner, agent} {
			s.must(p.Token, sendQ, map[string]any{"c": c2, "b": "Hello"}, nil)
		}

		run := func(p person, q string) (hidden, shown map[string]int) {
			t.Helper()
			res := s.query(p.Token, q, nil)
			if len(res.Errors) > 0 {
				t.Fatalf("errors: %s", res.raw)
			}
			var data any
			if err := json.Unmarshal(res.Data, &data); err != nil {
				t.Fatal(err)
			}
			hidden, shown = map[string]int{}, map[string]int{}
			agentsIn(data, "", func(via string, a map[string]any) {
				if a["id"] == p.ID {
					// Itself: everything, as viewer shows it.
					if r, ok := a["roles"]; ok && empty(r) || a["activatedAt"] == nil {
						t.Fatalf("%s sees too little of itself via %s: %v", p.Email, via, a)
					}
					return
				}
				for k, v := range a {
					if !slices.Contains(agentShown, k) && !empty(v) && !(k == "viewerCan" && hiddenHints(v)) {
						shown[via]++
						return
					}
				}
				for _, k := range []string{"id", "email", "status"} {
					if empty(a[k]) {
						t.Fatalf("agent via %s lacks %s: %v", via, k, a)
					}
				}
				hidden[via]++
			})
			return hidden, shown
		}

		// Without AGENTS_READ: every other agent shows its four fields only,
		// so nothing chains on through removedBy or invitation.invitedBy.
		hidden, shown := run(agent, convQuery)
		if len(shown) > 0 || hidden["author"] < 2 {
			t.Fatalf("Agent role: shown %v, hidden %v; want authors hidden and nothing shown", shown, hidden)
		}
		hidden, shown = run(auditor, convQuery)
		if len(shown) > 0 || hidden["author"] < 1 || hidden["assignee"] < 1 {
			t.Fatalf("Auditor, conversations: shown %v, hidden %v", shown, hidden)
		}
		hidden, shown = run(auditor, auditQuery)
		if len(shown) > 0 || hidden["actor"] < 1 || hidden["targetAgent"] < 3 {
			t.Fatalf("Auditor, audit log: shown %v, hidden %v", shown, hidden)
		}
		// node(id:) agrees.
		s.expectCode(agent.Token, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": sup.ID}, "FORBIDDEN")

		// With AGENTS_READ the same walks show everything, chains included.
		hidden, shown = run(sup, convQuery)
		if len(hidden) > 0 || shown["author"] < 1 || shown["assignee"] < 1 || shown["removedBy"] < 1 {
			t.Fatalf("Supervisor: shown %v, hidden %v; want everything shown", shown, hidden)
		}
		hidden, shown = run(owner, auditQuery)
		if len(hidden) > 0 || shown["actor"] < 1 || shown["targetAgent"] < 3 || shown["invitedBy"] < 1 || shown["removedBy"] < 1 {
			t.Fatalf("Owner, audit log: shown %v, hidden %v; want everything shown", shown, hidden)
		}
	})
}

// An agent that signs in sees itself in full in the sign-in's response, as
// viewer would show it, although the request carried no session.
func TestSignInShowsOwnAgent(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Acme")
		member := s.member(owner, "gus@example.com", "Agent")
		var out struct {
			Login struct {
				Agent struct {
					Roles       []struct{ Name string }
					Permissions []string
				}
			}
		}
		s.must("", `mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { agent { roles { name } permissions } } }`,
			map[string]any{"e": member.Email, "p": member.Password}, &out)
		if a := out.Login.Agent; len(a.Roles) != 1 || a.Roles[0].Name != "Agent" || !slices.Equal(a.Permissions, []string{"CONVERSATIONS_REPLY"}) {
			t.Fatalf("login shows %+v", a)
		}
	})
}
