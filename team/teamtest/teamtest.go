// Package teamtest builds the rules' service on a test database, the same way
// for every package's tests.
package teamtest

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"agentdesk/auth"
	"agentdesk/db"
	"agentdesk/jobs"
	"agentdesk/live"
	"agentdesk/team"
)

// CheapArgon2 keeps password hashing fast in tests; stored hashes carry their
// parameters, so the code path is the production one.
var CheapArgon2 = auth.Argon2Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}

// PublicURL is the base of the activation links tests receive.
const PublicURL = "https://desk.example.com"

// New returns a service on database with the contract's default settings and
// the given clock (nil: the wall clock). Email jobs are inserted as in
// production but not worked, so tests can read the queued emails; delivery
// tests start a working queue themselves.
func New(t testing.TB, database *db.DB, now func() time.Time) *team.Service {
	t.Helper()
	if now == nil {
		now = func() time.Time { return time.Now().UTC() }
	}
	queue, err := jobs.NewInsertOnly(database, 3)
	if err != nil {
		t.Fatal(err)
	}
	return &team.Service{
		DB: database, Now: now, Emails: queue,
		Sessions:  &auth.Sessions{DB: database.DB, TTL: 720 * time.Hour, Now: now},
		Passwords: auth.NewPasswords(CheapArgon2),
		Config: team.Config{PublicURL: PublicURL, AllowSignup: true,
			InvitationTTL: 168 * time.Hour, ResendCooldown: 60 * time.Second},
	}
}

// Broker returns the live-update broker a server on database uses: through
// LISTEN/NOTIFY on PostgreSQL, in process on SQLite. It stops with the test.
func Broker(t testing.TB, database *db.DB) *live.Broker {
	t.Helper()
	if database.Dialect != db.Postgres {
		return live.NewLocal()
	}
	b, err := live.NewPostgres(context.Background(), database.URL, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}
