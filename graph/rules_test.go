package graph_test

import (
	"strings"
	"testing"
)

const (
	removeQ      = `mutation($id: ID!) { removeAgent(input: {agentId: $id}) { agent { status } } }`
	updateRolesQ = `mutation($id: ID!, $r: [ID!]!) { updateAgentRoles(input: {agentId: $id, roleIds: $r}) { agent { roles { name } } } }`
	inviteQ      = `mutation($e: String!, $r: [ID!]!) { inviteAgent(input: {email: $e, roleIds: $r}) { agent { id } } }`
)

func TestNoEscalation(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Acme")
		admin := s.member(owner, "admin@example.com", "Administrator")
		ownerRole := s.roleID(owner.Token, "Owner")
		agentRole := s.roleID(owner.Token, "Agent")

		// Only an Owner grants the Owner role.
		s.expectCode(admin.Token, inviteQ, map[string]any{"e": "x@example.com", "r": []string{ownerRole}}, "FORBIDDEN")
		pending := s.invite(owner.Token, "p@example.com", "Agent")
		s.expectCode(admin.Token, updateRolesQ, map[string]any{"id": pending, "r": []string{ownerRole}}, "FORBIDDEN")
		s.must(owner.Token, updateRolesQ, map[string]any{"id": pending, "r": []string{ownerRole}}, nil)

		// A custom inviter grants only what it holds.
		inviterRole := s.createRole(owner.Token, "Inviter", "AGENTS_INVITE", "AGENTS_READ")
		inviter := s.member(owner, "inviter@example.com", "Inviter")
		s.expectCode(inviter.Token, inviteQ, map[string]any{"e": "y@example.com", "r": []string{agentRole}}, "FORBIDDEN")
		s.must(inviter.Token, inviteQ, map[string]any{"e": "y@example.com", "r": []string{inviterRole}}, nil)

		// A role manager puts into roles only what it holds.
		s.createRole(owner.Token, "Role manager", "ROLES_MANAGE", "AGENTS_READ")
		rm := s.member(owner, "rm@example.com", "Role manager")
		s.expectCode(rm.Token, `mutation { createRole(input: {name: "Auditor", permissions: [AUDIT_READ]}) { role { id } } }`, nil, "FORBIDDEN")
		var made struct {
			CreateRole struct{ Role struct{ ID string } }
		}
		s.must(rm.Token, `mutation { createRole(input: {name: "Reader", permissions: [AGENTS_READ]}) { role { id } } }`, nil, &made)
		s.expectCode(rm.Token, `mutation($id: ID!) { updateRole(input: {roleId: $id, permissions: [AGENTS_READ, AUDIT_READ]}) { role { id } } }`,
			map[string]any{"id": made.CreateRole.Role.ID}, "FORBIDDEN")
		// Holding ROLES_MANAGE does not let it raise its own role.
		s.expectCode(rm.Token, `mutation($id: ID!) { updateRole(input: {roleId: $id, permissions: [ROLES_MANAGE, AGENTS_READ, AGENTS_INVITE]}) { role { id } } }`,
			map[string]any{"id": s.roleID(owner.Token, "Role manager")}, "FORBIDDEN")

		// WORKSPACE_MANAGE belongs to the Owner role alone, even for an Owner.
		res := s.expectCode(owner.Token, `mutation { createRole(input: {name: "Boss", permissions: [WORKSPACE_MANAGE]}) { role { id } } }`, nil, "BAD_USER_INPUT")
		if res.Errors[0].Extensions["field"] != "permissions" {
			t.Fatalf("field = %v", res.Errors[0].Extensions["field"])
		}
	})
}

func TestOwnersAreProtected(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Acme")
		admin := s.member(owner, "admin@example.com", "Administrator")
		agentRole := s.roleID(owner.Token, "Agent")
		ownerRole := s.roleID(owner.Token, "Owner")

		s.expectCode(admin.Token, removeQ, map[string]any{"id": owner.ID}, "FORBIDDEN")
		s.expectCode(admin.Token, updateRolesQ, map[string]any{"id": owner.ID, "r": []string{agentRole}}, "FORBIDDEN")
		// The last ACTIVE Owner can be neither demoted nor removed.
		s.expectCode(owner.Token, updateRolesQ, map[string]any{"id": owner.ID, "r": []string{agentRole}}, "CONFLICT")
		s.expectCode(owner.Token, removeQ, map[string]any{"id": owner.ID}, "FORBIDDEN") // nobody removes themselves

		second := s.member(owner, "owner2@example.com", "Owner")
		s.must(second.Token, removeQ, map[string]any{"id": owner.ID}, nil)
		s.expectCode(second.Token, updateRolesQ, map[string]any{"id": second.ID, "r": []string{agentRole}}, "CONFLICT")
		// Keeping the Owner role while adding another is fine.
		s.must(second.Token, updateRolesQ, map[string]any{"id": second.ID, "r": []string{ownerRole, agentRole}}, nil)
		if st := s.agentStatus(second.Token, owner.ID); st != "REMOVED" {
			t.Fatalf("first owner is %s", st)
		}
	})
}

func TestNobodyRemovesThemselves(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Acme")
		admin := s.member(owner, "admin@example.com", "Administrator")
		s.expectCode(admin.Token, removeQ, map[string]any{"id": admin.ID}, "FORBIDDEN")
		if st := s.agentStatus(owner.Token, admin.ID); st != "ACTIVE" {
			t.Fatalf("admin is %s", st)
		}
	})
}

func TestPermissionsAreReadFreshOnEveryRequest(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Acme")
		sup := s.member(owner, "sup@example.com", "Supervisor")
		s.must(sup.Token, `{ agents { totalCount } }`, nil, nil)
		s.must(owner.Token, updateRolesQ, map[string]any{"id": sup.ID, "r": []string{s.roleID(owner.Token, "Agent")}}, nil)
		s.expectCode(sup.Token, `{ agents { totalCount } }`, nil, "FORBIDDEN")

		// Editing a custom role changes its holders' next request too.
		readers := s.createRole(owner.Token, "Readers", "AGENTS_READ")
		reader := s.member(owner, "reader@example.com", "Readers")
		s.must(reader.Token, `{ agents { totalCount } }`, nil, nil)
		s.must(owner.Token, `mutation($id: ID!) { updateRole(input: {roleId: $id, permissions: []}) { role { id } } }`, map[string]any{"id": readers}, nil)
		s.expectCode(reader.Token, `{ agents { totalCount } }`, nil, "FORBIDDEN")
	})
}

func TestRoleRules(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Acme")
		id := s.createRole(owner.Token, "Night shift", "CONVERSATIONS_REPLY")
		// The unique index on (workspace, lower(name)) decides; its own
		// message answers, for a new role and a renamed one alike.
		const taken = "A role with this name already exists."
		res := s.expectCode(owner.Token, `mutation { createRole(input: {name: "  NIGHT SHIFT ", permissions: []}) { role { id } } }`, nil, "CONFLICT")
		if res.Errors[0].Message != taken {
			t.Errorf("createRole: %q, want %q", res.Errors[0].Message, taken)
		}
		other := s.createRole(owner.Token, "Day shift")
		res = s.expectCode(owner.Token, `mutation($id: ID!) { updateRole(input: {roleId: $id, name: "night shift"}) { role { id } } }`, map[string]any{"id": other}, "CONFLICT")
		if res.Errors[0].Message != taken {
			t.Errorf("updateRole: %q, want %q", res.Errors[0].Message, taken)
		}
		res = s.expectCode(owner.Token, `mutation($n: String!) { createRole(input: {name: $n, permissions: []}) { role { id } } }`,
			map[string]any{"n": strings.Repeat("r", 65)}, "BAD_USER_INPUT")
		if res.Errors[0].Extensions["field"] != "name" {
			t.Fatalf("field = %v", res.Errors[0].Extensions["field"])
		}
		s.expectCode(owner.Token, `mutation { createRole(input: {name: "   ", permissions: []}) { role { id } } }`, nil, "BAD_USER_INPUT")

		// Built-in roles are immutable.
		for _, name := range []string{"Owner", "Administrator", "Supervisor", "Agent"} {
			sys := s.roleID(owner.Token, name)
			s.expectCode(owner.Token, `mutation($id: ID!) { updateRole(input: {roleId: $id, name: "Mine"}) { role { id } } }`, map[string]any{"id": sys}, "FORBIDDEN")
			s.expectCode(owner.Token, `mutation($id: ID!) { deleteRole(input: {roleId: $id}) { deletedRoleId } }`, map[string]any{"id": sys}, "FORBIDDEN")
		}

		// A role held by a PENDING or ACTIVE agent cannot be deleted.
		night := s.member(owner, "night@example.com", "Night shift")
		var role struct{ Role struct{ AgentCount int } }
		s.must(owner.Token, `query($id: ID!) { role(id: $id) { agentCount } }`, map[string]any{"id": id}, &role)
		if role.Role.AgentCount != 1 {
			t.Fatalf("agentCount = %d", role.Role.AgentCount)
		}
		s.expectCode(owner.Token, `mutation($id: ID!) { deleteRole(input: {roleId: $id}) { deletedRoleId } }`, map[string]any{"id": id}, "CONFLICT")
		s.must(owner.Token, removeQ, map[string]any{"id": night.ID}, nil)
		var del struct {
			DeleteRole struct{ DeletedRoleID string }
		}
		s.must(owner.Token, `mutation($id: ID!) { deleteRole(input: {roleId: $id}) { deletedRoleId } }`, map[string]any{"id": id}, &del)
		if del.DeleteRole.DeletedRoleID != id {
			t.Fatalf("deletedRoleId = %s", del.DeleteRole.DeletedRoleID)
		}
		s.expectCode(owner.Token, `query($id: ID!) { role(id: $id) { id } }`, map[string]any{"id": id}, "NOT_FOUND")

		// Roles of a REMOVED agent cannot be changed: invite again instead.
		s.expectCode(owner.Token, updateRolesQ, map[string]any{"id": night.ID, "r": []string{s.roleID(owner.Token, "Agent")}}, "CONFLICT")
	})
}

func TestEveryMutationIsAudited(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Acme")
		ana := s.member(owner, "ana@example.com", "Agent")
		pending := s.invite(owner.Token, "bo@example.com", "Agent")
		s.clock.Advance(s.svc.Config.ResendCooldown)
		s.must(owner.Token, `mutation($id: ID!) { resendActivationLink(input: {agentId: $id}) { agent { id } } }`, map[string]any{"id": pending}, nil)
		s.must(owner.Token, updateRolesQ, map[string]any{"id": ana.ID, "r": []string{s.roleID(owner.Token, "Supervisor")}}, nil)
		role := s.createRole(owner.Token, "Temp")
		s.must(owner.Token, `mutation($id: ID!) { updateRole(input: {roleId: $id, description: "d"}) { role { id } } }`, map[string]any{"id": role}, nil)
		s.must(owner.Token, `mutation($id: ID!) { deleteRole(input: {roleId: $id}) { deletedRoleId } }`, map[string]any{"id": role}, nil)
		s.must(owner.Token, `mutation { updateWorkspace(input: {name: "Acme Inc"}) { workspace { id } } }`, nil, nil)
		s.must(owner.Token, removeQ, map[string]any{"id": ana.ID}, nil)

		var out struct {
			AuditLog struct {
				TotalCount int
				Edges      []struct {
					Node struct {
						Action      string
						Summary     string
						Actor       *struct{ ID string }
						TargetAgent *struct{ ID string }
					}
				}
			}
		}
		s.must(owner.Token, `{ auditLog(first: 100) { totalCount edges { node { action summary actor { id } targetAgent { id } } } } }`, nil, &out)
		var actions []string
		for _, e := range out.AuditLog.Edges {
			actions = append(actions, e.Node.Action)
			if e.Node.Summary == "" {
				t.Errorf("%s has no summary", e.Node.Action)
			}
			if (e.Node.Actor == nil) != (e.Node.Action == "AGENT_ACTIVATED") {
				t.Errorf("%s actor = %v", e.Node.Action, e.Node.Actor)
			}
		}
		want := []string{"AGENT_REMOVED", "WORKSPACE_UPDATED", "ROLE_DELETED", "ROLE_UPDATED", "ROLE_CREATED",
			"AGENT_ROLES_UPDATED", "ACTIVATION_LINK_RESENT", "AGENT_INVITED", "AGENT_ACTIVATED", "AGENT_INVITED", "WORKSPACE_CREATED"}
		if strings.Join(actions, ",") != strings.Join(want, ",") || out.AuditLog.TotalCount != len(want) {
			t.Fatalf("audit actions = %v (total %d)\nwant %v", actions, out.AuditLog.TotalCount, want)
		}
	})
}
