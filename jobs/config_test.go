package jobs_test

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"agentdesk/db"
	"agentdesk/db/dbtest"
	"agentdesk/jobs"
	"agentdesk/mail"
)

// TestRescueMustOutlastASend: a rescue time at or under the SMTP timeout
// plus the job's slack would retry a send still in progress (a duplicate
// email for every slow send), so the queue refuses it; one above is taken.
func TestRescueMustOutlastASend(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		database := dbtest.Open(t, d, nil)
		cfg := func(send, rescue time.Duration) jobs.Config {
			return jobs.Config{MaxAttempts: 3, RetryBase: time.Second, PollInterval: time.Second, CleanupEvery: time.Hour,
				SendTimeout: send, RescueAfter: rescue, Now: time.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		}
		deliverer := mail.LogDeliverer{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		for _, rescue := range []time.Duration{15 * time.Second, 20 * time.Second} {
			_, err := jobs.New(database, deliverer, cfg(15*time.Second, rescue))
			if err == nil || !strings.Contains(err.Error(), "MAIL_RESCUE_AFTER") {
				t.Fatalf("rescue after %s with a 15 s send: %v, want refused", rescue, err)
			}
		}
		if _, err := jobs.New(database, deliverer, cfg(15*time.Second, 21*time.Second)); err != nil {
			t.Fatalf("rescue after 21 s with a 15 s send: %v", err)
		}
		if _, err := jobs.New(database, deliverer, cfg(0, time.Minute)); err == nil {
			t.Fatal("no send timeout was accepted")
		}
	})
}
