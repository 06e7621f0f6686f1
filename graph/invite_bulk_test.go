package graph_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

const inviteAgentsQ = `mutation($e: [String!]!, $r: [ID!]!) { inviteAgents(input: {emails: $e, roleIds: $r}) {
	invited { email status roles { name } } failures { email code message } } }`

const inviteOneQ = `mutation($e: String!, $r: [ID!]!) { inviteAgent(input: {email: $e, roleIds: $r}) { agent { id } } }`

type bulkResult struct {
	InviteAgents struct {
		Invited []struct {
			Email, Status string
			Roles         []struct{ Name string }
		}
		Failures []struct{ Email, Code, Message string }
	}
}

// Each address is invited as inviteAgent would: the invited come back in
// input order, a repeated address is invited once, and each failure carries
// the code and message inviteAgent answers for that address afterwards.
func TestInviteAgentsPartialFailuresAndOrder(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Bulk")
		agentRole := s.roleID(owner.Token, "Agent")
		s.invite(owner.Token, "already@example.com", "Agent")
		s.member(owner, "member@example.com", "Agent")
		gone := s.invite(owner.Token, "gone@example.com", "Agent")
		s.must(owner.Token, removeQ, map[string]any{"id": gone}, nil)
		s.clock.Advance(2 * time.Minute) // past the cooldown of gone@'s last link
		fresh := s.invite(owner.Token, "fresh-removed@example.com", "Agent")
		s.must(owner.Token, removeQ, map[string]any{"id": fresh}, nil) // inside its cooldown

		emails := []string{"zed@example.com", "not an address", "  ZED@example.com ", "already@example.com",
			"gone@example.com", "member@example.com", "fresh-removed@example.com", "amy@example.com"}
		emailsBefore := s.count("emails", "1 = 1")
		var out bulkResult
		s.must(owner.Token, inviteAgentsQ, map[string]any{"e": emails, "r": []string{agentRole}}, &out)
		var invited []string
		for _, a := range out.InviteAgents.Invited {
			invited = append(invited, a.Email)
			if a.Status != "PENDING" || len(a.Roles) != 1 || a.Roles[0].Name != "Agent" {
				t.Errorf("invited %s: %s with %v", a.Email, a.Status, a.Roles)
			}
		}
		if got := strings.Join(invited, ","); got != "zed@example.com,gone@example.com,amy@example.com" {
			t.Fatalf("invited %s, want zed, gone (re-invited), amy in input order", got)
		}
		if n := s.count("emails", "1 = 1") - emailsBefore; n != 3 {
			t.Fatalf("%d emails queued, want one per invited agent (3)", n)
		}
		wantCodes := map[string]string{"not an address": "BAD_USER_INPUT", "already@example.com": "CONFLICT",
			"member@example.com": "CONFLICT", "fresh-removed@example.com": "RATE_LIMITED"}
		var failed []string
		for _, f := range out.InviteAgents.Failures {
			failed = append(failed, f.Email)
			if f.Code != wantCodes[f.Email] {
				t.Errorf("%s failed with %s, want %s", f.Email, f.Code, wantCodes[f.Email])
			}
			// The same address alone through inviteAgent: the same answer.
			res := s.query(owner.Token, inviteOneQ, map[string]any{"e": f.Email, "r": []string{agentRole}})
			if res.code() != f.Code || res.Errors[0].Message != f.Message {
				t.Errorf("%s: bulk says %s %q, inviteAgent %s", f.Email, f.Code, f.Message, res.raw)
			}
		}
		if got := strings.Join(failed, ","); got != "not an address,already@example.com,member@example.com,fresh-removed@example.com" {
			t.Fatalf("failures %s, want them in input order, the repeated zed@ not among them", got)
		}
	})
}

// Seats are taken one address at a time: the addresses after the last free
// seat fail with SEAT_LIMIT_REACHED, and the workspace's daily email limit
// holds across a bulk call as across single invites.
func TestInviteAgentsKeepsSeatAndEmailLimits(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Bulk limits")
		agentRole := s.roleID(owner.Token, "Agent")
		s.must(owner.Token, `mutation { updateWorkspace(input: {seatLimit: 3}) { workspace { id } } }`, nil, nil)
		var out bulkResult
		s.must(owner.Token, inviteAgentsQ, map[string]any{"e": []string{"a@example.com", "b@example.com", "c@example.com", "d@example.com"},
			"r": []string{agentRole}}, &out)
		if len(out.InviteAgents.Invited) != 2 || len(out.InviteAgents.Failures) != 2 {
			t.Fatalf("seat limit 3 with the owner: %+v, want 2 invited, 2 failures", out.InviteAgents)
		}
		for _, f := range out.InviteAgents.Failures {
			if f.Code != "SEAT_LIMIT_REACHED" {
				t.Fatalf("%s: %s, want SEAT_LIMIT_REACHED", f.Email, f.Code)
			}
		}

		s.must(owner.Token, `mutation { updateWorkspace(input: {seatLimit: 0}) { workspace { id } } }`, nil, nil)
		s.svc.Config.MailWorkspaceDailyLimit = 5 // two sent already
		s.svc.Config.MailNewWorkspaceDailyLimit = 5
		var many []string
		for i := range 6 {
			many = append(many, fmt.Sprintf("m%d@example.com", i))
		}
		s.must(owner.Token, inviteAgentsQ, map[string]any{"e": many, "r": []string{agentRole}}, &out)
		if len(out.InviteAgents.Invited) != 3 || len(out.InviteAgents.Failures) != 3 {
			t.Fatalf("daily limit 5 with 2 sent: %d invited, %d failed; want 3 and 3", len(out.InviteAgents.Invited), len(out.InviteAgents.Failures))
		}
		for _, f := range out.InviteAgents.Failures {
			if f.Code != "RATE_LIMITED" {
				t.Fatalf("%s: %s, want RATE_LIMITED", f.Email, f.Code)
			}
		}
		if n := s.count("emails", "1 = 1"); n != 5 {
			t.Fatalf("%d emails in all, want the daily limit (5)", n)
		}
	})
}

// The whole call is refused, changing nothing, for no or too many
// addresses, no roles, a role of another workspace or one the caller may not
// grant; and one request cannot invite more than one call's worth by
// aliasing it.
func TestInviteAgentsBadInput(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Bulk input")
		admin := s.member(owner, "admin@example.com", "Administrator")
		agentRole := s.roleID(owner.Token, "Agent")
		ownerRole := s.roleID(owner.Token, "Owner")
		other := s.createWorkspace("Elsewhere")
		foreign := s.roleID(other.Token, "Agent")
		var hundredOne []string
		for i := range 101 {
			hundredOne = append(hundredOne, fmt.Sprintf("x%d@example.com", i))
		}
		agentsBefore := s.count("agents", "1 = 1")
		cases := []struct {
			name, token string
			emails      []string
			roles       []string
			code, field string
		}{
			{"no addresses", owner.Token, []string{}, []string{agentRole}, "BAD_USER_INPUT", "emails"},
			{"101 addresses", owner.Token, hundredOne, []string{agentRole}, "BAD_USER_INPUT", "emails"},
			{"no roles", owner.Token, []string{"y@example.com"}, []string{}, "BAD_USER_INPUT", "roleIds"},
			{"foreign role", owner.Token, []string{"y@example.com"}, []string{foreign}, "BAD_USER_INPUT", "roleIds"},
			{"Owner by an admin", admin.Token, []string{"y@example.com"}, []string{ownerRole}, "FORBIDDEN", ""},
		}
		for _, c := range cases {
			res := s.expectCode(c.token, inviteAgentsQ, map[string]any{"e": c.emails, "r": c.roles}, c.code)
			if f, _ := res.Errors[0].Extensions["field"].(string); f != c.field {
				t.Errorf("%s: field %q, want %q", c.name, f, c.field)
			}
		}
		if n := s.count("agents", "1 = 1"); n != agentsBefore {
			t.Fatalf("refused calls added %d agents", n-agentsBefore)
		}
		hundred := hundredOne[:100]
		two := `mutation($e: [String!]!, $r: [ID!]!) {
			a: inviteAgents(input: {emails: $e, roleIds: $r}) { failures { code } }
			b: inviteAgents(input: {emails: $e, roleIds: $r}) { failures { code } } }`
		res := s.expectCode(owner.Token, two, map[string]any{"e": hundred, "r": []string{agentRole}}, "BAD_USER_INPUT")
		if res.Errors[0].Extensions["limit"] != "complexity" {
			t.Fatalf("two calls of 100: %s, want the complexity limit", res.raw)
		}
		var out bulkResult
		s.must(owner.Token, inviteAgentsQ, map[string]any{"e": hundred, "r": []string{agentRole}}, &out)
		if len(out.InviteAgents.Invited) != 100 {
			t.Fatalf("one call of 100 invited %d", len(out.InviteAgents.Invited))
		}
	})
}
