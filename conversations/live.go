package conversations

import (
	"context"
	"errors"

	"gorm.io/gorm"

	"agentdesk/apperr"
	"agentdesk/auth"
	"agentdesk/live"
	"agentdesk/models"
	"agentdesk/team"
)

// Live updates (BEHAVIOUR.md §7): each change emits, inside its
// transaction, what it changed; package live delivers it only after the
// commit.

func (s *Service) emit(tx *gorm.DB, events ...live.Event) error {
	return team.EmitIn(s.Team.Live, tx, events...)
}

func conversationEvents(workspaceID int64, change string, ids ...int64) []live.Event {
	return team.ConversationEvents(workspaceID, change, ids...)
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
func (s *Service) ConversationMatching(ctx context.Context, v *auth.Viewer, f models.ConversationFilter, id int64) (*models.Conversation, error) {
	var c models.Conversation
	err := s.conversationQuery(ctx, v, f).Where("conversations.id = ?", id).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.New(apperr.NotFound, "No such conversation.")
	}
	return &c, err
}
