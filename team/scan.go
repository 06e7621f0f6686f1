package team

import (
	"gorm.io/gorm"

	"agentdesk/db"
)

// The lists behind the Agents page and the conversation list, and the batch
// reads that fill them in, run on every page view. They are built with GORM
// but scanned here, straight into the fields (models' ScanTargets), instead
// of through GORM's reflection-based scanner: that scanner was the largest
// single cost of a page under load (docs/PERFORMANCE.md). Each query selects
// exactly the columns its scan reads.

// scannable is a pointer to a model that lists its scan targets.
type scannable[T any] interface {
	*T
	ScanTargets() []any
}

// scanAll runs q, which selects the model's columns, and returns one model
// per row; capacity is the number of rows expected.
func scanAll[T any, P scannable[T]](q *gorm.DB, capacity int) ([]T, error) {
	out := make([]T, 0, capacity)
	err := db.ScanRows(q, func(rows db.RowScanner) error {
		out = append(out, *new(T))
		return rows.Scan(P(&out[len(out)-1]).ScanTargets()...)
	})
	return out, err
}
