package models

import (
	"database/sql/driver"
	"fmt"
	"slices"
	"strings"
)

// Permission is one capability a role grants. The values are the GraphQL enum's
// names, so they are stored and exposed as they are.
type Permission string

const (
	PermAgentsRead           Permission = "AGENTS_READ"
	PermAgentsInvite         Permission = "AGENTS_INVITE"
	PermAgentsRemove         Permission = "AGENTS_REMOVE"
	PermAgentsUpdateRoles    Permission = "AGENTS_UPDATE_ROLES"
	PermRolesManage          Permission = "ROLES_MANAGE"
	PermConversationsReadAll Permission = "CONVERSATIONS_READ_ALL"
	PermConversationsReply   Permission = "CONVERSATIONS_REPLY"
	PermConversationsAssign  Permission = "CONVERSATIONS_ASSIGN"
	PermTicketsManage        Permission = "TICKETS_MANAGE"
	PermAIAgentManage        Permission = "AI_AGENT_MANAGE"
	PermAuditRead            Permission = "AUDIT_READ"
	PermWorkspaceManage      Permission = "WORKSPACE_MANAGE"
)

// AllPermissions lists every permission in the contract's order; it is the
// canonical order in which permission lists are returned.
var AllPermissions = []Permission{
	PermAgentsRead, PermAgentsInvite, PermAgentsRemove, PermAgentsUpdateRoles,
	PermRolesManage, PermConversationsReadAll, PermConversationsReply,
	PermConversationsAssign, PermTicketsManage, PermAIAgentManage, PermAuditRead,
	PermWorkspaceManage,
}

// Valid reports whether p is a known permission.
func (p Permission) Valid() bool { return slices.Contains(AllPermissions, p) }

// Permissions is a set of permissions kept in canonical order. It is stored as
// one comma-separated column so a role is a single row on both dialects.
type Permissions []Permission

// NewPermissions returns the canonical (ordered, de-duplicated) form of ps.
func NewPermissions(ps ...Permission) Permissions {
	out := make(Permissions, 0, len(ps))
	for _, p := range AllPermissions {
		if slices.Contains(ps, p) {
			out = append(out, p)
		}
	}
	return out
}

// Has reports whether every one of want is in ps.
func (ps Permissions) Has(want ...Permission) bool {
	for _, w := range want {
		if !slices.Contains(ps, w) {
			return false
		}
	}
	return true
}

// Union returns the canonical union of ps and others.
func (ps Permissions) Union(others ...Permissions) Permissions {
	all := slices.Clone([]Permission(ps))
	for _, o := range others {
		all = append(all, o...)
	}
	return NewPermissions(all...)
}

// Missing returns the permissions of want that ps lacks.
func (ps Permissions) Missing(want Permissions) Permissions {
	var out Permissions
	for _, w := range want {
		if !slices.Contains(ps, w) {
			out = append(out, w)
		}
	}
	return out
}

// Value implements driver.Valuer.
func (ps Permissions) Value() (driver.Value, error) {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = string(p)
	}
	return strings.Join(parts, ","), nil
}

// Scan implements sql.Scanner.
func (ps *Permissions) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	case nil:
		*ps = Permissions{}
		return nil
	default:
		return fmt.Errorf("permissions: cannot scan %T", src)
	}
	var out []Permission
	for part := range strings.SplitSeq(s, ",") {
		if part != "" {
			out = append(out, Permission(part))
		}
	}
	*ps = NewPermissions(out...)
	return nil
}
