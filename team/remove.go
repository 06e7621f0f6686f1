package team

import (
	"context"

	"gorm.io/gorm"

	"agentdesk/auth"
	"agentdesk/live"
	"agentdesk/models"
	"agentdesk/sessions"
)

// RemoveAgent removes a PENDING (cancels the invitation: AGENTS_INVITE) or
// ACTIVE (AGENTS_REMOVE) agent: status REMOVED, roles dropped, every session
// and link revoked, in one transaction. Returns the agent and how many of its
// conversations now show the caution badge.
// Needs AGENTS_INVITE for a PENDING agent, AGENTS_REMOVE for an ACTIVE one,
// and the Owner role for an Owner.
func (s *Service) RemoveAgent(ctx context.Context, v *auth.Viewer, agentID int64) (*models.Agent, int, error) {
	// What needs no row is refused before reading any: a caller without
	// the permission learns nothing about the target.
	if err := checkRemoveCaller(v, agentID); err != nil {
		return nil, 0, err
	}
	var agent *models.Agent
	affected := 0
	err := s.InTx(ctx, func(tx *gorm.DB) error {
		var err error
		if agent, err = s.lockedAgent(tx, v.WorkspaceID, agentID); err != nil {
			return err
		}
		roles, err := sessions.RolesOf(tx, agent.ID)
		if err != nil {
			return err
		}
		if err := checkRemove(v, agent, roles, s.factsIn(tx, v.WorkspaceID)); err != nil {
			return err
		}
		wasPending := agent.Status == models.AgentPending
		now := s.Timestamp()
		agent.Status, agent.RemovedAt, agent.RemovedByID, agent.UpdatedAt = models.AgentRemoved, &now, &v.AgentID, now
		if err := tx.Model(agent).Updates(map[string]any{"status": agent.Status, "removed_at": now,
			"removed_by_id": v.AgentID, "updated_at": now}).Error; err != nil {
			return err
		}
		if err := setRoles(tx, agent.ID, nil); err != nil {
			return err
		}
		if err := sessions.RevokeAgent(tx, agent.ID, now); err != nil {
			return err
		}
		if err := revokeLinks(tx, agent.ID, now); err != nil {
			return err
		}
		if affected, err = affectedConversations(tx, agent.ID); err != nil {
			return err
		}
		// The badge appears on an ACTIVE agent's conversations; a PENDING
		// (re-invited) agent's show it already.
		var flagged []int64
		if !wasPending {
			if flagged, err = assignedConversationIDs(tx, agent.ID); err != nil {
				return err
			}
		}
		if err := s.emit(tx, append(ConversationEvents(v.WorkspaceID, live.ConversationCautionChange, flagged...),
			agentEvent(v.WorkspaceID, agent.ID, live.AgentRemoved))...); err != nil {
			return err
		}
		verb := "Removed"
		if wasPending {
			verb = "Cancelled the invitation of"
		}
		return audit(tx, models.AuditEvent{WorkspaceID: v.WorkspaceID, Action: models.AuditAgentRemoved,
			ActorID: &v.AgentID, TargetAgentID: &agent.ID, CreatedAt: now,
			Summary: summaryf("%s %s", verb, agent.Email)})
	})
	if err != nil {
		return nil, 0, err
	}
	return agent, affected, nil
}

// affectedConversations counts the conversations assigned to an agent that
// its removal leaves needing someone (models.AffectedByRemoval).
func affectedConversations(tx *gorm.DB, agentID int64) (int, error) {
	var n int64
	err := tx.Model(&models.Conversation{}).Where("assignee_id = ? AND status IN ?", agentID, models.AffectedByRemoval).Count(&n).Error
	return int(n), err
}
