package graph_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"agentdesk/graph"
)

const phishingSignupQ = `mutation($w: String!, $o: String!, $e: String!, $p: String!) {
	createWorkspace(input: {workspaceName: $w, ownerName: $o, ownerEmail: $e, password: $p}) { token } }`

// The outside tester's relay, over HTTP: three workspaces signed up in a
// row, named like a phishing mail with a "PayPal" owner, each invite one
// victim within 2 s. One email reaches the victim, the 2nd and 3rd invites
// answer RATE_LIMITED with retryAfterSeconds and change nothing, and the
// email's subject carries neither name nor URL.
func TestPhishingWorkspacesCannotMultiplyEmailsToOneAddress(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		var tokens []string
		for i := range 3 {
			var out struct{ CreateWorkspace struct{ Token string } }
			s.must("", phishingSignupQ, map[string]any{"w": fmt.Sprintf("Claim your prize at https://evil.test/%d", i),
				"o": "PayPal Security Team", "e": fmt.Sprintf("evil%d@evil.test", i), "p": testPassword}, &out)
			tokens = append(tokens, out.CreateWorkspace.Token)
		}
		s.invite(tokens[0], "victim2@x.test", "Agent")
		for i := 1; i < 3; i++ {
			s.clock.Advance(time.Second)
			res := s.expectCode(tokens[i], inviteQ, map[string]any{"e": "victim2@x.test", "r": []string{s.roleID(tokens[i], "Agent")}},
				"RATE_LIMITED")
			if want := float64(60 - i); retryAfter(res) != want {
				t.Fatalf("invite %d: retryAfterSeconds = %v, want %v: %s", i+1, retryAfter(res), want, res.raw)
			}
		}
		if n := s.count("emails", "to_address = ?", "victim2@x.test"); n != 1 {
			t.Fatalf("%d emails to the victim, want 1", n)
		}
		if n := s.count("agents", "email = ?", "victim2@x.test"); n != 1 {
			t.Fatalf("refused invites left agents: %d", n)
		}
		var subject, body string
		s.db.Raw("SELECT subject, body_text FROM emails WHERE to_address = ?", "victim2@x.test").Row().Scan(&subject, &body)
		if strings.Contains(subject, "evil.test") || strings.Contains(subject, "prize") || strings.Contains(subject, "PayPal") {
			t.Fatalf("subject %q carries the names", subject)
		}
		// The body still says who invited, quoted and disowned.
		if !strings.Contains(body, `"Claim your prize at https://evil.test/0"`) || !strings.Contains(body, "not by\nagentdesk") {
			t.Fatalf("body:\n%s", body)
		}
	})
}

// MAIL_ADDRESS_DAILY_LIMIT over HTTP: five workspaces, an hour apart, each
// invite the same address; the sixth answers RATE_LIMITED until the first
// email is a day old.
func TestAddressDailyLimitAcrossWorkspacesOverHTTP(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		var owners []person
		for i := range 6 {
			owners = append(owners, s.createWorkspace(fmt.Sprintf("Sender %d", i)))
		}
		for i := range 5 {
			s.invite(owners[i].Token, "victim@x.test", "Agent")
			s.clock.Advance(time.Hour)
		}
		res := s.expectCode(owners[5].Token, inviteQ, map[string]any{"e": "VICTIM+again@x.test",
			"r": []string{s.roleID(owners[5].Token, "Agent")}}, "RATE_LIMITED")
		if retryAfter(res) != 19*3600 {
			t.Fatalf("retryAfterSeconds = %v, want %d: %s", retryAfter(res), 19*3600, res.raw)
		}
		if n := s.count("emails", "1 = 1"); n != 5 {
			t.Fatalf("%d emails, want 5", n)
		}
		s.clock.Advance(19 * time.Hour)
		s.invite(owners[5].Token, "victim@x.test", "Agent")
	})
}

// MAIL_NEW_WORKSPACE_DAILY_LIMIT over HTTP: a fresh workspace invites 20,
// the 21st answers RATE_LIMITED until the workspace is a day old.
func TestNewWorkspaceDailyLimitOverHTTP(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		s.svc.Config.MailNewWorkspaceDailyLimit = 0 // the default, 20 (the harness raises it)
		owner := s.createWorkspace("Fresh")
		agentRole := s.roleID(owner.Token, "Agent")
		for i := range 20 {
			s.invite(owner.Token, fmt.Sprintf("a%d@example.com", i), "Agent")
		}
		s.clock.Advance(time.Hour)
		res := s.expectCode(owner.Token, inviteQ, map[string]any{"e": "b@example.com", "r": []string{agentRole}}, "RATE_LIMITED")
		if retryAfter(res) != 23*3600 {
			t.Fatalf("retryAfterSeconds = %v, want %d: %s", retryAfter(res), 23*3600, res.raw)
		}
		if n := s.count("agents", "email = ?", "b@example.com"); n != 0 {
			t.Fatal("a refused invite left an agent")
		}
		s.clock.Advance(23 * time.Hour)
		s.invite(owner.Token, "b@example.com", "Agent")
	})
}

// SIGNUP_PER_IP_HOURLY over HTTP: a client IP creates 5 workspaces an
// hour, an IPv6 client is counted by its /64, another IP has its own
// budget, and a refused sign-up creates nothing.
func TestSignupPerIPPerHour(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		s.svc.Config.SignupPerIPHourly = 0 // the default, 5 (the harness raises it)
		s.limitedServer(graph.RateLimits{PerIP: 1_000_000, PerSubject: 1_000_000, Period: time.Minute}, "127.0.0.1/32", "::1/128")
		signup := func(ip string, i int) gqlResponse {
			return s.queryFrom([]string{ip}, phishingSignupQ, map[string]any{"w": "W", "o": "O",
				"e": fmt.Sprintf("owner%d@signup.test", i), "p": testPassword})
		}
		n := 0
		for _, ip := range []string{"192.0.2.7", "2001:db8:1:2::1"} {
			for i := range 5 {
				n++
				// IPv6: a fresh address of the same /64 each time.
				if strings.Contains(ip, ":") {
					ip = fmt.Sprintf("2001:db8:1:2::%x", i+1)
				}
				if res := signup(ip, n); len(res.Errors) > 0 {
					t.Fatalf("sign-up %d from %s: %s", i+1, ip, res.raw)
				}
			}
		}
		for _, ip := range []string{"192.0.2.7", "2001:db8:1:2:ffff::9"} {
			n++
			res := signup(ip, n)
			if res.code() != "RATE_LIMITED" || retryAfter(res) != 720 {
				t.Fatalf("6th sign-up from %s: %s", ip, res.raw)
			}
		}
		if got := s.count("workspaces", "1 = 1"); got != 10 {
			t.Fatalf("%d workspaces, want 10", got)
		}
		if res := signup("192.0.2.8", n+1); len(res.Errors) > 0 {
			t.Fatalf("another IP: %s", res.raw)
		}
	})
}
