package team

import (
	"context"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"

	"agentdesk/apperr"
	"agentdesk/auth"
	"agentdesk/db"
	"agentdesk/models"
)

// MaxPageSize bounds every list (BEHAVIOUR.md §6: first is 1..100).
const MaxPageSize = 100

// Page asks for the first First items after a keyset position.
type Page struct {
	First int
	After *Cursor
}

// Cursor is a keyset position: the sort key of the last item seen and its id
// as tie-breaker. It is stable under inserts, unlike an offset. Its scope
// names the list it was taken from (see CursorScope).
type Cursor struct {
	Key string `json:"k"`
	ID  int64  `json:"i"`
	CursorScope
}

// MaxListInput bounds every list a client passes (role ids, statuses,
// channels): each entry becomes a bound parameter, and PostgreSQL (65,535)
// and SQLite (32,766) refuse statements with more, which a 1 MB variables
// object could otherwise reach. No real list comes near it.
const MaxListInput = 100

// CheckListLen validates the length of a list input named field.
func CheckListLen(field string, n int) error {
	if n > MaxListInput {
		return apperr.Input(field, "%s may list at most %d entries.", field, MaxListInput)
	}
	return nil
}

// CheckFirst validates a page size.
func CheckFirst(first int) error {
	if first < 1 || first > MaxPageSize {
		return apperr.Input("first", "first must be between 1 and %d.", MaxPageSize)
	}
	return nil
}

// keyset applies "after cursor" and the order to q. expr is the sort
// expression; the cursor's key is passed through toArg for binding.
func keyset(q *gorm.DB, expr, idCol string, desc bool, p Page, toArg func(string) (any, error)) (*gorm.DB, error) {
	cmp, dir := ">", "ASC"
	if desc {
		cmp, dir = "<", "DESC"
	}
	if p.After != nil {
		key, err := toArg(p.After.Key)
		if err != nil {
			return nil, apperr.Input("after", "The cursor is not valid.")
		}
		q = q.Where("("+expr+" "+cmp+" ? OR ("+expr+" = ? AND "+idCol+" "+cmp+" ?))", key, key, p.After.ID)
	}
	// One row beyond the page tells whether there is a next page.
	return q.Order(expr + " " + dir).Order(idCol + " " + dir).Limit(p.First + 1), nil
}

func stringKey(s string) (any, error) { return s, nil }

func timeKey(s string) (any, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	return t.UTC(), err
}

// AgentOrderField is a sort order of the agent list.
type AgentOrderField string

const (
	OrderInvitedAt AgentOrderField = "INVITED_AT"
	OrderName      AgentOrderField = "NAME"
	OrderEmail     AgentOrderField = "EMAIL"
)

// AgentOrder sorts the agent list. The zero value is newest invitations first.
type AgentOrder struct {
	Field AgentOrderField
	Desc  bool
}

// AgentFilter narrows the agent list.
type AgentFilter struct {
	// Statuses defaults to PENDING and ACTIVE (the Agents page).
	Statuses []models.AgentStatus
	// RoleIDs: agents holding at least one of these roles.
	RoleIDs []int64
	// Search: case-insensitive substring of name or email.
	Search string
}

// valid checks the filter's search string (BAD_USER_INPUT on "search").
func (f AgentFilter) valid() (AgentFilter, error) {
	var err error
	f.Search, err = validSearch("search", f.Search)
	return f, err
}

// AgentRow is an agent in a list, with the sort key of its cursor.
type AgentRow struct {
	models.Agent `gorm:"embedded"`
	SortKey      string
}

func (o AgentOrder) normalized() AgentOrder {
	if o.Field == "" {
		return AgentOrder{Field: OrderInvitedAt, Desc: true}
	}
	return o
}

func (o AgentOrder) expr() string {
	switch o.Field {
	case OrderName:
		return "lower(agents.name)"
	case OrderEmail:
		return "lower(agents.email)"
	default:
		return "agents.invited_at"
	}
}

// CursorOf returns the keyset position of a row in this order.
func (o AgentOrder) CursorOf(r *AgentRow) Cursor {
	if o.normalized().Field == OrderInvitedAt {
		return Cursor{Key: r.InvitedAt.UTC().Format(time.RFC3339Nano), ID: r.ID}
	}
	return Cursor{Key: r.SortKey, ID: r.ID}
}

func (s *Service) agentFilterQuery(ctx context.Context, v *auth.Viewer, f AgentFilter) *gorm.DB {
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
func (s *Service) ListAgents(ctx context.Context, v *auth.Viewer, f AgentFilter, o AgentOrder, p Page) ([]AgentRow, bool, error) {
	if err := requirePermission(v, models.PermAgentsRead); err != nil {
		return nil, false, err
	}
	if err := CheckFirst(p.First); err != nil {
		return nil, false, err
	}
	f, err := f.valid()
	if err != nil {
		return nil, false, err
	}
	o = o.normalized()
	if err := AgentScope(f, o).Check(p.After); err != nil {
		return nil, false, err
	}
	toArg := stringKey
	if o.Field == OrderInvitedAt {
		toArg = timeKey
	}
	// The cursor of a text order is the database's own lower-cased key, so
	// it compares exactly as the ORDER BY does; times come from the row.
	sortKey := o.expr()
	if o.Field == OrderInvitedAt {
		sortKey = "''"
	}
	q := s.agentFilterQuery(ctx, v, f).Select(models.AgentColumns + ", " + sortKey + " AS sort_key")
	q, err = keyset(q, o.expr(), "agents.id", o.Desc, p, toArg)
	if err != nil {
		return nil, false, err
	}
	rows := make([]AgentRow, 0, p.First+1)
	err = db.ScanRows(q, func(r db.RowScanner) error {
		rows = append(rows, AgentRow{})
		row := &rows[len(rows)-1]
		return r.Scan(append(row.ScanTargets(), &row.SortKey)...)
	})
	if err != nil {
		return nil, false, err
	}
	return trimPage(rows, p.First)
}

func trimPage[T any](rows []T, first int) ([]T, bool, error) {
	if len(rows) > first {
		return rows[:first], true, nil
	}
	return rows, false, nil
}

// CountAgents counts the agents a filter matches (only when a client asks).
// Needs AGENTS_READ.
func (s *Service) CountAgents(ctx context.Context, v *auth.Viewer, f AgentFilter) (int, error) {
	if err := requirePermission(v, models.PermAgentsRead); err != nil {
		return 0, err
	}
	f, err := f.valid()
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
	return agentInWorkspace(s.DB.WithContext(ctx), v.WorkspaceID, id)
}

// CheckAgentRead is Agent's permission rule: AGENTS_READ, or the viewer
// itself.
func CheckAgentRead(v *auth.Viewer, id int64) error {
	if !v.SeesAgentDetails(id) {
		return requirePermission(v, models.PermAgentsRead)
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
func (s *Service) AuditLog(ctx context.Context, v *auth.Viewer, p Page) ([]models.AuditEvent, bool, error) {
	if err := requirePermission(v, models.PermAuditRead); err != nil {
		return nil, false, err
	}
	if err := CheckFirst(p.First); err != nil {
		return nil, false, err
	}
	if err := AuditScope.Check(p.After); err != nil {
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
	if err := requirePermission(v, models.PermAuditRead); err != nil {
		return 0, err
	}
	var n int64
	err := s.DB.WithContext(ctx).Model(&models.AuditEvent{}).Where("workspace_id = ?", v.WorkspaceID).Count(&n).Error
	return int(n), err
}

// AuditEvent returns an audit event of the viewer's workspace, or NOT_FOUND.
// Needs AUDIT_READ.
func (s *Service) AuditEvent(ctx context.Context, v *auth.Viewer, id int64) (*models.AuditEvent, error) {
	if err := requirePermission(v, models.PermAuditRead); err != nil {
		return nil, err
	}
	var e models.AuditEvent
	err := s.DB.WithContext(ctx).Where("id = ? AND workspace_id = ?", id, v.WorkspaceID).Take(&e).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.New(apperr.NotFound, "No such audit event.")
	}
	return &e, err
}
