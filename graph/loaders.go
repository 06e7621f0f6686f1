package graph

import (
	"context"
	"net/http"
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

// loaderWait is how long a loader collects keys before it queries; resolvers
// of one list run concurrently, so a short wait gathers a whole page.
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

// WithLoaders returns ctx carrying l; tests use it to inject their own.
func WithLoaders(ctx context.Context, l *Loaders) context.Context {
	return context.WithValue(ctx, loadersKey{}, l)
}

func loadersMiddleware(svc *team.Service, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(WithLoaders(r.Context(), NewLoaders(svc))))
	})
}

func loadersFrom(ctx context.Context) *Loaders {
	return ctx.Value(loadersKey{}).(*Loaders)
}
