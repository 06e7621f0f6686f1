package graph

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"

	"agentdesk/apperr"
	"agentdesk/paging"
)

// Cursors are base64url(JSON of paging.Cursor): opaque to clients.
//
// encodeCursor runs for every edge of every page, so it writes the JSON by
// hand when no string needs escaping (times, most names, and always the
// order tag and filter hash), with exactly the bytes encoding/json would
// produce, which it uses for anything else.
func encodeCursor(c paging.Cursor) string {
	if !plainJSONText(c.Key) || !plainJSONText(c.Order) || !plainJSONText(c.Filter) {
		b, _ := json.Marshal(c)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	// Both buffers stay on the stack for a usual cursor (a time or a name,
	// an order tag, a filter hash), so an edge costs one allocation: the
	// string itself.
	var jsonBuf [160]byte
	var outBuf [216]byte
	b := append(jsonBuf[:0], `{"k":"`...)
	b = append(b, c.Key...)
	b = append(b, `","i":`...)
	b = strconv.AppendInt(b, c.ID, 10)
	b = append(b, `,"o":"`...)
	b = append(b, c.Order...)
	if c.Filter != "" {
		b = append(b, `","f":"`...)
		b = append(b, c.Filter...)
	}
	b = append(b, `"}`...)
	return string(base64.RawURLEncoding.AppendEncode(outBuf[:0], b))
}

// plainJSONText reports whether encoding/json writes s between quotes
// unchanged: printable ASCII other than the quote, the backslash and the
// characters it escapes for HTML.
func plainJSONText(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c > 0x7e, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}

// maxCursorLen bounds a cursor a client sends back: the longest key we
// write is a lower-cased name or email (a few hundred bytes).
const maxCursorLen = 2048

// decodeCursor accepts only what encodeCursor could have written: a key
// without NUL (PostgreSQL refuses NUL in text and would answer INTERNAL), a
// positive id and an order (the list compares the scope: paging.CursorScope).
func decodeCursor(s string) (*paging.Cursor, error) {
	bad := apperr.Input("after", "The cursor is not valid.")
	if len(s) > maxCursorLen {
		return nil, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad
	}
	var c paging.Cursor
	if err := json.Unmarshal(b, &c); err != nil || c.ID <= 0 || strings.ContainsRune(c.Key, 0) || c.Order == "" {
		return nil, bad
	}
	return &c, nil
}

// pageArgs turns first/after into a validated page request.
func pageArgs(first *int, after *string) (paging.Page, error) {
	p := paging.Page{First: 20}
	if first != nil {
		p.First = *first
	}
	if err := paging.CheckFirst(p.First); err != nil {
		return p, err
	}
	if after != nil && *after != "" {
		c, err := decodeCursor(*after)
		if err != nil {
			return p, err
		}
		p.After = c
	}
	return p, nil
}
