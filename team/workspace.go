package team

import (
	"context"
	"errors"
	"maps"
	"slices"

	"gorm.io/gorm"

	"agentdesk/apperr"
	"agentdesk/auth"
	"agentdesk/live"
	"agentdesk/models"
	"agentdesk/validate"
)

// CreateWorkspace creates a workspace, its four built-in roles and its Owner,
// and signs the Owner in. An email that already has an account must give that
// account's password (one account, one password).
// Needs no viewer: public sign-up (ALLOW_SIGNUP).
func (s *Service) CreateWorkspace(ctx context.Context, in models.CreateWorkspaceInput) (_ *models.AuthResult, err error) {
	if !s.Config.AllowSignup {
		return nil, apperr.New(apperr.Forbidden, "Sign-up is switched off on this server.")
	}
	wsName, err := validate.Name("workspaceName", in.WorkspaceName, 1, 100, "The workspace name")
	if err != nil {
		return nil, err
	}
	ownerName, err := validate.Name("ownerName", in.OwnerName, 1, 100, "The name")
	if err != nil {
		return nil, err
	}
	email, err := validate.Email("ownerEmail", in.OwnerEmail)
	if err != nil {
		return nil, err
	}
	if err := validate.NewPassword("password", in.Password); err != nil {
		return nil, err
	}
	// Spent before the password is hashed or checked, so a refused client
	// costs no hashing; given back whenever no workspace is created, so only
	// created workspaces count.
	giveBack, err := s.spendSignup(ctx, in.Client)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			giveBack()
		}
	}()
	account, err := s.accountByEmail(s.DB.WithContext(ctx), email)
	if err != nil {
		return nil, err
	}
	var newHash string
	if account != nil {
		if !s.Passwords.Verify(in.Password, account.PasswordHash) {
			return nil, apperr.New(apperr.InvalidCredentials, "This email already has an account; give its password.")
		}
	} else {
		newHash = s.Passwords.Hash(in.Password) // slow: kept out of the transaction
	}

	var res models.AuthResult
	err = s.InTx(ctx, func(tx *gorm.DB) error {
		now := s.Timestamp()
		// account stays as read before the transaction, so a retried attempt
		// creates again what the rolled-back one had created.
		account := account
		if account == nil {
			account = &models.Account{Email: email, Name: ownerName, PasswordHash: newHash, CreatedAt: now, UpdatedAt: now}
			if err := tx.Create(account).Error; err != nil {
				return err
			}
		}
		ws := models.Workspace{Name: wsName, CreatedAt: now, UpdatedAt: now}
		if err := tx.Create(&ws).Error; err != nil {
			return err
		}
		roles := models.BuiltinRoles(ws.ID)
		for i := range roles {
			roles[i].CreatedAt, roles[i].UpdatedAt = now, now
		}
		if err := tx.Create(&roles).Error; err != nil {
			return err
		}
		owner := models.Agent{
			WorkspaceID: ws.ID, AccountID: &account.ID, Email: email, Name: account.Name,
			Status: models.AgentActive, InvitedAt: now, ActivatedAt: &now,
			LinkSentAt: now, LinkExpiresAt: now, LinkSendCount: 0, LinkDeliveryState: models.DeliverySent,
			CreatedAt: now, UpdatedAt: now,
		}
		if err := tx.Create(&owner).Error; err != nil {
			return err
		}
		if err := setRoles(tx, owner.ID, roles[:1]); err != nil {
			return err
		}
		if err := audit(tx, models.AuditEvent{WorkspaceID: ws.ID, Action: models.AuditWorkspaceCreated,
			ActorID: &owner.ID, TargetAgentID: &owner.ID, CreatedAt: now,
			Summary: summaryf("Created workspace %q with %s as Owner", ws.Name, email)}); err != nil {
			return err
		}
		token, exp, err := s.Sessions.Create(tx, owner.ID)
		if err != nil {
			return err
		}
		res = models.AuthResult{Token: token, ExpiresAt: exp, Agent: &owner}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// UpdateWorkspace renames the workspace or sets its seat limit
// (WORKSPACE_MANAGE). A limit below the seats in use is refused.
// Needs WORKSPACE_MANAGE.
func (s *Service) UpdateWorkspace(ctx context.Context, v *auth.Viewer, in models.UpdateWorkspaceInput) (*models.Workspace, error) {
	if err := v.Require(models.PermWorkspaceManage); err != nil {
		return nil, err
	}
	updates := map[string]any{}
	var changes []string
	if in.Name != nil {
		name, err := validate.Name("name", *in.Name, 1, 100, "The workspace name")
		if err != nil {
			return nil, err
		}
		updates["name"] = name
		changes = append(changes, summaryf("name to %q", name))
	}
	if in.SeatLimit != nil && (*in.SeatLimit < 0 || *in.SeatLimit > 1_000_000) {
		return nil, apperr.Input("seatLimit", "The seat limit must be between 0 (unlimited) and 1000000.")
	}
	var ws models.Workspace
	nameUpdates, nameChanges := updates, changes
	err := s.InTx(ctx, func(tx *gorm.DB) error {
		if err := s.lockWorkspace(tx, v.WorkspaceID); err != nil {
			return err
		}
		// Each attempt starts from the name change alone, so a retry does
		// not repeat the seat limit in the audit summary.
		updates, changes := maps.Clone(nameUpdates), slices.Clone(nameChanges)
		if in.SeatLimit != nil {
			if *in.SeatLimit == 0 {
				updates["seat_limit"] = nil
				changes = append(changes, "seat limit to unlimited")
			} else {
				used, err := s.seatsUsed(tx, v.WorkspaceID)
				if err != nil {
					return err
				}
				if int64(*in.SeatLimit) < used {
					return apperr.Input("seatLimit", "%d seats are in use; remove agents or choose at least %d.", used, used)
				}
				updates["seat_limit"] = *in.SeatLimit
				changes = append(changes, summaryf("seat limit to %d", *in.SeatLimit))
			}
		}
		if len(updates) > 0 {
			updates["updated_at"] = s.Timestamp()
			if err := tx.Model(&models.Workspace{ID: v.WorkspaceID}).Updates(updates).Error; err != nil {
				return err
			}
			summary := "Changed workspace " + joinAnd(changes)
			if err := audit(tx, models.AuditEvent{WorkspaceID: v.WorkspaceID, Action: models.AuditWorkspaceUpdated,
				ActorID: &v.AgentID, Summary: summary, CreatedAt: s.Timestamp()}); err != nil {
				return err
			}
		}
		return tx.Take(&ws, v.WorkspaceID).Error
	})
	if err != nil {
		return nil, err
	}
	return &ws, nil
}

func joinAnd(parts []string) string {
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	default:
		out := parts[0]
		for _, p := range parts[1 : len(parts)-1] {
			out += ", " + p
		}
		return out + " and " + parts[len(parts)-1]
	}
}

// seatsUsed counts PENDING + ACTIVE agents.
func (s *Service) seatsUsed(tx *gorm.DB, workspaceID int64) (int64, error) {
	var n int64
	err := tx.Model(&models.Agent{}).
		Where("workspace_id = ? AND status IN ?", workspaceID, models.SeatStatuses).
		Count(&n).Error
	return n, err
}

func (s *Service) accountByEmail(tx *gorm.DB, email string) (*models.Account, error) {
	var a models.Account
	err := tx.Where("lower(email) = ?", email).Take(&a).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// Login answers INVALID_CREDENTIALS for every failure, and spends the same
// password-hashing time whether or not the email has an account.
// Needs no viewer.
func (s *Service) Login(ctx context.Context, in models.LoginInput) (*models.AuthResult, error) {
	fail := apperr.New(apperr.InvalidCredentials, "Wrong email or password.")
	// No account has an address that validate.Email refuses, so saying so
	// reveals nothing; and a NUL or a megabyte never reaches the database.
	email, err := validate.Email("email", in.Email)
	if err != nil {
		return nil, err
	}
	// No password is longer than validate.NewPassword allows (128 characters, at
	// most 512 bytes): a longer one is wrong for every account, and hashing
	// a megabyte would cost more than a normal attempt.
	if len(in.Password) > validate.MaxPasswordBytes {
		return nil, fail
	}
	tx := s.DB.WithContext(ctx)
	account, err := s.accountByEmail(tx, email)
	if err != nil {
		return nil, err
	}
	if account == nil {
		s.Passwords.VerifyNothing(in.Password)
		return nil, fail
	}
	if !s.Passwords.Verify(in.Password, account.PasswordHash) {
		return nil, fail
	}
	var agents []models.Agent
	q := tx.Where("account_id = ? AND status = ?", account.ID, models.AgentActive)
	if in.WorkspaceID != nil {
		q = q.Where("workspace_id = ?", *in.WorkspaceID)
	}
	if err := q.Order("id").Find(&agents).Error; err != nil {
		return nil, err
	}
	switch {
	case len(agents) == 0:
		return nil, fail
	case len(agents) > 1:
		// The password was right, so telling this reveals nothing new.
		return nil, apperr.Input("workspaceId", "This account is active in several workspaces; choose one with workspaceId.")
	}
	var res models.AuthResult
	err = s.InTx(ctx, func(tx *gorm.DB) error {
		token, exp, err := s.Sessions.Create(tx, agents[0].ID)
		res = models.AuthResult{Token: token, ExpiresAt: exp, Agent: &agents[0]}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// Logout revokes the session of token; the session's live sockets close.
// Needs no permission: the session token is the proof.
func (s *Service) Logout(ctx context.Context, token string) error {
	return s.InTx(ctx, func(tx *gorm.DB) error {
		var sess models.Session
		err := tx.Where("token_hash = ? AND revoked_at IS NULL", auth.HashToken(token)).Take(&sess).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil // already dead: nothing to end
		}
		if err != nil {
			return err
		}
		if err := tx.Model(&sess).Update("revoked_at", s.Sessions.Now()).Error; err != nil {
			return err
		}
		var workspaceIDs []int64
		if err := tx.Model(&models.Agent{}).Where("id = ?", sess.AgentID).Pluck("workspace_id", &workspaceIDs).Error; err != nil || len(workspaceIDs) != 1 {
			return err
		}
		return s.emit(tx, live.Event{Kind: live.SessionEnded, WorkspaceID: workspaceIDs[0], ID: sess.AgentID, SessionID: sess.ID})
	})
}
