// Package sessions is the GORM store behind auth: it issues, resolves and
// revokes session tokens, and reads the roles a viewer's permissions come
// from. What the GraphQL layer needs of a request's viewer is in auth, which
// knows no database.
package sessions

import (
	"context"
	"time"

	"gorm.io/gorm"

	"agentdesk/apperr"
	"agentdesk/auth"
	database "agentdesk/db"
	"agentdesk/models"
)

// Store issues, resolves and revokes session tokens.
type Store struct {
	DB  *gorm.DB
	TTL time.Duration
	Now func() time.Time
}

// Create issues a session for the agent inside tx and returns its token.
func (s *Store) Create(tx *gorm.DB, agentID int64) (token string, expiresAt time.Time, err error) {
	token, hash := auth.NewToken()
	now := s.Now()
	sess := models.Session{AgentID: agentID, TokenHash: hash, ExpiresAt: now.Add(s.TTL), CreatedAt: now}
	if err := tx.Create(&sess).Error; err != nil {
		return "", time.Time{}, err
	}
	return token, sess.ExpiresAt, nil
}

// Revoke ends the session of token (a no-op if it is already dead).
func (s *Store) Revoke(ctx context.Context, token string) error {
	return s.DB.WithContext(ctx).Model(&models.Session{}).
		Where("token_hash = ? AND revoked_at IS NULL", auth.HashToken(token)).
		Update("revoked_at", s.Now()).Error
}

// RevokeAgent revokes every session of an agent inside tx.
func RevokeAgent(tx *gorm.DB, agentID int64, now time.Time) error {
	return tx.Model(&models.Session{}).
		Where("agent_id = ? AND revoked_at IS NULL", agentID).
		Update("revoked_at", now).Error
}

// ResolveViewer implements auth.ViewerResolver: a live session of an ACTIVE agent,
// with the permissions of the roles the agent holds at this moment. It runs
// on every request, so both reads are scanned directly, without GORM's
// reflection (see db/pages.go).
func (s *Store) ResolveViewer(ctx context.Context, token string) (*auth.Viewer, error) {
	db := s.DB.WithContext(ctx)
	var row struct {
		SessionID, AgentID, WorkspaceID int64
		ExpiresAt                       time.Time
	}
	err := database.ScanRows(db.Raw(`SELECT s.id, a.id, a.workspace_id, s.expires_at
		FROM sessions s JOIN agents a ON a.id = s.agent_id
		WHERE s.token_hash = ? AND s.revoked_at IS NULL AND s.expires_at > ? AND a.status = ?`,
		auth.HashToken(token), s.Now(), models.AgentActive), func(r database.RowScanner) error {
		return r.Scan(&row.SessionID, &row.AgentID, &row.WorkspaceID, &row.ExpiresAt)
	})
	if err != nil {
		return nil, err
	}
	if row.SessionID == 0 {
		return nil, apperr.New(apperr.Unauthenticated, "Your session is not valid any more; sign in again.")
	}
	roles, err := RolesOf(db, row.AgentID)
	if err != nil {
		return nil, err
	}
	v := &auth.Viewer{AgentID: row.AgentID, WorkspaceID: row.WorkspaceID, SessionID: row.SessionID, Roles: roles,
		SessionExpiresAt: row.ExpiresAt}
	v.Permissions, v.IsOwner = roles.Permissions(), roles.HasOwner()
	return v, nil
}

// RolesOf reads the roles an agent holds, in id order (db may be a
// transaction).
func RolesOf(db *gorm.DB, agentID int64) (models.Roles, error) {
	roles := models.Roles{}
	err := database.ScanRows(db.Table("roles").Select(models.RoleColumns).
		Joins("JOIN agent_roles ar ON ar.role_id = roles.id").
		Where("ar.agent_id = ?", agentID).Order("roles.id"), func(r database.RowScanner) error {
		roles = append(roles, models.Role{})
		return r.Scan(roles[len(roles)-1].ScanTargets()...)
	})
	return roles, err
}
