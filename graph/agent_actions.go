package graph

import (
	"context"
	"slices"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"agentdesk/apperr"
	"agentdesk/auth"
	"agentdesk/graph/model"
	"agentdesk/models"
)

// requestFacts holds the workspace counts the permission hints of one
// request need (models.WorkspaceFacts), made on first use: every agent's
// viewerCan in the response shares them, so a page of fifty costs the
// counts once.
type requestFacts struct {
	once  sync.Once
	facts models.WorkspaceFacts
}

// workspaceFacts returns the request's shared facts for a query. In a
// mutation each call reads its own: a request's mutations run one after
// the other, and counts read after the first would be stale for the next.
func (r *Resolver) workspaceFacts(ctx context.Context, v *auth.Viewer) models.WorkspaceFacts {
	if graphql.HasOperationContext(ctx) && graphql.GetOperationContext(ctx).Operation.Operation == ast.Mutation {
		return r.Team.NewWorkspaceFacts(ctx, v)
	}
	f := &loadersFrom(ctx).facts
	f.once.Do(func() { f.facts = r.Team.NewWorkspaceFacts(ctx, v) })
	return f.facts
}

// agentActions answers viewerCan for a batch of agents: their roles come
// through the request's loader (primed for a whole page by
// prefetchAgentPage), the workspace counts from workspaceFacts.
func (r *Resolver) agentActions(ctx context.Context, agents []*models.Agent) ([]*model.AgentActions, error) {
	v, err := viewer(ctx)
	if e, ok := apperr.As(err); ok && e.Code == apperr.Unauthenticated {
		// The agent of a sign-in response (login, activateAccount,
		// createWorkspace): the request acts as nobody yet, so it may do
		// nothing; an error here would null the whole sign-in.
		refused := models.RefusedAgentActions(e)
		out := make([]*model.AgentActions, len(agents))
		for i := range out {
			out[i] = agentActionsModel(&refused)
		}
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	// Roles only of the agents whose details the viewer sees: the others'
	// hints are refused without them (the team rules' AgentActions).
	shown := agents
	if slices.ContainsFunc(agents, func(a *models.Agent) bool { return !v.SeesAgentDetails(a.ID) }) {
		shown = slices.DeleteFunc(slices.Clone(agents), func(a *models.Agent) bool { return !v.SeesAgentDetails(a.ID) })
	}
	byAgent := make(map[int64][]models.Role, len(shown))
	if len(shown) > 0 {
		roles, err := rolesOfAgents(ctx, shown)
		if err != nil {
			return nil, err
		}
		for i, a := range shown {
			byAgent[a.ID] = roles[i]
		}
	}
	actions, err := r.Team.AgentActions(v, agents, byAgent, r.workspaceFacts(ctx, v))
	if err != nil {
		return nil, err
	}
	out := make([]*model.AgentActions, len(actions))
	for i := range actions {
		out[i] = agentActionsModel(&actions[i])
	}
	return out, nil
}

func agentActionsModel(a *models.AgentActions) *model.AgentActions {
	blocked := make([]*model.BlockedAgentAction, len(a.Blocked))
	for i, b := range a.Blocked {
		blocked[i] = &model.BlockedAgentAction{Action: b.Action, Code: string(b.Code), Message: b.Message}
	}
	return &model.AgentActions{ResendActivationLink: a.ResendActivationLink, Remove: a.Remove,
		UpdateRoles: a.UpdateRoles, Reinvite: a.Reinvite, Blocked: blocked}
}

// inviteAgentsPayload turns a bulk invitation's outcome into its payload.
// A failure that is no rule's answer (a failed statement) is reported as
// INTERNAL, its text going to the log through the request's errors, like
// any other internal error.
func inviteAgentsPayload(ctx context.Context, invited []*models.Agent, failures []models.InviteFailure) *model.InviteAgentsPayload {
	out := &model.InviteAgentsPayload{Invited: invited, Failures: make([]*model.InviteFailure, len(failures))}
	for i, f := range failures {
		if e, ok := apperr.As(f.Err); ok {
			out.Failures[i] = &model.InviteFailure{Email: f.Email, Code: string(e.Code), Message: e.Message}
			continue
		}
		graphql.AddError(ctx, f.Err)
		out.Failures[i] = &model.InviteFailure{Email: f.Email, Code: string(apperr.Internal),
			Message: "This address could not be invited because of an error on our side; try it again."}
	}
	return out
}

func agentCountsModel(c models.AgentCounts) *model.AgentCounts {
	return &model.AgentCounts{Pending: c.Pending, Active: c.Active, Removed: c.Removed}
}
