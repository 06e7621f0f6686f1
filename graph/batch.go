package graph

import (
	"context"
	"errors"
	"slices"

	"github.com/vikstrous/dataloadgen"

	"agentdesk/auth"
	"agentdesk/models"
)

// Field resolvers of list items are batch resolvers (gqlgen.yml
// resolver.batch): one call per field for all sibling objects, instead of a
// goroutine per object and field. The helpers below turn per-object logic
// into such calls; related rows come through the request's loaders, which the
// list resolvers have usually primed already.

// each maps f over the objects.
func each[T, R any](objs []*T, f func(*T) R) []R {
	out := make([]R, len(objs))
	for i, o := range objs {
		out[i] = f(o)
	}
	return out
}

// eachErr maps f over the objects, stopping at the first error.
func eachErr[T, R any](objs []*T, f func(*T) (R, error)) ([]R, error) {
	out := make([]R, len(objs))
	for i, o := range objs {
		var err error
		if out[i], err = f(o); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// loadRefs resolves optional references (inviter, remover, assignee, author,
// actor, contact) through a loader in one batch; nil and vanished references
// resolve to nil.
func loadRefs[V any](ctx context.Context, l *dataloadgen.Loader[int64, *V], refs []*int64) ([]*V, error) {
	var keys []int64
	for _, r := range refs {
		if r != nil {
			keys = append(keys, *r)
		}
	}
	out := make([]*V, len(refs))
	if len(keys) == 0 {
		return out, nil
	}
	values, err := l.LoadAll(ctx, keys)
	if err != nil {
		var errs dataloadgen.ErrorSlice
		if !errors.As(err, &errs) {
			return nil, err
		}
		for _, e := range errs {
			if e != nil && !errors.Is(e, dataloadgen.ErrNotFound) {
				return nil, e
			}
		}
	}
	k := 0
	for i, r := range refs {
		if r != nil {
			out[i] = values[k]
			k++
		}
	}
	return out, nil
}

// agentRefs loads the agents that ref points at from each object.
func agentRefs[T any](ctx context.Context, objs []*T, ref func(*T) *int64) ([]*models.Agent, error) {
	return loadRefs(ctx, loadersFrom(ctx).AgentByID, each(objs, ref))
}

// rolesOfAgents loads the roles of each agent in one batch.
func rolesOfAgents(ctx context.Context, agents []*models.Agent) ([][]models.Role, error) {
	return loadersFrom(ctx).RolesByAgent.LoadAll(ctx, each(agents, func(a *models.Agent) int64 { return a.ID }))
}

func agentName(a *models.Agent) *string {
	if a.Name == "" {
		return nil
	}
	return &a.Name
}

func permissionsOf(roles []models.Role) []models.Permission {
	var perms models.Permissions
	for _, role := range roles {
		perms = perms.Union(role.Permissions)
	}
	return perms
}

// withDetails answers an Agent field that only viewers allowed to see the
// agent's details get (auth.SeesAgentDetails): f runs on those agents alone,
// and every other agent gets hidden. Agents reached through conversations,
// messages and audit events are hidden this way without a statement of
// their own: the decision needs only the request's viewer.
func withDetails[R any](ctx context.Context, objs []*models.Agent, hidden R, f func([]*models.Agent) ([]R, error)) ([]R, error) {
	// The common case (the Agents page, any viewer with AGENTS_READ) costs
	// no allocation.
	if !slices.ContainsFunc(objs, func(a *models.Agent) bool { return !auth.SeesAgentDetails(ctx, a.ID) }) {
		return f(objs)
	}
	sees := make([]bool, len(objs))
	shown := make([]*models.Agent, 0, len(objs))
	for i, a := range objs {
		if sees[i] = auth.SeesAgentDetails(ctx, a.ID); sees[i] {
			shown = append(shown, a)
		}
	}
	var res []R
	if len(shown) > 0 {
		var err error
		if res, err = f(shown); err != nil {
			return nil, err
		}
	}
	out := make([]R, len(objs))
	k := 0
	for i := range objs {
		if sees[i] {
			out[i] = res[k]
			k++
		} else {
			out[i] = hidden
		}
	}
	return out, nil
}

// detail returns v when the viewer may see the agent's details, else nil.
func detail[V any](ctx context.Context, a *models.Agent, v *V) *V {
	if !auth.SeesAgentDetails(ctx, a.ID) {
		return nil
	}
	return v
}
