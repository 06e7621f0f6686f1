package db

import (
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"agentdesk/apperr"
	"agentdesk/paging"
)

// Keyset-paged lists, built with GORM by the rules packages (team,
// conversations) and read without GORM's reflection.
//
// The lists behind the Agents page and the conversation list, and the batch
// reads that fill them in, run on every page view. They are built with GORM
// but scanned here, straight into the fields (models' ScanTargets), instead
// of through GORM's reflection-based scanner: that scanner was the largest
// single cost of a page under load (docs/PERFORMANCE.md). Each query selects
// exactly the columns its scan reads.
//
// Nested lists (an agent's assigned conversations, a conversation's
// messages) are asked for every parent of a page at once. PagePerParent
// answers all parents in one statement, with the page each parent would get
// on its own: the single-parent query's filter, keyset and order, numbered
// per parent with ROW_NUMBER() OVER (PARTITION BY parent ...) and cut at
// First+1 rows per parent (as entgql's LimitPerRow does). SQLite (3.25 and
// later) and PostgreSQL both have window functions.

// Keyset applies "after cursor" and the order to q. expr is the sort
// expression; the cursor's key is passed through toArg for binding.
func Keyset(q *gorm.DB, expr, idCol string, desc bool, p paging.Page, toArg func(string) (any, error)) (*gorm.DB, error) {
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

// StringKey and TimeKey bind a cursor's key for Keyset: a text key as it is,
// a time key parsed.
func StringKey(s string) (any, error) { return s, nil }

func TimeKey(s string) (any, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	return t.UTC(), err
}

// PagePerParent turns q, a list filtered for all parents, into the page of
// each parent: Keyset applies the cursor and the order exactly as for a
// single list, and the order then moves into the window, where it ranks the
// rows of each parent. table names the subquery as the table, so columns
// (qualified with it) select the same columns from either.
func PagePerParent(q *gorm.DB, table, columns, parent, expr, idCol string, desc bool, p paging.Page, toArg func(string) (any, error)) (*gorm.DB, error) {
	q, err := Keyset(q, expr, idCol, desc, p, toArg)
	if err != nil {
		return nil, err
	}
	// Keyset ends the query with ORDER BY and LIMIT for one list; here the
	// ORDER BY ranks within the window and the limit applies per parent.
	order, ok := q.Statement.Clauses[clause.OrderBy{}.Name()].Expression.(clause.OrderBy)
	if !ok {
		return nil, fmt.Errorf("Keyset left no ORDER BY")
	}
	cols := make([]string, len(order.Columns))
	for i, c := range order.Columns {
		if !c.Column.Raw || c.Desc {
			return nil, fmt.Errorf("Keyset order %+v is not a raw expression", c)
		}
		cols[i] = c.Column.Name
	}
	delete(q.Statement.Clauses, clause.OrderBy{}.Name())
	delete(q.Statement.Clauses, clause.Limit{}.Name())
	inner := q.Select(columns + ", ROW_NUMBER() OVER (PARTITION BY " + parent + " ORDER BY " + strings.Join(cols, ", ") + ") AS page_row")
	return q.Session(&gorm.Session{NewDB: true}).Table("(?) AS "+table, inner).Select(columns).
		Where(table+".page_row <= ?", p.First+1).Order(parent).Order(table + ".page_row"), nil
}

// SplitPages cuts rows, ordered by parent and then in page order, into the
// page of each parent (every parent present, most with no rows).
func SplitPages[T any](parents []int64, rows []T, parentOf func(*T) int64, first int) map[int64]paging.PageOf[T] {
	out := make(map[int64]paging.PageOf[T], len(parents))
	for _, id := range parents {
		out[id] = paging.PageOf[T]{Rows: []T{}}
	}
	for start := 0; start < len(rows); {
		id := parentOf(&rows[start])
		end := start + 1
		for end < len(rows) && parentOf(&rows[end]) == id {
			end++
		}
		page, hasNext := paging.Trim(rows[start:end:end], first)
		out[id] = paging.PageOf[T]{Rows: page, HasNext: hasNext}
		start = end
	}
	return out
}

// CountPerParent counts the rows of q per parent (every parent present).
func CountPerParent(q *gorm.DB, parent string, ids []int64) (map[int64]int, error) {
	ids = paging.UniqueIDs(ids)
	var rows []struct {
		Parent int64
		N      int
	}
	err := q.Select(parent+" AS parent, COUNT(*) AS n").Where(parent+" IN ?", ids).Group(parent).Find(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make(map[int64]int, len(ids))
	for _, id := range ids {
		out[id] = 0
	}
	for _, r := range rows {
		out[r.Parent] = r.N
	}
	return out, nil
}

// Scannable is a pointer to a model that lists its scan targets.
type Scannable[T any] interface {
	*T
	ScanTargets() []any
}

// ScanAll runs q, which selects the model's columns, and returns one model
// per row; capacity is the number of rows expected.
func ScanAll[T any, P Scannable[T]](q *gorm.DB, capacity int) ([]T, error) {
	out := make([]T, 0, capacity)
	err := ScanRows(q, func(rows RowScanner) error {
		out = append(out, *new(T))
		return rows.Scan(P(&out[len(out)-1]).ScanTargets()...)
	})
	return out, err
}

// ByID loads rows of one workspace by id into a map (missing ids absent).
// Callers pass one id per reference (a page's 50 inviters are often one
// agent), so the ids are deduplicated first.
func ByID[T any, P Scannable[T]](q *gorm.DB, table, columns string, workspaceID int64, ids []int64, id func(*T) int64) (map[int64]*T, error) {
	ids = paging.UniqueIDs(ids)
	q = q.Table(table).Select(columns).Where("workspace_id = ? AND id IN ?", workspaceID, ids)
	rows, err := ScanAll[T, P](q, len(ids))
	if err != nil {
		return nil, err
	}
	out := make(map[int64]*T, len(rows))
	for i := range rows {
		out[id(&rows[i])] = &rows[i]
	}
	return out, nil
}
