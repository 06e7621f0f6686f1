package graph_test

import "testing"

func TestOtherWorkspacesAreInvisible(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		acme := s.createWorkspace("Acme")
		globex := s.createWorkspace("Globex")
		theirAgent := s.invite(globex.Token, "g@example.com", "Agent")
		theirRole := s.createRole(globex.Token, "Globex role")
		var ws struct{ Workspace struct{ ID string } }
		s.must(globex.Token, `{ workspace { id } }`, nil, &ws)

		notFound := []struct {
			q    string
			vars map[string]any
		}{
			{`query($id: ID!) { agent(id: $id) { email } }`, map[string]any{"id": theirAgent}},
			{`query($id: ID!) { agent(id: $id) { email } }`, map[string]any{"id": globex.ID}},
			{`query($id: ID!) { role(id: $id) { name } }`, map[string]any{"id": theirRole}},
			{`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": theirAgent}},
			{`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": theirRole}},
			{`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": ws.Workspace.ID}},
			{`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": "garbage"}},
			{`query($id: ID!) { agent(id: $id) { id } }`, map[string]any{"id": theirRole}},
			{removeQ, map[string]any{"id": theirAgent}},
			{`mutation($id: ID!) { resendActivationLink(input: {agentId: $id}) { agent { id } } }`, map[string]any{"id": theirAgent}},
			{updateRolesQ, map[string]any{"id": theirAgent, "r": []string{s.roleID(acme.Token, "Agent")}}},
			{`mutation($id: ID!) { updateRole(input: {roleId: $id, name: "Mine"}) { role { id } } }`, map[string]any{"id": theirRole}},
			{`mutation($id: ID!) { deleteRole(input: {roleId: $id}) { deletedRoleId } }`, map[string]any{"id": theirRole}},
		}
		for _, tc := range notFound {
			res := s.expectCode(acme.Token, tc.q, tc.vars, "NOT_FOUND")
			if !res.empty() {
				t.Fatalf("NOT_FOUND with data %s", res.Data)
			}
		}
		s.expectCode(acme.Token, inviteQ, map[string]any{"e": "z@example.com", "r": []string{s.roleID(globex.Token, "Agent")}}, "BAD_USER_INPUT")

		var list struct {
			Agents struct {
				TotalCount int
				Edges      []struct{ Node struct{ Email string } }
			}
			AuditLog struct {
				Edges []struct{ Node struct{ Summary string } }
			}
		}
		s.must(acme.Token, `{ agents(filter: {status: [PENDING, ACTIVE, REMOVED]}) { totalCount edges { node { email } } }
			auditLog { edges { node { summary } } } }`, nil, &list)
		if list.Agents.TotalCount != 1 || len(list.Agents.Edges) != 1 || list.Agents.Edges[0].Node.Email != acme.Email {
			t.Fatalf("Acme sees agents %+v", list.Agents)
		}
		if len(list.AuditLog.Edges) != 1 {
			t.Fatalf("Acme sees audit events %+v", list.AuditLog.Edges)
		}
		// Their agent is untouched.
		if st := s.agentStatus(globex.Token, theirAgent); st != "PENDING" {
			t.Fatalf("their agent is %s", st)
		}
	})
}
