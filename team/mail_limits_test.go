package team_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"agentdesk/apperr"
	"agentdesk/auth"
	"agentdesk/db"
	"agentdesk/db/dbtest"
	"agentdesk/models"
	"agentdesk/team"
	"agentdesk/team/teamtest"
)

// mailFixture is a workspace whose Owner invites, on a clock the test moves.
type mailFixture struct {
	svc   *team.Service
	ctx   context.Context
	now   time.Time
	owner *auth.Viewer
}

func newMailFixture(t *testing.T, d db.Dialect) *mailFixture {
	f := &mailFixture{ctx: context.Background(), now: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	f.svc = teamtest.New(t, dbtest.Open(t, d, nil), func() time.Time { return f.now })
	f.owner = f.signup(t, "owner@example.com")
	return f
}

func (f *mailFixture) signup(t *testing.T, email string) *auth.Viewer {
	return teamtest.SignUp(t, f.svc, email)
}

// invite invites email as an Agent of v's workspace.
func (f *mailFixture) invite(v *auth.Viewer, email string) (*models.Agent, error) {
	roles, err := f.svc.Roles(f.ctx, v)
	if err != nil {
		return nil, err
	}
	var agent int64
	for _, r := range roles {
		if r.Name == models.RoleAgent {
			agent = r.ID
		}
	}
	return f.svc.InviteAgent(f.ctx, v, email, []int64{agent})
}

func (f *mailFixture) emails(t *testing.T, where string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := f.svc.DB.Model(&models.Email{}).Where(where, args...).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// rateLimited checks err is RATE_LIMITED with retryAfterSeconds = want.
func rateLimited(t *testing.T, err error, want int) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Code != apperr.RateLimited {
		t.Fatalf("err = %v, want RATE_LIMITED", err)
	}
	if e.RetryAfterSeconds != want {
		t.Fatalf("retryAfterSeconds = %d, want %d", e.RetryAfterSeconds, want)
	}
}

// Invite, remove (which cancels) and re-invite must not mail one address
// faster than RESEND_COOLDOWN: the re-invite waits for the cooldown of the
// address's last link like a re-send does.
func TestReinviteWaitsForTheResendCooldown(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newMailFixture(t, d)
		victim, err := f.invite(f.owner, "victim@example.com")
		if err != nil {
			t.Fatal(err)
		}
		f.now = f.now.Add(10 * time.Second)
		if _, _, err := f.svc.RemoveAgent(f.ctx, f.owner, victim.ID); err != nil {
			t.Fatal(err)
		}
		f.now = f.now.Add(5 * time.Second)
		_, err = f.invite(f.owner, "victim@example.com")
		rateLimited(t, err, 45)
		// Nothing changed: still REMOVED, still one email.
		var after models.Agent
		f.svc.DB.Take(&after, victim.ID)
		if after.Status != models.AgentRemoved || f.emails(t, "to_address = ?", "victim@example.com") != 1 {
			t.Fatalf("refused re-invite changed things: status %s", after.Status)
		}

		f.now = f.now.Add(45 * time.Second)
		again, err := f.invite(f.owner, "victim@example.com")
		if err != nil || again.ID != victim.ID || again.Status != models.AgentPending {
			t.Fatalf("re-invite after the cooldown: %+v, %v", again, err)
		}
		// The re-invite's link starts a new cooldown for re-sends.
		_, err = f.svc.ResendActivationLink(f.ctx, f.owner, victim.ID)
		rateLimited(t, err, 60)
		if n := f.emails(t, "to_address = ?", "victim@example.com"); n != 2 {
			t.Fatalf("%d emails to the victim, want 2", n)
		}
	})
}

// A workspace queues at most MAIL_WORKSPACE_DAILY_LIMIT activation emails
// (invites, re-invites and re-sends alike) in any 24 hours; the limit is
// per workspace, and a slot frees when its oldest email is a day old.
func TestWorkspaceDailyEmailLimit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newMailFixture(t, d)
		f.svc.Config.MailWorkspaceDailyLimit = 3
		start := f.now
		a, err := f.invite(f.owner, "a@example.com")
		if err != nil {
			t.Fatal(err)
		}
		f.now = start.Add(time.Hour)
		if _, err := f.invite(f.owner, "b@example.com"); err != nil {
			t.Fatal(err)
		}
		f.now = start.Add(2 * time.Hour)
		if _, err := f.svc.ResendActivationLink(f.ctx, f.owner, a.ID); err != nil {
			t.Fatal(err)
		}

		// Full: a new invite and a re-send are refused until start+24h.
		f.now = start.Add(3 * time.Hour)
		_, err = f.invite(f.owner, "c@example.com")
		rateLimited(t, err, 21*3600)
		_, err = f.svc.ResendActivationLink(f.ctx, f.owner, a.ID)
		rateLimited(t, err, 21*3600)
		var c int64
		f.svc.DB.Model(&models.Agent{}).Where("email = ?", "c@example.com").Count(&c)
		if c != 0 || f.emails(t, "workspace_id = ?", f.owner.WorkspaceID) != 3 {
			t.Fatal("a refused invite left an agent or an email behind")
		}

		// Another workspace has its own count.
		other := f.signup(t, "other@example.com")
		if _, err := f.invite(other, "c@example.com"); err != nil {
			t.Fatalf("another workspace was limited: %v", err)
		}

		// The window is the last 24 hours: the first email leaves it at
		// start+24h exactly, and frees one slot.
		f.now = start.Add(24*time.Hour - time.Second)
		_, err = f.invite(f.owner, "c@example.com")
		rateLimited(t, err, 1)
		f.now = start.Add(24 * time.Hour)
		if _, err := f.invite(f.owner, "c@example.com"); err != nil {
			t.Fatalf("invite once the oldest email is a day old: %v", err)
		}
		_, err = f.invite(f.owner, "d@example.com")
		rateLimited(t, err, 3600)
	})
}

// Names stored before the validation refused control and bidi characters
// (or written by anything but the rules) still reach no email with them: no
// header-like line, no reordered text.
func TestStoredHostileNamesDoNotReachTheEmail(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newMailFixture(t, d)
		f.svc.DB.Model(&models.Workspace{}).Where("id = ?", f.owner.WorkspaceID).
			Update("name", "Acme\r\nBcc: all@example.com\u202e moc.live")
		f.svc.DB.Model(&models.Agent{}).Where("id = ?", f.owner.AgentID).Update("name", "Boss\nVisit\u2066 x")
		if _, err := f.invite(f.owner, "ana@example.com"); err != nil {
			t.Fatal(err)
		}
		var e models.Email
		f.svc.DB.Where("to_address = ?", "ana@example.com").Take(&e)
		if strings.ContainsAny(e.Subject, "\r\n\u202e") {
			t.Fatalf("subject %q", e.Subject)
		}
		if !strings.Contains(e.BodyText, `"AcmeBcc: all@example.com moc.live"`) || !strings.Contains(e.BodyText, `"BossVisit x" invited you`) ||
			strings.ContainsAny(e.BodyText+e.BodyHTML, "\r\u202e\u2066") {
			t.Fatalf("email text:\n%q", e.BodyText)
		}
	})
}
