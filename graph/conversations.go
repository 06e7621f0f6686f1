package graph

import (
	"context"

	"agentdesk/auth"
	"agentdesk/graph/model"
	"agentdesk/models"
	"agentdesk/paging"
	"agentdesk/validate"
)

func conversationFilter(f *model.ConversationFilter) (models.ConversationFilter, error) {
	var out models.ConversationFilter
	if f == nil {
		return out, nil
	}
	if err := validate.CheckListLen("status", len(f.Status)); err != nil {
		return out, err
	}
	if err := validate.CheckListLen("channel", len(f.Channel)); err != nil {
		return out, err
	}
	out.Statuses, out.Channels, out.Unassigned, out.Caution = f.Status, f.Channel, f.Unassigned, f.Caution
	if f.AssigneeID != nil {
		ids, err := inputIDs([]string{*f.AssigneeID}, typeAgent, "assigneeId")
		if err != nil {
			return out, err
		}
		out.AssigneeID = &ids[0]
	}
	return out, nil
}

// conversations serves the conversation list: one page, loaders primed for
// its rows.
func (r *Resolver) conversations(ctx context.Context, v *auth.Viewer, first *int, after *string, f models.ConversationFilter) (*model.ConversationConnection, error) {
	p, err := pageArgs(first, after)
	if err != nil {
		return nil, err
	}
	convs, hasNext, err := r.ConversationRules.ListConversations(ctx, v, f, p)
	if err != nil {
		return nil, err
	}
	if err := r.prefetchConversationPage(ctx, v.WorkspaceID, convs); err != nil {
		return nil, err
	}
	return conversationConnection(p, models.ConversationScope(f), convs, hasNext, func(ctx context.Context) (int, error) { return r.ConversationRules.CountConversations(ctx, v, f) }), nil
}

// conversationConnection is a page of conversations whose cursors carry the
// scope of their list.
func conversationConnection(p paging.Page, sc paging.CursorScope, convs []models.Conversation, hasNext bool, count model.Counter) *model.ConversationConnection {
	edges, info := connection(p, sc, convs, hasNext, models.ConversationCursor, func(cursor string, c *models.Conversation) *model.ConversationEdge {
		return &model.ConversationEdge{Cursor: cursor, Node: c}
	})
	return &model.ConversationConnection{Edges: edges, PageInfo: info, Count: count}
}

// emptyConversations is the page of a list that reveals nothing (an agent's
// assigned conversations to a viewer who may not see its details).
func emptyConversations(p paging.Page) *model.ConversationConnection {
	return conversationConnection(p, paging.CursorScope{}, nil, false, nil)
}

// messageConnection is a page of one conversation's messages.
func messageConnection(p paging.Page, conversationID int64, msgs []models.Message, hasNext bool, count model.Counter) *model.MessageConnection {
	edges, info := connection(p, models.MessageScope(conversationID), msgs, hasNext, models.MessageCursor, func(cursor string, m *models.Message) *model.MessageEdge {
		return &model.MessageEdge{Cursor: cursor, Node: m}
	})
	return &model.MessageConnection{Edges: edges, PageInfo: info, Count: count}
}

// optionalInputID decodes a nullable agent id given as input (null stays nil).
func optionalInputID(gid *string, typ, field string) (*int64, error) {
	if gid == nil {
		return nil, nil
	}
	ids, err := inputIDs([]string{*gid}, typ, field)
	if err != nil {
		return nil, err
	}
	return &ids[0], nil
}
