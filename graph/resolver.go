package graph

import "agentdesk/live"

// Resolver is the root of the resolvers. Resolvers translate GraphQL
// arguments to the rules (ports.go) and the results back; nothing more.
type Resolver struct {
	Team              TeamRules
	ConversationRules ConversationRules
	// Live carries committed changes to the subscriptions.
	Live  *live.Broker
	guard *abuseGuard
}
