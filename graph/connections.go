package graph

import (
	"agentdesk/graph/model"
	"agentdesk/paging"
)

// connection is the one builder of Relay connections: an edge per row,
// made by edge from the row and its cursor (the row's keyset position,
// cursorOf, tagged with the scope of its list), and the forward page's
// info: hasPreviousPage is whether it started after a cursor (Relay allows
// that shortcut for forward pagination). Each list puts the edges and info
// into its own GraphQL connection type, with its counter.
func connection[T, E any](p paging.Page, sc paging.CursorScope, rows []T, hasNext bool, cursorOf func(*T) paging.Cursor, edge func(cursor string, row *T) E) ([]E, *model.PageInfo) {
	edges := make([]E, len(rows))
	info := &model.PageInfo{HasNextPage: hasNext, HasPreviousPage: p.After != nil}
	if len(rows) == 0 {
		return edges, info
	}
	// One allocation for both ends, which pageInfo points at.
	ends := new([2]string)
	for i := range rows {
		c := cursorOf(&rows[i])
		c.CursorScope = sc
		cursor := encodeCursor(c)
		edges[i] = edge(cursor, &rows[i])
		if i == 0 {
			ends[0] = cursor
		}
		ends[1] = cursor
	}
	info.StartCursor, info.EndCursor = &ends[0], &ends[1]
	return edges, info
}
