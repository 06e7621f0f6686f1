package graph

import (
	"encoding/base64"
	"encoding/json"
	"testing"

	"agentdesk/team"
)

// TestCursorEncodingMatchesEncodingJSON: the hand-written fast path and
// encoding/json give the same cursor for every kind of key, and each
// decodes back to what was encoded.
func TestCursorEncodingMatchesEncodingJSON(t *testing.T) {
	for _, c := range []team.Cursor{
		{Key: "", ID: 1},
		{Key: "2026-11-27T09:32:31.123456Z", ID: 42},
		{Key: "ada lovelace", ID: 9007199254740993},
		{Key: `quote " and \ backslash`, ID: 7},
		{Key: "<script>&amp;", ID: 8},
		{Key: "zoë 日本", ID: 9},
		{Key: "tab\tnewline\n", ID: 10},
	} {
		want, _ := json.Marshal(c)
		got := encodeCursor(c)
		if got != base64.RawURLEncoding.EncodeToString(want) {
			raw, _ := base64.RawURLEncoding.DecodeString(got)
			t.Errorf("cursor of %+v is %s, encoding/json gives %s", c, raw, want)
		}
		back, err := decodeCursor(got)
		if err != nil || *back != c {
			t.Errorf("cursor of %+v decodes to %+v, %v", c, back, err)
		}
	}
}
