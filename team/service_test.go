package team_test

import (
	"context"
	"regexp"
	"sync"
	"testing"

	"agentdesk/apperr"
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
		owner, err := svc.CreateWorkspace(ctx, team.CreateWorkspaceInput{WorkspaceName: "Acme", OwnerName: "O",
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
				_, errs[i] = svc.ActivateAccount(ctx, team.ActivateInput{Token: token, Name: &name, Password: "password2"})
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
		_, err := svc.CreateWorkspace(context.Background(), team.CreateWorkspaceInput{WorkspaceName: "Acme",
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
