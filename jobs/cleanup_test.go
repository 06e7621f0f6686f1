package jobs_test

import (
	"context"
	"testing"
	"time"

	"agentdesk/db"
	"agentdesk/db/dbtest"
	"agentdesk/jobs"
	"agentdesk/models"
)

func TestCleanupDeletesOnlyLongDeadSessionsAndLinks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		database := dbtest.Open(t, d, nil)
		now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
		ws := models.Workspace{Name: "Acme", CreatedAt: now, UpdatedAt: now}
		database.Create(&ws)
		agent := models.Agent{WorkspaceID: ws.ID, Email: "a@example.com", Status: models.AgentPending, InvitedAt: now,
			LinkSentAt: now, LinkExpiresAt: now, LinkDeliveryState: models.DeliveryQueued, CreatedAt: now, UpdatedAt: now}
		if err := database.Create(&agent).Error; err != nil {
			t.Fatal(err)
		}
		old, recent, future := now.Add(-48*time.Hour), now.Add(-time.Hour), now.Add(time.Hour)
		sessions := []models.Session{
			{TokenHash: "expired-long-ago", ExpiresAt: old},
			{TokenHash: "revoked-long-ago", ExpiresAt: future, RevokedAt: &old},
			{TokenHash: "expired-recently", ExpiresAt: recent},
			{TokenHash: "live", ExpiresAt: future},
		}
		tokens := []models.ActivationToken{
			{TokenHash: "consumed-long-ago", ExpiresAt: future, ConsumedAt: &old},
			{TokenHash: "revoked-long-ago", ExpiresAt: future, RevokedAt: &old},
			{TokenHash: "expired-long-ago", ExpiresAt: old},
			{TokenHash: "revoked-recently", ExpiresAt: future, RevokedAt: &recent},
			{TokenHash: "live", ExpiresAt: future},
		}
		for i := range sessions {
			sessions[i].AgentID, sessions[i].CreatedAt = agent.ID, old
		}
		for i := range tokens {
			tokens[i].AgentID, tokens[i].CreatedAt = agent.ID, old
		}
		if err := database.Create(&sessions).Error; err != nil {
			t.Fatal(err)
		}
		if err := database.Create(&tokens).Error; err != nil {
			t.Fatal(err)
		}
		w := &jobs.CleanupWorker{DB: database.DB, Now: func() time.Time { return now }}
		if err := w.Work(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
		var left []string
		database.Model(&models.Session{}).Order("token_hash").Pluck("token_hash", &left)
		if len(left) != 2 || left[0] != "expired-recently" || left[1] != "live" {
			t.Fatalf("sessions left: %v", left)
		}
		database.Model(&models.ActivationToken{}).Order("token_hash").Pluck("token_hash", &left)
		if len(left) != 2 || left[0] != "live" || left[1] != "revoked-recently" {
			t.Fatalf("links left: %v", left)
		}
	})
}
