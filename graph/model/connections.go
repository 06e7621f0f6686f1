// Package model holds the GraphQL-only types: those gqlgen generates
// (models_gen.go) and the connections below, written by hand so that
// totalCount is counted only when a client selects it.
package model

import (
	"context"

	"agentdesk/models"
)

// Counter counts a connection's items; it runs only if totalCount is selected.
type Counter func(ctx context.Context) (int, error)

type AgentConnection struct {
	Edges    []*AgentEdge
	PageInfo *PageInfo
	Count    Counter
}

type AuditEventConnection struct {
	Edges    []*AuditEventEdge
	PageInfo *PageInfo
	Count    Counter
}

type ConversationConnection struct {
	Edges    []*ConversationEdge
	PageInfo *PageInfo
	Count    Counter
}

type MessageConnection struct {
	Edges    []*MessageEdge
	PageInfo *PageInfo
	Count    Counter
}

// Nodes returns the agents of the page.
func (c *AgentConnection) Nodes() []*models.Agent {
	out := make([]*models.Agent, len(c.Edges))
	for i, e := range c.Edges {
		out[i] = e.Node
	}
	return out
}
