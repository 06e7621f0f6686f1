package graph_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"agentdesk/httpapi"
)

// In development a page served from this machine (a Vite dev server on
// http://localhost:5173) may call the API with Apollo Client's headers and
// read X-Request-ID; in production only ALLOWED_ORIGINS may, and look-alike
// origins never.
func TestCORSForLocalDevServers(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		handler := func(production bool, allowed ...string) *httptest.Server {
			srv := httptest.NewServer(httpapi.NewHandler(httpapi.Config{Team: s.svc, Sessions: s.svc.Sessions, Ready: s.db.Ping,
				Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Production: production, AllowedOrigins: allowed}))
			t.Cleanup(srv.Close)
			return srv
		}
		apolloHeaders := []string{"authorization", "content-type", "apollographql-client-name",
			"apollographql-client-version", "x-apollo-operation-name"}
		preflight := func(srv *httptest.Server, origin string) *http.Response {
			req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/query", nil)
			req.Header.Set("Origin", origin)
			req.Header.Set("Access-Control-Request-Method", "POST")
			req.Header.Set("Access-Control-Request-Headers", strings.Join(apolloHeaders, ", "))
			res, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res
		}
		post := func(srv *httptest.Server, origin string) *http.Response {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/query", strings.NewReader(`{"query":"{ __typename }"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Origin", origin)
			res, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res
		}
		dev, prod := handler(false), handler(true, "https://admin.acme.test")
		for _, origin := range []string{"http://localhost:5173", "http://127.0.0.1:3000", "http://localhost", "http://localhost:65535"} {
			res := preflight(dev, origin)
			allowHeaders := strings.ToLower(res.Header.Get("Access-Control-Allow-Headers"))
			if res.StatusCode != http.StatusNoContent || res.Header.Get("Access-Control-Allow-Origin") != origin {
				t.Fatalf("development preflight from %s: %d %v", origin, res.StatusCode, res.Header)
			}
			for _, h := range apolloHeaders {
				if !strings.Contains(allowHeaders, h) {
					t.Errorf("development preflight from %s does not allow %s: %q", origin, h, allowHeaders)
				}
			}
			res = post(dev, origin)
			if res.Header.Get("Access-Control-Allow-Origin") != origin || res.Header.Get("X-Request-Id") == "" ||
				!strings.EqualFold(res.Header.Get("Access-Control-Expose-Headers"), "X-Request-ID") {
				t.Errorf("development POST from %s: %v", origin, res.Header)
			}
			// Production: only ALLOWED_ORIGINS.
			if res := preflight(prod, origin); res.Header.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("production allowed %s: %v", origin, res.Header)
			}
		}
		for _, origin := range []string{"http://localhost.evil.test", "http://localhost:5173.evil.test", "http://localhost:1@evil.test",
			"http://127.0.0.1.nip.io:80", "http://127.0.0.10:80", "https://evil.test", "http://localhost:", "http://localhost:123456",
			"http://localhost:5173/", "http://localhost:51a3", "null", "https://admin.acme.test"} {
			if res := preflight(dev, origin); res.Header.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("development allowed %q: %v", origin, res.Header)
			}
		}
		res := preflight(prod, "https://admin.acme.test")
		if res.Header.Get("Access-Control-Allow-Origin") != "https://admin.acme.test" ||
			!strings.Contains(res.Header.Get("Access-Control-Allow-Headers"), "apollographql-client-name") {
			t.Errorf("production preflight from ALLOWED_ORIGINS: %v", res.Header)
		}
		if res := post(prod, "https://admin.acme.test"); !strings.EqualFold(res.Header.Get("Access-Control-Expose-Headers"), "X-Request-ID") {
			t.Errorf("production POST from ALLOWED_ORIGINS: %v", res.Header)
		}
	})
}
