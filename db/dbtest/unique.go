package dbtest

import (
	"testing"
	"time"

	"gorm.io/gorm"

	"agentdesk/db"
	"agentdesk/models"
)

// UniqueBreakers seeds d with one row behind each of db.UniqueConstraints and
// returns, per constraint, a write that breaks it (run it on d.DB or in a
// transaction): the only way to see what each dialect reports, since the
// rules check most of them before writing.
func UniqueBreakers(t testing.TB, d *db.DB) map[string]func(tx *gorm.DB) error {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	ws := models.Workspace{Name: "w", CreatedAt: now, UpdatedAt: now}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(d.Create(&ws).Error)
	acct := models.Account{Email: "ada@example.com", Name: "Ada", PasswordHash: "x", CreatedAt: now, UpdatedAt: now}
	must(d.Create(&acct).Error)
	role := models.Role{WorkspaceID: ws.ID, Name: "Night shift", Permissions: models.Permissions{}, CreatedAt: now, UpdatedAt: now}
	must(d.Create(&role).Error)
	agent := func(email string) *models.Agent {
		return &models.Agent{WorkspaceID: ws.ID, Email: email, Status: models.AgentPending, InvitedAt: now,
			LinkSentAt: now, LinkExpiresAt: now, LinkDeliveryState: models.DeliveryQueued, CreatedAt: now, UpdatedAt: now}
	}
	ada := agent("ada@example.com")
	must(d.Create(ada).Error)
	must(d.Create(&models.AgentRole{AgentID: ada.ID, RoleID: role.ID}).Error)
	must(d.Create(&models.ActivationToken{AgentID: ada.ID, TokenHash: "t", ExpiresAt: now, CreatedAt: now}).Error)
	must(d.Create(&models.Session{AgentID: ada.ID, TokenHash: "s", ExpiresAt: now, CreatedAt: now}).Error)
	return map[string]func(tx *gorm.DB) error{
		db.UniqueAccountEmail: func(tx *gorm.DB) error {
			return tx.Create(&models.Account{Email: "ADA@example.com", Name: "Ada", PasswordHash: "x", CreatedAt: now, UpdatedAt: now}).Error
		},
		db.UniqueRoleName: func(tx *gorm.DB) error {
			return tx.Create(&models.Role{WorkspaceID: ws.ID, Name: "NIGHT SHIFT", Permissions: models.Permissions{},
				CreatedAt: now, UpdatedAt: now}).Error
		},
		db.UniqueAgentEmail: func(tx *gorm.DB) error { return tx.Create(agent("Ada@Example.com")).Error },
		db.UniqueAgentRole: func(tx *gorm.DB) error {
			return tx.Create(&models.AgentRole{AgentID: ada.ID, RoleID: role.ID}).Error
		},
		db.UniqueActivationToken: func(tx *gorm.DB) error {
			return tx.Create(&models.ActivationToken{AgentID: ada.ID, TokenHash: "t", ExpiresAt: now, CreatedAt: now}).Error
		},
		db.UniqueSessionToken: func(tx *gorm.DB) error {
			return tx.Create(&models.Session{AgentID: ada.ID, TokenHash: "s", ExpiresAt: now, CreatedAt: now}).Error
		},
	}
}
