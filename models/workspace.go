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
