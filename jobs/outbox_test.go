package jobs_test

import (
	"context"
	"maps"
	"testing"
	"time"

	"agentdesk/db"
	"agentdesk/db/dbtest"
	"agentdesk/jobs"
	"agentdesk/models"
)

func TestEmailsByStateCountsEveryState(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		database := dbtest.Open(t, d, nil)
		ctx := context.Background()
		empty, err := jobs.EmailsByState(ctx, database.DB)
		if err != nil {
			t.Fatal(err)
		}
		want := map[models.EmailState]int64{models.EmailQueued: 0, models.EmailSent: 0, models.EmailFailed: 0, models.EmailDropped: 0}
		if !maps.Equal(empty, want) {
			t.Fatalf("empty outbox: %v, want %v", empty, want)
		}
		now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
		ws := models.Workspace{Name: "Acme", CreatedAt: now, UpdatedAt: now}
		if err := database.Create(&ws).Error; err != nil {
			t.Fatal(err)
		}
		agent := models.Agent{WorkspaceID: ws.ID, Email: "a@example.com", Status: models.AgentPending, InvitedAt: now,
			LinkSentAt: now, LinkExpiresAt: now, LinkDeliveryState: models.DeliveryQueued, CreatedAt: now, UpdatedAt: now}
		if err := database.Create(&agent).Error; err != nil {
			t.Fatal(err)
		}
		token := models.ActivationToken{AgentID: agent.ID, TokenHash: "h", ExpiresAt: now, CreatedAt: now}
		if err := database.Create(&token).Error; err != nil {
			t.Fatal(err)
		}
		var emails []models.Email
		for state, n := range map[models.EmailState]int{models.EmailQueued: 3, models.EmailSent: 2, models.EmailFailed: 1} {
			for range n {
				emails = append(emails, models.Email{WorkspaceID: ws.ID, AgentID: agent.ID, TokenID: token.ID, ToAddress: agent.Email,
					RecipientKey: agent.Email, Subject: "s", State: state, CreatedAt: now, UpdatedAt: now})
			}
		}
		if err := database.Create(&emails).Error; err != nil {
			t.Fatal(err)
		}
		got, err := jobs.EmailsByState(ctx, database.DB)
		if err != nil {
			t.Fatal(err)
		}
		want = map[models.EmailState]int64{models.EmailQueued: 3, models.EmailSent: 2, models.EmailFailed: 1, models.EmailDropped: 0}
		if !maps.Equal(got, want) {
			t.Fatalf("counts: %v, want %v", got, want)
		}
	})
}
