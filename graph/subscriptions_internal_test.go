package graph

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"agentdesk/auth"
)

type sessionCounter struct{ n atomic.Int64 }

func (c *sessionCounter) ResolveViewer(context.Context, string) (*auth.Viewer, error) {
	return &auth.Viewer{AgentID: 1, SessionID: c.n.Add(1)}, nil
}

// TestEachSubscriptionOnASocketHasItsOwnState: two subscriptions on one
// socket run on contexts whose viewer and loaders are their own, so what
// one refreshes or loads for its event never serves the other's; an
// operation off a socket keeps the request's.
func TestEachSubscriptionOnASocketHasItsOwnState(t *testing.T) {
	r := &Resolver{}
	socket := auth.WithToken(context.Background(), &sessionCounter{}, "token")
	socket = (&Server{resolver: r}).WithConnection(socket, nil, func() {})
	run := func(ctx context.Context, op ast.Operation) context.Context {
		var seen context.Context
		ctx = graphql.WithOperationContext(ctx, &graphql.OperationContext{Operation: &ast.OperationDefinition{Operation: op}})
		statePerSubscription{resolver: r}.InterceptOperation(ctx, func(ctx context.Context) graphql.ResponseHandler {
			seen = ctx
			return nil
		})
		return seen
	}
	a, b := run(socket, ast.Subscription), run(socket, ast.Subscription)
	if loadersFrom(a) == loadersFrom(b) || loadersFrom(a) == loadersFrom(socket) {
		t.Error("subscriptions of one socket share loaders")
	}
	va, err := auth.Refresh(a)
	if err != nil {
		t.Fatal(err)
	}
	if vb, _ := auth.ViewerFrom(b); vb == va {
		t.Error("one subscription's refreshed viewer answers for another")
	}
	if q := run(context.Background(), ast.Query); q.Value(loadersKey{}) != nil {
		t.Error("an operation off a socket got a subscription's state")
	}
}
