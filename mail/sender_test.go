package mail_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"agentdesk/auth"
	"agentdesk/db"
	"agentdesk/db/dbtest"
	"agentdesk/mail"
	"agentdesk/models"
	"agentdesk/team"
)

// recorder is a Deliverer that records what it is given and fails while
// failures > 0.
type recorder struct {
	mu       sync.Mutex
	sent     []string
	failures int
}

func (r *recorder) Deliver(_ context.Context, e *models.Email) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failures > 0 {
		r.failures--
		return errors.New("421 try later")
	}
	r.sent = append(r.sent, e.ToAddress)
	return nil
}

type fixture struct {
	svc    *team.Service
	sender *mail.Sender
	rec    *recorder
	viewer *auth.Viewer
	role   int64
	now    time.Time
}

func newFixture(t *testing.T, d db.Dialect) *fixture {
	database := dbtest.Open(t, d, nil)
	f := &fixture{rec: &recorder{}, now: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
	clock := func() time.Time { return f.now }
	f.svc = &team.Service{DB: database, Now: clock,
		Sessions:  &auth.Sessions{DB: database.DB, TTL: time.Hour, Now: clock},
		Passwords: auth.NewPasswords(auth.Argon2Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}),
		Config:    team.Config{PublicURL: "http://x", AllowSignup: true, InvitationTTL: time.Hour, ResendCooldown: time.Minute}}
	f.sender = &mail.Sender{DB: database.DB, Deliverer: f.rec, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now: clock, Interval: time.Second, MaxAttempts: 3, BaseBackoff: time.Minute}
	ctx := context.Background()
	owner, err := f.svc.CreateWorkspace(ctx, team.CreateWorkspaceInput{WorkspaceName: "Acme", OwnerName: "O",
		OwnerEmail: "o@example.com", Password: "password1"})
	if err != nil {
		t.Fatal(err)
	}
	if f.viewer, err = f.svc.Sessions.ResolveViewer(ctx, owner.Token); err != nil {
		t.Fatal(err)
	}
	roles, _ := f.svc.Roles(ctx, f.viewer)
	f.role = roles[3].ID
	return f
}

func (f *fixture) deliveryStatus(t *testing.T, agentID int64) models.EmailDeliveryStatus {
	a, err := f.svc.Agent(context.Background(), f.viewer, agentID)
	if err != nil {
		t.Fatal(err)
	}
	return a.LinkDeliveryState
}

func TestSenderDeliversRetriesAndFails(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newFixture(t, d)
		ctx := context.Background()
		ok, _ := f.svc.InviteAgent(ctx, f.viewer, "ok@example.com", []int64{f.role})
		if n, err := f.sender.DeliverDue(ctx); err != nil || n != 1 {
			t.Fatalf("DeliverDue = %d, %v", n, err)
		}
		if got := f.deliveryStatus(t, ok.ID); got != models.DeliverySent {
			t.Fatalf("status = %s, want SENT", got)
		}
		var e models.Email
		f.svc.DB.Where("agent_id = ?", ok.ID).Take(&e)
		if e.BodyText != "" || e.SentAt == nil {
			t.Fatal("sent email keeps its body (with the token) or lacks sentAt")
		}

		// Fails every time: retried with back-off, FAILED after MaxAttempts.
		f.rec.failures = 100
		bad, _ := f.svc.InviteAgent(ctx, f.viewer, "bad@example.com", []int64{f.role})
		for range 3 {
			if _, err := f.sender.DeliverDue(ctx); err != nil {
				t.Fatal(err)
			}
			if n, _ := f.sender.DeliverDue(ctx); n != 0 {
				t.Fatal("retried before its back-off")
			}
			f.now = f.now.Add(10 * time.Minute)
		}
		if got := f.deliveryStatus(t, bad.ID); got != models.DeliveryFailed {
			t.Fatalf("status = %s, want FAILED", got)
		}
	})
}

func TestSenderNeverEmailsADeadLink(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newFixture(t, d)
		ctx := context.Background()
		a, _ := f.svc.InviteAgent(ctx, f.viewer, "gone@example.com", []int64{f.role})
		if _, _, err := f.svc.RemoveAgent(ctx, f.viewer, a.ID); err != nil {
			t.Fatal(err)
		}
		b, _ := f.svc.InviteAgent(ctx, f.viewer, "twice@example.com", []int64{f.role})
		f.now = f.now.Add(2 * time.Minute)
		if _, err := f.svc.ResendActivationLink(ctx, f.viewer, b.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.sender.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		if len(f.rec.sent) != 1 || f.rec.sent[0] != "twice@example.com" {
			t.Fatalf("sent %v; want only the re-sent link", f.rec.sent)
		}
		var dropped int64
		f.svc.DB.Model(&models.Email{}).Where("state = ?", models.EmailDropped).Count(&dropped)
		if dropped != 2 {
			t.Fatalf("%d emails dropped, want 2", dropped)
		}
		if got := f.deliveryStatus(t, b.ID); got != models.DeliverySent {
			t.Fatalf("status = %s, want SENT", got)
		}
	})
}
