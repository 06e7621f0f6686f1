package main

import (
	"fmt"
	"sync/atomic"
)

// Scenario is one named request the load runner sends over and over.
type Scenario struct {
	Name string
	// Body returns the JSON body of the i-th request.
	Body func(i int64) []byte
}

const (
	agentsPageQuery = `{ agents(first: 50) { edges { node { id name email status roles { name } permissions ` +
		`invitation { sentAt expiresAt sendCount deliveryStatus invitedBy { name } } } } } }`
	conversationsQuery = `{ conversations(first: 50) { edges { node { id subject status channel caution ` +
		`assignee { name status } contact { name } lastMessageAt } } } }`
	viewerQuery = `{ viewer { id name email status roles { name } permissions } }`
)

func fixed(query string) func(int64) []byte {
	body := fmt.Appendf(nil, `{"query":%q}`, query)
	return func(int64) []byte { return body }
}

var inviteSeq atomic.Int64

// Scenarios are the hot paths of issue "Performance": the Agents page, the
// conversation list, viewer, and inviting an agent (a write).
func Scenarios(agentRoleID string, runID int64) []Scenario {
	return []Scenario{
		{Name: "agents", Body: fixed(agentsPageQuery)},
		{Name: "conversations", Body: fixed(conversationsQuery)},
		{Name: "viewer", Body: fixed(viewerQuery)},
		{Name: "inviteAgent", Body: func(int64) []byte {
			n := inviteSeq.Add(1)
			return fmt.Appendf(nil, `{"query":"mutation($e: String!, $r: ID!) { inviteAgent(input: {email: $e, roleIds: [$r]}) { agent { id status } } }","variables":{"e":"load%d-%d@invite.test","r":%q}}`,
				runID, n, agentRoleID)
		}},
	}
}
