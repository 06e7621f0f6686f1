package graph

import (
	"context"

	"agentdesk/apperr"
	"agentdesk/auth"
	"agentdesk/graph/model"
	"agentdesk/models"
	"agentdesk/paging"
	"agentdesk/validate"
)

// Helpers the resolvers use to translate between GraphQL and the rules.

func viewer(ctx context.Context) (*auth.Viewer, error) { return auth.ViewerFrom(ctx) }

// targetID decodes an ID argument naming an object to act on or read: a
// malformed or foreign ID is an object that does not exist (NOT_FOUND).
func targetID(gid, typ string) (int64, error) {
	id, ok := localID(gid, typ)
	if !ok {
		return 0, apperr.New(apperr.NotFound, "No such %s.", lowerFirst(typ))
	}
	return id, nil
}

// inputIDs decodes a list of IDs given as input (BAD_USER_INPUT on field).
func inputIDs(gids []string, typ, field string) ([]int64, error) {
	if err := validate.CheckListLen(field, len(gids)); err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(gids))
	for _, gid := range gids {
		id, ok := localID(gid, typ)
		if !ok {
			return nil, apperr.Input(field, "%q is not a %s id.", gid, lowerFirst(typ))
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]+'a'-'A') + s[1:]
}

// authPayload answers a sign-in; the rest of the response shows the new
// agent as the viewer would see itself.
func authPayload(ctx context.Context, res *models.AuthResult) *model.AuthPayload {
	auth.SignedInAs(ctx, res.Agent.ID)
	return &model.AuthPayload{Token: res.Token, ExpiresAt: res.ExpiresAt, Agent: res.Agent}
}

func rolePointers(roles []models.Role) []*models.Role {
	out := make([]*models.Role, len(roles))
	for i := range roles {
		out[i] = &roles[i]
	}
	return out
}

func agentFilter(f *model.AgentFilter) (models.AgentFilter, error) {
	var out models.AgentFilter
	if f == nil {
		return out, nil
	}
	if err := validate.CheckListLen("status", len(f.Status)); err != nil {
		return out, err
	}
	out.Statuses = f.Status
	if f.Search != nil {
		out.Search = *f.Search
	}
	ids, err := inputIDs(f.RoleIds, typeRole, "roleIds")
	out.RoleIDs = ids
	return out, err
}

func agentOrder(o *model.AgentOrder) models.AgentOrder {
	if o == nil {
		return models.AgentOrder{}
	}
	return models.AgentOrder{Field: models.AgentOrderField(o.Field), Desc: o.Direction == model.OrderDirectionDesc}
}

// agentConnection is a page of the agent list, cursors in its order.
func agentConnection(p paging.Page, f models.AgentFilter, o models.AgentOrder, rows []models.AgentRow, hasNext bool, count model.Counter) *model.AgentConnection {
	edges, info := connection(p, models.AgentScope(f, o), rows, hasNext, o.CursorOf, func(cursor string, row *models.AgentRow) *model.AgentEdge {
		return &model.AgentEdge{Cursor: cursor, Node: &row.Agent}
	})
	return &model.AgentConnection{Edges: edges, PageInfo: info, Count: count}
}

// auditConnection is a page of the audit log (newest first, by id).
func auditConnection(p paging.Page, events []models.AuditEvent, hasNext bool, count model.Counter) *model.AuditEventConnection {
	edges, info := connection(p, models.AuditScope, events, hasNext, models.AuditCursor, func(cursor string, e *models.AuditEvent) *model.AuditEventEdge {
		return &model.AuditEventEdge{Cursor: cursor, Node: e}
	})
	return &model.AuditEventConnection{Edges: edges, PageInfo: info, Count: count}
}

func countOf(c model.Counter, ctx context.Context) (int, error) {
	if c == nil {
		return 0, nil
	}
	return c(ctx)
}

// node resolves a global ID within the viewer's workspace; anything else,
// including another workspace's objects, is NOT_FOUND. node carries only
// @authenticated: each type's read in the rules (team, conversations)
// checks the permission that type needs.
func (r *Resolver) node(ctx context.Context, gid string) (model.Node, error) {
	v, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	typ, id, ok := parseGlobalID(gid)
	if !ok {
		return nil, apperr.New(apperr.NotFound, "No such object.")
	}
	if typ == typeWorkspace {
		if id != v.WorkspaceID {
			return nil, apperr.New(apperr.NotFound, "No such object.")
		}
		return r.Team.Workspace(ctx, v)
	}
	read := map[string]func(context.Context, *auth.Viewer, int64) (model.Node, error){
		typeAgent:        asNode(r.Team.Agent),
		typeRole:         asNode(r.Team.Role),
		typeAuditEvent:   asNode(r.Team.AuditEvent),
		typeConversation: asNode(r.ConversationRules.Conversation),
		typeContact:      asNode(r.ConversationRules.Contact),
		typeMessage:      asNode(r.ConversationRules.Message),
	}[typ]
	if read == nil {
		return nil, apperr.New(apperr.NotFound, "No such object.")
	}
	return read(ctx, v, id)
}

// asNode answers node with a rule's read of one object of a type.
func asNode[N any](read func(context.Context, *auth.Viewer, int64) (N, error)) func(context.Context, *auth.Viewer, int64) (model.Node, error) {
	return func(ctx context.Context, v *auth.Viewer, id int64) (model.Node, error) { return read(ctx, v, id) }
}
