package graph

import (
	"errors"

	"agentdesk/graph/model"
	"agentdesk/team"
)

// Conversations arrive with their own issue. Until then the lists are truly
// empty (there is no conversation to show) and the conversation mutations
// answer INTERNAL rather than pretending to have done something.
var errConversationsUnavailable = errors.New("conversations are not implemented yet")

func emptyConversations(p team.Page) *model.ConversationConnection {
	return &model.ConversationConnection{Edges: []*model.ConversationEdge{}, PageInfo: pageInfo(p, nil, false)}
}
