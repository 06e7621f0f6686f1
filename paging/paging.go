// Package paging holds the words of forward, keyset-paged lists that the
// rules and the GraphQL layer share: a page request, a cursor and the scope
// of the list a cursor belongs to. It knows neither GraphQL nor SQL.
package paging

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"slices"
	"strconv"
	"strings"

	"agentdesk/apperr"
)

// MaxPageSize bounds every list (BEHAVIOUR.md §6: first is 1..100).
const MaxPageSize = 100

// Page asks for the first First items after a keyset position.
type Page struct {
	First int
	After *Cursor
}

// Cursor is a keyset position: the sort key of the last item seen and its id
// as tie-breaker. It is stable under inserts, unlike an offset. Its scope
// names the list it was taken from (see CursorScope).
type Cursor struct {
	Key string `json:"k"`
	ID  int64  `json:"i"`
	CursorScope
}

// CheckFirst validates a page size.
func CheckFirst(first int) error {
	if first < 1 || first > MaxPageSize {
		return apperr.Input("first", "first must be between 1 and %d.", MaxPageSize)
	}
	return nil
}

// Trim cuts rows read with one row beyond the page (First+1) to the page,
// and reports whether more follow.
func Trim[T any](rows []T, first int) ([]T, bool) {
	if len(rows) > first {
		return rows[:first], true
	}
	return rows, false
}

// PageOf is one parent's page of a nested list.
type PageOf[T any] struct {
	Rows    []T
	HasNext bool
}

// A cursor is a keyset position, and a position means something only in the
// list it was taken from: a name compared with a timestamp, or an ascending
// position read in descending order, pages silently wrong. So every cursor
// carries the scope of its list, and a list refuses a cursor of another one.

// CursorScope names the list a cursor belongs to: Order is the sort order
// ("NAME:ASC"), Filter a short hash of the normalised filter, including the
// parent of a nested list. A list computes its scope once per page.
type CursorScope struct {
	Order  string `json:"o"`
	Filter string `json:"f,omitempty"`
}

// Check refuses a cursor taken from another list: BAD_USER_INPUT on after,
// which is what a client changing its order or filter mid-walk must see
// rather than a page that silently skips or repeats rows.
func (sc CursorScope) Check(after *Cursor) error {
	switch {
	case after == nil:
		return nil
	case after.Order != sc.Order:
		return apperr.Input("after", "The cursor was taken under another order; start again without after.")
	case after.Filter != sc.Filter:
		return apperr.Input("after", "The cursor was taken under another filter; start again without after.")
	}
	return nil
}

// FilterHash is the first 8 bytes of SHA-256 over the list's name and the
// parts of its normalised filter, each prefixed with its length so that no
// two different filters share an encoding; base64url keeps it 11 characters.
func FilterHash(list string, parts ...string) string {
	b := make([]byte, 0, 64)
	b = binary.AppendUvarint(b, uint64(len(list)))
	b = append(b, list...)
	for _, p := range parts {
		b = binary.AppendUvarint(b, uint64(len(p)))
		b = append(b, p...)
	}
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(sum[:8])
}

// SortedSet is a list input as a set: the order a client lists statuses in,
// or a repeated entry, does not change the list it asks for.
func SortedSet[T ~string](vs []T) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = string(v)
	}
	slices.Sort(s)
	return strings.Join(slices.Compact(s), ",")
}

// SortedIDs is a list of ids as a set, written as SortedSet writes strings.
func SortedIDs(ids []int64) string {
	s := slices.Clone(ids)
	slices.Sort(s)
	s = slices.Compact(s)
	b := make([]byte, 0, 8*len(s))
	for i, id := range s {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(b)
}

// Direction names a sort direction as a scope's order tag writes it.
func Direction(desc bool) string {
	if desc {
		return "DESC"
	}
	return "ASC"
}

// UniqueIDs drops repeated ids, keeping the first of each, in a new slice.
func UniqueIDs(ids []int64) []int64 {
	seen := make(map[int64]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
