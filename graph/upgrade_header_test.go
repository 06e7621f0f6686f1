package graph_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"strings"
	"testing"
)

// TestUpgradeHeaderOnAnOrdinaryRequest: an Upgrade header does not make an
// ordinary request a WebSocket handshake. A server may ignore an upgrade it
// does not take (RFC 9110 §7.8): a POST or GET with "Upgrade: h2c" (as
// some HTTP/1.1 clients send) or a POST with "Upgrade: websocket" is
// answered as the GraphQL request it is. A GET that asks for a WebSocket
// but is no handshake is refused with a GraphQL error (BEHAVIOUR.md §8:
// every transport error has extensions.code), not gqlgen's text/plain
// answer, and neither its answer nor the server's log repeats what the
// client sent: gqlgen's WebSocket transport took every request with an
// Upgrade header, answered text echoing the client's Connection header
// (up to the header limit, 64 KB) and wrote it unescaped to the standard
// log, outside the structured one.
func TestUpgradeHeaderOnAnOrdinaryRequest(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Upgrade Headers")
		stdlog := &lockedWriter{w: &bytes.Buffer{}}
		previous := log.Writer()
		log.SetOutput(stdlog)
		t.Cleanup(func() { log.SetOutput(previous) })

		do := func(method, target, body string, header map[string]string) (*http.Response, []byte) {
			t.Helper()
			req, err := http.NewRequest(method, s.http.URL+target, strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			req.Header.Set("Authorization", "Bearer "+owner.Token)
			for k, v := range header {
				req.Header.Set(k, v)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res, b
		}
		answered := func(name string, res *http.Response, body []byte) {
			t.Helper()
			var out struct {
				Data   struct{ Viewer struct{ ID string } }
				Errors []any
			}
			if res.StatusCode != http.StatusOK || json.Unmarshal(body, &out) != nil || out.Data.Viewer.ID != owner.ID || out.Errors != nil {
				t.Errorf("%s: %d %q", name, res.StatusCode, body)
			}
		}
		const query = `{"query":"{ viewer { id } }"}`
		h2c := map[string]string{"Upgrade": "h2c", "Connection": "Upgrade, HTTP2-Settings", "HTTP2-Settings": "AAMAAABkAAQCAAAAAAIAAAAA"}
		res, body := do(http.MethodPost, "/query", query, h2c)
		answered("POST with Upgrade: h2c", res, body)
		res, body = do(http.MethodGet, "/query?query=%7B+viewer+%7B+id+%7D+%7D", "", h2c)
		answered("GET with Upgrade: h2c", res, body)
		res, body = do(http.MethodPost, "/query", query, map[string]string{"Upgrade": "websocket", "Connection": "Upgrade"})
		answered("POST with Upgrade: websocket", res, body)

		echo := "keep-alive, " + strings.Repeat("A", 20_000) + `" level=ERROR msg="forged`
		for name, header := range map[string]map[string]string{
			"no Connection: Upgrade": {"Upgrade": "websocket", "Connection": echo},
			"no key":                 {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13"},
			"a bad key":              {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": echo},
			"another version":        {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": echo, "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="},
		} {
			res, body := do(http.MethodGet, "/query", "", header)
			var out struct {
				Errors []struct {
					Extensions struct{ Code string }
				}
			}
			if res.StatusCode/100 != 4 || !strings.Contains(res.Header.Get("Content-Type"), "json") ||
				json.Unmarshal(body, &out) != nil || len(out.Errors) != 1 || out.Errors[0].Extensions.Code != "BAD_USER_INPUT" {
				t.Errorf("GET asking for a WebSocket, %s: %d %s %.300q", name, res.StatusCode, res.Header.Get("Content-Type"), body)
			}
			if bytes.Contains(body, []byte("AAAAAAAAAA")) {
				t.Errorf("GET asking for a WebSocket, %s: the answer repeats the client's header", name)
			}
		}
		stdlog.mu.Lock()
		defer stdlog.mu.Unlock()
		if written := stdlog.w.(*bytes.Buffer); written.Len() > 0 {
			t.Errorf("the standard log got %d bytes: %.300q", written.Len(), written.String())
		}
	})
}
