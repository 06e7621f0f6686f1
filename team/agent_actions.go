package team

import (
	"context"
	"sync"
	"time"

	"gorm.io/gorm"

	"agentdesk/apperr"
	"agentdesk/auth"
	"agentdesk/models"
)

// The rules a mutation applies to its target agent live here, one check
// function per action, and the mutations call them. AgentActions (a page's
// permission hints, Agent.viewerCan) calls the very same functions, so a
// hint and the mutation cannot disagree: a rule changed in one place changes
// both. What a check cannot know without the mutation's input (the roles
// chosen: no escalation, demoting the last Owner) stays in the mutation; the
// grantable roles answer that part (GrantableRoles).

// workspaceFacts implements models.WorkspaceFacts: the counts over a whole
// workspace that the checks need (active Owners, free seats). Each is read
// on first use and then kept: a mutation reads them inside its transaction,
// under the workspace lock, and a page of permission hints reads each once
// for all its agents instead of once per agent. Safe for concurrent use.
type workspaceFacts struct {
	s           *Service
	workspaceID int64
	conn        func() *gorm.DB

	mu       sync.Mutex
	owners   *int64
	seatRead bool
	seatErr  error
}

// NewWorkspaceFacts returns the facts of the viewer's workspace, read
// outside any transaction with ctx (for hints: one request's worth).
func (s *Service) NewWorkspaceFacts(ctx context.Context, v *auth.Viewer) models.WorkspaceFacts {
	return &workspaceFacts{s: s, workspaceID: v.WorkspaceID, conn: func() *gorm.DB { return s.DB.WithContext(ctx) }}
}

// factsIn returns facts read inside a mutation's transaction.
func (s *Service) factsIn(tx *gorm.DB, workspaceID int64) *workspaceFacts {
	return &workspaceFacts{s: s, workspaceID: workspaceID, conn: func() *gorm.DB { return tx }}
}

// ActiveOwners counts the workspace's ACTIVE Owners (once).
func (f *workspaceFacts) ActiveOwners() (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.owners == nil {
		n, err := activeOwnerCount(f.conn(), f.workspaceID)
		if err != nil {
			return 0, err
		}
		f.owners = &n
	}
	return *f.owners, nil
}

// CheckSeat answers SEAT_LIMIT_REACHED when no seat is free (read once).
func (f *workspaceFacts) CheckSeat() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.seatRead {
		err := f.s.checkSeat(f.conn(), f.workspaceID)
		if _, rule := apperr.As(err); err != nil && !rule {
			return err // a failed read is not remembered as an answer
		}
		f.seatRead, f.seatErr = true, err
	}
	return f.seatErr
}

// checkResend: the target is PENDING and the viewer may invite. The cooldown
// is not part of it (the contract keeps the action available during it, and
// Invitation.resendAvailableAt says when); the mutation checks it after.
func checkResend(v *auth.Viewer, target *models.Agent) error {
	if err := v.Require(models.PermAgentsInvite); err != nil {
		return err
	}
	if target.Status != models.AgentPending {
		return apperr.New(apperr.Conflict, "Only a pending agent has an activation link; this one is %s.", target.Status)
	}
	return nil
}

// checkRemove: cancelling a PENDING invitation needs AGENTS_INVITE, removing
// an ACTIVE agent AGENTS_REMOVE; nobody removes themselves; only an Owner
// removes an Owner, and never the last ACTIVE one. roles are the target's.
func checkRemove(v *auth.Viewer, target *models.Agent, roles models.Roles, facts models.WorkspaceFacts) error {
	if err := checkRemoveCaller(v, target.ID); err != nil {
		return err
	}
	switch target.Status {
	case models.AgentRemoved:
		return apperr.New(apperr.Conflict, "This agent is already removed.")
	case models.AgentPending:
		if err := v.Require(models.PermAgentsInvite); err != nil {
			return err
		}
	case models.AgentActive:
		if err := v.Require(models.PermAgentsRemove); err != nil {
			return err
		}
	}
	if roles.HasOwner() {
		if !v.IsOwner {
			return apperr.New(apperr.Forbidden, "Only an Owner can remove an Owner.")
		}
		return keepAnOwner(target, facts)
	}
	return nil
}

// checkRemoveCaller is the part of checkRemove that needs no row.
func checkRemoveCaller(v *auth.Viewer, targetID int64) error {
	if !v.Can(models.PermAgentsInvite) && !v.Can(models.PermAgentsRemove) {
		return apperr.New(apperr.Forbidden, "You need the AGENTS_INVITE or AGENTS_REMOVE permission to do this.")
	}
	if targetID == v.AgentID {
		return apperr.New(apperr.Forbidden, "You cannot remove yourself.")
	}
	return nil
}

// checkUpdateRoles: the viewer may change roles, the target is not REMOVED,
// and an Owner's roles are changed only by an Owner (owner protection: a
// non-Owner may neither take the Owner role away nor otherwise rearrange an
// Owner's roles). roles are the target's current ones.
func checkUpdateRoles(v *auth.Viewer, target *models.Agent, roles models.Roles) error {
	if err := v.Require(models.PermAgentsUpdateRoles); err != nil {
		return err
	}
	if target.Status == models.AgentRemoved {
		return apperr.New(apperr.Conflict, "A removed agent has no roles; invite them again instead.")
	}
	if roles.HasOwner() && !v.IsOwner {
		return apperr.New(apperr.Forbidden, "Only an Owner can change the roles of an Owner.")
	}
	return nil
}

// checkInviteExisting: inviting the email of an agent already in the
// workspace is a re-invite, allowed only when it is REMOVED, not within the
// cooldown of its last link, and with a seat free.
func (s *Service) checkInviteExisting(target *models.Agent, now time.Time, facts models.WorkspaceFacts) error {
	switch target.Status {
	case models.AgentPending:
		return apperr.New(apperr.Conflict, "%s is already invited; re-send the activation link instead.", target.Email)
	case models.AgentActive:
		return apperr.New(apperr.Conflict, "%s is already a member of this workspace.", target.Email)
	}
	// A re-invite sends a link to the same address as the agent's last
	// one: the re-send cooldown holds for it too, or invite, remove and
	// re-invite would mail one address as fast as a script can loop.
	if err := s.checkCooldown(target, now); err != nil {
		return err
	}
	return facts.CheckSeat()
}

// keepAnOwner refuses (CONFLICT) to take the last ACTIVE Owner away.
func keepAnOwner(target *models.Agent, facts models.WorkspaceFacts) error {
	if target.Status != models.AgentActive {
		return nil
	}
	n, err := facts.ActiveOwners()
	if err != nil {
		return err
	}
	if n <= 1 {
		return apperr.New(apperr.Conflict, "The workspace needs at least one active Owner.")
	}
	return nil
}

// AgentActions answers, for each agent, what the viewer may do to it now:
// the checks the mutations run, on the same facts. A viewer who may not see
// an agent's details (auth.SeesAgentDetails) gets every action refused
// with the AGENTS_READ answer instead: the checks read the agent's roles. roles holds each agent's
// roles (by id); facts comes from NewWorkspaceFacts, one per request, so a
// page costs the workspace counts once, not once per agent. The mail volume
// limits (the workspace's and an address's daily emails) are not asked:
// they would cost statements per address, and the per-address one counts
// other workspaces' emails, which a list of hints must not reveal.
func (s *Service) AgentActions(v *auth.Viewer, agents []*models.Agent, roles map[int64][]models.Role, facts models.WorkspaceFacts) ([]models.AgentActions, error) {
	now := s.Timestamp()
	out := make([]models.AgentActions, len(agents))
	for i, a := range agents {
		rs := models.Roles(roles[a.ID])
		res := &out[i]
		if !v.SeesAgentDetails(a.ID) {
			// The hints are drawn from the agent's roles, which this viewer
			// may not see (an assignee or author reached through a
			// conversation): it gets no hint that would tell an Owner from
			// anyone else.
			*res = models.RefusedAgentActions(auth.MissingPermissions([]models.Permission{models.PermAgentsRead}))
			continue
		}
		var err error
		if res.ResendActivationLink, err = allowed(res, models.AgentActionResendActivationLink, checkResend(v, a)); err != nil {
			return nil, err
		}
		if res.Remove, err = allowed(res, models.AgentActionRemove, checkRemove(v, a, rs, facts)); err != nil {
			return nil, err
		}
		if res.UpdateRoles, err = allowed(res, models.AgentActionUpdateRoles, checkUpdateRoles(v, a, rs)); err != nil {
			return nil, err
		}
		if res.Reinvite, err = allowed(res, models.AgentActionReinvite, s.checkReinvite(v, a, now, facts)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// checkReinvite is what InviteAgent checks of an existing agent before
// anything that depends on the roles chosen.
func (s *Service) checkReinvite(v *auth.Viewer, target *models.Agent, now time.Time, facts models.WorkspaceFacts) error {
	if err := v.Require(models.PermAgentsInvite); err != nil {
		return err
	}
	return s.checkInviteExisting(target, now, facts)
}

// allowed turns a check's answer into the action's flag, recording a rule's
// refusal in Blocked; any other error (a failed read) is returned.
func allowed(res *models.AgentActions, action models.AgentAction, err error) (bool, error) {
	if err == nil {
		return true, nil
	}
	e, rule := apperr.As(err)
	if !rule {
		return false, err
	}
	res.Blocked = append(res.Blocked, models.BlockedAgentAction{Action: action, Code: e.Code, Message: e.Message})
	return false, nil
}

// GrantableRoles returns the roles the viewer may grant (invite with or
// assign): those the no-escalation rule (checkGrant) lets through, and none
// to a viewer that may neither invite nor change roles.
func (s *Service) GrantableRoles(ctx context.Context, v *auth.Viewer) ([]models.Role, error) {
	if !v.Can(models.PermAgentsInvite) && !v.Can(models.PermAgentsUpdateRoles) {
		return []models.Role{}, nil
	}
	roles, err := s.Roles(ctx, v)
	if err != nil {
		return nil, err
	}
	out := roles[:0]
	for _, r := range roles {
		if checkGrant(v, models.Roles{r}) == nil {
			out = append(out, r)
		}
	}
	return out, nil
}
