package team

import (
	"context"
	"errors"
	"strings"

	"gorm.io/gorm"

	"agentdesk/apperr"
	"agentdesk/auth"
	"agentdesk/db"
	"agentdesk/models"
	"agentdesk/paging"
	"agentdesk/validate"
)

// validAgentFilter checks the filter's search string (BAD_USER_INPUT on "search").
func validAgentFilter(f models.AgentFilter) (models.AgentFilter, error) {
	var err error
	f.Search, err = validate.Search("search", f.Search)
	return f, err
}

// agentOrderExpr is the SQL sort expression of an order.
func agentOrderExpr(o models.AgentOrder) string {
	switch o.Field {
	case models.AgentOrderName:
		return "lower(agents.name)"
	case models.AgentOrderEmail:
		return "lower(agents.email)"
	default:
		return "agents.invited_at"
	}
}

func (s *Service) agentFilterQuery(ctx context.Context, v *auth.Viewer, f models.AgentFilter) *gorm.DB {
	statuses := f.Statuses
	if len(statuses) == 0 {
		statuses = models.SeatStatuses
	}
	q := s.DB.WithContext(ctx).Table("agents").Where("agents.workspace_id = ? AND agents.status IN ?", v.WorkspaceID, statuses)
	if len(f.RoleIDs) > 0 {
		q = q.Where("EXISTS (SELECT 1 FROM agent_roles ar WHERE ar.agent_id = agents.id AND ar.role_id IN ?)", f.RoleIDs)
	}
	if search := strings.ToLower(strings.TrimSpace(f.Search)); search != "" {
		like := "%" + escapeLike(search) + "%"
		q = q.Where(`(lower(agents.name) LIKE ? ESCAPE '\' OR lower(agents.email) LIKE ? ESCAPE '\')`, like, like)
	}
	return q
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// ListAgents returns one page of the workspace's agents and whether more
// follow. Needs AGENTS_READ.
func (s *Service) ListAgents(ctx context.Context, v *auth.Viewer, f models.AgentFilter, o models.AgentOrder, p paging.Page) ([]models.AgentRow, bool, error) {
	if err := v.Require(models.PermAgentsRead); err != nil {
		return nil, false, err
	}
	if err := paging.CheckFirst(p.First); err != nil {
		return nil, false, err
	}
	f, err := validAgentFilter(f)
	if err != nil {
		return nil, false, err
	}
	o = o.Normalized()
	if err := models.AgentScope(f, o).Check(p.After); err != nil {
		return nil, false, err
	}
	toArg := db.StringKey
	if o.Field == models.AgentOrderInvitedAt {
		toArg = db.TimeKey
	}
	// The cursor of a text order is the database's own lower-cased key, so
	// it compares exactly as the ORDER BY does; times come from the row.
	sortKey := agentOrderExpr(o)
	if o.Field == models.AgentOrderInvitedAt {
		sortKey = "''"
	}
	q := s.agentFilterQuery(ctx, v, f).Select(models.AgentColumns + ", " + sortKey + " AS sort_key")
	q, err = db.Keyset(q, agentOrderExpr(o), "agents.id", o.Desc, p, toArg)
	if err != nil {
		return nil, false, err
	}
	rows := make([]models.AgentRow, 0, p.First+1)
	err = db.ScanRows(q, func(r db.RowScanner) error {
		rows = append(rows, models.AgentRow{})
		row := &rows[len(rows)-1]
		return r.Scan(append(row.ScanTargets(), &row.SortKey)...)
	})
	if err != nil {
		return nil, false, err
	}
	return trimPage(rows, p.First)
}

// CountAgents counts the agents a filter matches (only when a client asks).
// Needs AGENTS_READ.
func (s *Service) CountAgents(ctx context.Context, v *auth.Viewer, f models.AgentFilter) (int, error) {
	if err := v.Require(models.PermAgentsRead); err != nil {
		return 0, err
	}
	f, err := validAgentFilter(f)
	if err != nil {
		return 0, err
	}
	var n int64
	err = s.agentFilterQuery(ctx, v, f).Count(&n).Error
	return int(n), err
}

// Agent returns an agent of the viewer's workspace, or NOT_FOUND. Needs
// AGENTS_READ, except for the viewer itself: everyone may read themselves.
// (An agent reached through a conversation, a message or an audit event is
// loaded with AgentsByID instead and shows only the fields
// auth.SeesAgentDetails allows.)
func (s *Service) Agent(ctx context.Context, v *auth.Viewer, id int64) (*models.Agent, error) {
	if err := CheckAgentRead(v, id); err != nil {
		return nil, err
	}
	return AgentInWorkspace(s.DB.WithContext(ctx), v.WorkspaceID, id)
}

// CheckAgentRead is Agent's permission rule: AGENTS_READ, or the viewer
// itself.
func (s *Service) CheckAgentRead(v *auth.Viewer, id int64) error { return CheckAgentRead(v, id) }

// CheckAgentRead is Agent's permission rule (see Service.CheckAgentRead).
func CheckAgentRead(v *auth.Viewer, id int64) error {
	if !v.SeesAgentDetails(id) {
		return v.Require(models.PermAgentsRead)
	}
	return nil
}

// Workspace returns the viewer's workspace. Needs a viewer only: every
// agent may read its workspace.
func (s *Service) Workspace(ctx context.Context, v *auth.Viewer) (*models.Workspace, error) {
	var ws models.Workspace
	err := s.DB.WithContext(ctx).Take(&ws, v.WorkspaceID).Error
	return &ws, err
}

// SeatsUsed counts the workspace's PENDING + ACTIVE agents. Needs no
// permission: it is a field of the workspace, which every agent may read.
func (s *Service) SeatsUsed(ctx context.Context, workspaceID int64) (int, error) {
	n, err := s.seatsUsed(s.DB.WithContext(ctx), workspaceID)
	return int(n), err
}

// Roles returns the workspace's roles: the built-in four first, then custom
// roles in the order they were created. Needs a viewer only: every agent
// may read the roles (they name its own permissions).
func (s *Service) Roles(ctx context.Context, v *auth.Viewer) ([]models.Role, error) {
	var roles []models.Role
	err := s.DB.WithContext(ctx).Where("workspace_id = ?", v.WorkspaceID).Order("id").Find(&roles).Error
	return roles, err
}

// Role returns a role of the viewer's workspace, or NOT_FOUND. Needs a
// viewer only, like Roles.
func (s *Service) Role(ctx context.Context, v *auth.Viewer, id int64) (*models.Role, error) {
	var role models.Role
	err := s.DB.WithContext(ctx).Where("id = ? AND workspace_id = ?", id, v.WorkspaceID).Take(&role).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.New(apperr.NotFound, "No such role.")
	}
	return &role, err
}

// AuditLog returns one page of the workspace's audit events, newest first.
// Needs AUDIT_READ.
func (s *Service) AuditLog(ctx context.Context, v *auth.Viewer, p paging.Page) ([]models.AuditEvent, bool, error) {
	if err := v.Require(models.PermAuditRead); err != nil {
		return nil, false, err
	}
	if err := paging.CheckFirst(p.First); err != nil {
		return nil, false, err
	}
	if err := models.AuditScope.Check(p.After); err != nil {
		return nil, false, err
	}
	q := s.DB.WithContext(ctx).Where("workspace_id = ?", v.WorkspaceID)
	if p.After != nil {
		q = q.Where("id < ?", p.After.ID)
	}
	var events []models.AuditEvent
	if err := q.Order("id DESC").Limit(p.First + 1).Find(&events).Error; err != nil {
		return nil, false, err
	}
	return trimPage(events, p.First)
}

// CountAuditEvents counts the workspace's audit events. Needs AUDIT_READ.
func (s *Service) CountAuditEvents(ctx context.Context, v *auth.Viewer) (int, error) {
	if err := v.Require(models.PermAuditRead); err != nil {
		return 0, err
	}
	var n int64
	err := s.DB.WithContext(ctx).Model(&models.AuditEvent{}).Where("workspace_id = ?", v.WorkspaceID).Count(&n).Error
	return int(n), err
}

// AuditEvent returns an audit event of the viewer's workspace, or NOT_FOUND.
// Needs AUDIT_READ.
func (s *Service) AuditEvent(ctx context.Context, v *auth.Viewer, id int64) (*models.AuditEvent, error) {
	if err := v.Require(models.PermAuditRead); err != nil {
		return nil, err
	}
	var e models.AuditEvent
	err := s.DB.WithContext(ctx).Where("id = ? AND workspace_id = ?", id, v.WorkspaceID).Take(&e).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.New(apperr.NotFound, "No such audit event.")
	}
	return &e, err
}

// trimPage cuts a list read one row beyond the page (paging.Trim), in the
// shape the list methods return.
func trimPage[T any](rows []T, first int) ([]T, bool, error) {
	page, hasNext := paging.Trim(rows, first)
	return page, hasNext, nil
}
