package graph

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vikstrous/dataloadgen"

	"agentdesk/auth"
	"agentdesk/graph/model"
	"agentdesk/models"
)

// Loaders batch the per-item reads of one request (roles of each agent on a
// page, their inviters, role holder counts) into one statement each. They are
// made fresh for every request, so nothing is cached across requests.
type Loaders struct {
	RolesByAgent     *dataloadgen.Loader[int64, []models.Role]
	AgentByID        *dataloadgen.Loader[int64, *models.Agent]
	AgentCountByRole *dataloadgen.Loader[int64, int]
	ContactByID      *dataloadgen.Loader[int64, *models.Contact]
	RoleByID         *dataloadgen.Loader[int64, *models.Role]

	// Pages of nested connections, loaded a level at a time (nested.go).
	assigned nestedPages[models.Agent, *model.ConversationConnection]
	messages nestedPages[models.Conversation, *model.MessageConnection]

	// The workspace counts of the permission hints (agent_actions.go).
	facts requestFacts
}

// loaderWait is how long a loader collects keys before it queries. Resolvers
// run inline, one after the other (internal/gqlgen sets DisableConcurrency),
// and every list-level field is a batch resolver that asks for a whole
// level's keys in one LoadAll; but LoadAll adds them one at a time while the
// batch's timer already runs, so the wait only has to outlast that loop for
// the level to go out in one statement. dataloadgen's default (16 ms) would
// add that much to every level of every request.
const loaderWait = 100 * time.Microsecond

// NewLoaders returns the loaders of one request.
func NewLoaders(r *Resolver) *Loaders {
	if r.Team == nil || r.ConversationRules == nil {
		// A server built without rules (the transport tests) answers only
		// what needs none, and loads nothing.
		return &Loaders{}
	}
	return &Loaders{
		RolesByAgent: newLoader(func(ctx context.Context, ids []int64) (map[int64][]models.Role, error) {
			return r.Team.RolesByAgent(ctx, auth.DetailsViewer(ctx), ids)
		}),
		AgentByID:        newLoader(r.agentsByID),
		AgentCountByRole: newLoader(r.Team.AgentCountByRole),
		ContactByID:      newLoader(inViewersWorkspace(r.ConversationRules.ContactsByID)),
		RoleByID:         newLoader(inViewersWorkspace(r.Team.RolesByID)),
	}
}

func newLoader[V any](fetch func(context.Context, []int64) (map[int64]V, error)) *dataloadgen.Loader[int64, V] {
	return dataloadgen.NewMappedLoader(fetch, dataloadgen.WithWait(loaderWait))
}

// inViewersWorkspace reads rows by id within the workspace of the request's
// viewer: ids are never trusted to name rows of one workspace.
func inViewersWorkspace[V any](read func(ctx context.Context, workspaceID int64, ids []int64) (map[int64]V, error)) func(context.Context, []int64) (map[int64]V, error) {
	return func(ctx context.Context, ids []int64) (map[int64]V, error) {
		v, err := auth.ViewerFrom(ctx)
		if err != nil {
			return nil, err
		}
		return read(ctx, v.WorkspaceID, ids)
	}
}

// agentsByID reads agents by id for the request's viewer: within its
// workspace, with the details it may see (team.AgentsByID).
func (r *Resolver) agentsByID(ctx context.Context, ids []int64) (map[int64]*models.Agent, error) {
	if _, err := auth.ViewerFrom(ctx); err != nil {
		return nil, err
	}
	return r.Team.AgentsByID(ctx, auth.DetailsViewer(ctx), ids)
}

type loadersKey struct{}

// loadersMiddleware gives every request its own loaders, so nothing loaded
// for one request is served to another. They are made when first asked for:
// a request that loads nothing through them allocates none, nor does a
// WebSocket's upgrade, which the socket's own loaders replace
// (WithConnection) and which stays in memory while the socket is open.
func loadersMiddleware(r *Resolver, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		next.ServeHTTP(w, req.WithContext(context.WithValue(req.Context(), loadersKey{}, &requestLoaders{resolver: r})))
	})
}

// requestLoaders are a request's loaders, made on first use.
type requestLoaders struct {
	resolver *Resolver
	once     sync.Once
	loaders  *Loaders
}

func (l *requestLoaders) get() *Loaders {
	l.once.Do(func() { l.loaders = NewLoaders(l.resolver) })
	return l.loaders
}

func loadersFrom(ctx context.Context) *Loaders {
	if l, ok := ctx.Value(loadersKey{}).(*requestLoaders); ok {
		return l.get()
	}
	// A WebSocket's: replaced before each event (socket.loaders).
	return ctx.Value(loadersKey{}).(*atomic.Pointer[Loaders]).Load()
}
