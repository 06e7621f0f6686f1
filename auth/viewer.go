package auth

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"agentdesk/apperr"
	"agentdesk/models"
)

// Viewer is the signed-in agent of one request, with the permissions its roles
// grant right now (read fresh on every request, never cached across requests).
type Viewer struct {
	AgentID     int64
	WorkspaceID int64
	SessionID   int64
	Permissions models.Permissions
	// IsOwner: the agent holds the built-in Owner role.
	IsOwner bool
	// Roles are the roles the permissions come from, as read for this request.
	Roles models.Roles
	// SessionExpiresAt is when the session ends unless revoked first (live
	// sockets close then).
	SessionExpiresAt time.Time
	// signedInAs is the agent a sign-in mutation of this request signed in
	// (SignedInAs), set only on the viewer DetailsViewer makes: its details
	// show as the request's own, without the request acting as it.
	signedInAs int64
}

// Can reports whether the viewer holds every one of perms.
func (v *Viewer) Can(perms ...models.Permission) bool { return v.Permissions.Has(perms...) }

// Require answers FORBIDDEN unless the viewer holds p: how every rule that
// needs a permission starts.
func (v *Viewer) Require(p models.Permission) error {
	if !v.Can(p) {
		return MissingPermissions([]models.Permission{p})
	}
	return nil
}

// MissingPermissions is the FORBIDDEN answer to a caller that lacks
// permissions, the same sentence wherever it is checked (the rules, the
// GraphQL @hasPermission directive), so a permission hint's message
// (team.AgentActions) is the one the mutation answers.
func MissingPermissions(missing []models.Permission) *apperr.Error {
	names := make([]string, len(missing))
	for i, p := range missing {
		names[i] = string(p)
	}
	if len(names) == 1 {
		return apperr.New(apperr.Forbidden, "You need the %s permission to do this.", names[0])
	}
	return apperr.New(apperr.Forbidden, "You need the %s permissions to do this.", strings.Join(names, ", "))
}

// SeesAgentDetails reports whether the viewer may see more of an agent than
// its id, name, email and status: its roles, permissions, invitation, dates,
// remover and assigned conversations (BEHAVIOUR.md §8 Visibility of agents).
// Always of itself; of anyone else only with AGENTS_READ, the permission that
// guards the Agents page, so walking the graph from a conversation, a message
// or an audit event reveals no more than that page would.
func (v *Viewer) SeesAgentDetails(agentID int64) bool {
	return agentID == v.AgentID || (v.signedInAs != 0 && agentID == v.signedInAs) || v.Can(models.PermAgentsRead)
}

// nobody sees no agent's details: the viewer of a request without one.
var nobody = &Viewer{}

// DetailsViewer is whom the request in ctx shows agents' details to, for the
// rules that hide them (team.RolesByAgent, team.InvitationOf, …): its
// viewer; a request that signed in (SignedInAs) also sees its new agent in
// full, as it would as the viewer; a request without a viewer sees no one's
// details. Only for deciding what to show: it grants no action.
func DetailsViewer(ctx context.Context) *Viewer {
	v, err := ViewerFrom(ctx)
	if err != nil {
		v = nobody
	}
	if ra, _ := ctx.Value(ctxKey{}).(*requestAuth); ra != nil {
		if id := ra.signedInAs.Load(); id != 0 && id != v.AgentID {
			shown := *v
			shown.signedInAs = id
			return &shown
		}
	}
	return v
}

// SeesAgentDetails answers Viewer.SeesAgentDetails for the request in ctx
// (DetailsViewer).
func SeesAgentDetails(ctx context.Context, agentID int64) bool {
	return DetailsViewer(ctx).SeesAgentDetails(agentID)
}

// SignedInAs records that this request has just signed in as agentID (login,
// activation, sign-up), so the rest of its response shows that agent as its
// own. It does not make the request act as that agent.
func SignedInAs(ctx context.Context, agentID int64) {
	if ra, _ := ctx.Value(ctxKey{}).(*requestAuth); ra != nil {
		ra.signedInAs.Store(agentID)
	}
}

// ViewerResolver turns a session token into a viewer, or UNAUTHENTICATED.
type ViewerResolver interface {
	ResolveViewer(ctx context.Context, token string) (*Viewer, error)
}

type requestAuth struct {
	token    string
	resolver ViewerResolver
	// mu guards the lookup: one per request (or per event of a
	// subscription, see Refresh), however many resolvers ask.
	mu       sync.Mutex
	resolved bool
	viewer   *Viewer
	err      error
	// signedInAs is the agent a sign-in mutation of this request signed in.
	signedInAs atomic.Int64
}

type ctxKey struct{}

// Middleware remembers the request's bearer token. The session is looked up
// only when an operation needs a viewer, and then once per request, so public
// operations cost no query and a bad token does not break them.
func Middleware(resolver ViewerResolver, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ra := &requestAuth{token: BearerToken(r), resolver: resolver}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, ra)))
	})
}

// BearerToken returns the token of an "Authorization: Bearer" header, or "".
func BearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// ViewerFrom returns the request's viewer, or an UNAUTHENTICATED error.
func ViewerFrom(ctx context.Context) (*Viewer, error) {
	ra, _ := ctx.Value(ctxKey{}).(*requestAuth)
	if ra == nil || ra.token == "" {
		return nil, apperr.New(apperr.Unauthenticated, "Sign in to do this.")
	}
	ra.mu.Lock()
	defer ra.mu.Unlock()
	if !ra.resolved {
		ra.viewer, ra.err = ra.resolver.ResolveViewer(ctx, ra.token)
		ra.resolved = true
	}
	return ra.viewer, ra.err
}

// WithToken returns ctx authenticated by a session token that did not come
// in an Authorization header: a WebSocket's connection_init. The viewer is
// looked up when first needed, and again at each Refresh.
func WithToken(ctx context.Context, resolver ViewerResolver, token string) context.Context {
	return context.WithValue(ctx, ctxKey{}, &requestAuth{token: token, resolver: resolver})
}

// Fork returns ctx with an authentication state of its own, begun as a
// copy of ctx's: a Refresh on the one does not change what ViewerFrom
// answers on the other. Each subscription on a WebSocket runs on its own
// fork, so the viewer one subscription refreshed for its event never
// answers for another subscription's event on the same socket (a lagging
// subscription would otherwise hand its older viewer to a newer event).
func Fork(ctx context.Context) context.Context {
	ra, _ := ctx.Value(ctxKey{}).(*requestAuth)
	if ra == nil {
		return ctx
	}
	ra.mu.Lock()
	fork := &requestAuth{token: ra.token, resolver: ra.resolver, resolved: ra.resolved, viewer: ra.viewer, err: ra.err}
	ra.mu.Unlock()
	return context.WithValue(ctx, ctxKey{}, fork)
}

// Refresh looks the viewer of ctx up again (a subscription does before each
// event: a revoked session or a changed role counts from that event on),
// and every later ViewerFrom of ctx answers the new one.
func Refresh(ctx context.Context) (*Viewer, error) {
	return RefreshWith(ctx, func(resolver ViewerResolver, token string) (*Viewer, error) {
		return resolver.ResolveViewer(context.WithoutCancel(ctx), token)
	})
}

// ViewersResolver is a ViewerResolver that also resolves many tokens in one
// go: at an event, every socket that hears it looks its session up again,
// and a thousand sockets should cost a few statements, not a thousand.
// The answers and errors are in the order of tokens.
type ViewersResolver interface {
	ViewerResolver
	ResolveViewers(ctx context.Context, tokens []string) ([]*Viewer, []error)
}

// RefreshWith is Refresh with the lookup handed to lookup, which gets this
// context's resolver and token and may answer them together with other
// contexts' lookups of the same moment (the subscriptions hearing one
// event). lookup must not end with this context: others may be waiting
// for the same lookup.
func RefreshWith(ctx context.Context, lookup func(resolver ViewerResolver, token string) (*Viewer, error)) (*Viewer, error) {
	ra, _ := ctx.Value(ctxKey{}).(*requestAuth)
	if ra == nil || ra.token == "" {
		return nil, apperr.New(apperr.Unauthenticated, "Sign in to do this.")
	}
	v, err := lookup(ra.resolver, ra.token)
	ra.mu.Lock()
	ra.viewer, ra.err, ra.resolved = v, err, true
	ra.mu.Unlock()
	return v, err
}

// SessionToken returns the raw bearer token of the request ("" if none).
func SessionToken(ctx context.Context) string {
	ra, _ := ctx.Value(ctxKey{}).(*requestAuth)
	if ra == nil {
		return ""
	}
	return ra.token
}
