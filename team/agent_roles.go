package team

import (
	"context"
	"slices"

	"gorm.io/gorm"

	"agentdesk/apperr"
	"agentdesk/auth"
	"agentdesk/live"
	"agentdesk/models"
	"agentdesk/sessions"
)

// UpdateAgentRoles replaces the roles of a PENDING or ACTIVE agent. Roles the
// agent gains must not grant the caller more than it holds; the Owner role is
// given and taken only by an Owner; the last ACTIVE Owner keeps it.
// Needs AGENTS_UPDATE_ROLES; only an Owner gives or takes the Owner role.
func (s *Service) UpdateAgentRoles(ctx context.Context, v *auth.Viewer, agentID int64, roleIDs []int64) (*models.Agent, error) {
	if err := v.Require(models.PermAgentsUpdateRoles); err != nil {
		return nil, err
	}
	if len(roleIDs) == 0 {
		return nil, apperr.Input("roleIds", "Choose at least one role.")
	}
	var agent *models.Agent
	err := s.InTx(ctx, func(tx *gorm.DB) error {
		var err error
		if agent, err = s.lockedAgent(tx, v.WorkspaceID, agentID); err != nil {
			return err
		}
		roles, err := rolesInWorkspace(tx, v.WorkspaceID, roleIDs, "roleIds")
		if err != nil {
			return err
		}
		current, err := sessions.RolesOf(tx, agent.ID)
		if err != nil {
			return err
		}
		if err := checkUpdateRoles(v, agent, current); err != nil {
			return err
		}
		added := roleDiff(roles, current)
		if err := checkGrant(v, added); err != nil {
			return err
		}
		if current.HasOwner() && !roles.HasOwner() {
			if err := keepAnOwner(agent, s.factsIn(tx, v.WorkspaceID)); err != nil {
				return err
			}
		}
		if err := setRoles(tx, agent.ID, roles); err != nil {
			return err
		}
		now := s.Timestamp()
		if err := tx.Model(agent).Update("updated_at", now).Error; err != nil {
			return err
		}
		if err := s.emit(tx, agentEvent(v.WorkspaceID, agent.ID, live.AgentRolesUpdated)); err != nil {
			return err
		}
		return audit(tx, models.AuditEvent{WorkspaceID: v.WorkspaceID, Action: models.AuditAgentRolesUpdated,
			ActorID: &v.AgentID, TargetAgentID: &agent.ID, CreatedAt: now,
			Summary: summaryf("Changed the roles of %s from %s to %s", agent.Email, orNone(roleNames(current)), roleNames(roles))})
	})
	if err != nil {
		return nil, err
	}
	return agent, nil
}

// roleDiff returns the roles of a that are not in b.
func roleDiff(a, b models.Roles) models.Roles {
	var out []models.Role
	for _, r := range a {
		if !slices.ContainsFunc(b, func(o models.Role) bool { return o.ID == r.ID }) {
			out = append(out, r)
		}
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
