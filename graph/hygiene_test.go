package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
)

// hostileText are the values every text input is tried with (BEHAVIOUR.md §8
// "Text"). The invalid UTF-8 travels as raw bytes in the JSON body.
var hostileText = []struct{ name, value string }{
	{"NUL", "Ana\x00Bell"},
	{"CR", "Ana\rBell"},
	{"LF", "Ana\nBell"},
	{"TAB", "Ana\tBell"},
	{"RLO", "Ana\u202eBell"},
	{"100k", strings.Repeat("a", 100_000)},
	{"invalid UTF-8", "Ana\xffBell"},
}

// textKind says how an input of that kind answers each hostile value: ""
// for success, else the error code.
type textKind func(hostile string) string

var (
	// Names and emails refuse every hostile value.
	nameKind textKind = func(string) string { return "BAD_USER_INPUT" }
	// Free text, search strings and new passwords take line breaks and bidi
	// controls (invalid UTF-8 arrives as U+FFFD, a character like any
	// other), but never NUL, nor more than their length.
	freeKind textKind = func(h string) string {
		if h == "NUL" || h == "100k" {
			return "BAD_USER_INPUT"
		}
		return ""
	}
	// Secrets that are only hashed and compared: a wrong one, whatever it holds.
	credentialKind textKind = func(string) string { return "INVALID_CREDENTIALS" }
	tokenKind      textKind = func(string) string { return "INVALID_TOKEN" }
)

// textInput is one text input of the API, exercised with value v; token is
// the caller's session ("" anonymous).
type textInput struct {
	name, field string
	kind        textKind
	query       string
	vars        func(s *testServer, fx *hygieneFixture, v string) (token string, vars map[string]any)
}

// hygieneFixture is what the inputs need: a workspace, a custom role, a
// conversation, and fresh names so that accepted values never collide.
type hygieneFixture struct {
	owner      person
	role, conv string
	agentRole  string
	seq        atomic.Int64
}

func (fx *hygieneFixture) next(prefix string) string {
	return fmt.Sprintf("%s%d", prefix, fx.seq.Add(1))
}

const (
	hygieneSignup = `mutation($in: CreateWorkspaceInput!) { createWorkspace(input: $in) { token } }`
	hygieneLogin  = `mutation($in: LoginInput!) { login(input: $in) { token } }`
	hygieneCreate = `mutation($in: CreateRoleInput!) { createRole(input: $in) { role { id } } }`
	hygieneUpdate = `mutation($in: UpdateRoleInput!) { updateRole(input: $in) { role { id } } }`
	hygieneConv   = `mutation($in: CreateConversationInput!) { createConversation(input: $in) { conversation { id } } }`
)

func signupVars(fx *hygieneFixture, field, v string) map[string]any {
	in := map[string]any{"workspaceName": fx.next("WS "), "ownerName": "Owner",
		"ownerEmail": fx.next("signup") + "@example.com", "password": "long enough"}
	in[field] = v
	return map[string]any{"in": in}
}

func convVars(fx *hygieneFixture, field, v string) map[string]any {
	in := map[string]any{"channel": "EMAIL", "message": "Hello"}
	in[field] = v
	return map[string]any{"in": in}
}

// activateVars invites a fresh address, so that every value meets a live link.
func activateVars(s *testServer, fx *hygieneFixture, field, v string) map[string]any {
	email := fx.next("act") + "@example.com"
	s.invite(fx.owner.Token, email, "Agent")
	in := map[string]any{"token": s.lastLinkToken(email), "name": "New Agent", "password": "long enough"}
	in[field] = v
	return map[string]any{"in": in}
}

var textInputs = []textInput{
	{"createWorkspace.workspaceName", "workspaceName", nameKind, hygieneSignup,
		func(_ *testServer, fx *hygieneFixture, v string) (string, map[string]any) {
			return "", signupVars(fx, "workspaceName", v)
		}},
	{"createWorkspace.ownerName", "ownerName", nameKind, hygieneSignup,
		func(_ *testServer, fx *hygieneFixture, v string) (string, map[string]any) {
			return "", signupVars(fx, "ownerName", v)
		}},
	{"createWorkspace.ownerEmail", "ownerEmail", nameKind, hygieneSignup,
		func(_ *testServer, fx *hygieneFixture, v string) (string, map[string]any) {
			return "", signupVars(fx, "ownerEmail", v)
		}},
	{"createWorkspace.password", "password", freeKind, hygieneSignup,
		func(_ *testServer, fx *hygieneFixture, v string) (string, map[string]any) {
			return "", signupVars(fx, "password", v)
		}},
	{"login.email", "email", nameKind, hygieneLogin,
		func(_ *testServer, fx *hygieneFixture, v string) (string, map[string]any) {
			return "", map[string]any{"in": map[string]any{"email": v, "password": "long enough"}}
		}},
	{"login.password", "password", credentialKind, hygieneLogin,
		func(_ *testServer, fx *hygieneFixture, v string) (string, map[string]any) {
			return "", map[string]any{"in": map[string]any{"email": fx.owner.Email, "password": v}}
		}},
	{"invitation.token", "token", tokenKind, `query($t: String!) { invitation(token: $t) { email } }`,
		func(_ *testServer, fx *hygieneFixture, v string) (string, map[string]any) {
			return "", map[string]any{"t": v}
		}},
	{"activateAccount.token", "token", tokenKind, activateMutation,
		func(_ *testServer, fx *hygieneFixture, v string) (string, map[string]any) {
			return "", map[string]any{"in": map[string]any{"token": v, "name": "N", "password": "long enough"}}
		}},
	{"activateAccount.name", "name", nameKind, activateMutation,
		func(s *testServer, fx *hygieneFixture, v string) (string, map[string]any) {
			return "", activateVars(s, fx, "name", v)
		}},
	{"activateAccount.password", "password", freeKind, activateMutation,
		func(s *testServer, fx *hygieneFixture, v string) (string, map[string]any) {
			return "", activateVars(s, fx, "password", v)
		}},
	{"inviteAgent.email", "email", nameKind, inviteQ,
		func(_ *testServer, fx *hygieneFixture, v string) (string, map[string]any) {
			return fx.owner.Token, map[string]any{"e": v, "r": []string{fx.agentRole}}
		}},
	{"updateWorkspace.name", "name", nameKind, `mutation($n: String) { updateWorkspace(input: {name: $n}) { workspace { id } } }`,
		func(_ *testServer, fx *hygieneFixture, v string) (string, map[string]any) {
			return fx.owner.Token, map[string]any{"n": v}
		}},
	{"createRole.name", "name", nameKind, hygieneCreate,
		func(_ *testServer, fx *hygieneFixture, v string) (string, map[string]any) {
			return fx.owner.Token, map[string]any{"in": map[string]any{"name": v, "permissions": []string{}}}
		}},
	{"createRole.description", "description", freeKind, hygieneCreate,
		func(_ *testServer, fx *hygieneFixture, v string) (string, map[string]any) {
			return fx.owner.Token, map[string]any{"in": map[string]any{"name": fx.next("Role "), "description": v, "permissions": []string{}}}
		}},
	{"updateRole.name", "name", nameKind, hygieneUpdate,
		func(_ *testServer, fx *hygieneFixture, v string) (string, map[string]any) {
			return fx.owner.Token, map[string]any{"in": map[string]any{"roleId": fx.role, "name": v}}
		}},
	{"updateRole.description", "description", freeKind, hygieneUpdate,
		func(_ *testServer, fx *hygieneFixture, v string) (string, map[string]any) {
			return fx.owner.Token, map[string]any{"in": map[string]any{"roleId": fx.role, "description": v}}
		}},
	{"createConversation.subject", "subject", nameKind, hygieneConv,
		func(_ *testServer, fx *hygieneFixture, v string) (string, map[string]any) {
			return fx.owner.Token, convVars(fx, "subject", v)
		}},
	{"createConversation.contactName", "contactName", nameKind, hygieneConv,
		func(_ *testServer, fx *hygieneFixture, v string) (string, map[string]any) {
			return fx.owner.Token, convVars(fx, "contactName", v)
		}},
	{"createConversation.contactEmail", "contactEmail", nameKind, hygieneConv,
		func(_ *testServer, fx *hygieneFixture, v string) (string, map[string]any) {
			return fx.owner.Token, convVars(fx, "contactEmail", v)
		}},
	{"createConversation.contactPhone", "contactPhone", nameKind, hygieneConv,
		func(_ *testServer, fx *hygieneFixture, v string) (string, map[string]any) {
			return fx.owner.Token, convVars(fx, "contactPhone", v)
		}},
	{"createConversation.message", "message", freeKind, hygieneConv,
		func(_ *testServer, fx *hygieneFixture, v string) (string, map[string]any) {
			return fx.owner.Token, convVars(fx, "message", v)
		}},
	{"sendMessage.body", "body", freeKind, sendQ,
		func(_ *testServer, fx *hygieneFixture, v string) (string, map[string]any) {
			return fx.owner.Token, map[string]any{"c": fx.conv, "b": v}
		}},
	{"agents.search", "search", freeKind, `query($s: String) { agents(filter: {search: $s}) { totalCount edges { node { id } } } }`,
		func(_ *testServer, fx *hygieneFixture, v string) (string, map[string]any) {
			return fx.owner.Token, map[string]any{"s": v}
		}},
}

// TestHostileTextNeverAnswersInternal: every text input × every hostile
// value, through the real handler on both databases, answers as its kind
// says — BAD_USER_INPUT naming the field, success, or the input's own
// failure — and never INTERNAL.
func TestHostileTextNeverAnswersInternal(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		fx := &hygieneFixture{owner: s.createWorkspace("Hygiene")}
		fx.role = s.createRole(fx.owner.Token, "Custom")
		fx.agentRole = s.roleID(fx.owner.Token, "Agent")
		fx.conv = s.conversation(fx.owner.Token, "EMAIL")
		for _, in := range textInputs {
			for _, h := range hostileText {
				token, vars := in.vars(s, fx, h.value)
				res := s.queryRawValue(token, in.query, vars, h.value)
				want := in.kind(h.name)
				if got := res.code(); got != want {
					t.Errorf("%s = %s: got %q, want %q: %.300s", in.name, h.name, got, want, res.raw)
					continue
				}
				if want == "BAD_USER_INPUT" && res.Errors[0].Extensions["field"] != in.field {
					t.Errorf("%s = %s: field %v, want %s", in.name, h.name, res.Errors[0].Extensions["field"], in.field)
				}
			}
		}
	})
}

// queryRawValue is query, except that value, wherever it is among vars'
// strings, is written into the JSON body as its raw bytes: invalid UTF-8
// reaches the server as a client may send it, not as json.Marshal would
// repair it.
func (s *testServer) queryRawValue(token, q string, vars map[string]any, value string) gqlResponse {
	s.t.Helper()
	const mark = "\u2603HOSTILE\u2603"
	replaced := false
	for _, m := range []map[string]any{vars, asMap(vars["in"])} {
		for k, v := range m {
			if v == value {
				m[k], replaced = mark, true
			}
		}
	}
	if !replaced {
		s.t.Fatalf("value not among the variables of %s", q)
	}
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	escaped, _ := json.Marshal(value) // NUL and line breaks must be escaped in JSON
	raw := string(escaped[1 : len(escaped)-1])
	if strings.Contains(value, "\xff") {
		raw = value
	}
	body = bytes.Replace(body, []byte(mark), []byte(raw), 1)
	return s.post(token, body)
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}
