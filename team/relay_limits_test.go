package team_test

import (
	"fmt"
	"testing"
	"time"

	"agentdesk/apperr"
	"agentdesk/auth"
	"agentdesk/db"
	"agentdesk/db/dbtest"
	"agentdesk/models"
	"agentdesk/team"
)

// The outside tester's relay: public sign-up made three workspaces, and
// each invited one victim, who got three activation emails in 2 s. The
// cooldown now holds per address across workspaces: the 2nd and 3rd invite
// answer RATE_LIMITED, leave no agent and send nothing; a "+tag" or upper
// case is the same mailbox.
func TestAddressCooldownHoldsAcrossWorkspaces(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newMailFixture(t, d)
		second, third := f.signup(t, "second@example.com"), f.signup(t, "third@example.com")
		if _, err := f.invite(f.owner, "victim2@x.test"); err != nil {
			t.Fatal(err)
		}
		f.now = f.now.Add(time.Second)
		_, err := f.invite(second, "victim2@x.test")
		rateLimited(t, err, 59)
		f.now = f.now.Add(time.Second)
		_, err = f.invite(third, "Victim2+prize@X.test")
		rateLimited(t, err, 58)
		var agents int64
		f.svc.DB.Model(&models.Agent{}).Where("workspace_id IN ?", []int64{second.WorkspaceID, third.WorkspaceID}).
			Where("email <> ?", "second@example.com").Where("email <> ?", "third@example.com").Count(&agents)
		if n := f.emails(t, "1 = 1"); n != 1 || agents != 0 {
			t.Fatalf("refused invites left %d emails, %d agents", n, agents)
		}

		f.now = f.now.Add(58 * time.Second)
		if _, err := f.invite(second, "victim2@x.test"); err != nil {
			t.Fatalf("invite once the cooldown passed: %v", err)
		}
		var e models.Email
		f.svc.DB.Where("workspace_id = ?", second.WorkspaceID).Take(&e)
		if e.RecipientKey != "victim2@x.test" {
			t.Fatalf("recipient key %q", e.RecipientKey)
		}
	})
}

// MAIL_ADDRESS_DAILY_LIMIT: an address receives at most 5 activation
// emails in any 24 hours from young workspaces together (re-sends
// included); a slot frees when its oldest email is a day old.
func TestAddressDailyLimitAcrossWorkspaces(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newMailFixture(t, d)
		start := f.now
		var senders []*auth.Viewer
		for i := range 6 {
			senders = append(senders, f.signup(t, fmt.Sprintf("sender%d@example.com", i)))
		}
		first, err := f.invite(senders[0], "victim@x.test")
		if err != nil {
			t.Fatal(err)
		}
		f.now = f.now.Add(time.Hour)
		if _, err := f.svc.ResendActivationLink(f.ctx, senders[0], first.ID); err != nil {
			t.Fatal(err)
		}
		for i := 1; i < 4; i++ {
			f.now = f.now.Add(time.Hour)
			if _, err := f.invite(senders[i], "victim@x.test"); err != nil {
				t.Fatalf("invite %d: %v", i, err)
			}
		}
		// Five emails, the first at start: the sixth waits until start+24h.
		f.now = start.Add(10 * time.Hour)
		_, err = f.invite(senders[4], "victim+again@x.test")
		rateLimited(t, err, 14*3600)
		_, err = f.svc.ResendActivationLink(f.ctx, senders[0], first.ID)
		rateLimited(t, err, 14*3600)
		if n := f.emails(t, "recipient_key = ?", "victim@x.test"); n != 5 {
			t.Fatalf("%d emails to the victim, want 5", n)
		}
		// Others are not limited by the victim's count.
		if _, err := f.invite(senders[4], "someone.else@x.test"); err != nil {
			t.Fatal(err)
		}

		// The senders are a day old now, and no longer bound by this cap;
		// workspaces made today are.
		f.now = start.Add(24 * time.Hour)
		if _, err := f.invite(f.signup(t, "fresh1@example.com"), "victim@x.test"); err != nil {
			t.Fatalf("invite once the oldest email is a day old: %v", err)
		}
		f.now = f.now.Add(time.Minute)
		_, err = f.invite(f.signup(t, "fresh2@example.com"), "victim@x.test")
		rateLimited(t, err, 3600-60)
	})
}

// The outside tester's lockout (round 2, F3): a stranger's fresh workspace
// mailed victim+0..victim+4@ once a minute, and the employer's invite of
// victim@ then answered RATE_LIMITED for a day. Only young senders' emails
// count against young senders now: the established employer invites once
// the cooldown has passed, and re-sends; fresh workspaces stay capped.
func TestStrangerCannotLockAnAddressOut(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newMailFixture(t, d)
		employer := f.owner
		f.now = f.now.Add(25 * time.Hour)
		attacker := f.signup(t, "attacker@example.com")
		start := f.now
		for i := range team.DefaultMailAddressDailyLimit {
			f.now = start.Add(time.Duration(i) * time.Minute)
			if _, err := f.invite(attacker, fmt.Sprintf("victim+%d@corp.test", i)); err != nil {
				t.Fatalf("attacker's invite %d: %v", i, err)
			}
		}
		// A sixth from a young workspace, the same or another, is refused
		// until the first leaves the window.
		f.now = f.now.Add(30 * time.Second)
		_, err := f.invite(attacker, "victim+5@corp.test")
		rateLimited(t, err, 30)
		f.now = f.now.Add(time.Minute)
		_, err = f.invite(attacker, "victim+5@corp.test")
		rateLimited(t, err, int(start.Add(24*time.Hour).Sub(f.now).Seconds()))
		_, err = f.invite(f.signup(t, "accomplice@example.com"), "Victim@corp.test")
		rateLimited(t, err, int(start.Add(24*time.Hour).Sub(f.now).Seconds()))

		agent, err := f.invite(employer, "victim@corp.test")
		if err != nil {
			t.Fatalf("the employer was locked out: %v", err)
		}
		f.now = f.now.Add(time.Minute)
		if _, err := f.svc.ResendActivationLink(f.ctx, employer, agent.ID); err != nil {
			t.Fatalf("the employer's re-send was refused: %v", err)
		}
		if n := f.emails(t, "recipient_key = ?", "victim@corp.test"); n != 7 {
			t.Fatalf("%d emails to the victim, want 7", n)
		}
	})
}

// MAIL_ADDRESS_DAILY_LIMIT per workspace: an established workspace sends
// one address at most 5 emails in any 24 hours (invites, re-sends and
// re-invites, any +tag), not one per cooldown all day; another established
// workspace is not bound by the first one's count.
func TestEstablishedWorkspaceDailyCapPerAddress(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newMailFixture(t, d)
		other := f.signup(t, "other@example.com")
		f.now = f.now.Add(25 * time.Hour)
		start := f.now
		agent, err := f.invite(f.owner, "victim@corp.test")
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i < team.DefaultMailAddressDailyLimit; i++ {
			f.now = start.Add(time.Duration(i) * time.Hour)
			if _, err := f.svc.ResendActivationLink(f.ctx, f.owner, agent.ID); err != nil {
				t.Fatalf("re-send %d: %v", i, err)
			}
		}
		f.now = start.Add(10 * time.Hour)
		_, err = f.svc.ResendActivationLink(f.ctx, f.owner, agent.ID)
		rateLimited(t, err, 14*3600)
		_, err = f.invite(f.owner, "Victim+x@corp.test")
		rateLimited(t, err, 14*3600)
		if n := f.emails(t, "workspace_id = ?", f.owner.WorkspaceID); n != 5 {
			t.Fatalf("%d emails, want 5", n)
		}
		if _, err := f.invite(other, "victim@corp.test"); err != nil {
			t.Fatalf("another established workspace was limited: %v", err)
		}
		if _, err := f.invite(f.owner, "someone.else@corp.test"); err != nil {
			t.Fatalf("another address was limited: %v", err)
		}
		f.now = start.Add(24 * time.Hour)
		if _, err := f.svc.ResendActivationLink(f.ctx, f.owner, agent.ID); err != nil {
			t.Fatalf("re-send once the oldest email is a day old: %v", err)
		}
	})
}

// MAIL_NEW_WORKSPACE_DAILY_LIMIT: a workspace younger than a day sends at
// most 20 invitation emails; then RATE_LIMITED until it is a day old, when
// the normal daily limit applies.
func TestNewWorkspaceSendsLittleUntilEstablished(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newMailFixture(t, d)
		created := f.now
		for i := range team.DefaultMailNewWorkspaceDailyLimit {
			f.now = created.Add(time.Duration(i+1) * time.Minute)
			if _, err := f.invite(f.owner, fmt.Sprintf("a%d@example.com", i)); err != nil {
				t.Fatalf("invite %d: %v", i+1, err)
			}
		}
		f.now = created.Add(2 * time.Hour)
		_, err := f.invite(f.owner, "one.more@example.com")
		rateLimited(t, err, 22*3600)
		if e, _ := apperr.As(err); e == nil || e.Message == "" {
			t.Fatal("no message")
		}
		if n := f.emails(t, "workspace_id = ?", f.owner.WorkspaceID); n != int64(team.DefaultMailNewWorkspaceDailyLimit) {
			t.Fatalf("%d emails, want %d", n, team.DefaultMailNewWorkspaceDailyLimit)
		}
		// A day old: the same 20 emails are still in the window, and the
		// workspace may send more.
		f.now = created.Add(24 * time.Hour)
		if _, err := f.invite(f.owner, "one.more@example.com"); err != nil {
			t.Fatalf("a day-old workspace is still limited: %v", err)
		}
	})
}

// SIGNUP_PER_IP_HOURLY: one client creates at most 5 workspaces an hour
// (one comes back every 12 minutes); a refused sign-up creates nothing, a
// failed one does not count, another client has its own budget, and a
// caller that is no network client (demo, seed) is not limited.
func TestSignupPerClientPerHour(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newMailFixture(t, d)
		signup := func(client, email, password string) error {
			_, err := f.svc.CreateWorkspace(f.ctx, models.CreateWorkspaceInput{WorkspaceName: "Claim your prize",
				OwnerName: "PayPal Security Team", OwnerEmail: email, Password: password, Client: client})
			return err
		}
		const ip = "ip|192.0.2.7"
		// A wrong password for an existing account creates nothing and
		// costs nothing of the budget.
		if err := signup(ip, "owner@example.com", "wrong-password"); !apperr.Is(err, apperr.InvalidCredentials) {
			t.Fatalf("wrong password: %v", err)
		}
		for i := range team.DefaultSignupPerIPHourly {
			if err := signup(ip, fmt.Sprintf("s%d@example.com", i), "password1"); err != nil {
				t.Fatalf("sign-up %d: %v", i+1, err)
			}
		}
		var before int64
		f.svc.DB.Model(&models.Workspace{}).Count(&before)
		rateLimited(t, signup(ip, "s9@example.com", "password1"), 12*60)
		var after int64
		f.svc.DB.Model(&models.Workspace{}).Count(&after)
		if after != before {
			t.Fatal("a refused sign-up created a workspace")
		}
		if err := signup("ip|192.0.2.8", "other@example.com", "password1"); err != nil {
			t.Fatalf("another client: %v", err)
		}
		if err := signup("", "seed@example.com", "password1"); err != nil {
			t.Fatalf("no client: %v", err)
		}
		f.now = f.now.Add(12 * time.Minute)
		if err := signup(ip, "s9@example.com", "password1"); err != nil {
			t.Fatalf("after 12 minutes: %v", err)
		}
		rateLimited(t, signup(ip, "s10@example.com", "password1"), 12*60)
	})
}

func TestRecipientKey(t *testing.T) {
	for in, want := range map[string]string{
		"ana@example.com":       "ana@example.com",
		" Ana@Example.COM ":     "ana@example.com",
		"ana+promo@example.com": "ana@example.com",
		"Ana+a+b@example.com":   "ana@example.com",
		"+only@example.com":     "+only@example.com",
		"a.b@example.com":       "a.b@example.com",
		"no-at-sign":            "no-at-sign",
		"x+y@sub.example.com":   "x@sub.example.com",
	} {
		if got := team.RecipientKey(in); got != want {
			t.Errorf("RecipientKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// Workspaces lock only themselves, so without a lock per recipient two
// workspaces inviting one address at the same moment would both see no
// recent email and both send one (PostgreSQL, READ COMMITTED). Exactly one
// of them sends; the others answer RATE_LIMITED.
func TestConcurrentInvitesFromManyWorkspacesSendOneEmail(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newMailFixture(t, d)
		const n = 8
		senders := make([]*auth.Viewer, n)
		for i := range senders {
			senders[i] = f.signup(t, fmt.Sprintf("sender%d@example.com", i))
		}
		errs := make(chan error, n)
		start := make(chan struct{})
		for _, v := range senders {
			go func() {
				<-start
				_, err := f.invite(v, "victim@x.test")
				errs <- err
			}()
		}
		close(start)
		ok := 0
		for range n {
			switch err := <-errs; {
			case err == nil:
				ok++
			case !apperr.Is(err, apperr.RateLimited):
				t.Errorf("invite: %v", err)
			}
		}
		if emails := f.emails(t, "recipient_key = ?", "victim@x.test"); ok != 1 || emails != 1 {
			t.Fatalf("%d invites succeeded, %d emails; want 1, 1", ok, emails)
		}
	})
}
