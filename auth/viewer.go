package auth

import (
	"context"
	"net/http"
	"strings"
	"sync"

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
	Roles []models.Role
}

// Can reports whether the viewer holds every one of perms.
func (v *Viewer) Can(perms ...models.Permission) bool { return v.Permissions.Has(perms...) }

// ViewerResolver turns a session token into a viewer, or UNAUTHENTICATED.
type ViewerResolver interface {
	ResolveViewer(ctx context.Context, token string) (*Viewer, error)
}

type requestAuth struct {
	token    string
	resolver ViewerResolver
	once     sync.Once
	viewer   *Viewer
	err      error
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
	ra.once.Do(func() { ra.viewer, ra.err = ra.resolver.ResolveViewer(ctx, ra.token) })
	return ra.viewer, ra.err
}

// SessionToken returns the raw bearer token of the request ("" if none).
func SessionToken(ctx context.Context) string {
	ra, _ := ctx.Value(ctxKey{}).(*requestAuth)
	if ra == nil {
		return ""
	}
	return ra.token
}
