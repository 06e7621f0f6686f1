package conversations

import (
	"context"

	"agentdesk/auth"
	"agentdesk/db"
	"agentdesk/models"
	"agentdesk/paging"
)

// AssignedConversationPages returns, for each agent, the page of the
// conversations assigned to it that ListConversations gives for that
// assignee alone (visible to v, newest activity first), in one statement.
// Needs a viewer, filtered like ListConversations, and v to see the agent's
// details (v.SeesAgentDetails): any other agent's page is absent (empty),
// and not read.
func (s *Service) AssignedConversationPages(ctx context.Context, v *auth.Viewer, agentIDs []int64, p paging.Page) (map[int64]paging.PageOf[models.Conversation], error) {
	if err := paging.CheckFirst(p.First); err != nil {
		return nil, err
	}
	if agentIDs = paging.UniqueIDs(detailsShown(v, agentIDs)); len(agentIDs) == 0 {
		return map[int64]paging.PageOf[models.Conversation]{}, nil
	}
	if len(agentIDs) == 1 {
		// One parent: the plain list, whose index range scan needs no window.
		id := agentIDs[0]
		rows, hasNext, err := s.ListConversations(ctx, v, models.ConversationFilter{AssigneeID: &id}, p)
		if err != nil {
			return nil, err
		}
		return map[int64]paging.PageOf[models.Conversation]{id: {Rows: rows, HasNext: hasNext}}, nil
	}
	for _, id := range agentIDs {
		if err := models.ConversationScope(models.ConversationFilter{AssigneeID: &id}).Check(p.After); err != nil {
			return nil, err
		}
	}
	q := s.conversationQuery(ctx, v, models.ConversationFilter{}).Where("conversations.assignee_id IN ?", agentIDs)
	q, err := db.PagePerParent(q, "conversations", models.ConversationColumns, "conversations.assignee_id",
		"conversations.activity_at", "conversations.id", true, p, db.TimeKey)
	if err != nil {
		return nil, err
	}
	rows, err := db.ScanAll[models.Conversation](q, len(agentIDs)*(p.First+1))
	if err != nil {
		return nil, err
	}
	return db.SplitPages(agentIDs, rows, func(c *models.Conversation) int64 { return *c.AssigneeID }, p.First), nil
}

// CountAssignedConversations counts, for each agent, the conversations
// visible to v that are assigned to it, in one statement.
// Needs a viewer, filtered like ListConversations, and v to see the agent's
// details (v.SeesAgentDetails): any other agent counts 0, and is not read.
func (s *Service) CountAssignedConversations(ctx context.Context, v *auth.Viewer, agentIDs []int64) (map[int64]int, error) {
	if agentIDs = detailsShown(v, agentIDs); len(agentIDs) == 0 {
		return map[int64]int{}, nil
	}
	return db.CountPerParent(s.conversationQuery(ctx, v, models.ConversationFilter{}), "conversations.assignee_id", agentIDs)
}

// detailsShown are the agents of ids whose details v may see.
func detailsShown(v *auth.Viewer, ids []int64) []int64 {
	shown := make([]int64, 0, len(ids))
	for _, id := range ids {
		if v.SeesAgentDetails(id) {
			shown = append(shown, id)
		}
	}
	return shown
}

// messageColumns are the columns of models.Message, qualified for the
// window's subquery.
const messageColumns = "messages.id, messages.workspace_id, messages.conversation_id, messages.body, " +
	"messages.author_kind, messages.author_agent_id, messages.created_at"

// MessagePages returns, for each conversation, the page of its messages
// that Messages gives for it alone (oldest first), in one statement: an
// empty page for a conversation v may not see (visibleMessages).
// Needs a viewer only, like Messages.
func (s *Service) MessagePages(ctx context.Context, v *auth.Viewer, conversationIDs []int64, p paging.Page) (map[int64]paging.PageOf[models.Message], error) {
	if err := paging.CheckFirst(p.First); err != nil {
		return nil, err
	}
	conversationIDs = paging.UniqueIDs(conversationIDs)
	if len(conversationIDs) == 1 {
		id := conversationIDs[0]
		rows, hasNext, err := s.Messages(ctx, v, id, p)
		if err != nil {
			return nil, err
		}
		return map[int64]paging.PageOf[models.Message]{id: {Rows: rows, HasNext: hasNext}}, nil
	}
	for _, id := range conversationIDs {
		if err := models.MessageScope(id).Check(p.After); err != nil {
			return nil, err
		}
	}
	q, err := db.PagePerParent(s.visibleMessages(ctx, v, conversationIDs), "messages", messageColumns, "messages.conversation_id",
		"messages.created_at", "messages.id", false, p, db.TimeKey)
	if err != nil {
		return nil, err
	}
	var rows []models.Message
	if err := q.Find(&rows).Error; err != nil {
		return nil, err
	}
	return db.SplitPages(conversationIDs, rows, func(m *models.Message) int64 { return m.ConversationID }, p.First), nil
}

// CountMessagesOf counts the messages of each conversation in one
// statement: 0 for a conversation v may not see (visibleMessages).
// Needs a viewer only, like Messages.
func (s *Service) CountMessagesOf(ctx context.Context, v *auth.Viewer, conversationIDs []int64) (map[int64]int, error) {
	conversationIDs = paging.UniqueIDs(conversationIDs)
	return db.CountPerParent(s.visibleMessages(ctx, v, conversationIDs), "messages.conversation_id", conversationIDs)
}
