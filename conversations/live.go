package conversations

import (
	"context"
	"errors"
	"slices"

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

// ChangedConversation reads conversation id of workspaceID for a live
// event, once for every subscriber that hears it (NOT_FOUND if it is not
// there): the row, and its assignee for the caution badge.
func (s *Service) ChangedConversation(ctx context.Context, workspaceID, id int64) (*models.ChangedConversation, error) {
	db := s.Team.DB.WithContext(ctx)
	var c models.Conversation
	err := db.Where("workspace_id = ? AND id = ?", workspaceID, id).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.New(apperr.NotFound, "No such conversation.")
	}
	if err != nil {
		return nil, err
	}
	changed := &models.ChangedConversation{Conversation: &c}
	if c.AssigneeID != nil {
		if changed.Assignee, err = team.AgentInWorkspace(db, workspaceID, *c.AssigneeID); err != nil {
			return nil, err
		}
	}
	return changed, nil
}

// ConversationMatching returns what a subscriber v of
// conversationChanged(filter f) is sent of a changed conversation: the
// conversation if v may see it and f matches it, as the list with that
// filter would (conversationQuery), else false. It decides in Go on the
// event's one read, so an event costs no statement per subscriber;
// TestChangedConversationMatchesAsTheListReads pins it to the list's SQL.
func (s *Service) ConversationMatching(v *auth.Viewer, f models.ConversationFilter, changed *models.ChangedConversation) (*models.Conversation, bool) {
	c := changed.Conversation
	if c.WorkspaceID != v.WorkspaceID {
		return nil, false
	}
	// visibleTo
	if !v.Can(models.PermConversationsReadAll) && c.AssigneeID != nil && *c.AssigneeID != v.AgentID {
		return nil, false
	}
	// conversationQuery's filter
	if len(f.Statuses) > 0 && !slices.Contains(f.Statuses, c.Status) {
		return nil, false
	}
	if len(f.Channels) > 0 && !slices.Contains(f.Channels, c.Channel) {
		return nil, false
	}
	if f.AssigneeID != nil && (c.AssigneeID == nil || *c.AssigneeID != *f.AssigneeID) {
		return nil, false
	}
	if f.Unassigned != nil && *f.Unassigned != (c.AssigneeID == nil) {
		return nil, false
	}
	if f.Caution != nil && models.CautionFor(changed.Assignee) == nil {
		return nil, false
	}
	return c, true
}
