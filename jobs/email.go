package jobs

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"agentdesk/live"
	"agentdesk/mail"
	"agentdesk/models"
)

// SendEmailArgs is the job that sends one outbox email.
type SendEmailArgs struct {
	EmailID int64 `json:"email_id"`
}

// Kind implements river.JobArgs.
func (SendEmailArgs) Kind() string { return "send_email" }

// EmailWorker sends outbox emails and records the outcome on the email and on
// the invitation it belongs to.
type EmailWorker struct {
	river.WorkerDefaults[SendEmailArgs]
	DB        *gorm.DB
	Deliverer mail.Deliverer
	Now       func() time.Time
	Log       *slog.Logger
	// Live tells the Agents page that an invitation's deliveryStatus moved
	// (nil: nobody listens).
	Live *live.Broker
}

// Work sends the email unless its link died first (re-sent, used, revoked,
// expired): a dead link is never emailed. A delivery error is returned so
// River retries with back-off; after the last attempt the invitation shows
// FAILED, the admin's cue to re-send.
func (w *EmailWorker) Work(ctx context.Context, job *river.Job[SendEmailArgs]) error {
	db := w.DB.WithContext(ctx)
	var e models.Email
	err := db.Take(&e, job.Args.EmailID).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil // cleaned up since: nothing left to send
	}
	if err != nil {
		return err
	}
	if e.State != models.EmailQueued {
		return nil // already handled (a retry after a lost acknowledgement)
	}
	now := w.Now()
	var live int64
	if err := db.Model(&models.ActivationToken{}).
		Where("id = ? AND consumed_at IS NULL AND revoked_at IS NULL AND expires_at > ?", e.TokenID, now).
		Count(&live).Error; err != nil {
		return err
	}
	if live == 0 {
		return w.finish(db, &e, job.Attempt, models.EmailDropped, "link no longer live", nil)
	}
	if err := w.Deliverer.Deliver(ctx, &e); err != nil {
		if ctx.Err() != nil {
			return err // shutting down: River retries it
		}
		w.Log.Warn("email delivery failed", "email_id", e.ID, "attempt", job.Attempt, "of", job.MaxAttempts, "err", err)
		if job.Attempt >= job.MaxAttempts {
			if ferr := w.finish(db, &e, job.Attempt, models.EmailFailed, err.Error(), nil); ferr != nil {
				return ferr
			}
			return river.JobCancel(err)
		}
		if uerr := db.Model(&e).Updates(map[string]any{"attempts": job.Attempt, "last_error": err.Error(),
			"updated_at": w.Now()}).Error; uerr != nil {
			return uerr
		}
		return err
	}
	return w.finish(db, &e, job.Attempt, models.EmailSent, "", &now)
}

// finish records the email's final state and mirrors it on the agent's
// invitation when it is still the invitation's current email.
func (w *EmailWorker) finish(db *gorm.DB, e *models.Email, attempt int, state models.EmailState, lastErr string, sentAt *time.Time) error {
	ctx, events := live.Begin(db.Statement.Context)
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// Once handled, the bodies (which hold the link's token) are not kept.
		if err := tx.Model(e).Updates(map[string]any{
			"state": state, "attempts": attempt, "last_error": lastErr,
			"sent_at": sentAt, "body_text": "", "body_html": "", "updated_at": w.Now(),
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
		mirrored := tx.Model(&models.Agent{}).Where("id = ? AND link_email_id = ?", e.AgentID, e.ID).
			Update("link_delivery_state", delivery)
		if mirrored.Error != nil || mirrored.RowsAffected == 0 {
			return mirrored.Error
		}
		exec := func(sql string, args ...any) error { return tx.Exec(sql, args...).Error }
		return w.Live.Emit(tx.Statement.Context, exec, live.Event{Kind: live.AgentChanged, WorkspaceID: e.WorkspaceID, ID: e.AgentID,
			Change: live.AgentDeliveryStatusChanged})
	})
	if err == nil {
		w.Live.Committed(events)
	}
	return err
}
