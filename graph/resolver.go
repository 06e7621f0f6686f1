package graph

import (
	"agentdesk/live"
	"agentdesk/team"
)

// Resolver is the root of the resolvers. Resolvers translate GraphQL
// arguments to the rules in package team and the results back; nothing more.
type Resolver struct {
	Team *team.Service
	// Live carries committed changes to the subscriptions.
	Live  *live.Broker
	guard *abuseGuard
}
