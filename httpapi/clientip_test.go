package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"agentdesk/graph"
	"agentdesk/httpapi"
)

// TestClientIPIsTakenFromTrustedProxiesOnly: X-Forwarded-For names the
// client only when the peer is a trusted proxy, as the per-IP login limit
// shows.
func TestClientIPIsTakenFromTrustedProxiesOnly(t *testing.T) {
	svc, database := newTeam(t)
	handler := func(trusted string) *httptest.Server {
		var cfg httpapi.Config
		if trusted != "" {
			cfg.TrustedProxies = mustPrefixes(t, trusted)
		}
		cfg.Team, cfg.Sessions, cfg.Ready, cfg.Log = svc, svc.Sessions, database.Ping, quietLog()
		cfg.RateLimits = graph.RateLimits{PerIP: 1, PerSubject: 100, Period: time.Hour}
		return httptest.NewServer(httpapi.NewHandler(cfg))
	}
	try := func(srv *httptest.Server, forwardedFor string) string {
		body := `{"query":"mutation { login(input: {email: \"x@example.com\", password: \"whatever1\"}) { token } }"}`
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/query", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", forwardedFor)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out struct {
			Errors []struct{ Extensions struct{ Code string } }
		}
		_ = json.NewDecoder(res.Body).Decode(&out)
		if len(out.Errors) == 0 {
			return ""
		}
		return out.Errors[0].Extensions.Code
	}
	untrusted := handler("")
	defer untrusted.Close()
	try(untrusted, "10.0.0.1")
	if code := try(untrusted, "10.0.0.2"); code != "RATE_LIMITED" {
		t.Fatalf("an untrusted peer chose its IP with X-Forwarded-For: %q", code)
	}
	proxied := handler("127.0.0.0/8")
	defer proxied.Close()
	try(proxied, "203.0.113.1")
	if code := try(proxied, "203.0.113.2"); code != "INVALID_CREDENTIALS" {
		t.Fatalf("two clients behind a trusted proxy share a limit: %q", code)
	}
	if code := try(proxied, "198.51.100.7, 203.0.113.1"); code != "RATE_LIMITED" {
		t.Fatalf("the nearest untrusted hop is not the client: %q", code)
	}
}
