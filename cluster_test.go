package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"agentdesk/db"
	"agentdesk/db/dbtest"
	"agentdesk/mail/mailtest"
)

// These tests run several agentdesk processes (the built binary) on one
// PostgreSQL database, as replicas behind a load balancer run
// (README "Running several replicas").

// gqlAnswer is a GraphQL response as a client reads it.
type gqlAnswer struct {
	Data   json.RawMessage
	Errors []struct {
		Message    string
		Extensions map[string]any
	}
}

// code is the first error's extensions.code, "" when there is no error.
func (a gqlAnswer) code() string {
	if len(a.Errors) == 0 {
		return ""
	}
	c, _ := a.Errors[0].Extensions["code"].(string)
	return c
}

// ask posts one GraphQL operation to a replica.
func (p *serverProcess) ask(t testing.TB, token, query string, vars map[string]any) gqlAnswer {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, p.base+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", p.base, err)
	}
	defer res.Body.Close()
	var a gqlAnswer
	if err := json.NewDecoder(res.Body).Decode(&a); err != nil {
		t.Fatalf("POST %s: status %d, undecodable answer: %v", p.base, res.StatusCode, err)
	}
	return a
}

// must fails the test unless the answer has no error, and decodes its data.
func (a gqlAnswer) must(t testing.TB, what string, into any) {
	t.Helper()
	if len(a.Errors) > 0 {
		t.Fatalf("%s: %+v", what, a.Errors)
	}
	if into != nil {
		if err := json.Unmarshal(a.Data, into); err != nil {
			t.Fatalf("%s: %v (%s)", what, err, a.Data)
		}
	}
}

// cluster is replicas on one database and a round-robin client, the way a
// load balancer spreads requests.
type cluster struct {
	replicas []*serverProcess
	next     atomic.Int64
}

// pick returns the next replica in turn.
func (c *cluster) pick() *serverProcess {
	return c.replicas[int(c.next.Add(1)-1)%len(c.replicas)]
}

func (c *cluster) ask(t testing.TB, token, query string, vars map[string]any) gqlAnswer {
	t.Helper()
	return c.pick().ask(t, token, query, vars)
}

// startCluster starts n replicas with env together (they migrate the
// database concurrently) and waits until all answer.
func startCluster(t testing.TB, n int, env ...string) *cluster {
	t.Helper()
	c := &cluster{}
	for range n {
		c.replicas = append(c.replicas, launch(t, env...))
	}
	for _, p := range c.replicas {
		p.waitFor(t, "/healthz")
	}
	return c
}

// redisForTest returns a REDIS_URL and a key prefix no other test uses, or
// skips when no Redis answers (fails under CI=true: .ci/run starts one).
func redisForTest(t *testing.T) (url, prefix string) {
	t.Helper()
	const addr = "127.0.0.1:6379"
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Redis is required under CI=true (.ci/run starts it): %v", err)
		}
		t.Skipf("no Redis on %s: %v", addr, err)
	}
	conn.Close()
	return "redis://" + addr + "/0", fmt.Sprintf("agentdesk-test:%s:%d:", t.Name(), time.Now().UnixNano())
}

const (
	createWorkspaceOp = `mutation($email: String!) { createWorkspace(input: {workspaceName: "Acme", ownerName: "Olga",
		ownerEmail: $email, password: "owner password 1"}) { token } }`
	inviteOp   = `mutation($email: String!, $role: ID!) { inviteAgent(input: {email: $email, roleIds: [$role]}) { agent { id } } }`
	loginOp    = `mutation($email: String!, $password: String!) { login(input: {email: $email, password: $password}) { token } }`
	viewerOp   = `{ viewer { id email } }`
	activateOp = `mutation($token: String!) { activateAccount(input: {token: $token, name: "Ana", password: "agent password 1"}) { token } }`
	removeOp   = `mutation($id: ID!) { removeAgent(input: {agentId: $id}) { agent { status } } }`
)

// signUp creates a workspace through the cluster and returns the owner's
// token and the id of a role to invite with.
func signUp(t testing.TB, c *cluster, email string) (token, roleID string) {
	t.Helper()
	var created struct{ CreateWorkspace struct{ Token string } }
	c.ask(t, "", createWorkspaceOp, map[string]any{"email": email}).must(t, "createWorkspace", &created)
	var roles struct{ Roles []struct{ ID, Name string } }
	c.ask(t, created.CreateWorkspace.Token, `{ roles { id name } }`, nil).must(t, "roles", &roles)
	for _, r := range roles.Roles {
		if r.Name == "Agent" {
			return created.CreateWorkspace.Token, r.ID
		}
	}
	t.Fatalf("no Agent role among %+v", roles.Roles)
	return "", ""
}

var activationLink = regexp.MustCompile(`activate\?token=([A-Za-z0-9_-]+)`)

// TestReplicasStartTogetherOnAnEmptyDatabase starts replicas at once and
// a few milliseconds apart on an empty PostgreSQL database: every one
// migrates (or waits for the one migrating) and comes up. Before goose and
// River's migrations shared one lock, one of two replicas started 30–60 ms
// apart exited in about half of the trials.
func TestReplicasStartTogetherOnAnEmptyDatabase(t *testing.T) {
	for _, gap := range []time.Duration{0, 5 * time.Millisecond, 40 * time.Millisecond} {
		t.Run(gap.String(), func(t *testing.T) {
			dbURL := dbtest.EmptyPostgresURL(t)
			var replicas []*serverProcess
			for i := range 4 {
				if i > 0 {
					time.Sleep(gap)
				}
				replicas = append(replicas, launch(t, "DATABASE_URL="+dbURL, "SMTP_URL=log:"))
			}
			for _, p := range replicas {
				p.waitFor(t, "/readyz")
			}
		})
	}
}

// TestClusterOfThreeReplicas is the cluster test: three replicas
// on one database, Redis for the shared limits, a round-robin client.
func TestClusterOfThreeReplicas(t *testing.T) {
	dbURL := dbtest.EmptyPostgresURL(t)
	redisURL, prefix := redisForTest(t)
	smtp := mailtest.Start(t)
	c := startCluster(t, 3, "DATABASE_URL="+dbURL, "SMTP_URL="+smtp.URL, "REDIS_URL="+redisURL,
		"REDIS_KEY_PREFIX="+prefix, "PUBLIC_URL=https://desk.example.com", "MAIL_NEW_WORKSPACE_DAILY_LIMIT=1000",
		"SIGNUP_PER_IP_HOURLY=3")
	a, b, cc := c.replicas[0], c.replicas[1], c.replicas[2]

	owner, role := signUp(t, c, "olga@acme.test")
	for _, p := range c.replicas {
		// River's pgx driver LISTENs; its database/sql driver logged this.
		if strings.Contains(p.logs.String(), "poll only") {
			t.Fatalf("River polls only on %s:\n%s", p.addr, p.logs)
		}
	}

	t.Run("a session made on A works on B and C", func(t *testing.T) {
		var login struct{ Login struct{ Token string } }
		a.ask(t, "", loginOp, map[string]any{"email": "olga@acme.test", "password": "owner password 1"}).must(t, "login on A", &login)
		for _, p := range []*serverProcess{b, cc} {
			var v struct{ Viewer struct{ Email string } }
			p.ask(t, login.Login.Token, viewerOp, nil).must(t, "viewer on "+p.addr, &v)
			if v.Viewer.Email != "olga@acme.test" {
				t.Fatalf("viewer on %s: %+v", p.addr, v)
			}
		}
	})

	t.Run("removing an agent on A rejects its session on B and C", func(t *testing.T) {
		var invited struct {
			InviteAgent struct{ Agent struct{ ID string } }
		}
		c.ask(t, owner, inviteOp, map[string]any{"email": "ana@acme.test", "role": role}).must(t, "invite", &invited)
		msgs := smtp.WaitFor(1, 20*time.Second)
		if len(msgs) != 1 {
			t.Fatalf("emails: %d", len(msgs))
		}
		link := activationLink.FindStringSubmatch(msgs[0].Part("text/plain"))
		if link == nil {
			t.Fatalf("no link in %s", msgs[0].Raw)
		}
		var activated struct{ ActivateAccount struct{ Token string } }
		c.ask(t, "", activateOp, map[string]any{"token": link[1]}).must(t, "activate", &activated)
		ana := activated.ActivateAccount.Token
		for _, p := range []*serverProcess{b, cc} {
			p.ask(t, ana, viewerOp, nil).must(t, "Ana's viewer on "+p.addr, nil)
		}
		a.ask(t, owner, removeOp, map[string]any{"id": invited.InviteAgent.Agent.ID}).must(t, "remove on A", nil)
		for _, p := range []*serverProcess{b, cc} {
			if got := p.ask(t, ana, viewerOp, nil).code(); got != "UNAUTHENTICATED" {
				t.Fatalf("removed agent's session on %s: %q, want UNAUTHENTICATED", p.addr, got)
			}
		}
	})

	t.Run("wrong passwords across replicas are limited as on one server", func(t *testing.T) {
		// RATE_LIMIT_PER_EMAIL is 5: five wrong guesses, spread over the
		// three replicas, are answered; the sixth is refused, wherever it
		// lands. (An email with no account answers the same as a wrong
		// password; Olga's budget was partly spent signing up and in.)
		vars := map[string]any{"email": "nobody@acme.test", "password": "wrong guess"}
		for i := 1; i <= 5; i++ {
			if got := c.ask(t, "", loginOp, vars).code(); got != "INVALID_CREDENTIALS" {
				t.Fatalf("guess %d: %q, want INVALID_CREDENTIALS", i, got)
			}
		}
		for _, p := range c.replicas {
			ans := p.ask(t, "", loginOp, vars)
			if ans.code() != "RATE_LIMITED" {
				t.Fatalf("guess 6+ on %s: %q, want RATE_LIMITED", p.addr, ans.code())
			}
			if retry, _ := ans.Errors[0].Extensions["retryAfterSeconds"].(float64); retry < 1 {
				t.Fatalf("no retry hint: %+v", ans.Errors[0].Extensions)
			}
		}
	})

	t.Run("workspaces created per client are counted across replicas", func(t *testing.T) {
		// SIGNUP_PER_IP_HOURLY is 3 and Olga's sign-up took one: two more
		// from this client, on two replicas, then the next is refused on
		// the third. A refused sign-up (an existing account's wrong
		// password) counts nothing.
		if got := c.ask(t, "", `mutation { createWorkspace(input: {workspaceName: "X", ownerName: "O",
			ownerEmail: "olga@acme.test", password: "not olga's password"}) { token } }`, nil).code(); got != "INVALID_CREDENTIALS" {
			t.Fatalf("sign-up with a wrong password: %q", got)
		}
		for i := range 2 {
			c.ask(t, "", createWorkspaceOp, map[string]any{"email": fmt.Sprintf("owner%d@acme.test", i)}).must(t, "sign-up", nil)
		}
		ans := c.ask(t, "", createWorkspaceOp, map[string]any{"email": "owner9@acme.test"})
		if ans.code() != "RATE_LIMITED" {
			t.Fatalf("fourth workspace from one client: %+v", ans.Errors)
		}
	})

	t.Run("50 invitations across replicas give exactly 50 emails", func(t *testing.T) {
		before := len(smtp.Messages())
		var wg sync.WaitGroup
		errs := make(chan string, 50)
		// Ten at a time: one test client stands for many, and each replica
		// holds one client to MAX_REQUESTS_PER_CLIENT (16) in flight.
		slots := make(chan struct{}, 10)
		for i := range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				slots <- struct{}{}
				defer func() { <-slots }()
				email := fmt.Sprintf("agent%02d@acme.test", i)
				if ans := c.ask(t, owner, inviteOp, map[string]any{"email": email, "role": role}); len(ans.Errors) > 0 {
					errs <- fmt.Sprintf("%s: %+v", email, ans.Errors)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Fatal(e)
		}
		msgs := smtp.WaitFor(before+50, 60*time.Second)
		// A duplicate would arrive after the fiftieth; give it the time a
		// second worker would need to pick the same job.
		time.Sleep(2 * time.Second)
		msgs = smtp.Messages()[before:]
		perRecipient := map[string]int{}
		for _, m := range msgs {
			perRecipient[strings.Join(m.To, ",")]++
		}
		if len(msgs) != 50 || len(perRecipient) != 50 {
			t.Fatalf("%d emails to %d recipients, want 50 to 50: %v", len(msgs), len(perRecipient), perRecipient)
		}
	})

	t.Run("a subscriber on C sees a mutation made on A", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		sub := subscribeInvited(ctx, t, cc.base, owner, func(i int) {
			cc.ask(t, owner, inviteOp, map[string]any{"email": fmt.Sprintf("warm%d@acme.test", i), "role": role}).must(t, "invite on C", nil)
		})
		defer sub.Close()
		start := time.Now()
		a.ask(t, owner, inviteOp, map[string]any{"email": "live@acme.test", "role": role}).must(t, "invite on A", nil)
		waitInvited(t, sub, "live@acme.test")
		t.Logf("an invitation made on A reached a subscriber on C %v after it was sent", time.Since(start))
	})
}

// TestReplicaKilledMidSendLosesNoEmail kills a replica with SIGKILL while
// its SMTP server is still taking the message: the job stays "running" in
// River, and another replica's rescuer retries it after MAIL_RESCUE_AFTER,
// so the email arrives. It arrives once only because this server holds the
// first copy for an hour (smtp.Delay reads the delay when the send starts):
// a real server that still reads the first copy after the kill keeps it,
// and the retry is a duplicate (README "Email delivery").
func TestReplicaKilledMidSendLosesNoEmail(t *testing.T) {
	dbURL := dbtest.EmptyPostgresURL(t)
	smtp := mailtest.Start(t)
	smtp.Delay(time.Hour) // the first send hangs until its sender dies
	const rescueAfter = 8 * time.Second
	env := []string{"DATABASE_URL=" + dbURL, "SMTP_URL=" + smtp.URL, "SMTP_TIMEOUT=2s",
		"MAIL_RESCUE_AFTER=" + rescueAfter.String(), "MAIL_RETRY_BASE=100ms", "MAIL_NEW_WORKSPACE_DAILY_LIMIT=1000"}
	// The SMTP timeout must not end the first send on its own before the
	// kill: it is what a dying process would not get to.
	a := startServer(t, append(env, "SMTP_TIMEOUT=1h", "MAIL_RESCUE_AFTER=2h")...)
	owner, role := signUp(t, &cluster{replicas: []*serverProcess{a}}, "olga@acme.test")
	a.ask(t, owner, inviteOp, map[string]any{"email": "ana@acme.test", "role": role}).must(t, "invite", nil)
	select {
	case <-smtp.Sending():
	case <-time.After(20 * time.Second):
		t.Fatalf("the send never started\n%s", a.logs)
	}
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-a.exited
	killed := time.Now()
	smtp.Delay(0)

	b := startServer(t, env...)
	msgs := smtp.WaitFor(1, 3*time.Minute)
	if len(msgs) != 1 {
		t.Fatalf("emails after the kill: %d\n%s", len(msgs), b.logs)
	}
	took := msgs[0].Received.Sub(killed)
	t.Logf("delivered %s after the kill (MAIL_RESCUE_AFTER %s; River's rescuer runs every 30 s on the leader)",
		took.Round(time.Millisecond), rescueAfter)
	time.Sleep(2 * time.Second)
	if n := len(smtp.Messages()); n != 1 {
		t.Fatalf("%d emails, want exactly 1", n)
	}
}

// TestDrainOnSIGTERM: after SIGTERM, /readyz answers 503 for SHUTDOWN_DRAIN
// while GraphQL requests are still served; then the process exits 0.
func TestDrainOnSIGTERM(t *testing.T) {
	p := startServer(t, "DATABASE_URL=sqlite::memory:", "SHUTDOWN_DRAIN=3s")
	if got := p.status("/readyz"); got != http.StatusOK {
		t.Fatalf("readyz before SIGTERM: %d", got)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.until(t, "readyz answering 503", func() bool { return p.status("/readyz") == http.StatusServiceUnavailable })
	if got := p.ask(t, "", `{ __typename }`, nil); len(got.Errors) > 0 || !strings.Contains(string(got.Data), "Query") {
		t.Fatalf("query while draining: %+v", got)
	}
	select {
	case err := <-p.exited:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, p.logs)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("still running 30 s after SIGTERM\n%s", p.logs)
	}
}

// TestSharedLimitsFailClosedWhenRedisIsDown: with REDIS_URL pointing at
// nothing, the start-up says so (a mistyped REDIS_URL would otherwise show
// only as every login refused), login answers RATE_LIMITED with a retry
// hint (never a guess unlimited), the process stays up and logs why.
func TestSharedLimitsFailClosedWhenRedisIsDown(t *testing.T) {
	p := startServer(t, "DATABASE_URL=sqlite::memory:", "REDIS_URL=redis://"+freeAddr(t)+"/0")
	if !strings.Contains(p.logs.String(), "Redis does not answer") {
		t.Fatalf("start-up does not warn that Redis does not answer:\n%s", p.logs)
	}
	c := &cluster{replicas: []*serverProcess{p}}
	signUpAns := p.ask(t, "", createWorkspaceOp, map[string]any{"email": "olga@acme.test"})
	// createWorkspace spends the same password budget: refused too.
	if signUpAns.code() != "RATE_LIMITED" {
		t.Fatalf("createWorkspace with Redis down: %+v", signUpAns.Errors)
	}
	for _, q := range []struct{ op, query string }{
		{"login", loginOp},
		{"activateAccount", activateOp},
	} {
		ans := c.ask(t, "", q.query, map[string]any{"email": "olga@acme.test", "password": "x", "token": "abc"})
		if ans.code() != "RATE_LIMITED" {
			t.Fatalf("%s with Redis down: %+v", q.op, ans.Errors)
		}
		if retry, _ := ans.Errors[0].Extensions["retryAfterSeconds"].(float64); retry < 1 {
			t.Fatalf("%s: no retry hint: %+v", q.op, ans.Errors[0].Extensions)
		}
		if strings.Contains(ans.Errors[0].Message, "redis") || strings.Contains(ans.Errors[0].Message, "dial") {
			t.Fatalf("%s: internal error text reached the client: %q", q.op, ans.Errors[0].Message)
		}
	}
	if got := p.status("/healthz"); got != http.StatusOK {
		t.Fatalf("healthz: %d", got)
	}
	if !strings.Contains(p.logs.String(), "rate limit unavailable") {
		t.Fatalf("not logged:\n%s", p.logs)
	}
	p.terminate(t)
}

// BenchmarkInviteEmailLatency measures, on PostgreSQL, the time from an
// invitation's commit (its mutation answered) to the SMTP server holding
// the email, one invitation at a time at irregular intervals, and reports
// the median and p99 (docs/PERFORMANCE.md):
//
//	go test -run '^$' -bench InviteEmailLatency -benchtime 200x .
func BenchmarkInviteEmailLatency(b *testing.B) {
	dbURL := dbtest.URL(b, db.Postgres)
	smtp := mailtest.Start(b)
	p := startServer(b, "DATABASE_URL="+dbURL, "SMTP_URL="+smtp.URL, "MAIL_NEW_WORKSPACE_DAILY_LIMIT=100000",
		"MAIL_WORKSPACE_DAILY_LIMIT=100000")
	owner, role := signUp(b, &cluster{replicas: []*serverProcess{p}}, "olga@acme.test")
	var latencies []time.Duration
	b.ResetTimer()
	for i := range b.N {
		// Irregular gaps, so an invitation lands anywhere in a poll cycle.
		time.Sleep(time.Duration(37*i%250) * time.Millisecond)
		ans := p.ask(b, owner, inviteOp, map[string]any{"email": fmt.Sprintf("lat%04d@acme.test", i), "role": role})
		committed := time.Now()
		if len(ans.Errors) > 0 {
			b.Fatalf("invite: %+v", ans.Errors)
		}
		msgs := smtp.WaitFor(i+1, 30*time.Second)
		if len(msgs) != i+1 {
			b.Fatalf("email %d never arrived", i)
		}
		latencies = append(latencies, msgs[i].Received.Sub(committed))
	}
	b.StopTimer()
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "ms-median")
	b.ReportMetric(float64(latencies[min(len(latencies)-1, len(latencies)*99/100)].Microseconds())/1000, "ms-p99")
	b.ReportMetric(float64(slices.Max(latencies).Microseconds())/1000, "ms-max")
}

// TestShutdownLetsSendsInProgressFinish: SIGTERM while the SMTP server is
// slow (3 s, under SMTP_TIMEOUT) waits for the send instead of cancelling it
// (which would deliver it again after the restart): the email arrives once
// and the process exits 0.
func TestShutdownLetsSendsInProgressFinish(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		smtp := mailtest.Start(t)
		p := startServer(t, "DATABASE_URL="+dbtest.URL(t, d), "SMTP_URL="+smtp.URL, "SMTP_TIMEOUT=20s",
			"MAIL_RESCUE_AFTER=1m")
		owner, role := signUp(t, &cluster{replicas: []*serverProcess{p}}, "olga@acme.test")
		smtp.Delay(3 * time.Second)
		p.ask(t, owner, inviteOp, map[string]any{"email": "ana@acme.test", "role": role}).must(t, "invite", nil)
		select {
		case <-smtp.Sending():
		case <-time.After(20 * time.Second):
			t.Fatalf("the send never started\n%s", p.logs)
		}
		p.terminate(t)
		if n := len(smtp.Messages()); n != 1 {
			t.Fatalf("emails when the process had exited: %d, want 1\n%s", n, p.logs)
		}
	})
}
