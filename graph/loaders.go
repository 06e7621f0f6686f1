package graph

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/vikstrous/dataloadgen"

	"agentdesk/auth"
	"agentdesk/graph/model"
	"agentdesk/models"
	"agentdesk/team"
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
func NewLoaders(svc *team.Service) *Loaders {
	return &Loaders{
		RolesByAgent: dataloadgen.NewMappedLoader(svc.RolesByAgent, dataloadgen.WithWait(loaderWait)),
		AgentByID: dataloadgen.NewMappedLoader(func(ctx context.Context, ids []int64) (map[int64]*models.Agent, error) {
			v, err := auth.ViewerFrom(ctx)
			if err != nil {
				return nil, err
			}
			return svc.AgentsByID(ctx, v.WorkspaceID, ids)
		}, dataloadgen.WithWait(loaderWait)),
		AgentCountByRole: dataloadgen.NewMappedLoader(svc.AgentCountByRole, dataloadgen.WithWait(loaderWait)),
		ContactByID: dataloadgen.NewMappedLoader(func(ctx context.Context, ids []int64) (map[int64]*models.Contact, error) {
			v, err := auth.ViewerFrom(ctx)
			if err != nil {
				return nil, err
			}
			return svc.ContactsByID(ctx, v.WorkspaceID, ids)
		}, dataloadgen.WithWait(loaderWait)),
		RoleByID: dataloadgen.NewMappedLoader(func(ctx context.Context, ids []int64) (map[int64]*models.Role, error) {
			v, err := auth.ViewerFrom(ctx)
			if err != nil {
				return nil, err
			}
			return svc.RolesByID(ctx, v.WorkspaceID, ids)
		}, dataloadgen.WithWait(loaderWait)),
	}
}

type loadersKey struct{}

// loadersMiddleware gives every request its own loaders, so nothing loaded
// for one request is served to another.
func loadersMiddleware(svc *team.Service, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), loadersKey{}, NewLoaders(svc))))
	})
}

func loadersFrom(ctx context.Context) *Loaders {
	if l, ok := ctx.Value(loadersKey{}).(*Loaders); ok {
		return l
	}
	// A WebSocket's: replaced before each event (socket.loaders).
	return ctx.Value(loadersKey{}).(*atomic.Pointer[Loaders]).Load()
}
