// Package teamtest builds the rules' service on a test database, the same way
// for every package's tests.
package teamtest

import (
	"context"
	"log/slog"
	"regexp"
	"testing"
	"time"

	"agentdesk/auth"
	"agentdesk/db"
	"agentdesk/jobs"
	"agentdesk/live"
	"agentdesk/models"
	"agentdesk/sessions"
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
		Sessions:  &sessions.Store{DB: database.DB, TTL: 720 * time.Hour, Now: now},
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

// tokenInEmail finds the activation token in an email's text.
var tokenInEmail = regexp.MustCompile(`token=([A-Za-z0-9_-]+)`)

// SignUp creates a workspace with email as its Owner and returns the
// Owner's viewer.
func SignUp(t testing.TB, svc *team.Service, email string) *auth.Viewer {
	t.Helper()
	ctx := context.Background()
	res, err := svc.CreateWorkspace(ctx, models.CreateWorkspaceInput{WorkspaceName: "W " + email, OwnerName: "O",
		OwnerEmail: email, Password: "password1"})
	return signedIn(t, svc, res, err)
}

// signedIn is the viewer of a sign-in's session.
func signedIn(t testing.TB, svc *team.Service, res *models.AuthResult, err error) *auth.Viewer {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	v, err := svc.Sessions.ResolveViewer(context.Background(), res.Token)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// RoleID returns the id of the role named name in v's workspace.
func RoleID(t testing.TB, svc *team.Service, v *auth.Viewer, name string) int64 {
	t.Helper()
	roles, err := svc.Roles(context.Background(), v)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range roles {
		if r.Name == name {
			return r.ID
		}
	}
	t.Fatalf("no role %q", name)
	return 0
}

// Join invites email into owner's workspace with the named roles and
// activates it with the link of the email it was sent, returning the new
// agent's viewer.
func Join(t testing.TB, svc *team.Service, owner *auth.Viewer, email string, roleNames ...string) *auth.Viewer {
	t.Helper()
	ctx := context.Background()
	ids := make([]int64, len(roleNames))
	for i, n := range roleNames {
		ids[i] = RoleID(t, svc, owner, n)
	}
	agent, err := svc.InviteAgent(ctx, owner, email, ids)
	if err != nil {
		t.Fatal(err)
	}
	var mail models.Email
	if err := svc.DB.Where("agent_id = ?", agent.ID).Order("id DESC").Take(&mail).Error; err != nil {
		t.Fatal(err)
	}
	name := "Member"
	res, err := svc.ActivateAccount(ctx, models.ActivateInput{Token: tokenInEmail.FindStringSubmatch(mail.BodyText)[1],
		Name: &name, Password: "password2"})
	return signedIn(t, svc, res, err)
}
