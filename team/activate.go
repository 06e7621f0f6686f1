package team

import (
	"context"
	"errors"

	"gorm.io/gorm"

	"agentdesk/apperr"
	"agentdesk/auth"
	"agentdesk/live"
	"agentdesk/models"
	"agentdesk/validate"
)

type liveLink struct {
	token   models.ActivationToken
	agent   models.Agent
	account *models.Account
}

// lookupLink finds the PENDING agent behind an activation token, or answers
// INVALID_TOKEN (unknown, used, rotated, revoked) or TOKEN_EXPIRED.
func (s *Service) lookupLink(tx *gorm.DB, token string) (*liveLink, error) {
	invalid := apperr.New(apperr.InvalidToken, "This activation link is not valid. Ask for a new one.")
	var l liveLink
	err := tx.Where("token_hash = ?", auth.HashToken(token)).Take(&l.token).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, invalid
	}
	if err != nil {
		return nil, err
	}
	if l.token.ConsumedAt != nil || l.token.RevokedAt != nil {
		return nil, invalid
	}
	if err := tx.Take(&l.agent, l.token.AgentID).Error; err != nil {
		return nil, err
	}
	if l.agent.Status != models.AgentPending {
		return nil, invalid
	}
	if !s.Timestamp().Before(l.token.ExpiresAt) {
		return nil, apperr.New(apperr.TokenExpired, "This activation link has expired. Ask for a new one.")
	}
	if l.account, err = s.accountByEmail(tx, l.agent.Email); err != nil {
		return nil, err
	}
	return &l, nil
}

// PreviewInvitation tells the activation page what it is about to activate.
// Needs no viewer: the token is the proof.
func (s *Service) PreviewInvitation(ctx context.Context, token string) (*models.InvitationPreview, error) {
	tx := s.DB.WithContext(ctx)
	l, err := s.lookupLink(tx, token)
	if err != nil {
		return nil, err
	}
	p := &models.InvitationPreview{Email: l.agent.Email, ExpiresAt: l.token.ExpiresAt, ExistingAccount: l.account != nil}
	var names struct {
		Workspace string
		Inviter   *string
	}
	if err := tx.Raw(`SELECT w.name AS workspace, i.name AS inviter FROM workspaces w
		LEFT JOIN agents i ON i.id = ? WHERE w.id = ?`, l.agent.InvitedByID, l.agent.WorkspaceID).Scan(&names).Error; err != nil {
		return nil, err
	}
	p.WorkspaceName = names.Workspace
	if names.Inviter != nil && *names.Inviter != "" {
		p.InvitedByName = names.Inviter
	}
	return p, nil
}

// ActivateAccount consumes the link (once, atomically), makes the agent
// ACTIVE and signs it in. A new account sets name and password; an existing
// one (same email, any workspace) proves itself with its password.
// Needs no viewer: the token is the proof.
func (s *Service) ActivateAccount(ctx context.Context, in models.ActivateInput) (*models.AuthResult, error) {
	l, err := s.lookupLink(s.DB.WithContext(ctx), in.Token)
	if err != nil {
		return nil, err
	}
	var name, newHash string
	if l.account != nil {
		if !s.Passwords.Verify(in.Password, l.account.PasswordHash) {
			return nil, apperr.New(apperr.InvalidCredentials, "This email already has an account; give its password.")
		}
		name = l.account.Name
	} else {
		raw := ""
		if in.Name != nil {
			raw = *in.Name
		}
		if name, err = validate.Name("name", raw, 1, 100, "The name"); err != nil {
			return nil, err
		}
		if err := validate.NewPassword("password", in.Password); err != nil {
			return nil, err
		}
		newHash = s.Passwords.Hash(in.Password)
	}

	var res models.AuthResult
	err = s.InTx(ctx, func(tx *gorm.DB) error {
		// Workspace first, as removeAgent and re-sends do: the two then run
		// one after the other instead of deadlocking on the agent's and the
		// token's rows, and a removal that commits first is seen below.
		if err := s.lockWorkspace(tx, l.agent.WorkspaceID); err != nil {
			return err
		}
		now := s.Timestamp()
		// Single use: only one concurrent activation can flip consumed_at.
		consumed := tx.Model(&models.ActivationToken{}).
			Where("id = ? AND consumed_at IS NULL AND revoked_at IS NULL AND expires_at > ?", l.token.ID, now).
			Update("consumed_at", now)
		if consumed.Error != nil {
			return consumed.Error
		}
		if consumed.RowsAffected != 1 {
			return apperr.New(apperr.InvalidToken, "This activation link is not valid. Ask for a new one.")
		}
		account := l.account
		if account == nil {
			account = &models.Account{Email: l.agent.Email, Name: name, PasswordHash: newHash, CreatedAt: now, UpdatedAt: now}
			if err := tx.Create(account).Error; err != nil {
				return err
			}
		}
		activated := tx.Model(&models.Agent{}).Where("id = ? AND status = ?", l.agent.ID, models.AgentPending).
			Updates(map[string]any{"status": models.AgentActive, "account_id": account.ID, "name": name,
				"activated_at": now, "updated_at": now})
		if activated.Error != nil {
			return activated.Error
		}
		if activated.RowsAffected != 1 {
			return apperr.New(apperr.InvalidToken, "This activation link is not valid. Ask for a new one.")
		}
		if err := revokeLinks(tx, l.agent.ID, now); err != nil {
			return err
		}
		// A re-invited agent's conversations lose their caution badge.
		cleared, err := assignedConversationIDs(tx, l.agent.ID)
		if err != nil {
			return err
		}
		if err := s.emit(tx, append(ConversationEvents(l.agent.WorkspaceID, live.ConversationCautionChange, cleared...),
			agentEvent(l.agent.WorkspaceID, l.agent.ID, live.AgentActivated))...); err != nil {
			return err
		}
		if err := audit(tx, models.AuditEvent{WorkspaceID: l.agent.WorkspaceID, Action: models.AuditAgentActivated,
			TargetAgentID: &l.agent.ID, CreatedAt: now,
			Summary: summaryf("%s activated their account", l.agent.Email)}); err != nil {
			return err
		}
		if err := tx.Take(&l.agent, l.agent.ID).Error; err != nil {
			return err
		}
		token, exp, err := s.Sessions.Create(tx, l.agent.ID)
		res = models.AuthResult{Token: token, ExpiresAt: exp, Agent: &l.agent}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &res, nil
}
