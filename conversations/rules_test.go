package conversations_test

import (
	"context"
	"testing"
	"time"

	"agentdesk/apperr"
	"agentdesk/auth"
	"agentdesk/conversations"
	"agentdesk/db"
	"agentdesk/db/dbtest"
	"agentdesk/models"
	"agentdesk/team"
	"agentdesk/team/teamtest"
)

// The rules of BEHAVIOUR.md §5 (and the caution badge of §4 "Remove"),
// pinned where they live, on both databases; the HTTP suite in graph/ stays
// the contract test.

// fixture is a workspace with its Owner signed in, on a clock the test moves.
type fixture struct {
	team  *team.Service
	svc   *conversations.Service
	ctx   context.Context
	now   time.Time
	owner *auth.Viewer
}

func newFixture(t *testing.T, d db.Dialect) *fixture {
	f := &fixture{ctx: context.Background(), now: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	f.team = teamtest.New(t, dbtest.Open(t, d, nil), func() time.Time { return f.now })
	f.svc = &conversations.Service{Team: f.team}
	f.owner = teamtest.SignUp(t, f.team, "owner@example.com")
	return f
}

func (f *fixture) join(t *testing.T, email string, roleNames ...string) *auth.Viewer {
	return teamtest.Join(t, f.team, f.owner, email, roleNames...)
}

func wantCode(t *testing.T, err error, code apperr.Code) {
	t.Helper()
	if !apperr.Is(err, code) {
		t.Fatalf("err = %v, want %s", err, code)
	}
}

// Conversations need no permission to read, but without
// CONVERSATIONS_READ_ALL another agent's conversation does not exist.
func TestConversationsVisibleToTheirOwnOrAll(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newFixture(t, d)
		a := f.join(t, "a@example.com", models.RoleAgent)
		b := f.join(t, "b@example.com", models.RoleAgent)
		conv, err := f.svc.CreateConversation(f.ctx, f.owner, models.CreateConversationInput{Channel: models.ChannelEmail, Message: "Hi"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.AssignConversation(f.ctx, f.owner, conv.ID, &a.AgentID); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name    string
			v       *auth.Viewer
			visible bool
		}{{"assignee", a, true}, {"other agent", b, false}, {"CONVERSATIONS_READ_ALL", f.owner, true}} {
			t.Run(c.name, func(t *testing.T) {
				_, err := f.svc.Conversation(f.ctx, c.v, conv.ID)
				n, cerr := f.svc.CountConversations(f.ctx, c.v, models.ConversationFilter{})
				if cerr != nil {
					t.Fatal(cerr)
				}
				if c.visible && (err != nil || n != 1) {
					t.Fatalf("visible conversation: %v, count %d", err, n)
				}
				if !c.visible {
					wantCode(t, err, apperr.NotFound)
					if n != 0 {
						t.Fatalf("count %d, want 0", n)
					}
				}
			})
		}
	})
}

// BEHAVIOUR.md §4 "Remove" and §5: a removed agent's conversations stay
// assigned and show ASSIGNEE_REMOVED; affectedConversations counts the OPEN
// and PENDING ones; a re-invite clears the badge only once it is ACTIVE.
func TestCautionBadgeWhenAssigneeRemoved(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newFixture(t, d)
		a := f.join(t, "a@example.com", models.RoleAgent)
		var convs []*models.Conversation
		for _, status := range []models.ConversationStatus{models.ConversationOpen, models.ConversationPending, models.ConversationResolved} {
			c, err := f.svc.CreateConversation(f.ctx, f.owner, models.CreateConversationInput{Channel: models.ChannelEmail, Message: "Hi"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.AssignConversation(f.ctx, f.owner, c.ID, &a.AgentID); err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.SetConversationStatus(f.ctx, f.owner, c.ID, status); err != nil {
				t.Fatal(err)
			}
			convs = append(convs, c)
		}
		caution := models.CautionAssigneeRemoved
		flagged := func() int {
			t.Helper()
			n, err := f.svc.CountConversations(f.ctx, f.owner, models.ConversationFilter{Caution: &caution})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if flagged() != 0 {
			t.Fatal("a caution before any removal")
		}

		removed, affected, err := f.team.RemoveAgent(f.ctx, f.owner, a.AgentID)
		if err != nil {
			t.Fatal(err)
		}
		if affected != 2 {
			t.Fatalf("affectedConversations = %d, want 2 (OPEN and PENDING)", affected)
		}
		if c := models.CautionFor(removed); c == nil || *c != caution {
			t.Fatalf("caution of the removed assignee: %v", c)
		}
		for _, c := range convs {
			got, err := f.svc.Conversation(f.ctx, f.owner, c.ID)
			if err != nil || got.AssigneeID == nil || *got.AssigneeID != a.AgentID {
				t.Fatalf("conversation %d lost its assignee: %v, %v", c.ID, got, err)
			}
		}
		if n := flagged(); n != 3 {
			t.Fatalf("%d conversations show the caution, want 3", n)
		}

		// Re-invited (PENDING): still flagged; ACTIVE again: cleared.
		f.now = f.now.Add(time.Hour)
		again := f.join(t, "a@example.com", models.RoleAgent)
		if again.AgentID != a.AgentID {
			t.Fatalf("the re-invite made a new agent %d", again.AgentID)
		}
		if n := flagged(); n != 0 {
			t.Fatalf("%d conversations still show the caution after re-activation", n)
		}
	})
}
