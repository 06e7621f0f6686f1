package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm/logger"

	"agentdesk/db"
	"agentdesk/db/dbtest"
	"agentdesk/graph"
	"agentdesk/httpapi"
	"agentdesk/models"
	"agentdesk/team"
	"agentdesk/team/teamtest"
)

// testClock is the clock of one test server; tests move it instead of sleeping.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// statementCounter is a GORM logger that counts the SQL statements run.
type statementCounter struct{ n atomic.Int64 }

func (c *statementCounter) LogMode(logger.LogLevel) logger.Interface      { return c }
func (c *statementCounter) Info(context.Context, string, ...interface{})  {}
func (c *statementCounter) Warn(context.Context, string, ...interface{})  {}
func (c *statementCounter) Error(context.Context, string, ...interface{}) {}
func (c *statementCounter) Trace(context.Context, time.Time, func() (string, int64), error) {
	c.n.Add(1)
}

// testServer is agentdesk's real HTTP handler on a fresh database.
type testServer struct {
	t       testing.TB
	dialect db.Dialect
	db      *db.DB
	svc     *team.Service
	clock   *testClock
	stmts   *statementCounter
	http    *httptest.Server
	logs    *bytes.Buffer
}

func newServer(t testing.TB, dialect db.Dialect) *testServer {
	t.Helper()
	stmts := &statementCounter{}
	database := dbtest.Open(t, dialect, stmts)
	clock := &testClock{now: time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)}
	svc := teamtest.New(t, database, clock.Now)
	svc.Live = teamtest.Broker(t, database)
	// Scenarios sign up far more often than a person, and fill a workspace
	// with more agents on its first day than a new one may invite; the
	// sign-up and new-workspace tests set their own limits.
	svc.Config.SignupPerIPHourly = 1_000_000
	svc.Config.MailNewWorkspaceDailyLimit = team.DefaultMailWorkspaceDailyLimit
	logs := &bytes.Buffer{}
	// Scenarios sign in far more often than a person; the rate-limit test
	// sets its own limits.
	s := &testServer{t: t, dialect: dialect, db: database, svc: svc, clock: clock, stmts: stmts, logs: logs}
	s.serve(graph.Limits{})
	return s
}

// serve (re)starts the test server's handler with the given request limits
// (zero fields: the defaults).
func (s *testServer) serve(limits graph.Limits) {
	s.http = s.serveAnother(s.t, func(c *httpapi.Config) { c.Limits = limits })
}

// serveAnother starts another server on this test's database, rules and
// clock, with the test server's handler configuration changed by adjust: its
// log in s.logs, live events, and rate limits no scenario reaches (the
// rate-limit tests set their own).
func (s *testServer) serveAnother(t testing.TB, adjust func(*httpapi.Config)) *httptest.Server {
	c := httpapi.Config{Team: s.svc, Sessions: s.svc.Sessions, Ready: s.db.Ping, Now: s.clock.Now, Live: s.svc.Live,
		Log:        slog.New(slog.NewTextHandler(&lockedWriter{w: s.logs}, nil)),
		RateLimits: graph.RateLimits{PerIP: 1_000_000, PerSubject: 1_000_000, Period: time.Minute}}
	adjust(&c)
	srv := httptest.NewServer(httpapi.NewHandler(c))
	t.Cleanup(srv.Close)
	return srv
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
	raw    string
}

// code returns the first error's extensions.code, or "" when there is none.
func (r gqlResponse) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// empty reports whether the response carries no data: null, or only null
// top-level fields.
func (r gqlResponse) empty() bool {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(r.Data, &fields); err != nil {
		return false
	}
	for _, v := range fields {
		if string(v) != "null" {
			return false
		}
	}
	return true
}

// query posts a GraphQL request with the bearer token (if any) and decodes
// the response.
func (s *testServer) query(token, q string, vars map[string]any) gqlResponse {
	s.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	return s.post(token, body)
}

// post sends a request body as it is, with the bearer token (if any).
func (s *testServer) post(token string, body []byte) gqlResponse {
	s.t.Helper()
	return s.postRequest(body, func(req *http.Request) {
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
	})
}

// postRequest sends a JSON request body, lets prepare add headers, and
// decodes the response.
func (s *testServer) postRequest(body []byte, prepare func(*http.Request)) gqlResponse {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.http.URL+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	prepare(req)
	res, err := s.http.Client().Do(req)
	if err != nil {
		s.t.Fatalf("POST /query: %v", err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out gqlResponse
	if err := json.Unmarshal(raw, &out); err != nil {
		s.t.Fatalf("decode response %.300q: %v", raw, err)
	}
	out.raw = string(raw)
	return out
}

// must runs a request that has to succeed and decodes its data into dst.
func (s *testServer) must(token, q string, vars map[string]any, dst any) {
	s.t.Helper()
	res := s.query(token, q, vars)
	if len(res.Errors) > 0 {
		s.t.Fatalf("unexpected errors: %s\nquery: %s", res.raw, q)
	}
	if dst != nil {
		if err := json.Unmarshal(res.Data, dst); err != nil {
			s.t.Fatalf("decode data %s: %v", res.Data, err)
		}
	}
}

// expectCode runs a request that has to fail with code, and checks that the
// failure left no data behind for the failing field.
func (s *testServer) expectCode(token, q string, vars map[string]any, code string) gqlResponse {
	s.t.Helper()
	res := s.query(token, q, vars)
	if res.code() != code {
		s.t.Fatalf("want error %s, got %s\nquery: %s", code, res.raw, q)
	}
	return res
}

// person is a signed-in agent of a test.
type person struct {
	ID, Email, Password, Token string
}

const testPassword = "correct horse battery"

var workspaceSeq atomic.Int64

// createWorkspace signs up a new workspace and returns its Owner.
func (s *testServer) createWorkspace(name string) person {
	s.t.Helper()
	email := fmt.Sprintf("owner%d@%s.example.com", workspaceSeq.Add(1), strings.ToLower(strings.ReplaceAll(name, " ", "")))
	var out struct {
		CreateWorkspace struct {
			Token string
			Agent struct{ ID string }
		}
	}
	s.must("", `mutation($in: CreateWorkspaceInput!) { createWorkspace(input: $in) { token agent { id } } }`,
		map[string]any{"in": map[string]any{"workspaceName": name, "ownerName": "Owner of " + name,
			"ownerEmail": email, "password": testPassword}}, &out)
	return person{ID: out.CreateWorkspace.Agent.ID, Email: email, Password: testPassword, Token: out.CreateWorkspace.Token}
}

// roleID returns the id of the role named name in the caller's workspace.
func (s *testServer) roleID(token, name string) string {
	s.t.Helper()
	var out struct{ Roles []struct{ ID, Name string } }
	s.must(token, `{ roles { id name } }`, nil, &out)
	for _, r := range out.Roles {
		if r.Name == name {
			return r.ID
		}
	}
	s.t.Fatalf("no role %q", name)
	return ""
}

// invite invites email with the named roles and returns the new agent's id.
func (s *testServer) invite(token, email string, roles ...string) string {
	s.t.Helper()
	ids := make([]string, len(roles))
	for i, r := range roles {
		ids[i] = s.roleID(token, r)
	}
	var out struct {
		InviteAgent struct{ Agent struct{ ID string } }
	}
	s.must(token, `mutation($in: InviteAgentInput!) { inviteAgent(input: $in) { agent { id } } }`,
		map[string]any{"in": map[string]any{"email": email, "roleIds": ids}}, &out)
	return out.InviteAgent.Agent.ID
}

var linkToken = regexp.MustCompile(`/activate\?token=([A-Za-z0-9_-]+)`)

// lastLinkToken reads the activation token from the newest email queued for
// address: the token travels only inside the email, as in production.
func (s *testServer) lastLinkToken(address string) string {
	s.t.Helper()
	var e models.Email
	if err := s.db.Where("to_address = ?", address).Order("id DESC").Take(&e).Error; err != nil {
		s.t.Fatalf("no email to %s: %v", address, err)
	}
	m := linkToken.FindStringSubmatch(e.BodyText)
	if m == nil {
		s.t.Fatalf("email to %s has no activation link: %q", address, e.BodyText)
	}
	if !strings.Contains(e.BodyText, "https://desk.example.com/activate?token=") {
		s.t.Fatalf("link is not built from PUBLIC_URL: %q", e.BodyText)
	}
	return m[1]
}

const activateMutation = `mutation($in: ActivateAccountInput!) { activateAccount(input: $in) { token agent { id status name } } }`

// activate completes registration from the newest link sent to email.
func (s *testServer) activate(email, name string) person {
	s.t.Helper()
	var out struct {
		ActivateAccount struct {
			Token string
			Agent struct{ ID, Status string }
		}
	}
	s.must("", activateMutation, map[string]any{"in": map[string]any{
		"token": s.lastLinkToken(email), "name": name, "password": testPassword}}, &out)
	if out.ActivateAccount.Agent.Status != "ACTIVE" {
		s.t.Fatalf("activated agent is %s", out.ActivateAccount.Agent.Status)
	}
	return person{ID: out.ActivateAccount.Agent.ID, Email: email, Password: testPassword, Token: out.ActivateAccount.Token}
}

// member invites email with roles and activates it: an ACTIVE agent.
func (s *testServer) member(owner person, email string, roles ...string) person {
	s.t.Helper()
	s.invite(owner.Token, email, roles...)
	return s.activate(email, "Agent "+strings.Split(email, "@")[0])
}

// agentStatus reads an agent's status as the owner sees it.
func (s *testServer) agentStatus(token, id string) string {
	s.t.Helper()
	var out struct{ Agent struct{ Status string } }
	s.must(token, `query($id: ID!) { agent(id: $id) { status } }`, map[string]any{"id": id}, &out)
	return out.Agent.Status
}

// count runs a COUNT(*) query against the test database.
func (s *testServer) count(table, where string, args ...any) int64 {
	s.t.Helper()
	var n int64
	if err := s.db.Table(table).Where(where, args...).Count(&n).Error; err != nil {
		s.t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// eachDB runs a scenario on SQLite and on PostgreSQL, each with its own server.
func eachDB(t *testing.T, scenario func(t *testing.T, s *testServer)) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		scenario(t, newServer(t, d))
	})
}
