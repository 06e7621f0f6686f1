package team_test

import (
	"strings"
	"testing"
	"time"

	"agentdesk/apperr"
	"agentdesk/auth"
	"agentdesk/db"
	"agentdesk/db/dbtest"
	"agentdesk/models"
	"agentdesk/paging"
	"agentdesk/sessions"
	"agentdesk/team/teamtest"
)

// The rules of BEHAVIOUR.md §3–§5, pinned where they live: the team
// service, with a viewer and plain values, on both databases. The HTTP suite
// in graph/ stays the contract test.

// roleID returns the id of the role named name in v's workspace.
func (f *mailFixture) roleID(t *testing.T, v *auth.Viewer, name string) int64 {
	return teamtest.RoleID(t, f.svc, v, name)
}

// join invites email into the Owner's workspace with the named roles and
// activates it, returning the new agent's viewer.
func (f *mailFixture) join(t *testing.T, email string, roleNames ...string) *auth.Viewer {
	return teamtest.Join(t, f.svc, f.owner, email, roleNames...)
}

func wantCode(t *testing.T, err error, code apperr.Code) {
	t.Helper()
	if !apperr.Is(err, code) {
		t.Fatalf("err = %v, want %s", err, code)
	}
}

// Every read of the team service checks its permission itself, whatever
// the schema's directives did before: a caller without it is FORBIDDEN.
func TestReadsNeedTheirPermission(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newMailFixture(t, d)
		plain := f.join(t, "plain@example.com", models.RoleAgent)
		events, _, err := f.svc.AuditLog(f.ctx, f.owner, paging.Page{First: 1})
		if err != nil || len(events) != 1 {
			t.Fatalf("the Owner's audit log: %v, %v", events, err)
		}
		reads := []struct {
			name string
			perm models.Permission
			call func(v *auth.Viewer) error
		}{
			{"ListAgents", models.PermAgentsRead, func(v *auth.Viewer) error {
				_, _, err := f.svc.ListAgents(f.ctx, v, models.AgentFilter{}, models.AgentOrder{}, paging.Page{First: 10})
				return err
			}},
			{"CountAgents", models.PermAgentsRead, func(v *auth.Viewer) error {
				_, err := f.svc.CountAgents(f.ctx, v, models.AgentFilter{})
				return err
			}},
			{"Agent", models.PermAgentsRead, func(v *auth.Viewer) error {
				_, err := f.svc.Agent(f.ctx, v, f.owner.AgentID)
				return err
			}},
			{"AuditLog", models.PermAuditRead, func(v *auth.Viewer) error {
				_, _, err := f.svc.AuditLog(f.ctx, v, paging.Page{First: 10})
				return err
			}},
			{"CountAuditEvents", models.PermAuditRead, func(v *auth.Viewer) error {
				_, err := f.svc.CountAuditEvents(f.ctx, v)
				return err
			}},
			{"AuditEvent", models.PermAuditRead, func(v *auth.Viewer) error {
				_, err := f.svc.AuditEvent(f.ctx, v, events[0].ID)
				return err
			}},
		}
		for _, r := range reads {
			t.Run(r.name, func(t *testing.T) {
				if plain.Can(r.perm) {
					t.Fatalf("the Agent role holds %s", r.perm)
				}
				wantCode(t, r.call(plain), apperr.Forbidden)
				if err := r.call(f.owner); err != nil {
					t.Fatalf("with %s: %v", r.perm, err)
				}
			})
		}
		// Everyone reads themselves (the viewer query, node of one's own id).
		if a, err := f.svc.Agent(f.ctx, plain, plain.AgentID); err != nil || a.ID != plain.AgentID {
			t.Fatalf("reading oneself without AGENTS_READ: %v, %v", a, err)
		}
	})
}

// BEHAVIOUR.md §3 "Owners are protected": the last ACTIVE Owner can never
// be removed or lose the Owner role (CONFLICT), and nothing changes.
func TestLastOwnerCannotBeRemoved(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newMailFixture(t, d)
		second := f.join(t, "second@example.com", models.RoleOwner)
		admin := f.roleID(t, f.owner, models.RoleAdministrator)

		// With two Owners, one may demote the other...
		if _, err := f.svc.UpdateAgentRoles(f.ctx, f.owner, second.AgentID, []int64{admin}); err != nil {
			t.Fatalf("demoting one of two Owners: %v", err)
		}
		// ...but not then itself, the last one.
		_, err := f.svc.UpdateAgentRoles(f.ctx, f.owner, f.owner.AgentID, []int64{admin})
		wantCode(t, err, apperr.Conflict)

		// Two Owners removing each other: the first removal leaves the
		// other the last ACTIVE Owner, whom the second (answered with its
		// old viewer, as a concurrent request would be) cannot remove.
		third := f.join(t, "third@example.com", models.RoleOwner)
		if _, _, err := f.svc.RemoveAgent(f.ctx, f.owner, third.AgentID); err != nil {
			t.Fatalf("removing one of two Owners: %v", err)
		}
		_, _, err = f.svc.RemoveAgent(f.ctx, third, f.owner.AgentID)
		wantCode(t, err, apperr.Conflict)

		var owner models.Agent
		f.svc.DB.Take(&owner, f.owner.AgentID)
		roles, err := sessions.RolesOf(f.svc.DB.DB, owner.ID)
		if err != nil {
			t.Fatal(err)
		}
		if owner.Status != models.AgentActive || len(roles) != 1 || !roles[0].IsOwner() {
			t.Fatalf("the last Owner changed: %s, roles %v", owner.Status, roles)
		}
	})
}

// BEHAVIOUR.md §3 "No escalation": a caller grants only permissions it
// holds, and only an Owner grants the Owner role, whether inviting,
// assigning roles, or creating or editing a role.
func TestNoPrivilegeEscalation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newMailFixture(t, d)
		admin := f.join(t, "admin@example.com", models.RoleAdministrator)
		// A custom role that may manage roles and invite, and hold nothing else.
		hiringName := "Hiring"
		hiring, err := f.svc.CreateRole(f.ctx, f.owner, models.RoleInput{Name: &hiringName, Permissions: &[]models.Permission{
			models.PermRolesManage, models.PermAgentsInvite, models.PermAgentsUpdateRoles}})
		if err != nil {
			t.Fatal(err)
		}
		hirer := f.joinRole(t, "hirer@example.com", hiring.ID)
		target := f.join(t, "target@example.com", models.RoleAgent)
		owner := f.roleID(t, f.owner, models.RoleOwner)
		supervisor := f.roleID(t, f.owner, models.RoleSupervisor)
		name := "Bigger"
		for _, c := range []struct {
			name string
			call func() error
		}{
			{"admin invites an Owner", func() error {
				_, err := f.svc.InviteAgent(f.ctx, admin, "o2@example.com", []int64{owner})
				return err
			}},
			{"admin makes an agent Owner", func() error {
				_, err := f.svc.UpdateAgentRoles(f.ctx, admin, target.AgentID, []int64{owner})
				return err
			}},
			{"hirer invites with a role it does not hold", func() error {
				_, err := f.svc.InviteAgent(f.ctx, hirer, "s@example.com", []int64{supervisor})
				return err
			}},
			{"hirer assigns a role it does not hold", func() error {
				_, err := f.svc.UpdateAgentRoles(f.ctx, hirer, target.AgentID, []int64{supervisor})
				return err
			}},
			{"hirer creates a role with more than it holds", func() error {
				_, err := f.svc.CreateRole(f.ctx, hirer, models.RoleInput{Name: &name,
					Permissions: &[]models.Permission{models.PermRolesManage, models.PermAuditRead}})
				return err
			}},
			{"hirer gives its own role more", func() error {
				_, err := f.svc.UpdateRole(f.ctx, hirer, hiring.ID, models.RoleInput{Permissions: &[]models.Permission{
					models.PermRolesManage, models.PermAgentsInvite, models.PermAgentsUpdateRoles, models.PermAgentsRead}})
				return err
			}},
		} {
			t.Run(c.name, func(t *testing.T) {
				agents, roles := f.count(t, &models.Agent{}), f.count(t, &models.Role{})
				wantCode(t, c.call(), apperr.Forbidden)
				if f.count(t, &models.Agent{}) != agents || f.count(t, &models.Role{}) != roles {
					t.Fatal("a refused grant changed agents or roles")
				}
			})
		}
		got, err := sessions.RolesOf(f.svc.DB.DB, target.AgentID)
		if err != nil || len(got) != 1 || got[0].Name != models.RoleAgent {
			t.Fatalf("the target's roles changed: %v, %v", got, err)
		}
		role, err := f.svc.Role(f.ctx, f.owner, hiring.ID)
		if err != nil || len(role.Permissions) != 3 {
			t.Fatalf("the hiring role changed: %v, %v", role, err)
		}
	})
}

func (f *mailFixture) joinRole(t *testing.T, email string, roleID int64) *auth.Viewer {
	t.Helper()
	var r models.Role
	if err := f.svc.DB.Take(&r, roleID).Error; err != nil {
		t.Fatal(err)
	}
	return f.join(t, email, r.Name)
}

func (f *mailFixture) count(t *testing.T, model any) int64 {
	t.Helper()
	var n int64
	if err := f.svc.DB.Model(model).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// BEHAVIOUR.md §4 "Re-send": a re-send within RESEND_COOLDOWN of the last
// link is RATE_LIMITED and changes nothing; after it, the old link dies and
// sendCount grows. Only PENDING agents have links to re-send (CONFLICT).
func TestResendCooldown(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newMailFixture(t, d)
		agent, err := f.invite(f.owner, "new@example.com")
		if err != nil {
			t.Fatal(err)
		}
		invitedAt := f.now
		// Times since the invitation; the re-send at +60s starts a new cooldown.
		for _, c := range []struct {
			after     time.Duration
			waitAfter int // 0: allowed
		}{{0, 60}, {59 * time.Second, 1}, {60 * time.Second, 0}, {61 * time.Second, 59}} {
			f.now = invitedAt.Add(c.after)
			before := f.emails(t, "agent_id = ?", agent.ID)
			got, err := f.svc.ResendActivationLink(f.ctx, f.owner, agent.ID)
			if c.waitAfter > 0 {
				rateLimited(t, err, c.waitAfter)
				if f.emails(t, "agent_id = ?", agent.ID) != before {
					t.Fatalf("+%s: a refused re-send queued an email", c.after)
				}
				continue
			}
			if err != nil {
				t.Fatalf("+%s: %v", c.after, err)
			}
			if got.LinkSendCount != 2 || f.emails(t, "agent_id = ?", agent.ID) != before+1 {
				t.Fatalf("+%s: sendCount %d after one re-send", c.after, got.LinkSendCount)
			}
		}

		active := f.join(t, "active@example.com", models.RoleAgent)
		f.now = f.now.Add(time.Hour)
		_, err = f.svc.ResendActivationLink(f.ctx, f.owner, active.AgentID)
		wantCode(t, err, apperr.Conflict)
	})
}

// BEHAVIOUR.md §4 "Seats": PENDING + ACTIVE may not exceed seatLimit
// (SEAT_LIMIT_REACHED); a removed agent frees its seat; a limit below the
// seats in use is refused.
func TestSeatLimit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newMailFixture(t, d)
		pending, err := f.invite(f.owner, "pending@example.com")
		if err != nil {
			t.Fatal(err)
		}
		f.join(t, "active@example.com", models.RoleAgent)
		// Owner + PENDING + ACTIVE = 3 seats in use.
		one := 1
		_, err = f.svc.UpdateWorkspace(f.ctx, f.owner, models.UpdateWorkspaceInput{SeatLimit: &one})
		if e, ok := apperr.As(err); !ok || e.Code != apperr.BadUserInput || e.Field != "seatLimit" {
			t.Fatalf("a seat limit below the seats in use: %v, want BAD_USER_INPUT on seatLimit", err)
		}
		three := 3
		if _, err := f.svc.UpdateWorkspace(f.ctx, f.owner, models.UpdateWorkspaceInput{SeatLimit: &three}); err != nil {
			t.Fatal(err)
		}
		_, err = f.invite(f.owner, "fourth@example.com")
		wantCode(t, err, apperr.SeatLimitReached)
		if f.emails(t, "to_address = ?", "fourth@example.com") != 0 {
			t.Fatal("a refused invite queued an email")
		}
		if n, _ := f.svc.SeatsUsed(f.ctx, f.owner.WorkspaceID); n != 3 {
			t.Fatalf("seatsUsed = %d, want 3", n)
		}

		// Removing the PENDING agent (cancelling its invitation) frees a seat.
		if _, _, err := f.svc.RemoveAgent(f.ctx, f.owner, pending.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.invite(f.owner, "fourth@example.com"); err != nil {
			t.Fatalf("inviting into a freed seat: %v", err)
		}
	})
}

// TestOverlongPasswordIsNotHashed: no account has a password longer than
// sign-up accepts, so login refuses one without spending a hash on it (a
// megabyte cost more CPU than a normal attempt); a normal wrong password
// still costs one hash, as for an unknown email.
func TestOverlongPasswordIsNotHashed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newMailFixture(t, d)
		before := f.svc.Passwords.Computed()
		_, err := f.svc.Login(f.ctx, models.LoginInput{Email: "owner@example.com", Password: strings.Repeat("x", 1<<20)})
		wantCode(t, err, apperr.InvalidCredentials)
		if n := f.svc.Passwords.Computed() - before; n != 0 {
			t.Fatalf("a 1 MB password was hashed %d times", n)
		}
		_, err = f.svc.Login(f.ctx, models.LoginInput{Email: "owner@example.com", Password: "wrong password"})
		wantCode(t, err, apperr.InvalidCredentials)
		if n := f.svc.Passwords.Computed() - before; n != 1 {
			t.Fatalf("a wrong password was hashed %d times, want 1", n)
		}
	})
}

// BEHAVIOUR.md §8 Visibility of agents: of an agent reached through a
// reference, a viewer without AGENTS_READ sees only id, name, email and
// status (its own details always); the team's batch reads hide the rest
// themselves, without reading it.
func TestAgentDetailsOnlyWithAgentsRead(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newMailFixture(t, d)
		plain := f.join(t, "plain@example.com", models.RoleAgent)
		if plain.Can(models.PermAgentsRead) {
			t.Fatal("the Agent role has AGENTS_READ; the test needs a viewer without it")
		}
		gone := f.join(t, "gone@example.com", models.RoleAgent)
		if _, _, err := f.svc.RemoveAgent(f.ctx, f.owner, gone.AgentID); err != nil {
			t.Fatal(err)
		}
		pending, err := f.invite(f.owner, "pending@example.com")
		if err != nil {
			t.Fatal(err)
		}

		before := f.svc.DB.Statements.Load()
		roles, err := f.svc.RolesByAgent(f.ctx, plain, []int64{f.owner.AgentID})
		if err != nil {
			t.Fatal(err)
		}
		if n := f.svc.DB.Statements.Load() - before; n != 0 || len(roles[f.owner.AgentID]) != 0 {
			t.Errorf("another agent's roles without AGENTS_READ: %v (%d statements)", roles, n)
		}
		for _, c := range []struct {
			name  string
			v     *auth.Viewer
			agent int64
			sees  bool
		}{{"itself", plain, plain.AgentID, true}, {"another agent", plain, f.owner.AgentID, false}, {"AGENTS_READ", f.owner, plain.AgentID, true}} {
			t.Run(c.name, func(t *testing.T) {
				roles, err := f.svc.RolesByAgent(f.ctx, c.v, []int64{c.agent})
				if err != nil {
					t.Fatal(err)
				}
				if shown := len(roles[c.agent]) > 0; shown != c.sees {
					t.Errorf("roles shown %v, want %v: %v", shown, c.sees, roles)
				}
			})
		}

		for _, c := range []struct {
			name string
			v    *auth.Viewer
			sees bool
		}{{"without AGENTS_READ", plain, false}, {"with AGENTS_READ", f.owner, true}} {
			t.Run(c.name, func(t *testing.T) {
				if inv := f.svc.InvitationOf(c.v, pending); (inv != nil) != c.sees {
					t.Errorf("invitation %+v, want shown %v", inv, c.sees)
				}
				agents, err := f.svc.AgentsByID(f.ctx, c.v, []int64{gone.AgentID, pending.ID, plain.AgentID})
				if err != nil {
					t.Fatal(err)
				}
				removed, invited, self := agents[gone.AgentID], agents[pending.ID], agents[plain.AgentID]
				if removed == nil || invited == nil || self == nil {
					t.Fatalf("agents by id: %v", agents)
				}
				if removed.Status != models.AgentRemoved || removed.Email != "gone@example.com" || invited.InvitedAt.IsZero() {
					t.Errorf("what everyone sees is missing: %+v, %+v", removed, invited)
				}
				shown := removed.RemovedAt != nil && removed.RemovedByID != nil && removed.ActivatedAt != nil &&
					invited.InvitedByID != nil && invited.LinkSendCount > 0
				if shown != c.sees {
					t.Errorf("details shown %v, want %v: removed %+v, invited %+v", shown, c.sees, removed, invited)
				}
				if self.ActivatedAt == nil {
					t.Errorf("the viewer's own activation date is hidden from %s", c.name)
				}
			})
		}
	})
}
