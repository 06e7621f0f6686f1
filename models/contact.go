package models

import "time"

// Contact is a customer who writes to the workspace.
type Contact struct {
	ID          int64
	WorkspaceID int64
	Name        *string
	Email       *string
	Phone       *string
	CreatedAt   time.Time
}

// ContactColumns are the columns of Contact in the order of ScanTargets (see
// AgentColumns).
const ContactColumns = "contacts.id, contacts.workspace_id, contacts.name, contacts.email, contacts.phone, contacts.created_at"

// ScanTargets returns pointers to c's fields in the order of ContactColumns.
func (c *Contact) ScanTargets() []any {
	return []any{&c.ID, &c.WorkspaceID, &c.Name, &c.Email, &c.Phone, &c.CreatedAt}
}
