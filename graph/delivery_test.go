package graph_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"agentdesk/db"
	"agentdesk/db/dbtest"
	"agentdesk/jobs"
	"agentdesk/mail"
	"agentdesk/mail/mailtest"
	"agentdesk/models"
)

const mailFrom = "Acme Desk <desk@acme.test>"

// deliveryBound only keeps a broken delivery test from hanging; delivery
// itself takes milliseconds here.
const deliveryBound = 20 * time.Second

// startQueue starts a working job queue on database that sends through the
// SMTP server at smtpURL, with quick retries.
func startQueue(t *testing.T, s *testServer, database *db.DB, smtpURL string, maxAttempts int) *jobs.Queue {
	t.Helper()
	deliverer, err := mail.NewSMTP(smtpURL, mailFrom, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(database, deliverer, jobs.Config{MaxAttempts: maxAttempts, RetryBase: 20 * time.Millisecond,
		PollInterval: 20 * time.Millisecond, CleanupEvery: time.Hour, SendTimeout: 5 * time.Second,
		RescueAfter: time.Minute, Now: s.clock.Now,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = q.Stop(ctx)
	})
	return q
}

// deliveringServer is a test server whose emails are really sent.
func deliveringServer(t *testing.T, d db.Dialect, maxAttempts int) (*testServer, *mailtest.Server) {
	s := newServer(t, d)
	smtpServer := mailtest.Start(t)
	s.svc.Emails = startQueue(t, s, s.db, smtpServer.URL, maxAttempts)
	return s, smtpServer
}

var mailedToken = regexp.MustCompile(`https://desk\.example\.com/activate\?token=([A-Za-z0-9_-]+)`)

func tokenOf(t testing.TB, m mailtest.Message) string {
	t.Helper()
	match := mailedToken.FindStringSubmatch(m.Part("text/plain"))
	if match == nil {
		t.Fatalf("email without an activation link:\n%s", m.Raw)
	}
	if !strings.Contains(m.Part("text/html"), `href="https://desk.example.com/activate?token=`+match[1]+`"`) {
		t.Fatalf("HTML part lacks the same link:\n%s", m.Part("text/html"))
	}
	return match[1]
}

// deliveryStatus reads an invitation's delivery status through the API.
func (s *testServer) deliveryStatus(token, id string) string {
	s.t.Helper()
	var out struct {
		Agent struct {
			Invitation struct{ DeliveryStatus string }
		}
	}
	s.must(token, `query($id: ID!) { agent(id: $id) { invitation { deliveryStatus } } }`, map[string]any{"id": id}, &out)
	return out.Agent.Invitation.DeliveryStatus
}

// eventually polls cond until it holds or the bound passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(deliveryBound)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestInvitationEmailArrivesWithAWorkingLink(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		s, smtpServer := deliveringServer(t, d, 3)
		owner := s.createWorkspace("Acme")
		id := s.invite(owner.Token, "ana@example.com", "Supervisor")
		msgs := smtpServer.WaitFor(1, deliveryBound)
		if len(msgs) != 1 {
			t.Fatalf("%d emails arrived, want 1", len(msgs))
		}
		m := msgs[0]
		if len(m.To) != 1 || m.To[0] != "ana@example.com" || m.From != "desk@acme.test" {
			t.Fatalf("envelope from %q to %v", m.From, m.To)
		}
		text := m.Part("text/plain")
		for _, want := range []string{`"Acme"`, `"Owner of Acme" invited you`, "expires at"} {
			if !strings.Contains(text, want) {
				t.Fatalf("email lacks %q:\n%s", want, text)
			}
		}
		// The subject carries no name a stranger could type (README).
		if subject := m.Header("Subject"); subject != "Your invitation to join a workspace on agentdesk" {
			t.Fatalf("subject %q", subject)
		}
		eventually(t, "deliveryStatus SENT", func() bool { return s.deliveryStatus(owner.Token, id) == "SENT" })
		var out struct {
			ActivateAccount struct{ Agent struct{ ID string } }
		}
		s.must("", activateMutation, map[string]any{"in": map[string]any{"token": tokenOf(t, m), "name": "Ana", "password": testPassword}}, &out)
		if out.ActivateAccount.Agent.ID != id {
			t.Fatal("the emailed link activated another agent")
		}
		// Nothing secret stays behind in the outbox once sent.
		if n := s.count("emails", "body_text <> '' OR body_html <> ''"); n != 0 {
			t.Fatal("sent email keeps its body")
		}
	})
}

func TestResentEmailWorksAndTheFirstLinkDies(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		s, smtpServer := deliveringServer(t, d, 3)
		owner := s.createWorkspace("Acme")
		id := s.invite(owner.Token, "bo@example.com", "Agent")
		first := tokenOf(t, smtpServer.WaitFor(1, deliveryBound)[0])
		s.clock.Advance(time.Minute)
		s.must(owner.Token, `mutation($id: ID!) { resendActivationLink(input: {agentId: $id}) { agent { id } } }`, map[string]any{"id": id}, nil)
		msgs := smtpServer.WaitFor(2, deliveryBound)
		if len(msgs) != 2 {
			t.Fatalf("%d emails, want 2", len(msgs))
		}
		if !strings.Contains(msgs[1].Part("text/plain"), "earlier links no longer work") {
			t.Fatalf("re-sent email does not say the old link died:\n%s", msgs[1].Part("text/plain"))
		}
		second := tokenOf(t, msgs[1])
		s.expectCode("", activateMutation, map[string]any{"in": map[string]any{"token": first, "name": "Bo", "password": testPassword}}, "INVALID_TOKEN")
		s.must("", activateMutation, map[string]any{"in": map[string]any{"token": second, "name": "Bo", "password": testPassword}}, nil)
	})
}

func TestDeliveryRetriesUntilTheServerAccepts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		s, smtpServer := deliveringServer(t, d, 5)
		smtpServer.RefuseNext(2)
		owner := s.createWorkspace("Acme")
		id := s.invite(owner.Token, "cy@example.com", "Agent")
		eventually(t, "deliveryStatus SENT", func() bool { return s.deliveryStatus(owner.Token, id) == "SENT" })
		if msgs := smtpServer.Messages(); len(msgs) != 1 {
			t.Fatalf("%d emails, want 1", len(msgs))
		}
		var e models.Email
		s.db.Where("to_address = ?", "cy@example.com").Take(&e)
		if e.Attempts != 3 || e.State != models.EmailSent {
			t.Fatalf("email: %d attempts, state %s; want 3 and SENT", e.Attempts, e.State)
		}
	})
}

func TestExhaustedRetriesShowFailedAndResendIsTheRemedy(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		s, smtpServer := deliveringServer(t, d, 3)
		smtpServer.RefuseNext(3)
		owner := s.createWorkspace("Acme")
		id := s.invite(owner.Token, "di@example.com", "Agent")
		eventually(t, "deliveryStatus FAILED", func() bool { return s.deliveryStatus(owner.Token, id) == "FAILED" })
		if msgs := smtpServer.Messages(); len(msgs) != 0 {
			t.Fatalf("%d emails arrived through a refusing server", len(msgs))
		}
		s.clock.Advance(time.Minute)
		var out struct {
			ResendActivationLink struct {
				Agent struct {
					Invitation struct{ DeliveryStatus string }
				}
			}
		}
		s.must(owner.Token, `mutation($id: ID!) { resendActivationLink(input: {agentId: $id}) { agent { invitation { deliveryStatus } } } }`, map[string]any{"id": id}, &out)
		if got := out.ResendActivationLink.Agent.Invitation.DeliveryStatus; got != "QUEUED" {
			t.Fatalf("after re-send: %s, want QUEUED", got)
		}
		eventually(t, "deliveryStatus SENT", func() bool { return s.deliveryStatus(owner.Token, id) == "SENT" })
		s.activateWithMail(smtpServer, 0)
	})
}

// activateWithMail activates with the token of the i-th received email.
func (s *testServer) activateWithMail(smtpServer *mailtest.Server, i int) {
	s.t.Helper()
	msgs := smtpServer.WaitFor(i+1, deliveryBound)
	s.must("", activateMutation, map[string]any{"in": map[string]any{"token": tokenOf(s.t, msgs[i]), "name": "X", "password": testPassword}}, nil)
}

func TestQueuedEmailSurvivesARestartAndIsSentOnce(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		// The first process queues the email and stops before sending it.
		owner := s.createWorkspace("Acme")
		id := s.invite(owner.Token, "eve@example.com", "Agent")
		smtpServer := mailtest.Start(t)
		// The next process finds it in the queue.
		startQueue(t, s, s.db, smtpServer.URL, 3)
		eventually(t, "deliveryStatus SENT", func() bool { return s.deliveryStatus(owner.Token, id) == "SENT" })
		eventually(t, "job completed", func() bool { return s.count("river_job", "state = 'completed' AND kind = 'send_email'") == 1 })
		if msgs := smtpServer.Messages(); len(msgs) != 1 {
			t.Fatalf("%d emails, want exactly 1", len(msgs))
		}
	})
}

func TestNoEmailForAnAgentRemovedBeforeTheJobRan(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Acme")
		id := s.invite(owner.Token, "fay@example.com", "Agent")
		s.must(owner.Token, removeQ, map[string]any{"id": id}, nil)
		smtpServer := mailtest.Start(t)
		startQueue(t, s, s.db, smtpServer.URL, 3)
		eventually(t, "email dropped", func() bool { return s.count("emails", "state = ?", models.EmailDropped) == 1 })
		if msgs := smtpServer.Messages(); len(msgs) != 0 {
			t.Fatalf("%d emails sent for a removed agent", len(msgs))
		}
	})
}

// Two server processes on one PostgreSQL never send the same email twice.
func TestTwoWorkersOnOnePostgresSendEachEmailOnce(t *testing.T) {
	s := newServer(t, db.Postgres)
	owner := s.createWorkspace("Acme")
	const n = 20
	for i := range n {
		s.invite(owner.Token, fmt.Sprintf("p%02d@example.com", i), "Agent")
	}
	smtpServer := mailtest.Start(t)
	url := s.db.URL
	for range 2 {
		other, err := db.Open(url, db.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = other.Close() })
		startQueue(t, s, other, smtpServer.URL, 3)
	}
	eventually(t, "all jobs completed", func() bool {
		return s.count("river_job", "state = 'completed' AND kind = 'send_email'") == n
	})
	seen := map[string]int{}
	for _, m := range smtpServer.Messages() {
		seen[m.To[0]]++
	}
	if len(seen) != n {
		t.Fatalf("%d addresses got mail, want %d", len(seen), n)
	}
	for to, c := range seen {
		if c != 1 {
			t.Fatalf("%s got %d emails", to, c)
		}
	}
}
