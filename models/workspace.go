package models

import "time"

// Workspace is one customer-support team: the unit of isolation. Nothing of one
// workspace is ever visible from another.
type Workspace struct {
	ID   int64
	Name string
	// SeatLimit caps PENDING + ACTIVE agents; nil means unlimited.
	SeatLimit *int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CreateWorkspaceInput is public sign-up.
type CreateWorkspaceInput struct {
	WorkspaceName, OwnerName, OwnerEmail, Password string
	// Client identifies who signs up, for SIGNUP_PER_IP_HOURLY: the
	// client's IP (IPv6: its /64). Empty for callers that are not a network
	// client (demo, seed), which are not limited.
	Client string
}

// UpdateWorkspaceInput changes the workspace's settings; nil leaves a value.
type UpdateWorkspaceInput struct {
	Name *string
	// SeatLimit: 0 means unlimited.
	SeatLimit *int
}
