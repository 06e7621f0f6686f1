package team_test

import (
	"context"
	"regexp"
	"sync"
	"testing"

	"agentdesk/apperr"
	"agentdesk/auth"
	"agentdesk/db"
	"agentdesk/db/dbtest"
	"agentdesk/models"
	"agentdesk/team"
	"agentdesk/team/teamtest"
)

func newService(t *testing.T, d db.Dialect) *team.Service {
	return teamtest.New(t, dbtest.Open(t, d, nil), nil)
}

var tokenInEmail = regexp.MustCompile(`token=([A-Za-z0-9_-]+)`)

// The rules run without GraphQL or HTTP: a viewer and plain values.
func TestConcurrentActivationsConsumeTheLinkOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		svc := newService(t, d)
		ctx := context.Background()
		owner, err := svc.CreateWorkspace(ctx, models.CreateWorkspaceInput{WorkspaceName: "Acme", OwnerName: "O",
			OwnerEmail: "o@example.com", Password: "password1"})
		if err != nil {
			t.Fatal(err)
		}
		v, err := svc.Sessions.ResolveViewer(ctx, owner.Token)
		if err != nil {
			t.Fatal(err)
		}
		roles, _ := svc.Roles(ctx, v)
		agent, err := svc.InviteAgent(ctx, v, "new@example.com", []int64{roles[3].ID})
		if err != nil {
			t.Fatal(err)
		}
		var email models.Email
		svc.DB.Where("agent_id = ?", agent.ID).Take(&email)
		token := tokenInEmail.FindStringSubmatch(email.BodyText)[1]

		const n = 6
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				name := "New"
				_, errs[i] = svc.ActivateAccount(ctx, models.ActivateInput{Token: token, Name: &name, Password: "password2"})
			})
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case apperr.Is(err, apperr.InvalidToken), apperr.Is(err, apperr.Conflict):
			default:
				t.Fatalf("unexpected error: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d activations succeeded, want 1", ok)
		}
		var accounts int64
		svc.DB.Model(&models.Account{}).Where("email = ?", "new@example.com").Count(&accounts)
		if accounts != 1 {
			t.Fatalf("%d accounts, want 1", accounts)
		}
	})
}

func TestSignupCanBeSwitchedOff(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		svc := newService(t, d)
		svc.Config.AllowSignup = false
		_, err := svc.CreateWorkspace(context.Background(), models.CreateWorkspaceInput{WorkspaceName: "Acme",
			OwnerName: "O", OwnerEmail: "o@example.com", Password: "password1"})
		if !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("err = %v, want FORBIDDEN", err)
		}
		var n int64
		svc.DB.Model(&models.Workspace{}).Count(&n)
		if n != 0 {
			t.Fatal("a workspace was created")
		}
	})
}

// The batch lookups behind the loaders answer each id once, whatever the
// repetitions in the request, never another workspace's rows, and the roles
// of each agent in role order.
func TestBatchLookups(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		svc := newService(t, d)
		ctx := context.Background()
		var viewers []*auth.Viewer
		for _, email := range []string{"a@example.com", "b@example.com"} {
			owner, err := svc.CreateWorkspace(ctx, models.CreateWorkspaceInput{WorkspaceName: "W " + email, OwnerName: "O",
				OwnerEmail: email, Password: "password1"})
			if err != nil {
				t.Fatal(err)
			}
			v, err := svc.Sessions.ResolveViewer(ctx, owner.Token)
			if err != nil {
				t.Fatal(err)
			}
			viewers = append(viewers, v)
		}
		v, other := viewers[0], viewers[1]
		roles, _ := svc.Roles(ctx, v)
		invited, err := svc.InviteAgent(ctx, v, "new@example.com", []int64{roles[3].ID, roles[2].ID})
		if err != nil {
			t.Fatal(err)
		}

		before := svc.DB.Statements.Load()
		agents, err := svc.AgentsByID(ctx, v, []int64{v.AgentID, invited.ID, v.AgentID, other.AgentID, v.AgentID})
		if err != nil {
			t.Fatal(err)
		}
		if n := svc.DB.Statements.Load() - before; n != 1 {
			t.Errorf("%d statements for one lookup", n)
		}
		if len(agents) != 2 || agents[v.AgentID].Email != "a@example.com" || agents[invited.ID].Status != models.AgentPending {
			t.Fatalf("agents by id: %v", agents)
		}
		if _, leaked := agents[other.AgentID]; leaked {
			t.Fatal("another workspace's agent was returned")
		}

		byAgent, err := svc.RolesByAgent(ctx, v, []int64{invited.ID, v.AgentID})
		if err != nil {
			t.Fatal(err)
		}
		got := byAgent[invited.ID]
		if len(got) != 2 || got[0].ID != roles[2].ID || got[1].ID != roles[3].ID || !got[0].Permissions.Has(models.PermConversationsAssign) {
			t.Fatalf("roles of the invited agent: %+v", got)
		}
		if len(byAgent[v.AgentID]) != 1 || !byAgent[v.AgentID][0].IsOwner() {
			t.Fatalf("roles of the owner: %+v", byAgent[v.AgentID])
		}
	})
}
