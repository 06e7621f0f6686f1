package graph

// Resolver is the root of the resolvers. Resolvers translate GraphQL
// arguments to the rules (ports.go) and the results back; nothing more.
type Resolver struct {
	Team              TeamRules
	ConversationRules ConversationRules
	guard             *abuseGuard
}
