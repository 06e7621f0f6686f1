package models

import "time"

// Names of the four built-in roles every workspace starts with.
const (
	RoleOwner         = "Owner"
	RoleAdministrator = "Administrator"
	RoleSupervisor    = "Supervisor"
	RoleAgent         = "Agent"
)

// Role is a named set of permissions. System roles are the built-in four and
// cannot be edited or deleted.
type Role struct {
	ID          int64
	WorkspaceID int64
	Name        string
	Description *string
	Permissions Permissions `gorm:"type:text"`
	System      bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// IsOwner reports whether r is the built-in Owner role, the only one whose
// holders are protected and the only one that grants WORKSPACE_MANAGE.
func (r *Role) IsOwner() bool { return r.System && r.Name == RoleOwner }

// BuiltinRoles returns the four built-in roles of a new workspace
// (BEHAVIOUR.md §3).
func BuiltinRoles(workspaceID int64) []Role {
	all := NewPermissions(AllPermissions...)
	var admin Permissions
	for _, p := range all {
		if p != PermWorkspaceManage {
			admin = append(admin, p)
		}
	}
	desc := func(s string) *string { return &s }
	return []Role{
		{WorkspaceID: workspaceID, Name: RoleOwner, System: true, Permissions: all,
			Description: desc("Full access, including the workspace's own settings.")},
		{WorkspaceID: workspaceID, Name: RoleAdministrator, System: true, Permissions: admin,
			Description: desc("Everything except the workspace's own settings.")},
		{WorkspaceID: workspaceID, Name: RoleSupervisor, System: true, Permissions: NewPermissions(
			PermAgentsRead, PermConversationsReadAll, PermConversationsReply, PermConversationsAssign, PermTicketsManage),
			Description: desc("Sees the team and every conversation; assigns work.")},
		{WorkspaceID: workspaceID, Name: RoleAgent, System: true, Permissions: NewPermissions(PermConversationsReply),
			Description: desc("Handles the conversations assigned to them.")},
	}
}

// RoleColumns are the columns of Role in the order of ScanTargets (see
// AgentColumns).
const RoleColumns = "roles.id, roles.workspace_id, roles.name, roles.description, roles.permissions, " +
	"roles.system, roles.created_at, roles.updated_at"

// ScanTargets returns pointers to r's fields in the order of RoleColumns.
func (r *Role) ScanTargets() []any {
	return []any{&r.ID, &r.WorkspaceID, &r.Name, &r.Description, &r.Permissions, &r.System, &r.CreatedAt, &r.UpdatedAt}
}
