package team

import (
	"context"
	"errors"

	"gorm.io/gorm"

	"agentdesk/apperr"
	"agentdesk/auth"
	"agentdesk/live"
	"agentdesk/models"
)

// Live updates (BEHAVIOUR.md §7): each mutation emits, inside its
// transaction, what it changed; package live delivers it only after the
// commit. Subscribers re-read what they may see through the readers below.

func agentEvent(workspaceID, agentID int64, change string) live.Event {
	return live.Event{Kind: live.AgentChanged, WorkspaceID: workspaceID, ID: agentID, Change: change}
}

func conversationEvents(workspaceID int64, change string, ids ...int64) []live.Event {
	events := make([]live.Event, len(ids))
	for i, id := range ids {
		events[i] = live.Event{Kind: live.ConversationChanged, WorkspaceID: workspaceID, ID: id, Change: change}
	}
	return events
}

// assignedConversationIDs lists the conversations assigned to an agent.
// Every status: the badge shows on closed ones too.
func assignedConversationIDs(tx *gorm.DB, agentID int64) ([]int64, error) {
	var ids []int64
	err := tx.Model(&models.Conversation{}).Where("assignee_id = ?", agentID).Order("id").Pluck("id", &ids).Error
	return ids, err
}

// showsCaution reports whether a conversation assigned to agentID shows the
// caution badge (models.CautionFor): assigned to an agent that is not ACTIVE.
func showsCaution(tx *gorm.DB, agentID *int64) (bool, error) {
	if agentID == nil {
		return false, nil
	}
	var statuses []models.AgentStatus
	err := tx.Model(&models.Agent{}).Where("id = ?", *agentID).Pluck("status", &statuses).Error
	return len(statuses) == 1 && statuses[0] != models.AgentActive, err
}

// assignmentChange names the change of a conversation whose assignee moved:
// CAUTION_CHANGED when that made the badge appear or clear, else ASSIGNED.
func assignmentChange(cautionBefore, cautionAfter bool) string {
	if cautionBefore != cautionAfter {
		return live.ConversationCautionChange
	}
	return live.ConversationAssigned
}

// ConversationMatching returns a conversation that v may see and that f
// matches, or NOT_FOUND: what a subscriber of conversationChanged(filter) is
// sent of a changed conversation, read as the list with that filter reads it.
func (s *Service) ConversationMatching(ctx context.Context, v *auth.Viewer, f ConversationFilter, id int64) (*models.Conversation, error) {
	var c models.Conversation
	err := s.conversationQuery(ctx, v, f).Where("conversations.id = ?", id).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.New(apperr.NotFound, "No such conversation.")
	}
	return &c, err
}

// ChangedAgent loads agent id of a workspace for the subscribers of its
// change, once for all of them; each then applies CheckAgentRead (what
// Agent does for one viewer in one step). NOT_FOUND if it is not there.
func (s *Service) ChangedAgent(ctx context.Context, workspaceID, id int64) (*models.Agent, error) {
	return agentInWorkspace(s.DB.WithContext(ctx), workspaceID, id)
}
