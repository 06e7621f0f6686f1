package mail

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"gorm.io/gorm"

	"agentdesk/models"
)

// Deliverer hands one email to the outside world.
type Deliverer interface {
	Deliver(ctx context.Context, e *models.Email) error
}

// LogDeliverer writes each email, with its activation link, to the log. It
// is the development default when no SMTP_URL is set.
type LogDeliverer struct{ Log *slog.Logger }

// Deliver implements Deliverer.
func (d LogDeliverer) Deliver(_ context.Context, e *models.Email) error {
	d.Log.Info("email (SMTP_URL not set, so it is logged instead of sent)",
		"to", e.ToAddress, "subject", e.Subject, "body", e.BodyText)
	return nil
}

// Sender delivers queued emails from the outbox table.
type Sender struct {
	DB        *gorm.DB
	Deliverer Deliverer
	Log       *slog.Logger
	Now       func() time.Time
	// Interval between scans of the queue.
	Interval time.Duration
	// MaxAttempts before an email is FAILED; backoff doubles from BaseBackoff.
	MaxAttempts int
	BaseBackoff time.Duration
}

// Run delivers due emails until ctx ends, then makes a last pass so work
// queued before shutdown is flushed.
func (s *Sender) Run(ctx context.Context) {
	t := time.NewTicker(s.Interval)
	defer t.Stop()
	for {
		if _, err := s.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			s.Log.Error("email sender", "err", err)
		}
		select {
		case <-ctx.Done():
			flush, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if _, err := s.DeliverDue(flush); err != nil {
				s.Log.Error("email sender: final flush", "err", err)
			}
			cancel()
			return
		case <-t.C:
		}
	}
}

// DeliverDue delivers every queued email that is due and returns how many it
// handled (sent, dropped or failed).
func (s *Sender) DeliverDue(ctx context.Context) (int, error) {
	var due []models.Email
	err := s.DB.WithContext(ctx).Where("state = ? AND next_attempt_at <= ?", models.EmailQueued, s.Now()).
		Order("next_attempt_at, id").Limit(100).Find(&due).Error
	if err != nil {
		return 0, err
	}
	for i := range due {
		if err := s.deliverOne(ctx, &due[i]); err != nil {
			return i, err
		}
	}
	return len(due), nil
}

func (s *Sender) deliverOne(ctx context.Context, e *models.Email) error {
	db := s.DB.WithContext(ctx)
	now := s.Now()
	// Never email a dead link: one re-sent, used, revoked or expired since.
	var live int64
	if err := db.Model(&models.ActivationToken{}).
		Where("id = ? AND consumed_at IS NULL AND revoked_at IS NULL AND expires_at > ?", e.TokenID, now).
		Count(&live).Error; err != nil {
		return err
	}
	if live == 0 {
		return s.finish(db, e, models.EmailDropped, "link no longer live", nil)
	}
	deliverErr := s.Deliverer.Deliver(ctx, e)
	if deliverErr == nil {
		return s.finish(db, e, models.EmailSent, "", &now)
	}
	if errors.Is(deliverErr, context.Canceled) {
		return nil
	}
	s.Log.Warn("email delivery failed", "email_id", e.ID, "attempt", e.Attempts+1, "err", deliverErr)
	if e.Attempts+1 >= s.MaxAttempts {
		return s.finish(db, e, models.EmailFailed, deliverErr.Error(), nil)
	}
	backoff := s.BaseBackoff << e.Attempts
	return db.Model(e).Updates(map[string]any{
		"attempts": e.Attempts + 1, "next_attempt_at": now.Add(backoff),
		"last_error": deliverErr.Error(), "updated_at": now,
	}).Error
}

// finish records the email's final state and mirrors it on the agent's
// invitation when it is still the invitation's current email.
func (s *Sender) finish(db *gorm.DB, e *models.Email, state models.EmailState, lastErr string, sentAt *time.Time) error {
	return db.Transaction(func(tx *gorm.DB) error {
		// Once handled, the body (which holds the link's token) is not kept.
		if err := tx.Model(e).Updates(map[string]any{
			"state": state, "attempts": e.Attempts + 1, "last_error": lastErr,
			"sent_at": sentAt, "body_text": "", "updated_at": s.Now(),
		}).Error; err != nil {
			return err
		}
		var delivery models.EmailDeliveryStatus
		switch state {
		case models.EmailSent:
			delivery = models.DeliverySent
		case models.EmailFailed:
			delivery = models.DeliveryFailed
		default:
			return nil
		}
		return tx.Model(&models.Agent{}).Where("id = ? AND link_email_id = ?", e.AgentID, e.ID).
			Update("link_delivery_state", delivery).Error
	})
}
