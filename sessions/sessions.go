// Package sessions is the GORM store behind auth: it issues, resolves and
// revokes session tokens, and reads the roles a viewer's permissions come
// from. What the GraphQL layer needs of a request's viewer is in auth, which
// knows no database.
package sessions

import (
	"context"
	"slices"
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
	viewers, errs := s.ResolveViewers(ctx, []string{token})
	return viewers[0], errs[0]
}

// resolveBatch bounds the tokens of one statement (SQLite binds at most
// 32,766 parameters, PostgreSQL 65,535).
const resolveBatch = 1000

// ResolveViewers implements auth.ViewersResolver: ResolveViewer for many
// tokens (the sockets hearing one event) in two statements per thousand,
// however many tokens and agents there are. A token without a live session
// of an ACTIVE agent gets UNAUTHENTICATED; a failed read fails all.
func (s *Store) ResolveViewers(ctx context.Context, tokens []string) ([]*auth.Viewer, []error) {
	viewers, errs := make([]*auth.Viewer, len(tokens)), make([]error, len(tokens))
	fail := func(err error) ([]*auth.Viewer, []error) {
		for i := range errs {
			viewers[i], errs[i] = nil, err
		}
		return viewers, errs
	}
	db := s.DB.WithContext(ctx)
	now := s.Now()
	byHash := make(map[string]*auth.Viewer, len(tokens))
	hashes := make([]string, len(tokens))
	for i, t := range tokens {
		hashes[i] = auth.HashToken(t)
	}
	for chunk := range slices.Chunk(hashes, resolveBatch) {
		err := database.ScanRows(db.Raw(`SELECT s.token_hash, s.id, a.id, a.workspace_id, s.expires_at
			FROM sessions s JOIN agents a ON a.id = s.agent_id
			WHERE s.token_hash IN ? AND s.revoked_at IS NULL AND s.expires_at > ? AND a.status = ?`,
			chunk, now, models.AgentActive), func(r database.RowScanner) error {
			var hash string
			v := &auth.Viewer{}
			if err := r.Scan(&hash, &v.SessionID, &v.AgentID, &v.WorkspaceID, &v.SessionExpiresAt); err != nil {
				return err
			}
			byHash[hash] = v
			return nil
		})
		if err != nil {
			return fail(err)
		}
	}
	agentIDs := make([]int64, 0, len(byHash))
	for _, v := range byHash {
		agentIDs = append(agentIDs, v.AgentID)
	}
	slices.Sort(agentIDs)
	roles, err := RolesOfAgents(db, slices.Compact(agentIDs))
	if err != nil {
		return fail(err)
	}
	for i, hash := range hashes {
		found := byHash[hash]
		if found == nil {
			errs[i] = apperr.New(apperr.Unauthenticated, "Your session is not valid any more; sign in again.")
			continue
		}
		// A viewer of its own per token: a token asked for twice shares it.
		v := *found
		v.Roles = roles[v.AgentID]
		if v.Roles == nil {
			v.Roles = models.Roles{}
		}
		v.Permissions, v.IsOwner = v.Roles.Permissions(), v.Roles.HasOwner()
		viewers[i] = &v
	}
	return viewers, errs
}

// RolesOf reads the roles an agent holds, in id order (db may be a
// transaction).
func RolesOf(db *gorm.DB, agentID int64) (models.Roles, error) {
	roles, err := RolesOfAgents(db, []int64{agentID})
	if r := roles[agentID]; r != nil || err != nil {
		return r, err
	}
	return models.Roles{}, nil
}

// RolesOfAgents reads the roles each of agentIDs holds, in id order, in a
// statement per thousand agents (db may be a transaction). Agents without
// roles are absent from the map.
func RolesOfAgents(db *gorm.DB, agentIDs []int64) (map[int64]models.Roles, error) {
	byAgent := make(map[int64]models.Roles, len(agentIDs))
	for chunk := range slices.Chunk(agentIDs, resolveBatch) {
		err := database.ScanRows(db.Table("roles").Select("ar.agent_id, "+models.RoleColumns).
			Joins("JOIN agent_roles ar ON ar.role_id = roles.id").
			Where("ar.agent_id IN ?", chunk).Order("ar.agent_id, roles.id"), func(r database.RowScanner) error {
			var agentID int64
			var role models.Role
			if err := r.Scan(append([]any{&agentID}, role.ScanTargets()...)...); err != nil {
				return err
			}
			byAgent[agentID] = append(byAgent[agentID], role)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return byAgent, nil
}
