package graph_test

import (
	"testing"
	"time"
)

// retryAfter is the first error's extensions.retryAfterSeconds.
func retryAfter(res gqlResponse) float64 {
	if len(res.Errors) == 0 {
		return 0
	}
	n, _ := res.Errors[0].Extensions["retryAfterSeconds"].(float64)
	return n
}

// The spam relay of issue 10: public sign-up, then invite, remove and
// re-invite in a loop sent one victim an email per round. The re-invite now
// waits for RESEND_COOLDOWN (60 s) since the address's last link, and a
// refused one sends nothing and changes nothing.
func TestInviteRemoveReinviteCannotSpamAnAddress(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Relay")
		agentRole := s.roleID(owner.Token, "Agent")
		victim := s.invite(owner.Token, "victim@example.com", "Agent")
		s.clock.Advance(20 * time.Second)
		s.must(owner.Token, removeQ, map[string]any{"id": victim}, nil)

		res := s.expectCode(owner.Token, inviteQ, map[string]any{"e": "victim@example.com", "r": []string{agentRole}}, "RATE_LIMITED")
		if retryAfter(res) != 40 {
			t.Fatalf("retryAfterSeconds = %v, want 40: %s", retryAfter(res), res.raw)
		}
		if n := s.count("emails", "to_address = ?", "victim@example.com"); n != 1 {
			t.Fatalf("%d emails to the victim, want 1", n)
		}
		if st := s.agentStatus(owner.Token, victim); st != "REMOVED" {
			t.Fatalf("refused re-invite left the agent %s", st)
		}

		s.clock.Advance(40 * time.Second)
		if again := s.invite(owner.Token, "victim@example.com", "Agent"); again != victim {
			t.Fatalf("re-invite made a new agent %s", again)
		}
		if n := s.count("emails", "to_address = ?", "victim@example.com"); n != 2 {
			t.Fatalf("%d emails to the victim, want 2", n)
		}
	})
}

// MAIL_WORKSPACE_DAILY_LIMIT: a workspace's invitation emails in any 24 h.
func TestWorkspaceDailyEmailLimitOverHTTP(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		s.svc.Config.MailWorkspaceDailyLimit = 2
		owner := s.createWorkspace("Bulk")
		agentRole := s.roleID(owner.Token, "Agent")
		s.invite(owner.Token, "one@example.com", "Agent")
		s.clock.Advance(time.Hour)
		s.invite(owner.Token, "two@example.com", "Agent")

		res := s.expectCode(owner.Token, inviteQ, map[string]any{"e": "three@example.com", "r": []string{agentRole}}, "RATE_LIMITED")
		if retryAfter(res) != 23*3600 {
			t.Fatalf("retryAfterSeconds = %v, want %d", retryAfter(res), 23*3600)
		}
		if n := s.count("emails", "1 = 1"); n != 2 {
			t.Fatalf("%d emails queued, want 2", n)
		}
		s.clock.Advance(23 * time.Hour)
		s.invite(owner.Token, "three@example.com", "Agent")
	})
}
