package demo_test

import (
	"context"
	"testing"

	"agentdesk/conversations"
	"agentdesk/db"
	"agentdesk/db/dbtest"
	"agentdesk/demo"
	"agentdesk/models"
	"agentdesk/paging"
	"agentdesk/team/teamtest"
)

func TestDemoLoadsOnceWithEveryState(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		database := dbtest.Open(t, d, nil)
		svc := teamtest.New(t, database, nil)
		ctx := context.Background()
		res, err := demo.Load(ctx, svc)
		if err != nil || !res.Created {
			t.Fatalf("first load: %+v, %v", res, err)
		}
		login, err := svc.Login(ctx, models.LoginInput{Email: demo.OwnerEmail, Password: demo.Password})
		if err != nil {
			t.Fatal(err)
		}
		v, err := svc.Sessions.ResolveViewer(ctx, login.Token)
		if err != nil {
			t.Fatal(err)
		}
		byStatus := map[models.AgentStatus]int{}
		expired := 0
		rows, _, err := svc.ListAgents(ctx, v, models.AgentFilter{Statuses: []models.AgentStatus{models.AgentPending, models.AgentActive, models.AgentRemoved}}, models.AgentOrder{}, paging.Page{First: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			byStatus[r.Status]++
			if inv := svc.InvitationOf(v, &r.Agent); inv != nil && inv.Expired {
				expired++
			}
		}
		if byStatus[models.AgentPending] != 3 || byStatus[models.AgentRemoved] != 2 || byStatus[models.AgentActive] < 10 || expired != 1 {
			t.Fatalf("agents by status %v, expired links %d", byStatus, expired)
		}
		roles, _ := svc.Roles(ctx, v)
		if len(roles) != 5 || roles[4].Name != "AI agent manager" {
			t.Fatalf("roles = %d", len(roles))
		}
		conversationRules := &conversations.Service{Team: svc}
		caution := models.CautionAssigneeRemoved
		flagged, err := conversationRules.CountConversations(ctx, v, models.ConversationFilter{Caution: &caution})
		if err != nil || flagged == 0 {
			t.Fatalf("needs-attention conversations = %d, %v", flagged, err)
		}
		total, _ := conversationRules.CountConversations(ctx, v, models.ConversationFilter{})
		if total != res.Conversations {
			t.Fatalf("%d conversations, want %d", total, res.Conversations)
		}

		again, err := demo.Load(ctx, svc)
		if err != nil || again.Created {
			t.Fatalf("second load: %+v, %v", again, err)
		}
		if n, _ := conversationRules.CountConversations(ctx, v, models.ConversationFilter{}); n != total {
			t.Fatalf("second load changed conversations: %d -> %d", total, n)
		}
		var workspaces int64
		database.Model(&models.Workspace{}).Count(&workspaces)
		if workspaces != 1 {
			t.Fatalf("%d workspaces after two loads", workspaces)
		}
	})
}
