package team

import (
	"context"

	"gorm.io/gorm"

	"agentdesk/live"
	"agentdesk/models"
)

// Live updates (BEHAVIOUR.md §7): each mutation emits, inside its
// transaction, what it changed; package live delivers it only after the
// commit. Subscribers re-read what they may see through the readers below.

func agentEvent(workspaceID, agentID int64, change string) live.Event {
	return live.Event{Kind: live.AgentChanged, WorkspaceID: workspaceID, ID: agentID, Change: change}
}

// ConversationEvents are the events of conversations ids (package
// conversations emits them too).
func ConversationEvents(workspaceID int64, change string, ids ...int64) []live.Event {
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

// ChangedAgent loads agent id of a workspace for the subscribers of its
// change, once for all of them; each then applies CheckAgentRead (what
// Agent does for one viewer in one step). NOT_FOUND if it is not there.
func (s *Service) ChangedAgent(ctx context.Context, workspaceID, id int64) (*models.Agent, error) {
	return AgentInWorkspace(s.DB.WithContext(ctx), workspaceID, id)
}
