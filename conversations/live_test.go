package conversations_test

import (
	"fmt"
	"testing"

	"agentdesk/auth"
	"agentdesk/db"
	"agentdesk/db/dbtest"
	"agentdesk/models"
	"agentdesk/paging"
	"agentdesk/team/teamtest"
)

// TestChangedConversationMatchesAsTheListReads: what a conversationChanged
// subscriber is sent of a changed conversation (decided in Go on the
// event's one read, ConversationMatching) is what the conversation list
// with the same filter shows that viewer (decided in SQL,
// conversationQuery): for every viewer kind, filter and conversation state
// here, on both databases.
func TestChangedConversationMatchesAsTheListReads(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newFixture(t, d)
		agent := f.join(t, "a@example.com", models.RoleAgent)
		supervisor := f.join(t, "s@example.com", models.RoleSupervisor)
		leaving := f.join(t, "l@example.com", models.RoleAgent)
		stranger := teamtest.SignUp(t, f.team, "owner@elsewhere.example.com")

		var ids []int64
		for _, status := range []models.ConversationStatus{models.ConversationOpen, models.ConversationPending, models.ConversationResolved} {
			for _, channel := range []models.Channel{models.ChannelEmail, models.ChannelWebChat} {
				for _, assignee := range []*auth.Viewer{nil, agent, supervisor, leaving} {
					c, err := f.svc.CreateConversation(f.ctx, f.owner, models.CreateConversationInput{Channel: channel, Message: "Hi"})
					if err != nil {
						t.Fatal(err)
					}
					if assignee != nil {
						if _, err := f.svc.AssignConversation(f.ctx, f.owner, c.ID, &assignee.AgentID); err != nil {
							t.Fatal(err)
						}
					}
					if status != models.ConversationOpen {
						if _, err := f.svc.SetConversationStatus(f.ctx, f.owner, c.ID, status); err != nil {
							t.Fatal(err)
						}
					}
					ids = append(ids, c.ID)
				}
			}
		}
		// The leaving agent's conversations now show the caution badge.
		if _, _, err := f.team.RemoveAgent(f.ctx, f.owner, leaving.AgentID); err != nil {
			t.Fatal(err)
		}

		yes, no := true, false
		caution := models.CautionAssigneeRemoved
		filters := map[string]models.ConversationFilter{
			"none":                 {},
			"open":                 {Statuses: []models.ConversationStatus{models.ConversationOpen}},
			"open or pending":      {Statuses: []models.ConversationStatus{models.ConversationOpen, models.ConversationPending}},
			"email":                {Channels: []models.Channel{models.ChannelEmail}},
			"the agent's":          {AssigneeID: &agent.AgentID},
			"the removed agent's":  {AssigneeID: &leaving.AgentID},
			"unassigned":           {Unassigned: &yes},
			"assigned":             {Unassigned: &no},
			"needs attention":      {Caution: &caution},
			"resolved, caution":    {Statuses: []models.ConversationStatus{models.ConversationResolved}, Caution: &caution},
			"agent's, unassigned":  {AssigneeID: &agent.AgentID, Unassigned: &yes},
			"web chat, unassigned": {Channels: []models.Channel{models.ChannelWebChat}, Unassigned: &yes},
		}
		viewers := map[string]*auth.Viewer{"owner": f.owner, "agent": agent, "supervisor": supervisor, "another workspace's owner": stranger}

		changed := map[int64]*models.ChangedConversation{}
		for _, id := range ids {
			c, err := f.svc.ChangedConversation(f.ctx, f.owner.WorkspaceID, id)
			if err != nil {
				t.Fatal(err)
			}
			changed[id] = c
		}
		if _, err := f.svc.ChangedConversation(f.ctx, stranger.WorkspaceID, ids[0]); err == nil {
			t.Fatal("a conversation was read for an event of another workspace")
		}
		matched := 0
		for vName, v := range viewers {
			for fName, filter := range filters {
				page, _, err := f.svc.ListConversations(f.ctx, v, filter, paging.Page{First: 100})
				if err != nil {
					t.Fatal(err)
				}
				listed := map[int64]bool{}
				for _, c := range page {
					listed[c.ID] = true
				}
				for _, id := range ids {
					got, ok := f.svc.ConversationMatching(v, filter, changed[id])
					if ok != listed[id] || (ok && got.ID != id) {
						t.Errorf("%s, filter %s, conversation %s: matched %v, listed %v", vName, fName, describe(changed[id]), ok, listed[id])
					}
					if ok {
						matched++
					}
				}
			}
		}
		if matched == 0 {
			t.Fatal("nothing matched: the comparison proves nothing")
		}
	})
}

func describe(c *models.ChangedConversation) string {
	assignee := "nobody"
	if c.Assignee != nil {
		assignee = fmt.Sprintf("%s (%s)", c.Assignee.Email, c.Assignee.Status)
	}
	return fmt.Sprintf("%d %s %s assigned to %s", c.Conversation.ID, c.Conversation.Status, c.Conversation.Channel, assignee)
}
