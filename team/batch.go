package team

import (
	"context"

	"agentdesk/auth"
	"agentdesk/db"
	"agentdesk/models"
)

// The batch reads below serve the GraphQL layer's per-request loaders: one
// statement for any number of keys, so a page of N agents costs the same as 1.

// RolesByAgent returns the roles each agent holds (every key present).
// Needs v to see the agent's details (v.SeesAgentDetails: itself, or
// AGENTS_READ); any other agent holds no roles here, and is not read.
func (s *Service) RolesByAgent(ctx context.Context, v *auth.Viewer, agentIDs []int64) (map[int64][]models.Role, error) {
	out := make(map[int64][]models.Role, len(agentIDs))
	shown := make([]int64, 0, len(agentIDs))
	for _, id := range agentIDs {
		out[id] = []models.Role{}
		if v.SeesAgentDetails(id) {
			shown = append(shown, id)
		}
	}
	if len(shown) == 0 {
		return out, nil
	}
	agentIDs = shown
	q := s.DB.WithContext(ctx).Table("roles").
		Select(models.RoleColumns+", agent_roles.agent_id").
		Joins("JOIN agent_roles ON agent_roles.role_id = roles.id").
		Where("agent_roles.agent_id IN ?", agentIDs).Order("roles.id")
	err := db.ScanRows(q, func(rows db.RowScanner) error {
		var role models.Role
		var holderID int64
		if err := rows.Scan(append(role.ScanTargets(), &holderID)...); err != nil {
			return err
		}
		out[holderID] = append(out[holderID], role)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// AgentsByID returns the agents of v's workspace by id (missing ids absent).
// Needs a viewer only: the agents behind references (assignee, author,
// actor, inviter) are visible to whoever sees the reference, but an agent
// whose details v may not see (v.SeesAgentDetails) comes without them
// (models.Agent.WithoutDetails).
func (s *Service) AgentsByID(ctx context.Context, v *auth.Viewer, ids []int64) (map[int64]*models.Agent, error) {
	agents, err := db.ByID(s.DB.WithContext(ctx), "agents", models.AgentColumns, v.WorkspaceID, ids, func(a *models.Agent) int64 { return a.ID })
	if err != nil {
		return nil, err
	}
	for id, a := range agents {
		if !v.SeesAgentDetails(id) {
			agents[id] = a.WithoutDetails()
		}
	}
	return agents, nil
}

// RolesByID returns the roles of a workspace by id (missing ids absent).
// Checks no permission: roles are readable by every agent (see Roles).
func (s *Service) RolesByID(ctx context.Context, workspaceID int64, ids []int64) (map[int64]*models.Role, error) {
	return db.ByID(s.DB.WithContext(ctx), "roles", models.RoleColumns, workspaceID, ids, func(r *models.Role) int64 { return r.ID })
}

// AgentCountByRole counts the PENDING or ACTIVE holders of each role.
// Checks no permission: a field of a role, readable by every agent (see
// Roles).
func (s *Service) AgentCountByRole(ctx context.Context, roleIDs []int64) (map[int64]int, error) {
	q := s.DB.WithContext(ctx).Table("agent_roles").
		Joins("JOIN agents ON agents.id = agent_roles.agent_id").
		Where("agents.status IN ?", models.SeatStatuses)
	return db.CountPerParent(q, "agent_roles.role_id", roleIDs)
}

// InvitationOf returns the agent's invitation while it is PENDING, else nil.
// Needs v to see the agent's details (v.SeesAgentDetails), else nil too.
func (s *Service) InvitationOf(v *auth.Viewer, a *models.Agent) *models.Invitation {
	if a.Status != models.AgentPending || !v.SeesAgentDetails(a.ID) {
		return nil
	}
	return &models.Invitation{SentAt: a.LinkSentAt, ExpiresAt: a.LinkExpiresAt, Expired: !s.Timestamp().Before(a.LinkExpiresAt),
		SendCount: a.LinkSendCount, DeliveryStatus: a.LinkDeliveryState, InvitedByID: a.InvitedByID,
		ResendAvailableAt: a.LinkSentAt.Add(s.Config.ResendCooldown)}
}
