package graph_test

import (
	"sync"
	"testing"
	"time"
)

func TestInviteActivateLoginLogout(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Acme")
		id := s.invite(owner.Token, "  Ana.Silva@Example.COM ", "Supervisor")

		var agent struct {
			Agent struct {
				Email, Status string
				Name          *string
				Roles         []struct{ Name string }
				Invitation    struct {
					SendCount      int
					DeliveryStatus string
					Expired        bool
					SentAt         time.Time
					ExpiresAt      time.Time
					InvitedBy      struct{ ID string }
				}
			}
		}
		s.must(owner.Token, `query($id: ID!) { agent(id: $id) { email status name roles { name }
			invitation { sendCount deliveryStatus expired sentAt expiresAt invitedBy { id } } } }`,
			map[string]any{"id": id}, &agent)
		a := agent.Agent
		if a.Email != "ana.silva@example.com" || a.Status != "PENDING" || a.Name != nil {
			t.Fatalf("invited agent = %+v", a)
		}
		if len(a.Roles) != 1 || a.Roles[0].Name != "Supervisor" {
			t.Fatalf("roles = %+v", a.Roles)
		}
		inv := a.Invitation
		if inv.SendCount != 1 || inv.DeliveryStatus != "QUEUED" || inv.Expired || inv.InvitedBy.ID != owner.ID {
			t.Fatalf("invitation = %+v", inv)
		}
		if got := inv.ExpiresAt.Sub(inv.SentAt); got != 168*time.Hour {
			t.Fatalf("link lifetime = %v, want INVITATION_TTL", got)
		}

		// The token is stored only as a hash.
		token := s.lastLinkToken("ana.silva@example.com")
		if n := s.count("activation_tokens", "token_hash = ?", token); n != 0 {
			t.Fatal("activation token stored in clear")
		}

		var preview struct {
			Invitation struct {
				Email, WorkspaceName string
				InvitedByName        *string
				ExistingAccount      bool
			}
		}
		s.must("", `query($t: String!) { invitation(token: $t) { email workspaceName invitedByName existingAccount } }`,
			map[string]any{"t": token}, &preview)
		p := preview.Invitation
		if p.Email != "ana.silva@example.com" || p.WorkspaceName != "Acme" || p.InvitedByName == nil || *p.InvitedByName != "Owner of Acme" || p.ExistingAccount {
			t.Fatalf("preview = %+v", p)
		}

		ana := s.activate("ana.silva@example.com", "Ana Silva")
		if ana.ID != id {
			t.Fatalf("activation returned agent %s, want %s", ana.ID, id)
		}
		var viewer struct {
			Viewer struct {
				Status     string
				Name       string
				Invitation *struct{ SendCount int }
			}
		}
		s.must(ana.Token, `{ viewer { status name invitation { sendCount } } }`, nil, &viewer)
		if viewer.Viewer.Status != "ACTIVE" || viewer.Viewer.Name != "Ana Silva" || viewer.Viewer.Invitation != nil {
			t.Fatalf("viewer after activation = %+v", viewer.Viewer)
		}

		// The link is single use.
		s.expectCode("", activateMutation, map[string]any{"in": map[string]any{
			"token": token, "name": "Again", "password": testPassword}}, "INVALID_TOKEN")
		s.expectCode("", `query($t: String!) { invitation(token: $t) { email } }`, map[string]any{"t": token}, "INVALID_TOKEN")

		// Login ignores the email's case; a wrong password and an unknown email
		// answer the same.
		login := `mutation($in: LoginInput!) { login(input: $in) { token agent { id } } }`
		var logged struct{ Login struct{ Token string } }
		s.must("", login, map[string]any{"in": map[string]any{"email": "ANA.SILVA@example.com ", "password": testPassword}}, &logged)
		wrong := s.expectCode("", login, map[string]any{"in": map[string]any{"email": "ana.silva@example.com", "password": "nope nope nope"}}, "INVALID_CREDENTIALS")
		unknown := s.expectCode("", login, map[string]any{"in": map[string]any{"email": "nobody@example.com", "password": "nope nope nope"}}, "INVALID_CREDENTIALS")
		if wrong.Errors[0].Message != unknown.Errors[0].Message {
			t.Fatalf("login failures differ: %q vs %q", wrong.Errors[0].Message, unknown.Errors[0].Message)
		}

		// Logout revokes that session only.
		var out struct{ Logout bool }
		s.must(logged.Login.Token, `mutation { logout }`, nil, &out)
		if !out.Logout {
			t.Fatal("logout returned false")
		}
		s.expectCode(logged.Login.Token, `{ viewer { id } }`, nil, "UNAUTHENTICATED")
		s.must(ana.Token, `{ viewer { id } }`, nil, nil)

		// The session token is stored only as a hash.
		if n := s.count("sessions", "token_hash = ?", ana.Token); n != 0 {
			t.Fatal("session token stored in clear")
		}
	})
}

func TestActivationInputErrorsConsumeNothing(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Acme")
		s.invite(owner.Token, "bo@example.com", "Agent")
		token := s.lastLinkToken("bo@example.com")
		for _, tc := range []struct {
			name, password, field string
		}{
			{"", testPassword, "name"},
			{"Bo", "short", "password"},
			{"Bo", string(make([]byte, 129)), "password"},
		} {
			res := s.expectCode("", activateMutation, map[string]any{"in": map[string]any{
				"token": token, "name": tc.name, "password": tc.password}}, "BAD_USER_INPUT")
			if res.Errors[0].Extensions["field"] != tc.field {
				t.Fatalf("field = %v, want %s", res.Errors[0].Extensions["field"], tc.field)
			}
		}
		s.expectCode("", activateMutation, map[string]any{"in": map[string]any{
			"token": "not-a-real-token", "name": "Bo", "password": testPassword}}, "INVALID_TOKEN")
		// The link still works after the failures.
		s.activate("bo@example.com", "Bo")
	})
}

func TestResendKillsOldLinkAndHonoursCooldown(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Acme")
		id := s.invite(owner.Token, "cy@example.com", "Agent")
		first := s.lastLinkToken("cy@example.com")
		resend := `mutation($id: ID!) { resendActivationLink(input: {agentId: $id}) { agent { invitation { sendCount sentAt expiresAt deliveryStatus } } } }`

		res := s.expectCode(owner.Token, resend, map[string]any{"id": id}, "RATE_LIMITED")
		if got := res.Errors[0].Extensions["retryAfterSeconds"]; got != float64(60) {
			t.Fatalf("retryAfterSeconds = %v, want 60", got)
		}
		s.clock.Advance(45 * time.Second)
		res = s.expectCode(owner.Token, resend, map[string]any{"id": id}, "RATE_LIMITED")
		if got := res.Errors[0].Extensions["retryAfterSeconds"]; got != float64(15) {
			t.Fatalf("retryAfterSeconds = %v, want 15", got)
		}
		s.clock.Advance(15 * time.Second)
		var out struct {
			ResendActivationLink struct {
				Agent struct {
					Invitation struct {
						SendCount         int
						SentAt, ExpiresAt time.Time
						DeliveryStatus    string
					}
				}
			}
		}
		s.must(owner.Token, resend, map[string]any{"id": id}, &out)
		inv := out.ResendActivationLink.Agent.Invitation
		if inv.SendCount != 2 || !inv.SentAt.Equal(s.clock.Now()) || !inv.ExpiresAt.Equal(s.clock.Now().Add(168*time.Hour)) {
			t.Fatalf("invitation after re-send = %+v", inv)
		}
		second := s.lastLinkToken("cy@example.com")
		if second == first {
			t.Fatal("re-send reused the token")
		}
		s.expectCode("", activateMutation, map[string]any{"in": map[string]any{
			"token": first, "name": "Cy", "password": testPassword}}, "INVALID_TOKEN")
		s.activate("cy@example.com", "Cy")

		// Re-sending to an ACTIVE agent is a conflict.
		s.clock.Advance(time.Hour)
		s.expectCode(owner.Token, resend, map[string]any{"id": id}, "CONFLICT")
	})
}

func TestExpiredLink(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Acme")
		id := s.invite(owner.Token, "di@example.com", "Agent")
		token := s.lastLinkToken("di@example.com")
		s.clock.Advance(168*time.Hour + time.Second)

		var out struct {
			Agent struct{ Invitation struct{ Expired bool } }
		}
		s.must(owner.Token, `query($id: ID!) { agent(id: $id) { invitation { expired } } }`, map[string]any{"id": id}, &out)
		if !out.Agent.Invitation.Expired {
			t.Fatal("invitation not shown as expired")
		}
		s.expectCode("", `query($t: String!) { invitation(token: $t) { email } }`, map[string]any{"t": token}, "TOKEN_EXPIRED")
		s.expectCode("", activateMutation, map[string]any{"in": map[string]any{
			"token": token, "name": "Di", "password": testPassword}}, "TOKEN_EXPIRED")
		// A re-send is the remedy.
		s.must(owner.Token, `mutation($id: ID!) { resendActivationLink(input: {agentId: $id}) { agent { id } } }`, map[string]any{"id": id}, nil)
		s.activate("di@example.com", "Di")
	})
}

func TestRemovalRevokesAccessAtOnce(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Acme")
		eve := s.member(owner, "eve@example.com", "Supervisor")
		s.must(eve.Token, `{ agents { totalCount } }`, nil, nil)

		var out struct {
			RemoveAgent struct {
				Agent struct {
					Status    string
					RemovedAt *time.Time
					RemovedBy struct{ ID string }
					Roles     []struct{ Name string }
				}
				AffectedConversations int
			}
		}
		s.must(owner.Token, `mutation($id: ID!) { removeAgent(input: {agentId: $id}) {
			agent { status removedAt removedBy { id } roles { name } } affectedConversations } }`,
			map[string]any{"id": eve.ID}, &out)
		r := out.RemoveAgent
		if r.Agent.Status != "REMOVED" || r.Agent.RemovedAt == nil || r.Agent.RemovedBy.ID != owner.ID || len(r.Agent.Roles) != 0 {
			t.Fatalf("removed agent = %+v", r.Agent)
		}
		// Her very next request is refused.
		s.expectCode(eve.Token, `{ viewer { id } }`, nil, "UNAUTHENTICATED")
		s.expectCode("", `mutation($in: LoginInput!) { login(input: $in) { token } }`,
			map[string]any{"in": map[string]any{"email": eve.Email, "password": testPassword}}, "INVALID_CREDENTIALS")
		if n := s.count("sessions", "revoked_at IS NULL AND agent_id IN (SELECT id FROM agents WHERE email = ?)", eve.Email); n != 0 {
			t.Fatalf("%d sessions still live", n)
		}
		// Removing again is a conflict.
		s.expectCode(owner.Token, `mutation($id: ID!) { removeAgent(input: {agentId: $id}) { agent { id } } }`,
			map[string]any{"id": eve.ID}, "CONFLICT")

		// The default list hides her; [REMOVED] shows her.
		var list struct {
			Agents struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		s.must(owner.Token, `{ agents { edges { node { id } } } }`, nil, &list)
		for _, e := range list.Agents.Edges {
			if e.Node.ID == eve.ID {
				t.Fatal("removed agent in the default list")
			}
		}
		s.must(owner.Token, `{ agents(filter: {status: [REMOVED]}) { edges { node { id } } } }`, nil, &list)
		if len(list.Agents.Edges) != 1 || list.Agents.Edges[0].Node.ID != eve.ID {
			t.Fatalf("removed list = %+v", list.Agents.Edges)
		}
	})
}

func TestCancelPendingInvitationKillsLink(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Acme")
		id := s.invite(owner.Token, "fay@example.com", "Agent")
		token := s.lastLinkToken("fay@example.com")
		s.must(owner.Token, `mutation($id: ID!) { removeAgent(input: {agentId: $id}) { agent { status } } }`, map[string]any{"id": id}, nil)
		s.expectCode("", activateMutation, map[string]any{"in": map[string]any{
			"token": token, "name": "Fay", "password": testPassword}}, "INVALID_TOKEN")
	})
}

func TestReinviteKeepsIDAndOnlyNewRoles(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Acme")
		gus := s.member(owner, "gus@example.com", "Supervisor", "Agent")
		s.must(owner.Token, `mutation($id: ID!) { removeAgent(input: {agentId: $id}) { agent { id } } }`, map[string]any{"id": gus.ID}, nil)

		s.clock.Advance(time.Minute) // the re-send cooldown holds for re-invites
		again := s.invite(owner.Token, "GUS@example.com", "Agent")
		if again != gus.ID {
			t.Fatalf("re-invite made a new agent %s, want %s", again, gus.ID)
		}
		var out struct {
			Agent struct {
				Status      string
				Roles       []struct{ Name string }
				Permissions []string
				RemovedAt   *time.Time
			}
		}
		s.must(owner.Token, `query($id: ID!) { agent(id: $id) { status roles { name } permissions removedAt } }`, map[string]any{"id": gus.ID}, &out)
		if out.Agent.Status != "PENDING" || len(out.Agent.Roles) != 1 || out.Agent.Roles[0].Name != "Agent" ||
			len(out.Agent.Permissions) != 1 || out.Agent.Permissions[0] != "CONVERSATIONS_REPLY" {
			t.Fatalf("re-invited agent = %+v", out.Agent)
		}

		var audit struct {
			AuditLog struct {
				Edges []struct{ Node struct{ Action string } }
			}
		}
		s.must(owner.Token, `{ auditLog(first: 1) { edges { node { action } } } }`, nil, &audit)
		if audit.AuditLog.Edges[0].Node.Action != "AGENT_REINVITED" {
			t.Fatalf("last audit action = %s", audit.AuditLog.Edges[0].Node.Action)
		}

		// The person already has an account: activation asks for its password.
		var preview struct {
			Invitation struct{ ExistingAccount bool }
		}
		token := s.lastLinkToken("gus@example.com")
		s.must("", `query($t: String!) { invitation(token: $t) { existingAccount } }`, map[string]any{"t": token}, &preview)
		if !preview.Invitation.ExistingAccount {
			t.Fatal("existingAccount = false for a returning agent")
		}
		s.expectCode("", activateMutation, map[string]any{"in": map[string]any{"token": token, "password": "wrong password"}}, "INVALID_CREDENTIALS")
		var act struct {
			ActivateAccount struct{ Agent struct{ ID, Status string } }
		}
		s.must("", activateMutation, map[string]any{"in": map[string]any{"token": token, "password": testPassword}}, &act)
		if act.ActivateAccount.Agent.ID != gus.ID || act.ActivateAccount.Agent.Status != "ACTIVE" {
			t.Fatalf("re-activation = %+v", act.ActivateAccount.Agent)
		}
	})
}

func TestDuplicateInvites(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Acme")
		s.invite(owner.Token, "hal@example.com", "Agent")
		s.expectCode(owner.Token, `mutation($r: ID!) { inviteAgent(input: {email: "HAL@example.com", roleIds: [$r]}) { agent { id } } }`,
			map[string]any{"r": s.roleID(owner.Token, "Agent")}, "CONFLICT")
		s.activate("hal@example.com", "Hal")
		s.expectCode(owner.Token, `mutation($r: ID!) { inviteAgent(input: {email: "hal@example.com", roleIds: [$r]}) { agent { id } } }`,
			map[string]any{"r": s.roleID(owner.Token, "Agent")}, "CONFLICT")
	})
}

func TestConcurrentDuplicateInvites(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Acme")
		role := s.roleID(owner.Token, "Agent")
		const n = 8
		codes := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				res := s.query(owner.Token, `mutation($r: ID!) { inviteAgent(input: {email: "ivy@example.com", roleIds: [$r]}) { agent { id } } }`,
					map[string]any{"r": role})
				codes[i] = res.code()
			})
		}
		wg.Wait()
		ok, conflict := 0, 0
		for _, c := range codes {
			switch c {
			case "":
				ok++
			case "CONFLICT":
				conflict++
			default:
				t.Fatalf("unexpected code %q", c)
			}
		}
		if ok != 1 || conflict != n-1 {
			t.Fatalf("%d succeeded, %d conflicted; want 1 and %d", ok, conflict, n-1)
		}
		if got := s.count("emails", "to_address = ?", "ivy@example.com"); got != 1 {
			t.Fatalf("%d emails queued, want 1", got)
		}
	})
}

func TestSeatLimit(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Acme")
		var ws struct {
			UpdateWorkspace struct {
				Workspace struct {
					SeatLimit *int
					SeatsUsed int
				}
			}
		}
		s.must(owner.Token, `mutation { updateWorkspace(input: {seatLimit: 2}) { workspace { seatLimit seatsUsed } } }`, nil, &ws)
		if w := ws.UpdateWorkspace.Workspace; w.SeatLimit == nil || *w.SeatLimit != 2 || w.SeatsUsed != 1 {
			t.Fatalf("workspace = %+v", w)
		}
		jo := s.invite(owner.Token, "jo@example.com", "Agent")
		s.expectCode(owner.Token, `mutation($r: ID!) { inviteAgent(input: {email: "kai@example.com", roleIds: [$r]}) { agent { id } } }`,
			map[string]any{"r": s.roleID(owner.Token, "Agent")}, "SEAT_LIMIT_REACHED")
		if n := s.count("agents", "email = ?", "kai@example.com"); n != 0 {
			t.Fatal("refused invite left an agent behind")
		}
		// A limit below the seats in use is refused; cancelling frees a seat.
		s.expectCode(owner.Token, `mutation { updateWorkspace(input: {seatLimit: 1}) { workspace { id } } }`, nil, "BAD_USER_INPUT")
		s.must(owner.Token, `mutation($id: ID!) { removeAgent(input: {agentId: $id}) { agent { id } } }`, map[string]any{"id": jo}, nil)
		s.invite(owner.Token, "kai@example.com", "Agent")
		// 0 means unlimited.
		s.must(owner.Token, `mutation { updateWorkspace(input: {seatLimit: 0}) { workspace { seatLimit } } }`, nil, &ws)
		if ws.UpdateWorkspace.Workspace.SeatLimit != nil {
			t.Fatal("seatLimit 0 did not mean unlimited")
		}
		s.invite(owner.Token, "lu@example.com", "Agent")
	})
}

func TestInviteInputValidation(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Acme")
		role := s.roleID(owner.Token, "Agent")
		q := `mutation($in: InviteAgentInput!) { inviteAgent(input: $in) { agent { id } } }`
		for _, tc := range []struct {
			email string
			roles []string
			field string
		}{
			{"not-an-email", []string{role}, "email"},
			{"a@b", []string{role}, "email"},
			{"Ann <ann@example.com>", []string{role}, "email"},
			{"", []string{role}, "email"},
			{"ann@example.com", []string{}, "roleIds"},
			{"ann@example.com", []string{"garbage"}, "roleIds"},
		} {
			res := s.expectCode(owner.Token, q, map[string]any{"in": map[string]any{"email": tc.email, "roleIds": tc.roles}}, "BAD_USER_INPUT")
			if res.Errors[0].Extensions["field"] != tc.field {
				t.Fatalf("%q: field = %v, want %s", tc.email, res.Errors[0].Extensions["field"], tc.field)
			}
		}
		if n := s.count("agents", "1 = 1"); n != 1 {
			t.Fatalf("bad input created agents: %d", n)
		}
	})
}

func TestMultiWorkspaceAccount(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		acme := s.createWorkspace("Acme")
		globex := s.createWorkspace("Globex")
		s.member(acme, "mo@example.com", "Agent")
		// Joining a second workspace uses the same account and password.
		// (An address gets one invitation per RESEND_COOLDOWN from all
		// workspaces together.)
		s.clock.Advance(time.Minute)
		s.invite(globex.Token, "mo@example.com", "Supervisor")
		var preview struct {
			Invitation struct{ ExistingAccount bool }
		}
		token := s.lastLinkToken("mo@example.com")
		s.must("", `query($t: String!) { invitation(token: $t) { existingAccount } }`, map[string]any{"t": token}, &preview)
		if !preview.Invitation.ExistingAccount {
			t.Fatal("existingAccount = false")
		}
		s.must("", activateMutation, map[string]any{"in": map[string]any{"token": token, "password": testPassword}}, nil)

		login := `mutation($in: LoginInput!) { login(input: $in) { agent { permissions } } }`
		res := s.expectCode("", login, map[string]any{"in": map[string]any{"email": "mo@example.com", "password": testPassword}}, "BAD_USER_INPUT")
		if res.Errors[0].Extensions["field"] != "workspaceId" {
			t.Fatalf("field = %v", res.Errors[0].Extensions["field"])
		}
		var ws struct{ Workspace struct{ ID string } }
		s.must(globex.Token, `{ workspace { id } }`, nil, &ws)
		var out struct {
			Login struct {
				Agent struct{ Permissions []string }
			}
		}
		s.must("", login, map[string]any{"in": map[string]any{"email": "mo@example.com", "password": testPassword, "workspaceId": ws.Workspace.ID}}, &out)
		if len(out.Login.Agent.Permissions) != 5 {
			t.Fatalf("Globex permissions = %v, want the Supervisor's five", out.Login.Agent.Permissions)
		}
	})
}
