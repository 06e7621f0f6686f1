package graph_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"agentdesk/graph"
	"agentdesk/models"
)

// Nested connections (Agent.assignedConversations, Conversation.messages)
// are loaded for every parent of a level in one statement; these tests pin
// that the cost does not grow with the outer page, and that the answers are
// those of asking each parent on its own.

// nestedSeed is a workspace whose agents hold 0 to 7 conversations each
// (some more than a page, some exactly a page), with 0 to 5 messages each.
// Activity and message times repeat, so the id tie-breaker decides.
type nestedSeed struct {
	owner, reader person
	agents        []string // global ids, newest invitation first
	convs         []string // global ids of assigned conversations
}

func seedNested(s *testServer, nAgents int) nestedSeed {
	s.t.Helper()
	owner := s.createWorkspace("Nested")
	// A viewer who sees the team but only its own and unassigned
	// conversations (no CONVERSATIONS_READ_ALL).
	s.must(owner.Token, `mutation { createRole(input: {name: "Team reader", permissions: [AGENTS_READ, CONVERSATIONS_REPLY]}) { role { id } } }`, nil, nil)
	reader := s.member(owner, "reader@example.com", "Team reader")
	for i := range nAgents {
		s.invite(owner.Token, fmt.Sprintf("n%03d@example.com", i), "Agent")
	}
	var ws struct{ WorkspaceID int64 }
	if err := s.db.Table("agents").Select("workspace_id").Where("email = ?", owner.Email).Take(&ws).Error; err != nil {
		s.t.Fatal(err)
	}
	var agents []models.Agent
	if err := s.db.Where("workspace_id = ?", ws.WorkspaceID).Order("invited_at DESC, id DESC").Find(&agents).Error; err != nil {
		s.t.Fatal(err)
	}
	contact := models.Contact{WorkspaceID: ws.WorkspaceID, CreatedAt: s.clock.Now()}
	if err := s.db.Create(&contact).Error; err != nil {
		s.t.Fatal(err)
	}
	seed := nestedSeed{owner: owner, reader: reader}
	base := s.clock.Now()
	j := 0
	for k, a := range agents {
		seed.agents = append(seed.agents, gid("Agent", a.ID))
		for c := range k % 8 {
			at := base.Add(time.Duration(c%3) * time.Minute)
			assignee := &a.ID
			if c == 6 {
				assignee = nil // unassigned ones are no agent's
			}
			conv := models.Conversation{WorkspaceID: ws.WorkspaceID, ContactID: contact.ID, Status: models.ConversationOpen,
				Channel: models.ChannelEmail, AssigneeID: assignee, ActivityAt: at, CreatedAt: at, UpdatedAt: at}
			if err := s.db.Create(&conv).Error; err != nil {
				s.t.Fatal(err)
			}
			if assignee != nil {
				seed.convs = append(seed.convs, gid("Conversation", conv.ID))
			}
			for m := range j % 6 {
				msg := models.Message{WorkspaceID: ws.WorkspaceID, ConversationID: conv.ID, Body: fmt.Sprintf("m%d", m),
					AuthorKind: models.AuthorContact, CreatedAt: at.Add(time.Duration(m%2) * time.Second)}
				if m%2 == 1 {
					msg.AuthorKind, msg.AuthorAgentID = models.AuthorAgent, &a.ID
				}
				if err := s.db.Create(&msg).Error; err != nil {
					s.t.Fatal(err)
				}
			}
			j++
		}
	}
	return seed
}

func gid(typ string, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("%s:%d", typ, id)))
}

const pageInfoSel = `pageInfo { hasNextPage hasPreviousPage startCursor endCursor }`

// The nested shapes of the issue: statements are the same for 5 and for 40
// parents, and each nested connection costs one statement for its level
// (one more for totalCount, one per kind of reference it shows).
func TestNestedConnectionStatementsDoNotGrowWithPageSize(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		// Message bodies are priced by their size; these shapes test
		// statements and equality, not prices.
		s.serve(graph.Limits{Complexity: 1_000_000})
		seed := seedNested(s, 44)
		statements := func(q string, n int) int64 {
			before := s.stmts.n.Load()
			res := s.query(seed.owner.Token, q, map[string]any{"n": n})
			if len(res.Errors) > 0 {
				t.Fatalf("unexpected errors: %s\nquery: %s", res.raw, q)
			}
			return s.stmts.n.Load() - before
		}
		agentsOnly := `query($n: Int!) { agents(first: $n) { edges { node { id } } } }`
		convsOnly := `query($n: Int!) { conversations(first: $n) { edges { node { id } } } }`
		for _, c := range []struct {
			base, q string
			extra   int64 // statements over base: one per level, its count, its references
		}{
			{agentsOnly, `query($n: Int!) { agents(first: $n) { edges { node { id
				assignedConversations(first: 5) { edges { cursor node { id subject } } ` + pageInfoSel + ` } } } } }`, 1},
			{agentsOnly, `query($n: Int!) { agents(first: $n) { edges { node { id
				assignedConversations(first: 5) { totalCount edges { node { id } } } } } } }`, 2},
			{agentsOnly, `query($n: Int!) { agents(first: $n) { edges { node { id
				assignedConversations(first: 3) { totalCount edges { node { id assignee { name } contact { name } caution
					messages(first: 2) { totalCount edges { cursor node { body author { name } } } ` + pageInfoSel + ` } } } } } } } }`,
				2 + 2 + 2 + 1}, // conversations (page, count), their assignees and contacts, messages (page, count), authors
			{convsOnly, `query($n: Int!) { conversations(first: $n) { edges { node { id
				messages(first: 5) { edges { cursor node { body } } ` + pageInfoSel + ` } } } } }`, 1},
			{convsOnly, `query($n: Int!) { conversations(first: $n) { edges { node { id
				messages(first: 5) { totalCount edges { node { body author { name } } } } } } } }`, 3},
		} {
			small, large := statements(c.q, 5), statements(c.q, 40)
			base := statements(c.base, 40)
			t.Logf("%s: %d statements for 5 parents, %d for 40 (base %d): %s", s.dialect, small, large, base, c.q)
			if small != large {
				t.Errorf("statements grow with the page: %d for 5, %d for 40: %s", small, large, c.q)
			}
			if large-base > c.extra {
				t.Errorf("%d statements over the outer list, want at most %d: %s", large-base, c.extra, c.q)
			}
		}
	})
}

type pageInfoJSON struct {
	HasNextPage, HasPreviousPage bool
	StartCursor, EndCursor       *string
}

type messagesJSON struct {
	TotalCount int
	Edges      []struct {
		Cursor string
		Node   struct{ ID, Body string }
	}
	PageInfo pageInfoJSON
}

type assignedJSON struct {
	TotalCount int
	Edges      []struct {
		Cursor string
		Node   struct {
			ID       string
			Messages json.RawMessage
		}
	}
	PageInfo pageInfoJSON
}

// A nested page is the page each parent gets when asked on its own: the same
// edges, cursors, pageInfo and totalCount, with and without a cursor, for a
// viewer who sees everything and for one who sees only its own.
func TestNestedConnectionsEqualEachParentAlone(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		// Message bodies are priced by their size; these shapes test
		// statements and equality, not prices.
		s.serve(graph.Limits{Complexity: 1_000_000})
		seed := seedNested(s, 20)
		// The reader holds conversations too.
		for _, c := range seed.convs[:3] {
			s.assign(seed.owner.Token, c, seed.reader.ID)
		}
		const msgSel = `messages(first: $mfirst, after: $mafter) { totalCount edges { cursor node { id body } } ` + pageInfoSel + ` }`
		const convSel = `assignedConversations(first: $first, after: $after) { totalCount edges { cursor node { id ` + msgSel + ` } } ` + pageInfoSel + ` }`
		nestedQ := `query($first: Int!, $after: String, $mfirst: Int!, $mafter: String) { agents(first: 22) { edges { node { id ` + convSel + ` } } } }`
		agentQ := `query($id: ID!, $first: Int!, $after: String, $mfirst: Int!, $mafter: String) { agent(id: $id) { id ` + convSel + ` } }`
		convQ := `query($id: ID!, $mfirst: Int!, $mafter: String) { conversation(id: $id) { ` + msgSel + ` } }`

		// Cursors from the middle of a list, to page on from.
		var probe struct {
			Agents struct {
				Edges []struct {
					Node struct {
						AssignedConversations struct {
							Edges []struct {
								Cursor string
								Node   struct {
									Messages struct{ Edges []struct{ Cursor string } }
								}
							}
						}
					}
				}
			}
		}
		s.must(seed.owner.Token, `{ agents(first: 22) { edges { node { assignedConversations(first: 7) { edges { cursor
			node { messages(first: 5) { edges { cursor } } } } } } } } }`, nil, &probe)
		var convAfter, msgAfter string
		for _, e := range probe.Agents.Edges {
			cs := e.Node.AssignedConversations.Edges
			if len(cs) >= 6 && convAfter == "" {
				convAfter = cs[2].Cursor
			}
			for _, c := range cs {
				if ms := c.Node.Messages.Edges; len(ms) >= 4 && msgAfter == "" {
					msgAfter = ms[1].Cursor
				}
			}
		}
		if convAfter == "" || msgAfter == "" {
			t.Fatal("seed has no long enough list to take a cursor from")
		}

		checked := 0
		for _, viewer := range []person{seed.owner, seed.reader} {
			for _, args := range []map[string]any{
				{"first": 4, "mfirst": 3},
				{"first": 1, "mfirst": 1},
			} {
				var nested struct {
					Agents struct {
						Edges []struct {
							Node struct {
								ID                    string
								AssignedConversations assignedJSON
							}
						}
					}
				}
				s.must(viewer.Token, nestedQ, args, &nested)
				if len(nested.Agents.Edges) != 22 {
					t.Fatalf("%d agents listed", len(nested.Agents.Edges))
				}
				for _, e := range nested.Agents.Edges {
					vars := map[string]any{"id": e.Node.ID}
					for k, v := range args {
						vars[k] = v
					}
					var alone struct {
						Agent struct {
							ID                    string
							AssignedConversations assignedJSON
						}
					}
					s.must(viewer.Token, agentQ, vars, &alone)
					if !reflect.DeepEqual(e.Node.AssignedConversations, alone.Agent.AssignedConversations) {
						t.Fatalf("agent %s, %v:\nnested %+v\nalone  %+v", e.Node.ID, args, e.Node.AssignedConversations, alone.Agent.AssignedConversations)
					}
					for _, c := range e.Node.AssignedConversations.Edges {
						var nestedMsgs messagesJSON
						if err := json.Unmarshal(c.Node.Messages, &nestedMsgs); err != nil {
							t.Fatal(err)
						}
						vars["id"] = c.Node.ID
						var one struct {
							Conversation struct{ Messages messagesJSON }
						}
						s.must(viewer.Token, convQ, vars, &one)
						if !reflect.DeepEqual(nestedMsgs, one.Conversation.Messages) {
							t.Fatalf("conversation %s, %v:\nnested %+v\nalone  %+v", c.Node.ID, args, nestedMsgs, one.Conversation.Messages)
						}
						checked++
					}
				}
			}
		}
		// A cursor belongs to one parent's list: given to the whole level, it
		// is refused for the others (and nothing is shown).
		res := s.expectCode(seed.owner.Token, nestedQ, map[string]any{"first": 2, "after": convAfter, "mfirst": 2, "mafter": msgAfter}, "BAD_USER_INPUT")
		if res.Errors[0].Extensions["field"] != "after" {
			t.Fatalf("a cursor given to a whole level: %s", res.raw)
		}
		// The reader sees only its own conversations under any agent.
		var own struct {
			Agents struct {
				Edges []struct {
					Node struct {
						ID                    string
						AssignedConversations struct{ TotalCount int }
					}
				}
			}
		}
		s.must(seed.reader.Token, `{ agents(first: 22) { edges { node { id assignedConversations(first: 5) { totalCount } } } } }`, nil, &own)
		for _, e := range own.Agents.Edges {
			n := e.Node.AssignedConversations.TotalCount
			if (e.Node.ID == seed.reader.ID && n < 3) || (e.Node.ID != seed.reader.ID && n != 0) {
				t.Fatalf("reader sees %d conversations of %s", n, e.Node.ID)
			}
		}
		t.Logf("%s: %d nested message pages compared", s.dialect, checked)
	})
}
