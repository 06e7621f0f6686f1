// Package jobs runs agentdesk's background work on River, a durable job queue
// in the application's own database: sending the emails that mutations queue
// (the job is inserted in the mutation's transaction, so it exists exactly
// when the mutation committed, and survives restarts), and cleaning up dead
// sessions and activation links. Several server processes on one PostgreSQL
// share the queue; River locks each job, so one process works it.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"gorm.io/gorm"

	"agentdesk/db"
	"agentdesk/live"
	"agentdesk/mail"
)

// Config tunes delivery.
type Config struct {
	// MaxAttempts before an email is FAILED (MAIL_MAX_ATTEMPTS).
	MaxAttempts int
	// RetryBase is the first retry's delay; each next one doubles
	// (MAIL_RETRY_BASE). With 8 attempts and 30 s the last retry comes about
	// an hour after the first try.
	RetryBase time.Duration
	// PollInterval is how often an idle queue looks for work.
	PollInterval time.Duration
	// CleanupEvery is the period of the clean-up of expired sessions and
	// links.
	CleanupEvery time.Duration
	Now          func() time.Time
	Log          *slog.Logger
	// Live carries delivery status changes to subscribers (nil: none).
	Live *live.Broker
}

// Queue is the River client of one process.
type Queue struct {
	client      *river.Client[*sql.Tx]
	maxAttempts int
}

// NewInsertOnly returns a queue that only inserts jobs (nothing is worked in
// this process): for tools and tests that look at queued emails themselves.
func NewInsertOnly(d *db.DB, maxAttempts int) (*Queue, error) {
	client, err := river.NewClient(d.RiverDriver(), &river.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, err
	}
	return &Queue{client: client, maxAttempts: maxAttempts}, nil
}

// New returns a queue that works jobs once started.
func New(d *db.DB, deliverer mail.Deliverer, cfg Config) (*Queue, error) {
	workers := river.NewWorkers()
	river.AddWorker(workers, &EmailWorker{DB: d.DB, Deliverer: deliverer, Now: cfg.Now, Log: cfg.Log, Live: cfg.Live})
	river.AddWorker(workers, &CleanupWorker{DB: d.DB, Now: cfg.Now})
	client, err := river.NewClient(d.RiverDriver(), &river.Config{
		Logger:            cfg.Log,
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 4}},
		Workers:           workers,
		FetchPollInterval: cfg.PollInterval,
		FetchCooldown:     min(cfg.PollInterval, 100*time.Millisecond),
		RetryPolicy:       backoff{base: cfg.RetryBase},
		MaxAttempts:       cfg.MaxAttempts,
		PeriodicJobs: []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(cfg.CleanupEvery),
			func() (river.JobArgs, *river.InsertOpts) { return CleanupArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true})},
	})
	if err != nil {
		return nil, err
	}
	return &Queue{client: client, maxAttempts: cfg.MaxAttempts}, nil
}

// Start works jobs until Stop.
func (q *Queue) Start(ctx context.Context) error { return q.client.Start(ctx) }

// Stop stops fetching and waits for the jobs at hand to finish (up to ctx).
func (q *Queue) Stop(ctx context.Context) error {
	err := q.client.Stop(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		return q.client.StopAndCancel(context.Background())
	}
	return err
}

// EnqueueEmail inserts the job that sends an outbox email, in the caller's
// transaction: if the transaction rolls back, neither exists.
func (q *Queue) EnqueueEmail(tx *gorm.DB, emailID int64) error {
	sqlTx, ok := tx.Statement.ConnPool.(*sql.Tx)
	if !ok {
		return errors.New("jobs: EnqueueEmail needs a transaction")
	}
	_, err := q.client.InsertTx(tx.Statement.Context, sqlTx, SendEmailArgs{EmailID: emailID},
		&river.InsertOpts{MaxAttempts: q.maxAttempts})
	return err
}

// backoff is exponential: base, 2·base, 4·base, …
type backoff struct{ base time.Duration }

func (b backoff) NextRetry(job *rivertype.JobRow) time.Time {
	return time.Now().Add(b.base << max(job.Attempt-1, 0))
}
