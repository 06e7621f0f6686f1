package graph

import (
	"context"
	"errors"
	"slices"

	"github.com/99designs/gqlgen/graphql"
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

// Errors of batch resolvers are per item where they can be: a resolver
// answers all its values together with a graphql.BatchErrorList (one error
// or nil per object), and gqlgen puts each error on its own object's path,
// so one failing object does not fail its siblings. A plain error still
// fails every object (a statement for all of them failed).

// partial reports whether err leaves the values returned with it usable:
// nil, or per-item errors. The helpers here return a BatchErrorList as it is,
// never wrapped, so a type assertion finds it (errors.As would cost an
// allocation per field of every object on a page).
func partial(err error) bool {
	_, items := err.(graphql.BatchErrorList)
	return err == nil || items
}

// loadAll loads keys through l. A key whose load failed gets its error
// alone; skip names errors that are no failure (a vanished reference is a
// nil value, not an error).
func loadAll[K comparable, V any](ctx context.Context, l *dataloadgen.Loader[K, V], keys []K, skip func(error) bool) ([]V, error) {
	values, err := l.LoadAll(ctx, keys)
	if err == nil {
		return values, nil
	}
	var keyErrs dataloadgen.ErrorSlice
	if !errors.As(err, &keyErrs) || len(keyErrs) != len(keys) {
		return nil, err
	}
	var errs graphql.BatchErrorList
	for i, e := range keyErrs {
		if e == nil || (skip != nil && skip(e)) {
			continue
		}
		if errs == nil {
			errs = make(graphql.BatchErrorList, len(keys))
		}
		errs[i] = e
	}
	if errs == nil {
		return values, nil
	}
	return values, errs
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
	values, err := loadAll(ctx, l, keys, func(e error) bool { return errors.Is(e, dataloadgen.ErrNotFound) })
	if !partial(err) {
		return nil, err
	}
	keyErrs, _ := err.(graphql.BatchErrorList)
	var errs graphql.BatchErrorList
	k := 0
	for i, r := range refs {
		if r == nil {
			continue
		}
		if keyErrs != nil && keyErrs[k] != nil {
			if errs == nil {
				errs = make(graphql.BatchErrorList, len(refs))
			}
			errs[i] = keyErrs[k]
		} else {
			out[i] = values[k]
		}
		k++
	}
	if errs == nil {
		return out, nil
	}
	return out, errs
}

// agentRefs loads the agents that ref points at from each object.
func agentRefs[T any](ctx context.Context, objs []*T, ref func(*T) *int64) ([]*models.Agent, error) {
	return loadRefs(ctx, loadersFrom(ctx).AgentByID, each(objs, ref))
}

// rolesOfAgents loads the roles of each agent in one batch.
func rolesOfAgents(ctx context.Context, agents []*models.Agent) ([][]models.Role, error) {
	return loadAll(ctx, loadersFrom(ctx).RolesByAgent, each(agents, func(a *models.Agent) int64 { return a.ID }), nil)
}

func agentName(a *models.Agent) *string {
	if a.Name == "" {
		return nil
	}
	return &a.Name
}

// withDetails answers an Agent field that only viewers allowed to see the
// agent's details get (auth.SeesAgentDetails): f runs on those agents alone,
// and every other agent gets hidden. Agents reached through conversations,
// messages and audit events are hidden this way without a statement of
// their own: the decision needs only the request's viewer. The rules hide
// the same details again themselves (team.RolesByAgent, team.InvitationOf,
// team.AgentsByID, conversations.AssignedConversationPages), the second line.
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
	var shownErrs graphql.BatchErrorList
	if len(shown) > 0 {
		var err error
		if res, err = f(shown); !partial(err) {
			return nil, err
		}
		shownErrs, _ = err.(graphql.BatchErrorList)
	}
	// Per-item errors of the shown agents move to their places among objs.
	out := make([]R, len(objs))
	var errs graphql.BatchErrorList
	k := 0
	for i := range objs {
		if !sees[i] {
			out[i] = hidden
			continue
		}
		out[i] = res[k]
		if shownErrs != nil && shownErrs[k] != nil {
			if errs == nil {
				errs = make(graphql.BatchErrorList, len(objs))
			}
			errs[i] = shownErrs[k]
		}
		k++
	}
	if errs == nil {
		return out, nil
	}
	return out, errs
}

// detail returns v when the viewer may see the agent's details, else nil.
func detail[V any](ctx context.Context, a *models.Agent, v *V) *V {
	if !auth.SeesAgentDetails(ctx, a.ID) {
		return nil
	}
	return v
}
