package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vikstrous/dataloadgen"

	"agentdesk/auth"
	"agentdesk/models"
)

// selectionPath is a path of fields down a selection, from a field of
// type On: the prefetches ask whether the current field's selection
// reaches it. Every path is declared here, once, and
// TestSelectionPathsExistInTheSchema walks each through the schema, so a
// typo or a renamed field fails a test instead of silently prefetching
// nothing.
type selectionPath struct {
	On     string
	Fields []string
}

func path(on string, fields ...string) selectionPath { return selectionPath{On: on, Fields: fields} }

// The selections the prefetches look for.
var (
	agentRoles       = path("Agent", "roles")
	agentPermissions = path("Agent", "permissions")
	// viewerCan reads the agent's roles (the Owner checks).
	agentViewerCan = path("Agent", "viewerCan")

	agentPageAssigned    = path("AgentConnection", "edges", "node", "assignedConversations")
	agentPageRoles       = path("AgentConnection", "edges", "node", "roles")
	agentPagePermissions = path("AgentConnection", "edges", "node", "permissions")
	agentPageViewerCan   = path("AgentConnection", "edges", "node", "viewerCan")
	agentPageInviter     = path("AgentConnection", "edges", "node", "invitation", "invitedBy")
	agentPageRemover     = path("AgentConnection", "edges", "node", "removedBy")

	conversationPageMessages = path("ConversationConnection", "edges", "node", "messages")
	conversationPageAssignee = path("ConversationConnection", "edges", "node", "assignee")
	conversationPageCaution  = path("ConversationConnection", "edges", "node", "caution")
	conversationPageContact  = path("ConversationConnection", "edges", "node", "contact")

	auditPageActor       = path("AuditEventConnection", "edges", "node", "actor")
	auditPageTargetAgent = path("AuditEventConnection", "edges", "node", "targetAgent")
	auditPageTargetRole  = path("AuditEventConnection", "edges", "node", "targetRole")

	messagePageAuthor = path("MessageConnection", "edges", "node", "author")
)

// selectionPaths lists the paths above for the schema test.
var selectionPaths = []selectionPath{agentRoles, agentPermissions, agentViewerCan,
	agentPageAssigned, agentPageRoles, agentPagePermissions, agentPageViewerCan, agentPageInviter, agentPageRemover,
	conversationPageMessages, conversationPageAssignee, conversationPageCaution, conversationPageContact,
	auditPageActor, auditPageTargetAgent, auditPageTargetRole, messagePageAuthor}

// selects reports whether the current field's selection reaches p, e.g.
// selects(ctx, agentPageRoles) inside the agents resolver.
func selects(ctx context.Context, p selectionPath) bool {
	if !graphql.HasOperationContext(ctx) || graphql.GetFieldContext(ctx) == nil {
		return false
	}
	return selectsIn(graphql.GetOperationContext(ctx), graphql.GetFieldContext(ctx).Field.Selections, p.Fields)
}

func selectsIn(op *graphql.OperationContext, set ast.SelectionSet, fields []string) bool {
	for _, f := range graphql.CollectFields(op, set, nil) {
		if f.Name != fields[0] {
			continue
		}
		if len(fields) == 1 || selectsIn(op, f.Selections, fields[1:]) {
			return true
		}
	}
	return false
}

// prefetchAgent primes the loaders with the roles of a single agent (the
// viewer, agent(id)) when the selection asks for them, so the batch
// resolvers find them without waiting for a loader batch.
func (r *Resolver) prefetchAgent(ctx context.Context, a *models.Agent) error {
	if a == nil || !(selects(ctx, agentRoles) || selects(ctx, agentPermissions) || selects(ctx, agentViewerCan)) {
		return nil
	}
	// The viewer's roles were read when its session was checked.
	if v, err := viewer(ctx); err == nil && v.AgentID == a.ID {
		loadersFrom(ctx).RolesByAgent.Prime(a.ID, v.Roles)
		return nil
	}
	roles, err := r.Team.RolesByAgent(ctx, auth.DetailsViewer(ctx), []int64{a.ID})
	if err != nil {
		return err
	}
	loadersFrom(ctx).RolesByAgent.Prime(a.ID, roles[a.ID])
	return nil
}

// prefetchAgentPage loads, in one statement each, what the selection asks of
// every agent on a page (roles and permissions; inviters and removers) and
// primes the request's loaders with it. The per-agent resolvers then find
// everything cached, so a page costs the same number of statements for any
// size, independent of how the field resolvers happen to be scheduled.
func (r *Resolver) prefetchAgentPage(ctx context.Context, workspaceID int64, agents []*models.Agent) error {
	if len(agents) == 0 {
		return nil
	}
	l := loadersFrom(ctx)
	if selects(ctx, agentPageAssigned) {
		l.assigned.addLevel(agents)
	}
	ids := make([]int64, len(agents))
	for i, a := range agents {
		ids[i] = a.ID
	}
	if selects(ctx, agentPageRoles) || selects(ctx, agentPagePermissions) || selects(ctx, agentPageViewerCan) {
		roles, err := r.Team.RolesByAgent(ctx, auth.DetailsViewer(ctx), ids)
		if err != nil {
			return err
		}
		for id, rs := range roles {
			l.RolesByAgent.Prime(id, rs)
		}
	}
	var refs []int64
	wantInviter := selects(ctx, agentPageInviter)
	wantRemover := selects(ctx, agentPageRemover)
	for _, a := range agents {
		if wantInviter && a.Status == models.AgentPending && a.InvitedByID != nil {
			refs = append(refs, *a.InvitedByID)
		}
		if wantRemover && a.RemovedByID != nil {
			refs = append(refs, *a.RemovedByID)
		}
	}
	return r.primeAgents(ctx, refs)
}

// prefetchConversationPage primes the loaders with the assignees (for
// assignee and caution) and contacts of a page of conversations, one
// statement each, when the selection asks for them, and records the page as
// a level for their messages. convs are the edges' nodes (a whole level of
// nested pages, or one list).
func (r *Resolver) prefetchConversationPage(ctx context.Context, workspaceID int64, convs []models.Conversation) error {
	if len(convs) == 0 {
		return nil
	}
	if selects(ctx, conversationPageMessages) {
		level := make([]*models.Conversation, len(convs))
		for i := range convs {
			level[i] = &convs[i]
		}
		loadersFrom(ctx).messages.addLevel(level)
	}
	if selects(ctx, conversationPageAssignee) || selects(ctx, conversationPageCaution) {
		var ids []int64
		for _, c := range convs {
			if c.AssigneeID != nil {
				ids = append(ids, *c.AssigneeID)
			}
		}
		if err := r.primeAgents(ctx, ids); err != nil {
			return err
		}
	}
	if selects(ctx, conversationPageContact) {
		ids := make([]int64, len(convs))
		for i, c := range convs {
			ids[i] = c.ContactID
		}
		return primeByID(ctx, loadersFrom(ctx).ContactByID, ids, func(ctx context.Context, ids []int64) (map[int64]*models.Contact, error) {
			return r.ConversationRules.ContactsByID(ctx, workspaceID, ids)
		})
	}
	return nil
}

// prefetchAuditPage primes the loaders with the actors, target agents and
// target roles of a page of audit events, when the selection asks for them.
func (r *Resolver) prefetchAuditPage(ctx context.Context, workspaceID int64, events []models.AuditEvent) error {
	var agents, roles []int64
	wantActor := selects(ctx, auditPageActor)
	wantTarget := selects(ctx, auditPageTargetAgent)
	wantRole := selects(ctx, auditPageTargetRole)
	for _, e := range events {
		if wantActor && e.ActorID != nil {
			agents = append(agents, *e.ActorID)
		}
		if wantTarget && e.TargetAgentID != nil {
			agents = append(agents, *e.TargetAgentID)
		}
		if wantRole && e.TargetRoleID != nil {
			roles = append(roles, *e.TargetRoleID)
		}
	}
	if err := r.primeAgents(ctx, agents); err != nil {
		return err
	}
	return primeByID(ctx, loadersFrom(ctx).RoleByID, roles, func(ctx context.Context, ids []int64) (map[int64]*models.Role, error) {
		return r.Team.RolesByID(ctx, workspaceID, ids)
	})
}

// prefetchMessagePage primes the loader with the agent authors of a page of
// messages, when the selection asks for them.
func (r *Resolver) prefetchMessagePage(ctx context.Context, workspaceID int64, msgs []models.Message) error {
	if !selects(ctx, messagePageAuthor) {
		return nil
	}
	var ids []int64
	for _, m := range msgs {
		if m.AuthorAgentID != nil {
			ids = append(ids, *m.AuthorAgentID)
		}
	}
	return r.primeAgents(ctx, ids)
}

// primeAgents reads the agents behind ids (references from a page) in one
// statement and primes the request's agent loader with them.
func (r *Resolver) primeAgents(ctx context.Context, ids []int64) error {
	return primeByID(ctx, loadersFrom(ctx).AgentByID, ids, r.agentsByID)
}

// primeByID reads the rows behind ids in one statement and primes the loader
// with them. Fields of objects reached through a connection's edges are not
// batched by gqlgen (the batch is the list of edges), and they run one after
// the other, so without priming each would wait for the loader and read its
// own row. Ids that name no row are primed as nil (a vanished reference),
// so nobody looks them up again.
func primeByID[V any](ctx context.Context, l *dataloadgen.Loader[int64, *V], ids []int64, load func(context.Context, []int64) (map[int64]*V, error)) error {
	if len(ids) == 0 {
		return nil
	}
	found, err := load(ctx, ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		l.Prime(id, found[id])
	}
	return nil
}
