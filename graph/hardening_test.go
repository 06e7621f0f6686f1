package graph_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"agentdesk/db"
	"agentdesk/graph"
	"agentdesk/httpapi"
)

// limitOf returns the code and limit name of res's first error.
func limitOf(res gqlResponse) (string, string) {
	if len(res.Errors) == 0 {
		return "", ""
	}
	code, _ := res.Errors[0].Extensions["code"].(string)
	limit, _ := res.Errors[0].Extensions["limit"].(string)
	if limit == "" {
		limit, _ = res.Errors[0].Extensions["reason"].(string)
	}
	return code, limit
}

func TestEachRequestLimitAnswersWithAnError(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Acme")
		nested := "{ viewer { id } }"
		for range 7 { // each turn adds two levels: invitation { invitedBy { … } }
			nested = strings.Replace(nested, "{ id }", "{ invitation { invitedBy { id } } }", 1)
		}
		var aliases, directives strings.Builder
		for i := range 31 {
			fmt.Fprintf(&aliases, "a%d: viewer { id } ", i)
		}
		for range 51 {
			directives.WriteString("id @include(if: true) ")
		}
		var ops strings.Builder
		for i := range 11 {
			fmt.Fprintf(&ops, "query Q%d { viewer { id } } ", i)
		}
		tokens := "{ viewer { " + strings.Repeat("id ", 16_000) + "} }"
		for _, tc := range []struct{ name, query, limit string }{
			{"depth", nested, "depth"},
			{"aliases", "{ " + aliases.String() + "}", "aliases"},
			{"directives", "{ viewer { " + directives.String() + "} }", "directives"},
			{"complexity", `{ agents(first: 100) { edges { node { roles { name } assignedConversations(first: 100) { edges { node { id } } } } } } }`, "complexity"},
			{"parser tokens", tokens, "GRAPHQL_PARSE_FAILED"},
		} {
			res := s.query(owner.Token, tc.query, nil)
			code, limit := limitOf(res)
			if code != "BAD_USER_INPUT" || limit != tc.limit {
				t.Errorf("%s: code %q limit %q, want BAD_USER_INPUT %q: %.300s", tc.name, code, limit, tc.limit, res.raw)
			}
		}
		// Eleven operations in one document, one of them chosen.
		raw, _ := json.Marshal(map[string]any{"query": ops.String(), "operationName": "Q3"})
		res0, err := http.Post(s.http.URL+"/query", "application/json", strings.NewReader(string(raw)))
		if err != nil {
			t.Fatal(err)
		}
		var opsOut gqlResponse
		_ = json.NewDecoder(res0.Body).Decode(&opsOut)
		res0.Body.Close()
		if code, limit := limitOf(opsOut); code != "BAD_USER_INPUT" || limit != "operations" {
			t.Errorf("operations: code %q limit %q", code, limit)
		}
		// Within the limits the same shapes pass.
		s.must(owner.Token, `{ agents(first: 20) { edges { node { roles { name } assignedConversations(first: 10) { edges { node { id } } } } } } }`, nil, nil)

		// A body over 1 MiB is refused with a GraphQL error, not a crash.
		big := `{"query":"{ viewer { id } }","variables":{"pad":"` + strings.Repeat("x", 1<<20) + `"}}`
		res, err := http.Post(s.http.URL+"/query", "application/json", strings.NewReader(big))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var out gqlResponse
		if err := json.Unmarshal(body, &out); err != nil || out.code() != "BAD_USER_INPUT" || !strings.Contains(out.Errors[0].Message, "too large") {
			t.Fatalf("oversized body: %d %.300s", res.StatusCode, body)
		}
		s.must(owner.Token, `{ viewer { id } }`, nil, nil)
	})
}

// trap makes the next query the resolvers run misbehave, from inside the
// database layer: the test's way to get a panicking or slow resolver through
// the real handler.
type trap struct {
	panicNext atomic.Bool
	sleepNext atomic.Bool
}

func (tr *trap) install(t *testing.T, database *db.DB) {
	err := database.Callback().Query().Before("gorm:query").Register("test:trap", func(tx *gorm.DB) {
		if tr.panicNext.CompareAndSwap(true, false) {
			panic("resolver exploded")
		}
		if tr.sleepNext.CompareAndSwap(true, false) {
			if _, err := tx.Statement.ConnPool.ExecContext(tx.Statement.Context, "SELECT pg_sleep(30)"); err != nil {
				_ = tx.AddError(err)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestPanickingResolverAnswersInternalAndTheServerKeepsServing(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Acme")
		tr := &trap{}
		tr.install(t, s.db)
		tr.panicNext.Store(true)
		res := s.expectCode(owner.Token, `{ roles { name } }`, nil, "INTERNAL")
		if strings.Contains(res.raw, "exploded") || res.Errors[0].Extensions["requestId"] == nil {
			t.Fatalf("panic answer: %s", res.raw)
		}
		if !strings.Contains(s.logs.String(), "resolver exploded") {
			t.Fatal("the panic is not in the log")
		}
		s.must(owner.Token, `{ roles { name } }`, nil, nil)
	})
}

func TestSlowQueryIsCancelledByTheRequestTimeout(t *testing.T) {
	s := newServer(t, db.Postgres)
	owner := s.createWorkspace("Acme")
	tr := &trap{}
	tr.install(t, s.db)
	h := httpapi.NewHandler(httpapi.Config{Team: s.svc, Sessions: s.svc.Sessions, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Ready: s.db.Ping, Timeout: 300 * time.Millisecond})
	short := httptest.NewServer(h)
	defer short.Close()
	s.http = short

	tr.sleepNext.Store(true)
	res := s.expectCode(owner.Token, `{ roles { name } }`, nil, "INTERNAL")
	if !strings.Contains(res.Errors[0].Message, "too long") {
		t.Fatalf("timeout answer: %s", res.raw)
	}
	// The database stopped working on it too: no pg_sleep is left running.
	eventually(t, "pg_sleep cancelled", func() bool {
		return s.count("pg_stat_activity", "query LIKE ? AND state = 'active' AND datname = current_database()", "SELECT pg_sleep%") == 0
	})
	s.must(owner.Token, `{ roles { name } }`, nil, nil)
}

func TestPublicOperationsAreRateLimited(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Acme")
		h := httpapi.NewHandler(httpapi.Config{Team: s.svc, Sessions: s.svc.Sessions, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Ready: s.db.Ping, Now: s.clock.Now, RateLimits: graph.RateLimits{PerIP: 6, PerSubject: 3, Period: time.Minute}})
		limited := httptest.NewServer(h)
		defer limited.Close()
		s.http = limited
		login := func(email, password string) gqlResponse {
			return s.query("", `mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { token } }`,
				map[string]any{"e": email, "p": password})
		}
		// Per email: three tries a minute, right or wrong, known or unknown.
		for range 3 {
			if code := login(owner.Email, "wrong password").code(); code != "INVALID_CREDENTIALS" {
				t.Fatalf("code %q", code)
			}
		}
		res := login(strings.ToUpper(owner.Email), testPassword)
		if res.code() != "RATE_LIMITED" || res.Errors[0].Extensions["retryAfterSeconds"] != float64(20) {
			t.Fatalf("4th login: %s", res.raw)
		}
		s.clock.Advance(20 * time.Second)
		if code := login(owner.Email, testPassword).code(); code != "" {
			t.Fatalf("after the wait: %q", code)
		}
		// Per IP: spreading the tries over emails does not help.
		perIP := httptest.NewServer(httpapi.NewHandler(httpapi.Config{Team: s.svc, Sessions: s.svc.Sessions,
			Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Ready: s.db.Ping, Now: s.clock.Now,
			RateLimits: graph.RateLimits{PerIP: 6, PerSubject: 100, Period: time.Minute}}))
		defer perIP.Close()
		s.http = perIP
		for i := range 6 {
			if code := login(fmt.Sprintf("nobody%d@example.com", i), "whatever1").code(); code != "INVALID_CREDENTIALS" {
				t.Fatalf("login %d: %q", i+1, code)
			}
		}
		if code := login("someone-else@example.com", "whatever1").code(); code != "RATE_LIMITED" {
			t.Fatalf("7th login from one IP: %q", code)
		}
		s.http = limited
		// Activation links are limited per token too.
		for range 3 {
			s.query("", `query { invitation(token: "guess") { email } }`, nil)
		}
		s.clock.Advance(time.Minute)
		for range 3 {
			if code := s.query("", `query { invitation(token: "guess") { email } }`, nil).code(); code != "INVALID_TOKEN" {
				t.Fatalf("guess: %q", code)
			}
		}
		if code := s.query("", `query { invitation(token: "guess") { email } }`, nil).code(); code != "RATE_LIMITED" {
			t.Fatalf("4th guess of one token: %q", code)
		}
		// activateAccount counts per token too, and sign-up per email.
		activate := func() string {
			return s.query("", activateMutation, map[string]any{"in": map[string]any{
				"token": "another-guess", "name": "X", "password": testPassword}}).code()
		}
		for range 3 {
			if code := activate(); code != "INVALID_TOKEN" {
				t.Fatalf("activation guess: %q", code)
			}
		}
		if code := activate(); code != "RATE_LIMITED" {
			t.Fatalf("4th activation with one token: %q", code)
		}
		signup := func() string {
			return s.query("", `mutation { createWorkspace(input: {workspaceName: "W", ownerName: "O",
				ownerEmail: "Spam@example.com", password: "short"}) { token } }`, nil).code()
		}
		for range 3 {
			if code := signup(); code != "BAD_USER_INPUT" {
				t.Fatalf("sign-up: %q", code)
			}
		}
		if code := signup(); code != "RATE_LIMITED" {
			t.Fatalf("4th sign-up for one email: %q", code)
		}
	})
}

func TestCORSSecurityHeadersAndMetrics(t *testing.T) {
	s := newServer(t, db.SQLite)
	owner := s.createWorkspace("Acme")
	srv := httptest.NewServer(httpapi.NewHandler(httpapi.Config{Team: s.svc, Sessions: s.svc.Sessions, Ready: s.db.Ping,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), AllowedOrigins: []string{"https://admin.acme.test"}}))
	defer srv.Close()
	preflight := func(origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/query", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	if res := preflight("https://admin.acme.test"); res.Header.Get("Access-Control-Allow-Origin") != "https://admin.acme.test" ||
		!strings.Contains(res.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Fatalf("allowed origin's preflight: %d %v", res.StatusCode, res.Header)
	}
	if res := preflight("https://evil.test"); res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("other origin allowed: %v", res.Header)
	}
	s.http = srv
	s.must(owner.Token, `{ viewer { id } }`, nil, nil)
	s.expectCode(owner.Token, `{ auditLog(first: 0) { totalCount } }`, nil, "BAD_USER_INPUT")
	res, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, h := range []string{"X-Content-Type-Options", "Content-Security-Policy", "X-Frame-Options", "Referrer-Policy", "X-Request-Id"} {
		if res.Header.Get(h) == "" {
			t.Errorf("no %s header", h)
		}
	}
	for _, want := range []string{
		`agentdesk_graphql_requests_total{operation="query:viewer"} 1`,
		`agentdesk_graphql_errors_total{code="BAD_USER_INPUT"} 1`,
		`agentdesk_graphql_request_duration_seconds_count{operation="query:auditLog"} 1`,
		`agentdesk_emails{state="QUEUED"} 0`,
		`go_sql_max_open_connections{db_name="agentdesk"} 1`,
	} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
