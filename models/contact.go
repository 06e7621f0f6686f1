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
