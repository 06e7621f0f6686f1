package graph_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

const viewerCanQ = `query($id: ID!) { agent(id: $id) { email roles { id } viewerCan {
	resendActivationLink remove updateRoles reinvite blocked { action code message } } } }`

type blockedAction struct{ Action, Code, Message string }

type agentHints struct {
	Email     string
	Roles     []struct{ ID string }
	ViewerCan struct {
		ResendActivationLink, Remove, UpdateRoles, Reinvite bool
		Blocked                                             []blockedAction
	}
}

func (h agentHints) can(action string) bool {
	switch action {
	case "RESEND_ACTIVATION_LINK":
		return h.ViewerCan.ResendActivationLink
	case "REMOVE":
		return h.ViewerCan.Remove
	case "UPDATE_ROLES":
		return h.ViewerCan.UpdateRoles
	default:
		return h.ViewerCan.Reinvite
	}
}

func (h agentHints) blocked(action string) (blockedAction, int) {
	var found blockedAction
	n := 0
	for _, b := range h.ViewerCan.Blocked {
		if b.Action == action {
			found = b
			n++
		}
	}
	return found, n
}

// hintsOf reads an agent's viewerCan as token sees it.
func (s *testServer) hintsOf(token, id string) agentHints {
	s.t.Helper()
	var out struct{ Agent agentHints }
	s.must(token, viewerCanQ, map[string]any{"id": id}, &out)
	return out.Agent
}

// ownHints reads the viewer's viewerCan on itself.
func (s *testServer) ownHints(token string) agentHints {
	s.t.Helper()
	var out struct{ Viewer agentHints }
	s.must(token, `{ viewer { email viewerCan { resendActivationLink remove updateRoles reinvite blocked { action code message } } } }`, nil, &out)
	return out.Viewer
}

// grantable returns the ids of grantableRoles as token sees them.
func (s *testServer) grantable(token string) []string {
	s.t.Helper()
	var out struct{ GrantableRoles []struct{ ID string } }
	s.must(token, `{ grantableRoles { id } }`, nil, &out)
	ids := make([]string, len(out.GrantableRoles))
	for i, r := range out.GrantableRoles {
		ids[i] = r.ID
	}
	return ids
}

var allActions = []string{"RESEND_ACTIVATION_LINK", "REMOVE", "UPDATE_ROLES", "REINVITE"}

// For every viewer role × target state × action, viewerCan.X is true
// exactly when mutation X, run right after reading the hint, succeeds, and
// when it is false its blocked entry carries the mutation's code and
// message. Each (viewer, action) pair gets a fresh workspace holding one
// agent per target state; the cooldown has passed (see
// TestViewerCanDuringCooldownAndSeatLimit for it).
func TestViewerCanMatchesMutations(t *testing.T) {
	viewers := []string{"Owner", "Administrator", "Supervisor", "Agent", "Inviter"}
	targets := []string{"self", "pending agent", "active agent", "removed agent", "pending owner", "active owner"}
	eachDB(t, func(t *testing.T, s *testServer) {
		outcomes := map[string]map[bool]int{} // action -> allowed? -> cases
		for _, a := range allActions {
			outcomes[a] = map[bool]int{}
		}
		defer func() {
			// Each action was seen both allowed and refused, or the table
			// above would prove little.
			for a, o := range outcomes {
				if o[true] == 0 || o[false] == 0 {
					t.Errorf("%s: %d allowed, %d refused cases; want both", a, o[true], o[false])
				}
			}
		}()
		for _, viewerRole := range viewers {
			for _, action := range allActions {
				owner := s.createWorkspace("Hints")
				if viewerRole == "Inviter" {
					s.must(owner.Token, `mutation { createRole(input: {name: "Inviter", permissions: [AGENTS_READ, AGENTS_INVITE]}) { role { id } } }`, nil, nil)
				}
				tag := strings.ToLower(viewerRole) + "-" + strings.ToLower(action)
				viewer, otherOwner := owner, owner
				if viewerRole == "Owner" {
					otherOwner = s.member(owner, tag+"-owner2@example.com", "Owner")
				} else {
					viewer = s.member(owner, tag+"-viewer@example.com", viewerRole)
				}
				ids := map[string]string{
					"self":          viewer.ID,
					"active owner":  otherOwner.ID,
					"active agent":  s.member(owner, tag+"-active@example.com", "Agent").ID,
					"pending agent": s.invite(owner.Token, tag+"-pending@example.com", "Agent"),
					"pending owner": s.invite(owner.Token, tag+"-pendingowner@example.com", "Owner"),
					"removed agent": s.invite(owner.Token, tag+"-removed@example.com", "Agent"),
				}
				s.must(owner.Token, removeQ, map[string]any{"id": ids["removed agent"]}, nil)
				s.clock.Advance(61 * time.Second) // past RESEND_COOLDOWN of every link above
				agentRole := s.roleID(owner.Token, "Agent")
				grantable := s.grantable(viewer.Token)
				for _, target := range targets {
					id := ids[target]
					hints := s.hintsOf(owner.Token, id) // the roles, as the owner sees them
					switch {
					case target == "self":
						hints.ViewerCan = s.ownHints(viewer.Token).ViewerCan
					case viewerRole == "Agent":
						// Without AGENTS_READ the viewer reaches other agents only
						// through conversations; its own hints above already show
						// it may do nothing.
						continue
					default:
						hints.ViewerCan = s.hintsOf(viewer.Token, id).ViewerCan
					}
					res := runAction(s, viewer.Token, action, id, hints, agentRole, grantable)
					name := fmt.Sprintf("%s viewer, %s, %s", viewerRole, target, action)
					can := hints.can(action)
					outcomes[action][can]++
					b, n := hints.blocked(action)
					switch {
					case can && len(res.Errors) > 0:
						t.Errorf("%s: viewerCan says yes, the mutation answered %s", name, res.raw)
					case !can && len(res.Errors) == 0:
						t.Errorf("%s: viewerCan says no (%v), the mutation succeeded", name, b)
					case can && n != 0:
						t.Errorf("%s: allowed, yet blocked lists it: %v", name, b)
					case !can && n != 1:
						t.Errorf("%s: refused, blocked lists it %d times", name, n)
					case !can && (b.Code != res.code() || b.Message != res.Errors[0].Message):
						t.Errorf("%s: blocked says %s %q, the mutation answered %s %q", name, b.Code, b.Message, res.code(), res.Errors[0].Message)
					}
				}
			}
		}
	})
}

// runAction runs the mutation behind an action on an agent, as token. The
// roles sent are the target's own (an update that gains nothing), or the
// Agent role for a target without any; a re-invite uses the viewer's first
// grantable role.
func runAction(s *testServer, token, action, id string, target agentHints, agentRole string, grantable []string) gqlResponse {
	switch action {
	case "RESEND_ACTIVATION_LINK":
		return s.query(token, `mutation($id: ID!) { resendActivationLink(input: {agentId: $id}) { agent { id } } }`, map[string]any{"id": id})
	case "REMOVE":
		return s.query(token, removeQ, map[string]any{"id": id})
	case "UPDATE_ROLES":
		roles := []string{agentRole}
		if len(target.Roles) > 0 {
			roles = roles[:0]
			for _, r := range target.Roles {
				roles = append(roles, r.ID)
			}
		}
		return s.query(token, updateRolesQ, map[string]any{"id": id, "r": roles})
	default:
		role := agentRole
		if len(grantable) > 0 {
			role = grantable[0]
		}
		return s.query(token, `mutation($e: String!, $r: [ID!]!) { inviteAgent(input: {email: $e, roleIds: $r}) { agent { id } } }`,
			map[string]any{"e": target.Email, "r": []string{role}})
	}
}

// The re-send link stays available during the cooldown (the contract's
// choice), with resendAvailableAt saying when the mutation accepts it; a
// re-invite inside the cooldown, or with every seat taken, is refused by
// hint and mutation alike.
func TestViewerCanDuringCooldownAndSeatLimit(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Cooldown")
		pending := s.invite(owner.Token, "cool@example.com", "Agent")
		var inv struct {
			Agent struct {
				Invitation struct{ SentAt, ResendAvailableAt time.Time }
				ViewerCan  struct {
					ResendActivationLink bool
					Blocked              []blockedAction
				}
			}
		}
		s.must(owner.Token, `query($id: ID!) { agent(id: $id) { invitation { sentAt resendAvailableAt }
			viewerCan { resendActivationLink blocked { action code message } } } }`, map[string]any{"id": pending}, &inv)
		if got := inv.Agent.Invitation.ResendAvailableAt.Sub(inv.Agent.Invitation.SentAt); got != time.Minute {
			t.Fatalf("resendAvailableAt is sentAt + %v, want + RESEND_COOLDOWN (1m)", got)
		}
		if !inv.Agent.ViewerCan.ResendActivationLink || len(inv.Agent.ViewerCan.Blocked) == 0 {
			t.Fatalf("during the cooldown: %+v; want resendActivationLink true (and the other actions blocked)", inv.Agent.ViewerCan)
		}
		resend := `mutation($id: ID!) { resendActivationLink(input: {agentId: $id}) { agent { id } } }`
		res := s.expectCode(owner.Token, resend, map[string]any{"id": pending}, "RATE_LIMITED")
		if ra := res.Errors[0].Extensions["retryAfterSeconds"]; ra != float64(60) {
			t.Fatalf("retryAfterSeconds %v, want 60 (= resendAvailableAt - now)", ra)
		}
		s.clock.Advance(time.Minute)
		s.must(owner.Token, resend, map[string]any{"id": pending}, nil)

		// Removed moments after its link: the re-invite waits for the cooldown.
		s.must(owner.Token, removeQ, map[string]any{"id": pending}, nil)
		agentRole := s.roleID(owner.Token, "Agent")
		h := s.hintsOf(owner.Token, pending)
		res = runAction(s, owner.Token, "REINVITE", pending, h, agentRole, nil)
		if b, _ := h.blocked("REINVITE"); h.ViewerCan.Reinvite || b.Code != "RATE_LIMITED" || res.code() != "RATE_LIMITED" || b.Message != res.Errors[0].Message {
			t.Fatalf("re-invite in the cooldown: hint %+v, mutation %s", h.ViewerCan, res.raw)
		}

		// Every seat taken: SEAT_LIMIT_REACHED from both.
		s.clock.Advance(time.Minute)
		s.must(owner.Token, `mutation { updateWorkspace(input: {seatLimit: 1}) { workspace { id } } }`, nil, nil)
		h = s.hintsOf(owner.Token, pending)
		res = runAction(s, owner.Token, "REINVITE", pending, h, agentRole, nil)
		if b, _ := h.blocked("REINVITE"); h.ViewerCan.Reinvite || b.Code != "SEAT_LIMIT_REACHED" || res.code() != "SEAT_LIMIT_REACHED" || b.Message != res.Errors[0].Message {
			t.Fatalf("re-invite with no seat: hint %+v, mutation %s", h.ViewerCan, res.raw)
		}
		s.must(owner.Token, `mutation { updateWorkspace(input: {seatLimit: 0}) { workspace { id } } }`, nil, nil)
		if h = s.hintsOf(owner.Token, pending); !h.ViewerCan.Reinvite {
			t.Fatalf("seat free again, cooldown over: %+v", h.ViewerCan)
		}
		s.must(owner.Token, `mutation($e: String!, $r: [ID!]!) { inviteAgent(input: {email: $e, roleIds: $r}) { agent { id } } }`,
			map[string]any{"e": "cool@example.com", "r": []string{agentRole}}, nil)
	})
}

// grantableRoles lists exactly the roles inviteAgent accepts from the
// viewer: each one listed is accepted, each one left out is FORBIDDEN.
func TestGrantableRolesAreWhatInviteAccepts(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Grants")
		s.must(owner.Token, `mutation { createRole(input: {name: "Inviter", permissions: [AGENTS_READ, AGENTS_INVITE]}) { role { id } } }`, nil, nil)
		s.must(owner.Token, `mutation { createRole(input: {name: "Auditor", permissions: [AUDIT_READ]}) { role { id } } }`, nil, nil)
		var all struct{ Roles []struct{ ID, Name string } }
		s.must(owner.Token, `{ roles { id name } }`, nil, &all)
		want := map[string][]string{
			"Owner":         {"Owner", "Administrator", "Supervisor", "Agent", "Inviter", "Auditor"},
			"Administrator": {"Administrator", "Supervisor", "Agent", "Inviter", "Auditor"},
			"Inviter":       {"Inviter"},
			"Supervisor":    {}, // may neither invite nor change roles
		}
		n := 0
		for role, names := range want {
			viewer := owner
			if role != "Owner" {
				viewer = s.member(owner, strings.ToLower(role)+"@example.com", role)
			}
			var out struct{ GrantableRoles []struct{ Name string } }
			s.must(viewer.Token, `{ grantableRoles { name } }`, nil, &out)
			var got []string
			for _, r := range out.GrantableRoles {
				got = append(got, r.Name)
			}
			if strings.Join(got, ",") != strings.Join(names, ",") {
				t.Fatalf("%s: grantableRoles %v, want %v", role, got, names)
			}
			if role == "Supervisor" {
				continue
			}
			for _, r := range all.Roles {
				n++
				res := s.query(viewer.Token, `mutation($e: String!, $r: [ID!]!) { inviteAgent(input: {email: $e, roleIds: $r}) { agent { id } } }`,
					map[string]any{"e": fmt.Sprintf("grant%d@example.com", n), "r": []string{r.ID}})
				listed := strings.Contains(","+strings.Join(names, ",")+",", ","+r.Name+",")
				if listed != (len(res.Errors) == 0) || (!listed && res.code() != "FORBIDDEN") {
					t.Errorf("%s inviting with %s: listed %v, mutation %s", role, r.Name, listed, res.raw)
				}
			}
		}
	})
}

// viewerCan on a page costs what the page's agents need once (their roles,
// the active Owners, the seats), never a statement per agent.
func TestViewerCanStatementsDoNotGrowWithPageSize(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Hints page")
		s.member(owner, "second-owner@example.com", "Owner")
		for i := range 110 {
			id := s.invite(owner.Token, fmt.Sprintf("h%03d@example.com", i), "Agent")
			if i%3 == 0 {
				s.must(owner.Token, removeQ, map[string]any{"id": id}, nil)
			}
		}
		// A seat limit and links past their cooldown: the seat check of the
		// removed agents' re-invite reads the workspace and its seats.
		s.must(owner.Token, `mutation { updateWorkspace(input: {seatLimit: 500}) { workspace { id } } }`, nil, nil)
		s.clock.Advance(time.Hour)
		page := func(withHints bool, n int) int64 {
			hints := ""
			if withHints {
				hints = "viewerCan { resendActivationLink remove updateRoles reinvite blocked { action code message } }"
			}
			q := `query($first: Int!) { agents(first: $first, filter: {status: [PENDING, ACTIVE, REMOVED]}, orderBy: {field: EMAIL, direction: DESC}) {
				edges { node { roles { name } ` + hints + ` } } } }`
			before := s.stmts.n.Load()
			var out struct {
				Agents struct{ Edges []json.RawMessage }
			}
			s.must(owner.Token, q, map[string]any{"first": n}, &out)
			if len(out.Agents.Edges) != n {
				t.Fatalf("page of %d has %d agents", n, len(out.Agents.Edges))
			}
			return s.stmts.n.Load() - before
		}
		at10, at100, without := page(true, 10), page(true, 100), page(false, 100)
		t.Logf("%s: %d statements for 10 agents with viewerCan, %d for 100, %d for 100 without", s.dialect, at10, at100, without)
		if at10 != at100 {
			t.Fatalf("viewerCan statements grow with the page: %d for 10, %d for 100", at10, at100)
		}
		// The active Owners (the second Owner heads the page) and the seat
		// check (removed agents are on it): the workspace row and the seats
		// used; each once.
		if at100-without != 3 {
			t.Fatalf("viewerCan costs %d statements over the page, want 3", at100-without)
		}
	})
}

// agentCounts equals the lists' totalCount per status under the same search
// and roleIds, ignores the filter's status, and is one statement.
func TestAgentCountsMatchTotalCounts(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Counts")
		s.member(owner, "sam.active@example.com", "Supervisor")
		s.member(owner, "ann.active@example.com", "Agent")
		for i, roles := range [][]string{{"Agent"}, {"Supervisor"}, {"Agent", "Supervisor"}, {"Agent"}, {"Supervisor"}} {
			id := s.invite(owner.Token, fmt.Sprintf("sam%d@example.com", i), roles...)
			if i%2 == 0 {
				s.must(owner.Token, removeQ, map[string]any{"id": id}, nil)
			}
		}
		supervisor := s.roleID(owner.Token, "Supervisor")
		filters := []map[string]any{
			nil,
			{"search": "SAM"},
			{"roleIds": []string{supervisor}},
			{"search": "sam", "roleIds": []string{supervisor}, "status": []string{"REMOVED"}},
			{"search": "nobody"},
		}
		for _, f := range filters {
			var counts struct{ AgentCounts map[string]int }
			before := s.stmts.n.Load()
			s.must(owner.Token, `query($f: AgentFilter) { agentCounts(filter: $f) { pending active removed } }`, map[string]any{"f": f}, &counts)
			used := s.stmts.n.Load() - before
			before = s.stmts.n.Load()
			// viewer { id } is the session's statements plus one (the agent row).
			s.must(owner.Token, `{ viewer { id } }`, nil, nil)
			if oneRead := s.stmts.n.Load() - before; used != oneRead {
				t.Errorf("filter %v: agentCounts took %d statements, a request with one read %d; want the same", f, used, oneRead)
			}
			total := 0
			for _, status := range []string{"PENDING", "ACTIVE", "REMOVED"} {
				lf := map[string]any{"status": []string{status}}
				for k, v := range f {
					if k != "status" {
						lf[k] = v
					}
				}
				var list struct{ Agents struct{ TotalCount int } }
				s.must(owner.Token, `query($f: AgentFilter) { agents(filter: $f) { totalCount } }`, map[string]any{"f": lf}, &list)
				if got := counts.AgentCounts[strings.ToLower(status)]; got != list.Agents.TotalCount {
					t.Errorf("filter %v: agentCounts.%s = %d, agents totalCount = %d", f, strings.ToLower(status), got, list.Agents.TotalCount)
				}
				total += list.Agents.TotalCount
			}
			if f == nil && total != 8 {
				t.Fatalf("unfiltered counts add up to %d, want 8", total)
			}
		}
		agent := s.member(owner, "plain@example.com", "Agent")
		s.expectCode(agent.Token, `{ agentCounts { pending } }`, nil, "FORBIDDEN")
		// Priced like a totalCount (each reads every matching agent).
		var aliased strings.Builder
		for i := range 11 {
			fmt.Fprintf(&aliased, "c%d: agentCounts { pending } ", i)
		}
		res := s.expectCode(owner.Token, "{ "+aliased.String()+"}", nil, "BAD_USER_INPUT")
		if res.Errors[0].Extensions["limit"] != "complexity" {
			t.Fatalf("11 agentCounts: %s, want the complexity limit", res.raw)
		}
	})
}

// An agent reached through a conversation by a viewer without AGENTS_READ
// shows no hint drawn from its roles: every action refused with the
// AGENTS_READ answer, even the removal this viewer's AGENTS_REMOVE would
// allow (the README's decision: the roles stay hidden).
func TestViewerCanHiddenWithoutAgentsRead(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Hidden hints")
		s.must(owner.Token, `mutation { createRole(input: {name: "Remover", permissions: [CONVERSATIONS_REPLY, AGENTS_REMOVE]}) { role { id } } }`, nil, nil)
		viewer := s.member(owner, "remover@example.com", "Remover")
		colleague := s.member(owner, "colleague@example.com", "Agent")
		conv := s.conversation(owner.Token, "EMAIL")
		s.assign(owner.Token, conv, colleague.ID)
		s.must(colleague.Token, sendQ, map[string]any{"c": conv, "b": "On it"}, nil)
		s.assign(owner.Token, conv, viewer.ID)
		var out struct {
			Conversation struct {
				Messages struct {
					Edges []struct {
						Node struct {
							Author *struct {
								ID        string
								Roles     []struct{ Name string }
								ViewerCan struct {
									Remove  bool
									Blocked []blockedAction
								}
							}
						}
					}
				}
			}
		}
		s.must(viewer.Token, `query($id: ID!) { conversation(id: $id) { messages { edges { node { author { id roles { name }
			viewerCan { remove blocked { action code message } } } } } } } }`, map[string]any{"id": conv}, &out)
		seen := false
		for _, e := range out.Conversation.Messages.Edges {
			a := e.Node.Author
			if a == nil || a.ID != colleague.ID {
				continue
			}
			seen = true
			if len(a.Roles) != 0 || a.ViewerCan.Remove || len(a.ViewerCan.Blocked) != 4 {
				t.Fatalf("hidden colleague: roles %v, hints %+v", a.Roles, a.ViewerCan)
			}
			for _, b := range a.ViewerCan.Blocked {
				if b.Code != "FORBIDDEN" || !strings.Contains(b.Message, "AGENTS_READ") {
					t.Fatalf("blocked %+v, want the AGENTS_READ answer", b)
				}
			}
		}
		if !seen {
			t.Fatalf("the colleague's message is not in the conversation: %+v", out)
		}
	})
}

// A request's mutations run one after the other: the hints in each one's
// payload are read after it, never from counts an earlier one read.
func TestViewerCanInMutationsIsReadAfterEach(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Stale hints")
		writer := s.member(owner, "writer@example.com", "Agent")
		conv := s.conversation(owner.Token, "EMAIL")
		s.assign(owner.Token, conv, writer.ID)
		s.must(writer.Token, sendQ, map[string]any{"c": conv, "b": "Looking into it"}, nil)
		s.assign(owner.Token, conv, owner.ID)
		s.must(owner.Token, removeQ, map[string]any{"id": writer.ID}, nil)
		s.invite(owner.Token, "x@example.com", "Agent")
		s.must(owner.Token, `mutation { updateWorkspace(input: {seatLimit: 3}) { workspace { id } } }`, nil, nil) // one seat free
		s.clock.Advance(time.Hour)
		authorHints := `conversation { messages { edges { node { author { id viewerCan { reinvite blocked { action code } } } } } } }`
		q := `mutation($c: ID!, $e: String!, $r: [ID!]!) {
			before: assignConversation(input: {conversationId: $c, agentId: null}) { ` + authorHints + ` }
			fill: inviteAgent(input: {email: $e, roleIds: $r}) { agent { id } }
			after: assignConversation(input: {conversationId: $c, agentId: null}) { ` + authorHints + ` } }`
		type hints struct {
			Conversation struct {
				Messages struct {
					Edges []struct {
						Node struct {
							Author *struct {
								ID        string
								ViewerCan struct {
									Reinvite bool
									Blocked  []struct{ Action, Code string }
								}
							}
						}
					}
				}
			}
		}
		var out struct{ Before, After hints }
		s.must(owner.Token, q, map[string]any{"c": conv, "e": "y@example.com", "r": []string{s.roleID(owner.Token, "Agent")}}, &out)
		reinvite := func(h hints) (bool, string) {
			for _, e := range h.Conversation.Messages.Edges {
				if a := e.Node.Author; a != nil && a.ID == writer.ID {
					code := ""
					for _, b := range a.ViewerCan.Blocked {
						if b.Action == "REINVITE" {
							code = b.Code
						}
					}
					return a.ViewerCan.Reinvite, code
				}
			}
			t.Fatalf("the removed writer's message is missing: %+v", h)
			return false, ""
		}
		if ok, code := reinvite(out.Before); !ok {
			t.Fatalf("one seat free: reinvite refused with %s", code)
		}
		if ok, code := reinvite(out.After); ok || code != "SEAT_LIMIT_REACHED" {
			t.Fatalf("after the last seat was taken in the same request: reinvite %v (%s), want SEAT_LIMIT_REACHED", ok, code)
		}
	})
}

// A sign-in response may ask for its agent's hints: the request acts as
// nobody yet, so every action is refused (UNAUTHENTICATED) and the sign-in
// itself still answers.
func TestViewerCanInASignInResponse(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Sign-in hints")
		var out struct {
			Login struct {
				Token string
				Agent struct {
					ViewerCan struct {
						Remove  bool
						Blocked []blockedAction
					}
				}
			}
		}
		s.must("", `mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { token
			agent { viewerCan { remove blocked { action code message } } } } }`,
			map[string]any{"e": owner.Email, "p": owner.Password}, &out)
		hints := out.Login.Agent.ViewerCan
		if out.Login.Token == "" || hints.Remove || len(hints.Blocked) != 4 {
			t.Fatalf("login with hints: %+v", out.Login)
		}
		for _, b := range hints.Blocked {
			if b.Code != "UNAUTHENTICATED" {
				t.Fatalf("blocked %+v, want UNAUTHENTICATED", b)
			}
		}
	})
}
