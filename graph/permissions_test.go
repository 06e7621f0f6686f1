package graph_test

import (
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// callers of the permission matrix, by the role they hold.
var matrixCallers = []string{"Owner", "Administrator", "Supervisor", "Agent", "AI agent manager", "unauthenticated"}

// matrixOp is one operation and the callers allowed to run it. run sets up
// its own fresh target through the Owner, then calls as the caller.
type matrixOp struct {
	name    string
	allowed []string
	run     func(s *testServer, owner, caller person) gqlResponse
}

var (
	signedIn     = []string{"Owner", "Administrator", "Supervisor", "Agent", "AI agent manager"}
	replyHolders = signedIn // the custom role holds CONVERSATIONS_REPLY too
	assigners    = []string{"Owner", "Administrator", "Supervisor"}
)

var matrixSeq atomic.Int64

func freshEmail(prefix string) string {
	return fmt.Sprintf("%s%d@example.com", prefix, matrixSeq.Add(1))
}

var matrixOps = []matrixOp{
	{"viewer", signedIn, func(s *testServer, _, c person) gqlResponse {
		return s.query(c.Token, `{ viewer { id roles { name } } }`, nil)
	}},
	{"workspace", signedIn, func(s *testServer, _, c person) gqlResponse {
		return s.query(c.Token, `{ workspace { id name seatsUsed } }`, nil)
	}},
	{"node", signedIn, func(s *testServer, o, c person) gqlResponse {
		return s.query(c.Token, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": s.roleID(o.Token, "Agent")})
	}},
	{"roles", signedIn, func(s *testServer, _, c person) gqlResponse {
		return s.query(c.Token, `{ roles { id agentCount } }`, nil)
	}},
	{"role", signedIn, func(s *testServer, o, c person) gqlResponse {
		return s.query(c.Token, `query($id: ID!) { role(id: $id) { name } }`, map[string]any{"id": s.roleID(o.Token, "Agent")})
	}},
	{"agents", []string{"Owner", "Administrator", "Supervisor", "AI agent manager"}, func(s *testServer, _, c person) gqlResponse {
		return s.query(c.Token, `{ agents { totalCount edges { node { id } } } }`, nil)
	}},
	{"agent", []string{"Owner", "Administrator", "Supervisor", "AI agent manager"}, func(s *testServer, o, c person) gqlResponse {
		return s.query(c.Token, `query($id: ID!) { agent(id: $id) { email } }`, map[string]any{"id": o.ID})
	}},
	{"auditLog", []string{"Owner", "Administrator"}, func(s *testServer, _, c person) gqlResponse {
		return s.query(c.Token, `{ auditLog { edges { node { action } } } }`, nil)
	}},
	{"updateWorkspace", []string{"Owner"}, func(s *testServer, _, c person) gqlResponse {
		return s.query(c.Token, `mutation { updateWorkspace(input: {name: "Renamed"}) { workspace { name } } }`, nil)
	}},
	{"inviteAgent", []string{"Owner", "Administrator"}, func(s *testServer, o, c person) gqlResponse {
		return s.query(c.Token, `mutation($e: String!, $r: ID!) { inviteAgent(input: {email: $e, roleIds: [$r]}) { agent { id } } }`,
			map[string]any{"e": freshEmail("inv"), "r": s.roleID(o.Token, "Agent")})
	}},
	{"resendActivationLink", []string{"Owner", "Administrator"}, func(s *testServer, o, c person) gqlResponse {
		id := s.invite(o.Token, freshEmail("resend"), "Agent")
		s.clock.Advance(2 * time.Minute)
		return s.query(c.Token, `mutation($id: ID!) { resendActivationLink(input: {agentId: $id}) { agent { id } } }`, map[string]any{"id": id})
	}},
	{"removeAgent(PENDING)", []string{"Owner", "Administrator"}, func(s *testServer, o, c person) gqlResponse {
		id := s.invite(o.Token, freshEmail("cancel"), "Agent")
		return s.query(c.Token, `mutation($id: ID!) { removeAgent(input: {agentId: $id}) { agent { status } } }`, map[string]any{"id": id})
	}},
	{"removeAgent(ACTIVE)", []string{"Owner", "Administrator"}, func(s *testServer, o, c person) gqlResponse {
		target := s.member(o, freshEmail("remove"), "Agent")
		return s.query(c.Token, `mutation($id: ID!) { removeAgent(input: {agentId: $id}) { agent { status } } }`, map[string]any{"id": target.ID})
	}},
	{"updateAgentRoles", []string{"Owner", "Administrator"}, func(s *testServer, o, c person) gqlResponse {
		id := s.invite(o.Token, freshEmail("roles"), "Supervisor")
		return s.query(c.Token, `mutation($id: ID!, $r: ID!) { updateAgentRoles(input: {agentId: $id, roleIds: [$r]}) { agent { id } } }`,
			map[string]any{"id": id, "r": s.roleID(o.Token, "Agent")})
	}},
	{"createRole", []string{"Owner", "Administrator"}, func(s *testServer, _, c person) gqlResponse {
		return s.query(c.Token, `mutation($n: String!) { createRole(input: {name: $n, permissions: []}) { role { id } } }`,
			map[string]any{"n": freshEmail("role")})
	}},
	{"updateRole", []string{"Owner", "Administrator"}, func(s *testServer, o, c person) gqlResponse {
		id := s.createRole(o.Token, freshEmail("role"))
		return s.query(c.Token, `mutation($id: ID!, $n: String!) { updateRole(input: {roleId: $id, name: $n}) { role { id } } }`,
			map[string]any{"id": id, "n": freshEmail("renamed")})
	}},
	{"deleteRole", []string{"Owner", "Administrator"}, func(s *testServer, o, c person) gqlResponse {
		id := s.createRole(o.Token, freshEmail("role"))
		return s.query(c.Token, `mutation($id: ID!) { deleteRole(input: {roleId: $id}) { deletedRoleId } }`, map[string]any{"id": id})
	}},
	{"conversations", signedIn, func(s *testServer, _, c person) gqlResponse {
		return s.query(c.Token, `{ conversations { totalCount edges { node { id caution } } } }`, nil)
	}},
	{"conversation", signedIn, func(s *testServer, o, c person) gqlResponse {
		return s.query(c.Token, convQ, map[string]any{"id": s.conversation(o.Token, "EMAIL")})
	}},
	{"createConversation", replyHolders, func(s *testServer, _, c person) gqlResponse {
		return s.query(c.Token, createConvQ, map[string]any{"ch": "SMS", "m": "Hi", "e": nil})
	}},
	{"assignConversation", assigners, func(s *testServer, o, c person) gqlResponse {
		return s.query(c.Token, assignQ, map[string]any{"c": s.conversation(o.Token, "EMAIL"), "a": o.ID})
	}},
	{"reassignConversations", assigners, func(s *testServer, o, c person) gqlResponse {
		return s.query(c.Token, reassignQ, map[string]any{"from": o.ID, "to": nil})
	}},
	{"setConversationStatus", replyHolders, func(s *testServer, o, c person) gqlResponse {
		return s.query(c.Token, statusQ, map[string]any{"c": s.conversation(o.Token, "EMAIL"), "s": "PENDING"})
	}},
	{"sendMessage", replyHolders, func(s *testServer, o, c person) gqlResponse {
		return s.query(c.Token, sendQ, map[string]any{"c": s.conversation(o.Token, "EMAIL"), "b": "Hello"})
	}},
	{"logout", signedIn, func(s *testServer, _, c person) gqlResponse {
		token := ""
		if c.Token != "" {
			token = s.login(c.Email)
		}
		return s.query(token, `mutation { logout }`, nil)
	}},
}

func TestPermissionMatrix(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Matrix")
		var custom struct {
			CreateRole struct{ Role struct{ ID string } }
		}
		s.must(owner.Token, `mutation { createRole(input: {name: "AI agent manager", description: "Runs the AI agent",
			permissions: [AI_AGENT_MANAGE, AGENTS_READ, CONVERSATIONS_REPLY]}) { role { id } } }`, nil, &custom)
		callers := map[string]person{
			"Owner":            owner,
			"Administrator":    s.member(owner, "admin@example.com", "Administrator"),
			"Supervisor":       s.member(owner, "supervisor@example.com", "Supervisor"),
			"Agent":            s.member(owner, "agent@example.com", "Agent"),
			"AI agent manager": s.member(owner, "ai@example.com", "AI agent manager"),
			"unauthenticated":  {},
		}
		for _, op := range matrixOps {
			for _, name := range matrixCallers {
				res := op.run(s, owner, callers[name])
				want := ""
				switch {
				case name == "unauthenticated":
					want = "UNAUTHENTICATED"
				case !slices.Contains(op.allowed, name):
					want = "FORBIDDEN"
				}
				if res.code() != want {
					t.Errorf("%s as %s: got %q, want %q: %s", op.name, name, res.code(), want, res.raw)
				}
				if want != "" && !res.empty() {
					t.Errorf("%s as %s: refused but returned data %s", op.name, name, res.Data)
				}
			}
		}
	})
}

// createRole creates a custom role without permissions and returns its id.
func (s *testServer) createRole(token, name string, perms ...string) string {
	s.t.Helper()
	if perms == nil {
		perms = []string{}
	}
	var out struct {
		CreateRole struct{ Role struct{ ID string } }
	}
	s.must(token, `mutation($n: String!, $p: [Permission!]!) { createRole(input: {name: $n, permissions: $p}) { role { id } } }`,
		map[string]any{"n": name, "p": perms}, &out)
	return out.CreateRole.Role.ID
}

// login signs email in again and returns the new session token.
func (s *testServer) login(email string) string {
	s.t.Helper()
	var out struct{ Login struct{ Token string } }
	s.must("", `mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { token } }`,
		map[string]any{"e": email, "p": testPassword}, &out)
	return out.Login.Token
}
