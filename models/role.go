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
// OwnerRoleSQL says the same in SQL: change both together.
func (r *Role) IsOwner() bool { return r.System && r.Name == RoleOwner }

// OwnerRoleSQL is Role.IsOwner as a condition on the roles table, with its
// arguments, for the one question that must be answered in the database:
// how many ACTIVE agents of a workspace hold the Owner role ("the last Owner
// cannot be removed"). Counting there, inside the transaction that holds the
// workspace lock, reads the rows as of that lock; loading every Owner's roles
// into Go to ask IsOwner would read more and answer the same.
func OwnerRoleSQL() (cond string, args []any) {
	return "roles.system = ? AND roles.name = ?", []any{true, RoleOwner}
}

// Roles is the set of roles an agent holds (or is about to be given): its
// permissions and whether it makes the agent an Owner are asked of it here,
// the one place those words are defined.
type Roles []Role

// Permissions returns the canonical union of the permissions the roles grant;
// an agent's permissions are exactly those of its roles.
func (rs Roles) Permissions() Permissions {
	var all []Permission
	for i := range rs {
		all = append(all, rs[i].Permissions...)
	}
	return NewPermissions(all...)
}

// HasOwner reports whether one of the roles is the built-in Owner role.
func (rs Roles) HasOwner() bool {
	for i := range rs {
		if rs[i].IsOwner() {
			return true
		}
	}
	return false
}

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

// RoleInput describes a custom role; nil fields are left as they are.
type RoleInput struct {
	Name        *string
	Description *string
	Permissions *[]Permission
}
