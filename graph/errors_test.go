package graph_test

import (
	"strings"
	"testing"
)

func TestDatabaseErrorTextNeverReachesClients(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Acme")
		role := s.roleID(owner.Token, "Agent")
		// Break the database under the server: every invite now fails inside
		// its transaction when it writes the audit event.
		if err := s.db.Exec(`DROP TABLE audit_events`).Error; err != nil {
			t.Fatal(err)
		}
		res := s.expectCode(owner.Token, inviteQ, map[string]any{"e": "x@example.com", "r": []string{role}}, "INTERNAL")
		for _, leak := range []string{"audit_events", "relation", "no such table", "SQL", "sql"} {
			if strings.Contains(res.raw, leak) {
				t.Fatalf("response leaks %q: %s", leak, res.raw)
			}
		}
		id, _ := res.Errors[0].Extensions["requestId"].(string)
		if id == "" {
			t.Fatalf("INTERNAL without requestId: %s", res.raw)
		}
		// The operator finds the real error in the log under that id.
		if !strings.Contains(s.logs.String(), id) || !strings.Contains(s.logs.String(), "audit_events") {
			t.Fatalf("log lacks the error for request %s:\n%s", id, s.logs.String())
		}
		// The failed mutation changed nothing.
		if n := s.count("agents", "email = ?", "x@example.com"); n != 0 {
			t.Fatal("failed invite left an agent behind")
		}
		if n := s.count("emails", "to_address = ?", "x@example.com"); n != 0 {
			t.Fatal("failed invite queued an email")
		}
	})
}

func TestRequestErrorsCarryACode(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Acme")
		for _, q := range []string{`{ nope }`, `{ agents(first: "x") { totalCount } }`, `{`, `{ agents(filter: {status: [GONE]}) { totalCount } }`} {
			res := s.query(owner.Token, q, nil)
			if res.code() != "BAD_USER_INPUT" {
				t.Errorf("%s: code %q: %s", q, res.code(), res.raw)
			}
		}
		res := s.query(owner.Token, `query($s: [AgentStatus!]) { agents(filter: {status: $s}) { totalCount } }`, map[string]any{"s": []string{"GONE"}})
		if res.code() != "BAD_USER_INPUT" {
			t.Errorf("bad variable: code %q: %s", res.code(), res.raw)
		}
	})
}
