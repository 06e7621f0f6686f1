package team

import (
	"slices"
	"testing"
	"time"

	"agentdesk/apperr"
	"agentdesk/auth"
	"agentdesk/models"
)

// knownFacts are workspace facts already read: the checks below run
// without a database.
func knownFacts(activeOwners int64, seat error) *workspaceFacts {
	return &workspaceFacts{owners: &activeOwners, seatRead: true, seatErr: seat}
}

// The per-target rules the mutations and Agent.viewerCan share, as a table:
// viewer, target, workspace facts → the code each check answers ("" allowed).
func TestAgentActionRules(t *testing.T) {
	ownerRole := models.Role{ID: 1, Name: models.RoleOwner, System: true}
	agentRole := models.Role{ID: 4, Name: "Agent", System: true}
	owner := &auth.Viewer{AgentID: 1, WorkspaceID: 1, IsOwner: true, Permissions: models.NewPermissions(models.AllPermissions...)}
	admin := &auth.Viewer{AgentID: 2, WorkspaceID: 1, Permissions: models.NewPermissions(slices.DeleteFunc(slices.Clone(models.AllPermissions),
		func(p models.Permission) bool { return p == models.PermWorkspaceManage })...)}
	inviter := &auth.Viewer{AgentID: 3, WorkspaceID: 1, Permissions: models.NewPermissions(models.PermAgentsRead, models.PermAgentsInvite)}
	remover := &auth.Viewer{AgentID: 4, WorkspaceID: 1, Permissions: models.NewPermissions(models.PermAgentsRead, models.PermAgentsRemove)}
	nobody := &auth.Viewer{AgentID: 5, WorkspaceID: 1, Permissions: models.NewPermissions(models.PermConversationsReply)}
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	long := now.Add(-time.Hour)
	agent := func(id int64, status models.AgentStatus, sent time.Time) *models.Agent {
		return &models.Agent{ID: id, WorkspaceID: 1, Email: "x@example.com", Status: status, LinkSentAt: sent}
	}
	noSeat := apperr.New(apperr.SeatLimitReached, "All 3 seats of this workspace are taken.")
	cases := []struct {
		name                             string
		v                                *auth.Viewer
		target                           *models.Agent
		roles                            models.Roles
		facts                            *workspaceFacts
		resend, remove, update, reinvite apperr.Code
	}{
		{"owner on an active agent", owner, agent(10, models.AgentActive, long), models.Roles{agentRole}, knownFacts(1, nil),
			apperr.Conflict, "", "", apperr.Conflict},
		{"owner on a pending agent", owner, agent(10, models.AgentPending, long), models.Roles{agentRole}, knownFacts(1, nil),
			"", "", "", apperr.Conflict},
		{"owner on a removed agent", owner, agent(10, models.AgentRemoved, long), nil, knownFacts(1, nil),
			apperr.Conflict, apperr.Conflict, apperr.Conflict, ""},
		{"owner on a removed agent, no seat", owner, agent(10, models.AgentRemoved, long), nil, knownFacts(1, noSeat),
			apperr.Conflict, apperr.Conflict, apperr.Conflict, apperr.SeatLimitReached},
		{"owner on a removed agent in the cooldown", owner, agent(10, models.AgentRemoved, now.Add(-time.Second)), nil, knownFacts(1, nil),
			apperr.Conflict, apperr.Conflict, apperr.Conflict, apperr.RateLimited},
		{"owner on a pending agent in the cooldown", owner, agent(10, models.AgentPending, now), models.Roles{agentRole}, knownFacts(1, nil),
			"", "", "", apperr.Conflict},
		{"owner on themselves", owner, agent(1, models.AgentActive, long), models.Roles{ownerRole}, knownFacts(1, nil),
			apperr.Conflict, apperr.Forbidden, "", apperr.Conflict},
		{"owner on another active owner", owner, agent(10, models.AgentActive, long), models.Roles{ownerRole}, knownFacts(2, nil),
			apperr.Conflict, "", "", apperr.Conflict},
		{"owner on the last active owner", owner, agent(10, models.AgentActive, long), models.Roles{ownerRole}, knownFacts(1, nil),
			apperr.Conflict, apperr.Conflict, "", apperr.Conflict},
		{"owner on a pending owner, one active", owner, agent(10, models.AgentPending, long), models.Roles{ownerRole}, knownFacts(1, nil),
			"", "", "", apperr.Conflict},
		{"admin on an owner", admin, agent(10, models.AgentActive, long), models.Roles{ownerRole}, knownFacts(2, nil),
			apperr.Conflict, apperr.Forbidden, apperr.Forbidden, apperr.Conflict},
		{"admin on an active agent", admin, agent(10, models.AgentActive, long), models.Roles{agentRole}, knownFacts(2, nil),
			apperr.Conflict, "", "", apperr.Conflict},
		{"inviter on an active agent", inviter, agent(10, models.AgentActive, long), models.Roles{agentRole}, knownFacts(1, nil),
			apperr.Conflict, apperr.Forbidden, apperr.Forbidden, apperr.Conflict},
		{"inviter on a pending agent", inviter, agent(10, models.AgentPending, long), models.Roles{agentRole}, knownFacts(1, nil),
			"", "", apperr.Forbidden, apperr.Conflict},
		{"remover on a pending agent", remover, agent(10, models.AgentPending, long), models.Roles{agentRole}, knownFacts(1, nil),
			apperr.Forbidden, apperr.Forbidden, apperr.Forbidden, apperr.Forbidden},
		{"remover on an active agent", remover, agent(10, models.AgentActive, long), models.Roles{agentRole}, knownFacts(1, nil),
			apperr.Forbidden, "", apperr.Forbidden, apperr.Forbidden},
		{"remover without AGENTS_READ on an owner", &auth.Viewer{AgentID: 6, WorkspaceID: 1, Permissions: models.NewPermissions(models.PermAgentsRemove)},
			agent(10, models.AgentActive, long), models.Roles{ownerRole}, knownFacts(2, nil),
			apperr.Forbidden, apperr.Forbidden, apperr.Forbidden, apperr.Forbidden},
		{"no permission", nobody, agent(10, models.AgentActive, long), models.Roles{agentRole}, knownFacts(1, nil),
			apperr.Forbidden, apperr.Forbidden, apperr.Forbidden, apperr.Forbidden},
	}
	s := &Service{Config: Config{ResendCooldown: time.Minute}, Now: func() time.Time { return now }}
	code := func(err error) apperr.Code {
		if err == nil {
			return ""
		}
		e, ok := apperr.As(err)
		if !ok {
			t.Fatalf("not a rule's error: %v", err)
		}
		return e.Code
	}
	for _, c := range cases {
		got := []apperr.Code{code(checkResend(c.v, c.target)), code(checkRemove(c.v, c.target, c.roles, c.facts)),
			code(checkUpdateRoles(c.v, c.target, c.roles)), code(s.checkReinvite(c.v, c.target, now, c.facts))}
		want := []apperr.Code{c.resend, c.remove, c.update, c.reinvite}
		for i, a := range models.AgentActionList {
			if got[i] != want[i] {
				t.Errorf("%s, %s: %q, want %q", c.name, a, got[i], want[i])
			}
		}
		// AgentActions answers the same, flag and blocked entry alike.
		acts, err := s.AgentActions(c.v, []*models.Agent{c.target}, map[int64][]models.Role{c.target.ID: c.roles}, c.facts)
		if err != nil {
			t.Fatal(err)
		}
		flags := []bool{acts[0].ResendActivationLink, acts[0].Remove, acts[0].UpdateRoles, acts[0].Reinvite}
		blocked := map[models.AgentAction]apperr.Code{}
		for _, b := range acts[0].Blocked {
			blocked[b.Action] = b.Code
		}
		for i, a := range models.AgentActionList {
			if flags[i] != (want[i] == "") || blocked[a] != want[i] {
				t.Errorf("%s, %s: AgentActions says %v blocked %q, the check %q", c.name, a, flags[i], blocked[a], want[i])
			}
		}
	}
}

// A viewer that may not see an agent's details gets no hint drawn from its
// roles: every action refused with the AGENTS_READ answer, even one its
// mutation would accept.
func TestAgentActionsHideWhatTheViewerMayNotSee(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	s := &Service{Config: Config{ResendCooldown: time.Minute}, Now: func() time.Time { return now }}
	remover := &auth.Viewer{AgentID: 6, WorkspaceID: 1, Permissions: models.NewPermissions(models.PermAgentsRemove)}
	target := &models.Agent{ID: 10, WorkspaceID: 1, Status: models.AgentActive}
	if err := checkRemove(remover, target, nil, knownFacts(1, nil)); err != nil {
		t.Fatalf("the mutation's check refuses: %v", err)
	}
	acts, err := s.AgentActions(remover, []*models.Agent{target}, nil, knownFacts(1, nil))
	if err != nil {
		t.Fatal(err)
	}
	a := acts[0]
	if a.Remove || a.ResendActivationLink || a.UpdateRoles || a.Reinvite || len(a.Blocked) != 4 {
		t.Fatalf("hints for a hidden agent: %+v", a)
	}
	for _, b := range a.Blocked {
		if b.Code != apperr.Forbidden || b.Message != "You need the AGENTS_READ permission to do this." {
			t.Fatalf("%s blocked with %s %q", b.Action, b.Code, b.Message)
		}
	}
	// The viewer itself is never hidden from itself.
	self := &models.Agent{ID: 6, WorkspaceID: 1, Status: models.AgentActive}
	if acts, _ := s.AgentActions(remover, []*models.Agent{self}, nil, knownFacts(1, nil)); acts[0].Blocked[0].Message == "You need the AGENTS_READ permission to do this." {
		t.Fatalf("own hints hidden: %+v", acts[0])
	}
}
