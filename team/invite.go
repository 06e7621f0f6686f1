package team

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"gorm.io/gorm"

	"agentdesk/apperr"
	"agentdesk/auth"
	"agentdesk/live"
	"agentdesk/mail"
	"agentdesk/models"
	"agentdesk/validate"
)

// InviteAgent invites an email with roles: a new PENDING agent, or the same
// agent again (same id, only the new roles) when that email was REMOVED here.
// The agent, its roles, its activation token and the email are written in one
// transaction.
// Needs AGENTS_INVITE, and every permission of the roles granted (only an
// Owner grants Owner).
func (s *Service) InviteAgent(ctx context.Context, v *auth.Viewer, rawEmail string, roleIDs []int64) (*models.Agent, error) {
	if err := v.Require(models.PermAgentsInvite); err != nil {
		return nil, err
	}
	email, err := validate.Email("email", rawEmail)
	if err != nil {
		return nil, err
	}
	if len(roleIDs) == 0 {
		return nil, apperr.Input("roleIds", "Choose at least one role.")
	}
	var agent models.Agent
	err = s.InTx(ctx, func(tx *gorm.DB) error {
		if err := s.lockWorkspace(tx, v.WorkspaceID); err != nil {
			return err
		}
		roles, err := rolesInWorkspace(tx, v.WorkspaceID, roleIDs, "roleIds")
		if err != nil {
			return err
		}
		if err := checkGrant(v, roles); err != nil {
			return err
		}
		// A retried attempt starts from no agent: Take would otherwise add
		// the rolled-back attempt's id to its WHERE.
		agent = models.Agent{}
		existing := tx.Where("workspace_id = ? AND lower(email) = ?", v.WorkspaceID, email).Take(&agent)
		reinvite := existing.Error == nil
		if existing.Error != nil && !errors.Is(existing.Error, gorm.ErrRecordNotFound) {
			return existing.Error
		}
		now := s.Timestamp()
		facts := s.factsIn(tx, v.WorkspaceID)
		if reinvite {
			if err := s.checkInviteExisting(&agent, now, facts); err != nil {
				return err
			}
		} else if err := facts.CheckSeat(); err != nil {
			return err
		}
		if reinvite {
			// The same row comes back, so history that points at it stays whole.
			agent.Status = models.AgentPending
			agent.InvitedAt, agent.InvitedByID = now, &v.AgentID
			agent.ActivatedAt, agent.RemovedAt, agent.RemovedByID = nil, nil, nil
			agent.LinkSendCount = 0
			agent.UpdatedAt = now
			// Updates and a row count, never Save: Save inserts when the
			// update finds no row.
			back := tx.Model(&models.Agent{}).Where("id = ? AND status = ?", agent.ID, models.AgentRemoved).
				Updates(map[string]any{"status": agent.Status, "invited_at": now, "invited_by_id": v.AgentID,
					"activated_at": nil, "removed_at": nil, "removed_by_id": nil, "link_send_count": 0, "updated_at": now})
			if back.Error != nil {
				return back.Error
			}
			if back.RowsAffected != 1 {
				return apperr.New(apperr.Conflict, "%s changed in the meantime; try again.", email)
			}
		} else {
			agent = models.Agent{WorkspaceID: v.WorkspaceID, Email: email, Status: models.AgentPending,
				InvitedAt: now, InvitedByID: &v.AgentID, LinkSentAt: now, LinkExpiresAt: now,
				LinkDeliveryState: models.DeliveryQueued, CreatedAt: now, UpdatedAt: now}
			if err := tx.Create(&agent).Error; err != nil {
				return err
			}
		}
		if err := setRoles(tx, agent.ID, roles); err != nil {
			return err
		}
		if err := s.issueLink(tx, v, &agent, false); err != nil {
			return err
		}
		action, verb, change := models.AuditAgentInvited, "Invited", live.AgentInvited
		if reinvite {
			action, verb, change = models.AuditAgentReinvited, "Re-invited", live.AgentReinvited
		}
		if err := s.emit(tx, agentEvent(v.WorkspaceID, agent.ID, change)); err != nil {
			return err
		}
		return audit(tx, models.AuditEvent{WorkspaceID: v.WorkspaceID, Action: action, ActorID: &v.AgentID,
			TargetAgentID: &agent.ID, CreatedAt: now,
			Summary: summaryf("%s %s as %s", verb, email, roleNames(roles))})
	})
	if err != nil {
		return nil, err
	}
	return &agent, nil
}

func (s *Service) checkSeat(tx *gorm.DB, workspaceID int64) error {
	var ws models.Workspace
	if err := tx.Take(&ws, workspaceID).Error; err != nil {
		return err
	}
	if ws.SeatLimit == nil {
		return nil
	}
	used, err := s.seatsUsed(tx, workspaceID)
	if err != nil {
		return err
	}
	if used >= int64(*ws.SeatLimit) {
		return apperr.New(apperr.SeatLimitReached, "All %d seats of this workspace are taken.", *ws.SeatLimit)
	}
	return nil
}

// ResendActivationLink issues a new link to a PENDING agent: the old link
// dies at once, the expiry restarts, and the send count grows.
// Needs AGENTS_INVITE.
func (s *Service) ResendActivationLink(ctx context.Context, v *auth.Viewer, agentID int64) (*models.Agent, error) {
	if err := v.Require(models.PermAgentsInvite); err != nil {
		return nil, err
	}
	var agent *models.Agent
	err := s.InTx(ctx, func(tx *gorm.DB) error {
		var err error
		if agent, err = s.lockedAgent(tx, v.WorkspaceID, agentID); err != nil {
			return err
		}
		if err := checkResend(v, agent); err != nil {
			return err
		}
		now := s.Timestamp()
		if err := s.checkCooldown(agent, now); err != nil {
			return err
		}
		if err := revokeLinks(tx, agent.ID, now); err != nil {
			return err
		}
		if err := s.issueLink(tx, v, agent, true); err != nil {
			return err
		}
		if err := s.emit(tx, agentEvent(v.WorkspaceID, agent.ID, live.AgentLinkResent)); err != nil {
			return err
		}
		return audit(tx, models.AuditEvent{WorkspaceID: v.WorkspaceID, Action: models.AuditActivationLinkResent,
			ActorID: &v.AgentID, TargetAgentID: &agent.ID, CreatedAt: now,
			Summary: summaryf("Re-sent the activation link to %s", agent.Email)})
	})
	if err != nil {
		return nil, err
	}
	return agent, nil
}

// checkCooldown answers RATE_LIMITED while the agent's last link is younger
// than RESEND_COOLDOWN. The agent row is the address in this workspace (one
// agent per email and workspace), and its link_sent_at moves with every
// activation email queued, so this bounds what one address receives.
func (s *Service) checkCooldown(agent *models.Agent, now time.Time) error {
	if wait := agent.LinkSentAt.Add(s.Config.ResendCooldown).Sub(now); wait > 0 {
		return rateLimited("A link was sent to this address moments ago; try again shortly.", wait)
	}
	return nil
}

// DefaultMailWorkspaceDailyLimit is MAIL_WORKSPACE_DAILY_LIMIT's default.
const DefaultMailWorkspaceDailyLimit = 500

// checkDailyEmails answers RATE_LIMITED when the workspace has queued
// MAIL_WORKSPACE_DAILY_LIMIT activation emails (invites, re-invites,
// re-sends) in the last 24 hours, or MAIL_NEW_WORKSPACE_DAILY_LIMIT while
// it is younger than a day: sign-up is public, so without it anyone could
// relay mail to a list of victims through us, and a fresh workspace is the
// cheapest sender there is. Counted from the emails table in the caller's
// transaction, under the workspace lock, so every replica sees the same
// count and two invites cannot both take the last slot. (Emails leave the
// table only with their activation token, a day after it died, so none
// younger than a day is missing.)
// It also says whether the workspace is young, for checkRecipient.
func (s *Service) checkDailyEmails(tx *gorm.DB, workspaceID int64, now time.Time) (young bool, err error) {
	normal := positiveOr(s.Config.MailWorkspaceDailyLimit, DefaultMailWorkspaceDailyLimit)
	limit := normal
	var ws models.Workspace
	if err := tx.Select("created_at").Where("id = ?", workspaceID).Take(&ws).Error; err != nil {
		return false, err
	}
	established := ws.CreatedAt.Add(newWorkspaceAge)
	young = established.After(now)
	if young {
		limit = min(normal, positiveOr(s.Config.MailNewWorkspaceDailyLimit, DefaultMailNewWorkspaceDailyLimit))
	}
	sent, frees, err := emailsInWindow(tx, now, limit, "workspace_id = ?", workspaceID)
	if err != nil || sent < int64(limit) {
		return young, err
	}
	if young && sent < int64(normal) {
		// Every email of a young workspace is younger than the workspace,
		// so none leaves the window before it turns a day old and gets the
		// full limit.
		return young, rateLimited(fmt.Sprintf("This workspace is new: it may send %d invitation emails in its first 24 hours; try again later.", limit),
			established.Sub(now))
	}
	return young, rateLimited(fmt.Sprintf("This workspace has sent %d invitation emails in the last 24 hours, its limit; try again later.", sent),
		frees)
}

// mailWindow is the period of MAIL_WORKSPACE_DAILY_LIMIT.
const mailWindow = 24 * time.Hour

func rateLimited(msg string, wait time.Duration) error {
	e := apperr.New(apperr.RateLimited, "%s", msg)
	e.RetryAfterSeconds = max(1, int(math.Ceil(wait.Seconds())))
	return e
}

// revokeLinks kills every live activation token of an agent.
func revokeLinks(tx *gorm.DB, agentID int64, now time.Time) error {
	return tx.Model(&models.ActivationToken{}).
		Where("agent_id = ? AND consumed_at IS NULL AND revoked_at IS NULL", agentID).
		Update("revoked_at", now).Error
}

// issueLink creates an activation token for the agent, queues the email that
// carries it, and records the link on the agent's invitation.
func (s *Service) issueLink(tx *gorm.DB, v *auth.Viewer, agent *models.Agent, resend bool) error {
	now := s.Timestamp()
	young, err := s.checkDailyEmails(tx, v.WorkspaceID, now)
	if err != nil {
		return err
	}
	recipient := RecipientKey(agent.Email)
	if err := s.checkRecipient(tx, v.WorkspaceID, young, recipient, now); err != nil {
		return err
	}
	token, hash := auth.NewToken()
	at := models.ActivationToken{AgentID: agent.ID, TokenHash: hash, ExpiresAt: now.Add(s.Config.InvitationTTL), CreatedAt: now}
	if err := tx.Create(&at).Error; err != nil {
		return err
	}
	var names struct {
		Workspace string
		Inviter   string
	}
	if err := tx.Raw(`SELECT w.name AS workspace, a.name AS inviter FROM workspaces w
		JOIN agents a ON a.id = ? WHERE w.id = ?`, v.AgentID, v.WorkspaceID).Scan(&names).Error; err != nil {
		return err
	}
	// Names stored before validate.Name refused control and bidi characters
	// lose them here, so none reaches an email.
	msg, err := mail.Activation{WorkspaceName: validate.DisplayName(names.Workspace), InvitedByName: validate.DisplayName(names.Inviter),
		PublicURL: s.Config.PublicURL, Token: token, ExpiresAt: at.ExpiresAt, Resend: resend}.Render()
	if err != nil {
		return err
	}
	email := models.Email{WorkspaceID: v.WorkspaceID, AgentID: agent.ID, TokenID: at.ID, ToAddress: agent.Email,
		RecipientKey: recipient, Subject: msg.Subject, BodyText: msg.Text, BodyHTML: msg.HTML, State: models.EmailQueued,
		CreatedAt: now, UpdatedAt: now}
	if err := tx.Create(&email).Error; err != nil {
		return err
	}
	if err := s.Emails.EnqueueEmail(tx, email.ID); err != nil {
		return err
	}
	agent.LinkSentAt, agent.LinkExpiresAt = now, at.ExpiresAt
	agent.LinkSendCount++
	agent.LinkDeliveryState, agent.LinkEmailID = models.DeliveryQueued, &email.ID
	agent.UpdatedAt = now
	return tx.Model(agent).Updates(map[string]any{
		"link_sent_at": agent.LinkSentAt, "link_expires_at": agent.LinkExpiresAt,
		"link_send_count": agent.LinkSendCount, "link_delivery_state": agent.LinkDeliveryState,
		"link_email_id": agent.LinkEmailID, "updated_at": now,
	}).Error
}
