package auth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"agentdesk/models"
)

type fixedViewer struct{ v *Viewer }

func (f fixedViewer) ResolveViewer(context.Context, string) (*Viewer, error) { return f.v, nil }

// requestCtx returns the context a handler behind Middleware sees for a
// request with token ("" for none) whose session resolves to v.
func requestCtx(token string, v *Viewer) context.Context {
	var ctx context.Context
	r := httptest.NewRequest(http.MethodPost, "/query", nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	Middleware(fixedViewer{v}, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { ctx = r.Context() })).
		ServeHTTP(httptest.NewRecorder(), r)
	return ctx
}

// BEHAVIOUR §8 Visibility of agents: details of an agent (beyond id, name,
// email, status) are for the agent itself and for holders of AGENTS_READ.
func TestSeesAgentDetails(t *testing.T) {
	agentRole := &Viewer{AgentID: 1, WorkspaceID: 1, Permissions: models.NewPermissions(models.PermConversationsReply)}
	supervisor := &Viewer{AgentID: 2, WorkspaceID: 1, Permissions: models.NewPermissions(models.PermAgentsRead)}
	for _, c := range []struct {
		name  string
		v     *Viewer
		agent int64
		want  bool
	}{
		{"itself", agentRole, 1, true},
		{"another agent, no AGENTS_READ", agentRole, 2, false},
		{"another agent, AGENTS_READ", supervisor, 1, true},
	} {
		if got := c.v.SeesAgentDetails(c.agent); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
		if got := SeesAgentDetails(requestCtx("token", c.v), c.agent); got != c.want {
			t.Errorf("%s, from the request: %v, want %v", c.name, got, c.want)
		}
	}

	// No session: nobody's details, except the agent the request has just
	// signed in as.
	anon := requestCtx("", nil)
	if SeesAgentDetails(anon, 1) || SeesAgentDetails(context.Background(), 1) {
		t.Error("a request without a viewer sees details")
	}
	SignedInAs(anon, 7)
	if !SeesAgentDetails(anon, 7) || SeesAgentDetails(anon, 8) {
		t.Error("a sign-in shows its own agent only")
	}
	// A signed-in request's permissions are those of its session, whatever
	// it signs in as.
	ctx := requestCtx("token", agentRole)
	SignedInAs(ctx, 7)
	if SeesAgentDetails(ctx, 2) {
		t.Error("signing in widened the session's view")
	}
}

// countingViewers answers a new viewer at each lookup (its SessionID
// counts the lookups), as a session whose roles change between events.
type countingViewers struct{ n int64 }

func (c *countingViewers) ResolveViewer(context.Context, string) (*Viewer, error) {
	c.n++
	return &Viewer{AgentID: 7, SessionID: c.n}, nil
}

// TestForkHasItsOwnViewer: a fork begins with its parent's viewer, and
// from then on a Refresh on one is not what ViewerFrom answers on the
// other (subscriptions of one socket each refresh for their own events).
func TestForkHasItsOwnViewer(t *testing.T) {
	sessions := &countingViewers{}
	socket := WithToken(context.Background(), sessions, "token")
	first, _ := ViewerFrom(socket)
	a, b := Fork(socket), Fork(socket)
	if v, _ := ViewerFrom(a); v != first {
		t.Fatalf("a fork starts with viewer %+v, want its parent's %+v", v, first)
	}
	refreshed, err := Refresh(a)
	if err != nil || refreshed == first {
		t.Fatalf("refresh: %+v %v", refreshed, err)
	}
	if v, _ := ViewerFrom(a); v != refreshed {
		t.Errorf("the fork answers %+v after its refresh, want %+v", v, refreshed)
	}
	if v, _ := ViewerFrom(b); v != first {
		t.Errorf("another fork answers %+v after a's refresh, want %+v", v, first)
	}
	if v, _ := ViewerFrom(socket); v != first {
		t.Errorf("the parent answers %+v after a fork's refresh, want %+v", v, first)
	}
	if _, err := Refresh(socket); err != nil {
		t.Fatal(err)
	}
	if v, _ := ViewerFrom(a); v != refreshed {
		t.Errorf("the fork answers %+v after its parent's refresh, want %+v", v, refreshed)
	}
	if Fork(context.Background()) == nil {
		t.Error("a context without a token forks to nil")
	}
}
