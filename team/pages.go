package team

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"agentdesk/auth"
	"agentdesk/models"
	"agentdesk/paging"
)

// Nested lists (an agent's assigned conversations, a conversation's
// messages) are asked for every parent of a page at once. The reads below
// answer all parents in one statement, with the page each parent would get
// on its own: the single-parent query's filter, keyset and order, numbered
// per parent with ROW_NUMBER() OVER (PARTITION BY parent ...) and cut at
// First+1 rows per parent (as entgql's LimitPerRow does). SQLite (3.25 and
// later) and PostgreSQL both have window functions.

// pagePerParent turns q, a list filtered for all parents, into the page of
// each parent: keyset applies the cursor and the order exactly as for a
// single list, and the order then moves into the window, where it ranks the
// rows of each parent. table names the subquery as the table, so columns
// (qualified with it) select the same columns from either.
func pagePerParent(q *gorm.DB, table, columns, parent, expr, idCol string, desc bool, p paging.Page, toArg func(string) (any, error)) (*gorm.DB, error) {
	q, err := keyset(q, expr, idCol, desc, p, toArg)
	if err != nil {
		return nil, err
	}
	// keyset ends the query with ORDER BY and LIMIT for one list; here the
	// ORDER BY ranks within the window and the limit applies per parent.
	order, ok := q.Statement.Clauses[clause.OrderBy{}.Name()].Expression.(clause.OrderBy)
	if !ok {
		return nil, fmt.Errorf("keyset left no ORDER BY")
	}
	cols := make([]string, len(order.Columns))
	for i, c := range order.Columns {
		if !c.Column.Raw || c.Desc {
			return nil, fmt.Errorf("keyset order %+v is not a raw expression", c)
		}
		cols[i] = c.Column.Name
	}
	delete(q.Statement.Clauses, clause.OrderBy{}.Name())
	delete(q.Statement.Clauses, clause.Limit{}.Name())
	inner := q.Select(columns + ", ROW_NUMBER() OVER (PARTITION BY " + parent + " ORDER BY " + strings.Join(cols, ", ") + ") AS page_row")
	return q.Session(&gorm.Session{NewDB: true}).Table("(?) AS "+table, inner).Select(columns).
		Where(table+".page_row <= ?", p.First+1).Order(parent).Order(table + ".page_row"), nil
}

// splitPages cuts rows, ordered by parent and then in page order, into the
// page of each parent (every parent present, most with no rows).
func splitPages[T any](parents []int64, rows []T, parentOf func(*T) int64, first int) map[int64]paging.PageOf[T] {
	out := make(map[int64]paging.PageOf[T], len(parents))
	for _, id := range parents {
		out[id] = paging.PageOf[T]{Rows: []T{}}
	}
	for start := 0; start < len(rows); {
		id := parentOf(&rows[start])
		end := start + 1
		for end < len(rows) && parentOf(&rows[end]) == id {
			end++
		}
		page, hasNext, _ := trimPage(rows[start:end:end], first)
		out[id] = paging.PageOf[T]{Rows: page, HasNext: hasNext}
		start = end
	}
	return out
}

// AssignedConversationPages returns, for each agent, the page of the
// conversations assigned to it that ListConversations gives for that
// assignee alone (visible to v, newest activity first), in one statement.
// Needs a viewer only, filtered like ListConversations.
func (s *Service) AssignedConversationPages(ctx context.Context, v *auth.Viewer, agentIDs []int64, p paging.Page) (map[int64]paging.PageOf[models.Conversation], error) {
	if err := paging.CheckFirst(p.First); err != nil {
		return nil, err
	}
	agentIDs = paging.UniqueIDs(agentIDs)
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
	q, err := pagePerParent(q, "conversations", models.ConversationColumns, "conversations.assignee_id",
		"conversations.activity_at", "conversations.id", true, p, timeKey)
	if err != nil {
		return nil, err
	}
	rows, err := scanAll[models.Conversation](q, len(agentIDs)*(p.First+1))
	if err != nil {
		return nil, err
	}
	return splitPages(agentIDs, rows, func(c *models.Conversation) int64 { return *c.AssigneeID }, p.First), nil
}

// CountAssignedConversations counts, for each agent, the conversations
// visible to v that are assigned to it, in one statement.
// Needs a viewer only, filtered like ListConversations.
func (s *Service) CountAssignedConversations(ctx context.Context, v *auth.Viewer, agentIDs []int64) (map[int64]int, error) {
	return countPerParent(s.conversationQuery(ctx, v, models.ConversationFilter{}), "conversations.assignee_id", agentIDs)
}

// messageColumns are the columns of models.Message, qualified for the
// window's subquery.
const messageColumns = "messages.id, messages.workspace_id, messages.conversation_id, messages.body, " +
	"messages.author_kind, messages.author_agent_id, messages.created_at"

// MessagePages returns, for each conversation, the page of its messages
// that Messages gives for it alone (oldest first), in one statement. The
// conversations were already checked visible by whoever holds them.
// Checks no permission, like Messages.
func (s *Service) MessagePages(ctx context.Context, conversationIDs []int64, p paging.Page) (map[int64]paging.PageOf[models.Message], error) {
	if err := paging.CheckFirst(p.First); err != nil {
		return nil, err
	}
	conversationIDs = paging.UniqueIDs(conversationIDs)
	if len(conversationIDs) == 1 {
		id := conversationIDs[0]
		rows, hasNext, err := s.Messages(ctx, id, p)
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
	q := s.DB.WithContext(ctx).Model(&models.Message{}).Where("messages.conversation_id IN ?", conversationIDs)
	q, err := pagePerParent(q, "messages", messageColumns, "messages.conversation_id",
		"messages.created_at", "messages.id", false, p, timeKey)
	if err != nil {
		return nil, err
	}
	var rows []models.Message
	if err := q.Find(&rows).Error; err != nil {
		return nil, err
	}
	return splitPages(conversationIDs, rows, func(m *models.Message) int64 { return m.ConversationID }, p.First), nil
}

// CountMessagesOf counts the messages of each conversation in one statement.
// Checks no permission, like Messages.
func (s *Service) CountMessagesOf(ctx context.Context, conversationIDs []int64) (map[int64]int, error) {
	return countPerParent(s.DB.WithContext(ctx).Model(&models.Message{}), "messages.conversation_id", conversationIDs)
}

// countPerParent counts the rows of q per parent (every parent present).
func countPerParent(q *gorm.DB, parent string, ids []int64) (map[int64]int, error) {
	ids = paging.UniqueIDs(ids)
	var rows []struct {
		Parent int64
		N      int
	}
	err := q.Select(parent+" AS parent, COUNT(*) AS n").Where(parent+" IN ?", ids).Group(parent).Find(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make(map[int64]int, len(ids))
	for _, id := range ids {
		out[id] = 0
	}
	for _, r := range rows {
		out[r.Parent] = r.N
	}
	return out, nil
}
