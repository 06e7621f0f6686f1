package conversations_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"agentdesk/apperr"
	"agentdesk/auth"
	"agentdesk/conversations"
	"agentdesk/db"
	"agentdesk/db/dbtest"
	"agentdesk/models"
	"agentdesk/paging"
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

// BEHAVIOUR.md §8 Visibility of agents: another agent's assigned
// conversations are a detail, shown only with AGENTS_READ; the nested pages
// and counts hide them themselves.
func TestAssignedConversationsOnlyWithAgentsRead(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newFixture(t, d)
		// lead sees every conversation but not the Agents page.
		name, perms := "Lead", []models.Permission{models.PermConversationsReadAll, models.PermConversationsReply}
		if _, err := f.team.CreateRole(f.ctx, f.owner, models.RoleInput{Name: &name, Permissions: &perms}); err != nil {
			t.Fatal(err)
		}
		lead := f.join(t, "lead@example.com", name)
		a := f.join(t, "a@example.com", models.RoleAgent)
		for _, v := range []*auth.Viewer{a, lead} {
			conv, err := f.svc.CreateConversation(f.ctx, f.owner, models.CreateConversationInput{Channel: models.ChannelEmail, Message: "Hi"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.AssignConversation(f.ctx, f.owner, conv.ID, &v.AgentID); err != nil {
				t.Fatal(err)
			}
		}
		ids := []int64{a.AgentID, lead.AgentID}
		for _, c := range []struct {
			name  string
			v     *auth.Viewer
			shown []int64
		}{{"AGENTS_READ", f.owner, ids}, {"own only", lead, []int64{lead.AgentID}}} {
			t.Run(c.name, func(t *testing.T) {
				pages, err := f.svc.AssignedConversationPages(f.ctx, c.v, ids, paging.Page{First: 5})
				if err != nil {
					t.Fatal(err)
				}
				counts, err := f.svc.CountAssignedConversations(f.ctx, c.v, ids)
				if err != nil {
					t.Fatal(err)
				}
				for _, id := range ids {
					want := 0
					if slices.Contains(c.shown, id) {
						want = 1
					}
					if len(pages[id].Rows) != want || counts[id] != want {
						t.Errorf("agent %d: %d conversations listed, %d counted, want %d", id, len(pages[id].Rows), counts[id], want)
					}
				}
			})
		}
	})
}

// BEHAVIOUR.md §5: the messages of a conversation the viewer may not see
// (another workspace's, or another agent's without CONVERSATIONS_READ_ALL)
// are not listed or counted, even when asked for by id: the nested message
// pages check visibility themselves, for one conversation and for several.
func TestMessagesOnlyOfVisibleConversations(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newFixture(t, d)
		a := f.join(t, "a@example.com", models.RoleAgent)
		b := f.join(t, "b@example.com", models.RoleAgent)
		stranger := teamtest.SignUp(t, f.team, "stranger@example.com")
		conversation := func(v *auth.Viewer, assignee *auth.Viewer) int64 {
			c, err := f.svc.CreateConversation(f.ctx, v, models.CreateConversationInput{Channel: models.ChannelEmail, Message: "Hi"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.AssignConversation(f.ctx, v, c.ID, &assignee.AgentID); err != nil {
				t.Fatal(err)
			}
			return c.ID
		}
		ofA, ofB, foreign := conversation(f.owner, a), conversation(f.owner, b), conversation(stranger, stranger)
		all := []int64{ofA, ofB, foreign}
		for _, c := range []struct {
			name    string
			v       *auth.Viewer
			visible []int64
		}{{"own only", a, []int64{ofA}}, {"CONVERSATIONS_READ_ALL", f.owner, []int64{ofA, ofB}}, {"other workspace", stranger, []int64{foreign}}} {
			t.Run(c.name, func(t *testing.T) {
				counts, err := f.svc.CountMessagesOf(f.ctx, c.v, all)
				if err != nil {
					t.Fatal(err)
				}
				pages, err := f.svc.MessagePages(f.ctx, c.v, all, paging.Page{First: 5})
				if err != nil {
					t.Fatal(err)
				}
				for _, id := range all {
					want := 0
					if slices.Contains(c.visible, id) {
						want = 1
					}
					// One conversation alone takes the plain list's path.
					alone, err := f.svc.MessagePages(f.ctx, c.v, []int64{id}, paging.Page{First: 5})
					if err != nil {
						t.Fatal(err)
					}
					if len(pages[id].Rows) != want || len(alone[id].Rows) != want || counts[id] != want {
						t.Errorf("conversation %d: %d messages in the level, %d alone, %d counted; want %d",
							id, len(pages[id].Rows), len(alone[id].Rows), counts[id], want)
					}
				}
			})
		}
	})
}
