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
	"fmt"
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
	// SendTimeout bounds one SMTP delivery (SMTP_TIMEOUT): a job runs at
	// most this plus jobSlack, and Stop waits this long for sends in
	// progress before cancelling them.
	SendTimeout time.Duration
	// RescueAfter is when a job still "running" is taken for abandoned (its
	// process died mid-send) and retried (MAIL_RESCUE_AFTER); it must exceed
	// SendTimeout plus jobSlack, or a slow send would be sent twice.
	RescueAfter time.Duration
	Now         func() time.Time
	Log         *slog.Logger
	// Live carries delivery status changes to subscribers (nil: none).
	Live *live.Broker
}

// Queue is the River client of one process.
type Queue struct {
	// inserter puts jobs in GORM's transactions (River's database/sql
	// driver); on PostgreSQL its insert also NOTIFYs the workers.
	inserter *river.Client[*sql.Tx]
	// runner works the jobs: on PostgreSQL a client on River's pgx driver,
	// which LISTENs, so a job committed on any replica wakes one at once; on
	// SQLite the inserter itself, polling (one process, no NOTIFY).
	runner      runner
	maxAttempts int
	sendTimeout time.Duration
}

// runner is what a River client of either driver offers to run jobs.
type runner interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
}

// jobSlack is what an email job does besides the SMTP exchange (reading
// the email, recording the outcome), as a bound on top of SendTimeout.
const jobSlack = 5 * time.Second

// DefaultRescueAfter is MAIL_RESCUE_AFTER's default: minutes, well above
// the default SMTP timeout plus jobSlack, far below River's hour.
const DefaultRescueAfter = 5 * time.Minute

// NewInsertOnly returns a queue that only inserts jobs (nothing is worked in
// this process): for tools and tests that look at queued emails themselves.
func NewInsertOnly(d *db.DB, maxAttempts int) (*Queue, error) {
	client, err := river.NewClient(d.RiverDriver(), &river.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, err
	}
	return &Queue{inserter: client, maxAttempts: maxAttempts}, nil
}

// New returns a queue that works jobs once started.
func New(d *db.DB, deliverer mail.Deliverer, cfg Config) (*Queue, error) {
	if cfg.SendTimeout <= 0 {
		return nil, errors.New("jobs: SendTimeout must be positive")
	}
	if cfg.RescueAfter <= cfg.SendTimeout+jobSlack {
		return nil, fmt.Errorf("MAIL_RESCUE_AFTER (%s) must exceed SMTP_TIMEOUT (%s) plus %s, or a slow send is sent twice",
			cfg.RescueAfter, cfg.SendTimeout, jobSlack)
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &EmailWorker{DB: d.DB, Deliverer: deliverer, Now: cfg.Now, Log: cfg.Log, Live: cfg.Live})
	river.AddWorker(workers, &CleanupWorker{DB: d.DB, Now: cfg.Now})
	workerConfig := &river.Config{
		Logger:               cfg.Log,
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 4}},
		Workers:              workers,
		FetchPollInterval:    cfg.PollInterval,
		FetchCooldown:        min(cfg.PollInterval, 100*time.Millisecond),
		RetryPolicy:          backoff{base: cfg.RetryBase},
		MaxAttempts:          cfg.MaxAttempts,
		JobTimeout:           cfg.SendTimeout + jobSlack,
		RescueStuckJobsAfter: cfg.RescueAfter,
		PeriodicJobs: []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(cfg.CleanupEvery),
			func() (river.JobArgs, *river.InsertOpts) { return CleanupArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true})},
	}
	q := &Queue{maxAttempts: cfg.MaxAttempts, sendTimeout: cfg.SendTimeout}
	if pgx := d.RiverPgxDriver(); pgx != nil {
		runner, err := river.NewClient(pgx, workerConfig)
		if err != nil {
			return nil, err
		}
		// Insert-only: no queues, so it never fetches. Its FetchCooldown is
		// how often it may NOTIFY the workers of new jobs: at River's
		// default (100 ms) an invitation committed soon after another was
		// not announced and waited for the next poll (p99 1 s, measured;
		// docs/PERFORMANCE.md). A NOTIFY per email costs next to nothing.
		inserter, err := river.NewClient(d.RiverDriver(), &river.Config{Logger: cfg.Log,
			FetchCooldown: river.FetchCooldownMin, MaxAttempts: cfg.MaxAttempts})
		if err != nil {
			return nil, err
		}
		q.runner, q.inserter = runner, inserter
		return q, nil
	}
	client, err := river.NewClient(d.RiverDriver(), workerConfig)
	if err != nil {
		return nil, err
	}
	q.runner, q.inserter = client, client
	return q, nil
}

// Start works jobs until Stop.
func (q *Queue) Start(ctx context.Context) error {
	if q.runner == nil {
		return errors.New("jobs: an insert-only queue works no jobs")
	}
	return q.runner.Start(ctx)
}

// Stop stops fetching and waits for the sends in progress to finish, up to
// the SMTP timeout (a send that got that far has its whole time), then
// cancels what is left: those jobs are retried, here after a restart or on
// another replica, and one whose message the SMTP server had already taken
// is then delivered twice (README "Email delivery").
func (q *Queue) Stop(ctx context.Context) error {
	if q.runner == nil {
		return nil // insert-only: nothing runs
	}
	waitCtx, cancel := context.WithTimeout(ctx, q.sendTimeout)
	defer cancel()
	err := q.runner.Stop(waitCtx)
	if errors.Is(err, context.DeadlineExceeded) {
		// Cancelled sends return at once (the SMTP client honours its
		// context); the bound only keeps a stuck job from holding the exit.
		cancelCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		return q.runner.StopAndCancel(cancelCtx)
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
	_, err := q.inserter.InsertTx(tx.Statement.Context, sqlTx, SendEmailArgs{EmailID: emailID},
		&river.InsertOpts{MaxAttempts: q.maxAttempts})
	return err
}

// backoff is exponential: base, 2·base, 4·base, …
type backoff struct{ base time.Duration }

func (b backoff) NextRetry(job *rivertype.JobRow) time.Time {
	return time.Now().Add(b.base << max(job.Attempt-1, 0))
}
