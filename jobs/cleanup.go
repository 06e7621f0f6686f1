package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"agentdesk/models"
)

// CleanupArgs is the periodic clean-up of dead sessions and links.
type CleanupArgs struct{}

// Kind implements river.JobArgs.
func (CleanupArgs) Kind() string { return "cleanup" }

// cleanupGrace keeps dead rows a day, so a just-revoked session or link still
// answers as it did, and recent history can be looked at.
const cleanupGrace = 24 * time.Hour

// CleanupWorker deletes sessions and activation links that have been dead
// (expired, revoked, used) for longer than a day, with the emails that
// carried those links.
type CleanupWorker struct {
	river.WorkerDefaults[CleanupArgs]
	DB  *gorm.DB
	Now func() time.Time
}

// Work implements river.Worker.
func (w *CleanupWorker) Work(ctx context.Context, _ *river.Job[CleanupArgs]) error {
	cutoff := w.Now().Add(-cleanupGrace)
	db := w.DB.WithContext(ctx)
	if err := db.Where("expires_at < ? OR revoked_at < ?", cutoff, cutoff).Delete(&models.Session{}).Error; err != nil {
		return err
	}
	return db.Where("expires_at < ? OR revoked_at < ? OR consumed_at < ?", cutoff, cutoff, cutoff).
		Delete(&models.ActivationToken{}).Error
}
