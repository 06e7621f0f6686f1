package graph_test

import (
	"encoding/json"
	"maps"
	"slices"
	"testing"
)

// list is one ordered list as a client asks for it: a query taking $a as
// after, and the variables that choose its order, filter or parent.
type list struct {
	name string
	q    string
	vars map[string]any
}

const (
	agentsListQ = `query($a: String, $o: AgentOrder, $f: AgentFilter) {
		agents(first: 1, after: $a, orderBy: $o, filter: $f) { edges { node { id } } pageInfo { endCursor } } }`
	conversationsListQ = `query($a: String, $f: ConversationFilter) {
		conversations(first: 1, after: $a, filter: $f) { edges { node { id } } pageInfo { endCursor } } }`
	assignedListQ = `query($a: String, $id: ID!) { node(id: $id) { ... on Agent {
		assignedConversations(first: 1, after: $a) { edges { node { id } } pageInfo { endCursor } } } } }`
	messagesListQ = `query($a: String, $c: ID!) { conversation(id: $c) {
		messages(first: 1, after: $a) { edges { node { id } } pageInfo { endCursor } } } }`
	auditListQ = `query($a: String) { auditLog(first: 1, after: $a) { edges { node { id } } pageInfo { endCursor } } }`
)

// firstPage runs l without after and returns its end cursor and node ids.
func (s *testServer) firstPage(token string, l list, after any) (cursor string, ids []string) {
	s.t.Helper()
	vars := maps.Clone(l.vars)
	vars["a"] = after
	res := s.query(token, l.q, vars)
	if len(res.Errors) > 0 {
		s.t.Fatalf("%s: %s", l.name, res.raw)
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				switch k {
				case "endCursor":
					if c, ok := x.(string); ok {
						cursor = c
					}
				case "node":
					if n, ok := x.(map[string]any); ok {
						if id, ok := n["id"].(string); ok {
							ids = append(ids, id)
						}
					}
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	var data any
	if err := json.Unmarshal(res.Data, &data); err != nil {
		s.t.Fatalf("%s: %v", l.name, err)
	}
	walk(data)
	return cursor, ids
}

// TestCursorsAreBoundToTheirList: a cursor carries the order and filter (and
// the parent, for a nested list) it was taken under; passed to a list with
// another order, another filter or another parent it answers BAD_USER_INPUT
// on after instead of comparing a name with a timestamp or paging an
// ascending position in descending order. The same list, however its filter
// is spelled, still pages on.
func TestCursorsAreBoundToTheirList(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Cursors")
		ana := s.member(owner, "ana@cursors.test", "Supervisor")
		s.invite(owner.Token, "bo@cursors.test", "Agent")
		s.invite(owner.Token, "cy@cursors.test", "Agent")
		var convs []string
		for i, ch := range []string{"EMAIL", "SMS", "EMAIL", "SMS", "EMAIL"} {
			s.clock.Advance(1e9)
			convs = append(convs, s.conversation(owner.Token, ch))
			if i < 4 {
				s.assign(owner.Token, convs[i], []string{owner.ID, ana.ID}[i%2])
			}
		}
		s.clock.Advance(1e9)
		s.must(owner.Token, sendQ, map[string]any{"c": convs[0], "b": "Any news?"}, nil)

		agents := func(name string, order, filter map[string]any) list {
			return list{"agents " + name, agentsListQ, map[string]any{"o": order, "f": filter}}
		}
		conversations := func(name string, filter map[string]any) list {
			return list{"conversations " + name, conversationsListQ, map[string]any{"f": filter}}
		}
		assigned := func(name, id string) list {
			return list{"assignedConversations of " + name, assignedListQ, map[string]any{"id": id}}
		}
		messages := func(name, id string) list {
			return list{"messages of " + name, messagesListQ, map[string]any{"c": id}}
		}
		audit := list{"auditLog", auditListQ, map[string]any{}}

		type pair struct {
			from, to list
			same     bool // the same list: the cursor pages on
		}
		var pairs []pair
		// Every agent order against every other.
		var orders []list
		for _, field := range []string{"INVITED_AT", "NAME", "EMAIL"} {
			for _, dir := range []string{"ASC", "DESC"} {
				orders = append(orders, agents(field+" "+dir, map[string]any{"field": field, "direction": dir}, nil))
			}
		}
		for _, a := range orders {
			for _, b := range orders {
				pairs = append(pairs, pair{a, b, a.name == b.name})
			}
		}
		roleID := func(name string) string { return s.roleID(owner.Token, name) }
		pairs = append(pairs,
			// The default order is INVITED_AT DESC, however it is spelled.
			pair{agents("default", nil, nil), orders[1], true},
			pair{agents("default", nil, nil), orders[0], false},
			// Agent filters; spellings of the same filter are the same list.
			pair{agents("unfiltered", nil, nil), agents("search ana", nil, map[string]any{"search": "ana"}), false},
			pair{agents("search ana", nil, map[string]any{"search": "ana"}), agents("search bo", nil, map[string]any{"search": "bo"}), false},
			pair{agents("search ana", nil, map[string]any{"search": "ana"}), agents("search ' ANA '", nil, map[string]any{"search": " ANA "}), true},
			pair{agents("unfiltered", nil, nil), agents("ACTIVE", nil, map[string]any{"status": []string{"ACTIVE"}}), false},
			pair{agents("unfiltered", nil, nil), agents("ACTIVE+PENDING", nil, map[string]any{"status": []string{"ACTIVE", "PENDING"}}), true},
			pair{agents("Agent role", nil, map[string]any{"roleIds": []string{roleID("Agent")}}),
				agents("Supervisor role", nil, map[string]any{"roleIds": []string{roleID("Supervisor")}}), false},
			pair{agents("NAME, search", map[string]any{"field": "NAME"}, map[string]any{"search": "cursors"}),
				agents("NAME", map[string]any{"field": "NAME"}, nil), false},
			// Conversation filters.
			pair{conversations("unfiltered", nil), conversations("EMAIL", map[string]any{"channel": []string{"EMAIL"}}), false},
			pair{conversations("EMAIL", map[string]any{"channel": []string{"EMAIL"}}), conversations("SMS", map[string]any{"channel": []string{"SMS"}}), false},
			pair{conversations("OPEN", map[string]any{"status": []string{"OPEN"}}), conversations("RESOLVED", map[string]any{"status": []string{"RESOLVED"}}), false},
			pair{conversations("OPEN+PENDING", map[string]any{"status": []string{"OPEN", "PENDING"}}),
				conversations("PENDING+OPEN+OPEN", map[string]any{"status": []string{"PENDING", "OPEN", "OPEN"}}), true},
			pair{conversations("of owner", map[string]any{"assigneeId": owner.ID}), conversations("of ana", map[string]any{"assigneeId": ana.ID}), false},
			pair{conversations("assigned", map[string]any{"unassigned": false}), conversations("unassigned", map[string]any{"unassigned": true}), false},
			pair{conversations("unfiltered", nil), conversations("with caution", map[string]any{"caution": "ASSIGNEE_REMOVED"}), false},
			// assignedConversations is the list filtered by its agent: bound to that agent.
			pair{assigned("owner", owner.ID), assigned("ana", ana.ID), false},
			pair{assigned("ana", ana.ID), conversations("unfiltered", nil), false},
			pair{assigned("ana", ana.ID), conversations("of ana", map[string]any{"assigneeId": ana.ID}), true},
			// Messages are bound to their conversation.
			pair{messages("first", convs[0]), messages("second", convs[1]), false},
			// No cursor crosses from one kind of list to another.
			pair{agents("default", nil, nil), conversations("unfiltered", nil), false},
			pair{conversations("unfiltered", nil), agents("default", nil, nil), false},
			pair{conversations("unfiltered", nil), messages("first", convs[0]), false},
			pair{messages("first", convs[0]), conversations("unfiltered", nil), false},
			pair{messages("first", convs[0]), assigned("owner", owner.ID), false},
			pair{agents("default", nil, nil), audit, false},
			pair{audit, agents("default", nil, nil), false},
			pair{audit, messages("first", convs[0]), false},
		)
		// Every list pages on with its own cursor.
		for _, l := range []list{conversations("unfiltered", nil), assigned("owner", owner.ID), messages("first", convs[0]), audit} {
			pairs = append(pairs, pair{l, l, true})
		}

		// No subtests: the harness fails through the scenario's t.
		for _, p := range pairs {
			name := p.from.name + " → " + p.to.name
			cursor, seen := s.firstPage(owner.Token, p.from, nil)
			if cursor == "" {
				t.Fatalf("%s has no first page", p.from.name)
			}
			if p.same {
				_, next := s.firstPage(owner.Token, p.to, cursor)
				for _, id := range next {
					if slices.Contains(seen, id) {
						t.Errorf("%s: the next page repeats %s", name, id)
					}
				}
				continue
			}
			vars := maps.Clone(p.to.vars)
			vars["a"] = cursor
			res := s.query(owner.Token, p.to.q, vars)
			if res.code() != "BAD_USER_INPUT" || res.Errors[0].Extensions["field"] != "after" {
				t.Errorf("%s: want BAD_USER_INPUT on after, got %s", name, res.raw)
			}
		}
	})
}
