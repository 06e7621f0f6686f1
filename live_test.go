package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"agentdesk/auth"
	"agentdesk/db"
	"agentdesk/db/dbtest"
	"agentdesk/live/livetest"
	"agentdesk/models"
)

// request sends a GraphQL request with variables to a server process and
// decodes its data.
func (p *serverProcess) request(t testing.TB, token, query string, vars map[string]any, dst any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, p.base+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Data   json.RawMessage
		Errors []struct{ Message string }
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || len(out.Errors) > 0 {
		t.Fatalf("%s: %v %+v", query, err, out.Errors)
	}
	if dst != nil {
		if err := json.Unmarshal(out.Data, dst); err != nil {
			t.Fatal(err)
		}
	}
}

// signUp creates a workspace on p and returns its Owner's token.
func (p *serverProcess) signUp(t testing.TB, email string) string {
	t.Helper()
	var out struct{ CreateWorkspace struct{ Token string } }
	p.request(t, "", `mutation($in: CreateWorkspaceInput!) { createWorkspace(input: $in) { token } }`,
		map[string]any{"in": map[string]any{"workspaceName": "Live", "ownerName": "Olga", "ownerEmail": email,
			"password": "correct horse battery"}}, &out)
	return out.CreateWorkspace.Token
}

// agentRole returns the id of the built-in Agent role.
func (p *serverProcess) agentRole(t testing.TB, token string) string {
	t.Helper()
	var roles struct{ Roles []struct{ ID, Name string } }
	p.request(t, token, `{ roles { id name } }`, nil, &roles)
	for _, r := range roles.Roles {
		if r.Name == "Agent" {
			return r.ID
		}
	}
	t.Fatal("no Agent role")
	return ""
}

func (p *serverProcess) inviteAgent(t testing.TB, token, roleID, email string) {
	t.Helper()
	p.request(t, token, `mutation($in: InviteAgentInput!) { inviteAgent(input: $in) { agent { id } } }`,
		map[string]any{"in": map[string]any{"email": email, "roleIds": []string{roleID}}}, nil)
}

const invitedSub = `subscription { agentChanged { change agent { email } } }`

// invited waits for the event of email's invitation on c, passing over
// the others (the emails of earlier invitations leave meanwhile:
// DELIVERY_STATUS_CHANGED).
func invited(c *livetest.Client, email string) error {
	for {
		m, err := c.NextWithin(10 * time.Second)
		if err != nil {
			return fmt.Errorf("no event for %s: %w", email, err)
		}
		var ev struct {
			AgentChanged struct {
				Change string
				Agent  struct{ Email string }
			}
		}
		if err := m.Data(&ev); err != nil {
			return err
		}
		if ev.AgentChanged.Change == "INVITED" && ev.AgentChanged.Agent.Email == email {
			return nil
		}
	}
}

// subscribeInvited opens a socket to base signed in with token and
// subscribes to invitedSub. The protocol acknowledges no subscribe, so it
// makes changes through warm (the i-th invitation) until one arrives: the
// subscription runs before the change under test is made and timed.
func subscribeInvited(ctx context.Context, t testing.TB, base, token string, warm func(i int)) *livetest.Client {
	t.Helper()
	c, err := livetest.Dial(ctx, livetest.URL(base), token, livetest.Options{})
	if err != nil {
		t.Fatalf("socket to %s: %v", base, err)
	}
	if err := c.Subscribe(ctx, "a", invitedSub, nil); err != nil {
		c.Close()
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		warm(i)
		if m, err := c.NextWithin(time.Second); err == nil {
			if m.Type != "next" {
				c.Close()
				t.Fatalf("subscription failed: %s %s", m.Type, m.Payload)
			}
			return c
		}
		if i == 10 {
			c.Close()
			t.Fatal("the subscription never started")
		}
	}
}

func waitInvited(t testing.TB, c *livetest.Client, email string) {
	t.Helper()
	if err := invited(c, email); err != nil {
		t.Fatal(err)
	}
}

// allInvited waits until every client has the event of email's invitation.
func allInvited(b *testing.B, clients []*livetest.Client, email string) {
	var wg sync.WaitGroup
	errs := make(chan error, len(clients))
	for _, c := range clients {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- invited(c, email) }()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
}

// TestReplicasShareLiveUpdates: two server processes on one PostgreSQL
// database; a change made through one reaches a subscriber of the other
// (LISTEN/NOTIFY). The delay is measured and logged (the contract: 1 s).
func TestReplicasShareLiveUpdates(t *testing.T) {
	url := dbtest.URL(t, db.Postgres)
	a := startServer(t, "DATABASE_URL="+url, "SMTP_URL=log:")
	b := startServer(t, "DATABASE_URL="+url, "SMTP_URL=log:")
	token := a.signUp(t, "olga@replicas.example.com")
	role := a.agentRole(t, token)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := subscribeInvited(ctx, t, b.base, token, func(i int) {
		b.inviteAgent(t, token, role, fmt.Sprintf("warm%d@replicas.example.com", i))
	})
	defer c.Close()

	start := time.Now()
	a.inviteAgent(t, token, role, "ana@replicas.example.com")
	waitInvited(t, c, "ana@replicas.example.com")
	t.Logf("a change on one server reached a subscriber of the other %v after the mutation was sent", time.Since(start))
}

// rssBytes reads a process's resident set size.
func rssBytes(t testing.TB, pid int) int64 {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// BenchmarkIdleSubscribers measures what 1,000 idle subscribers, each with
// its own session, cost the server process (resident memory, before any
// event) and how long one change takes to reach all of them (each op: one
// invitation, until the last subscriber has its event). BENCH_LIVE_DB=postgres runs it on PostgreSQL (TEST_DATABASE_URL
// or Docker), otherwise on SQLite. docs/PERFORMANCE.md has the figures.
//
//	go test -run '^$' -bench BenchmarkIdleSubscribers -benchtime 20x .
func BenchmarkIdleSubscribers(b *testing.B) {
	const subscribers = 1000
	dialect := db.SQLite
	if os.Getenv("BENCH_LIVE_DB") == "postgres" {
		dialect = db.Postgres
	}
	url := dbtest.URL(b, dialect)
	// pprof forces collections before the memory is read (and saves
	// profiles to /tmp/idle-*.pprof).
	pprofAddr := freeAddr(b)
	p := startServer(b, "DATABASE_URL="+url, "SMTP_URL=log:", "PPROF_ADDR="+pprofAddr,
		"MAX_SOCKETS_PER_AGENT="+strconv.Itoa(subscribers),
		"MAIL_NEW_WORKSPACE_DAILY_LIMIT=100000", "MAIL_WORKSPACE_DAILY_LIMIT=100000")
	token := p.signUp(b, "olga@idle.example.com")
	role := p.agentRole(b, token)
	p.inviteAgent(b, token, role, "warmup@idle.example.com") // the first request's one-off costs
	time.Sleep(500 * time.Millisecond)
	before, heapBefore, stacksBefore := rssBytes(b, p.cmd.Process.Pid), p.heapBytes(pprofAddr), p.metric("go_memstats_stack_inuse_bytes")

	tokens := signIns(b, url, "olga@idle.example.com", subscribers)
	clients := make([]*livetest.Client, subscribers)
	for i := range clients {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		c, err := livetest.Dial(ctx, livetest.URL(p.base), tokens[i], livetest.Options{})
		cancel()
		if err != nil {
			b.Fatalf("socket %d: %v", i, err)
		}
		if err := c.Subscribe(context.Background(), "a", invitedSub, nil); err != nil {
			b.Fatal(err)
		}
		clients[i] = c
	}
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	// Every subscription is running: the broker holds one per socket and
	// one per subscription.
	p.until(b, "2000 live subscriptions", func() bool { return p.metric("agentdesk_live_subscriptions") >= 2*subscribers })
	time.Sleep(time.Second)
	after, heapAfter, stacksAfter := rssBytes(b, p.cmd.Process.Pid), p.heapBytes(pprofAddr), p.metric("go_memstats_stack_inuse_bytes")
	for _, name := range []string{"heap", "goroutine"} {
		if res, err := http.Get("http://" + pprofAddr + "/debug/pprof/" + name); err == nil {
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			_ = os.WriteFile("/tmp/idle-"+name+".pprof", body, 0o644)
		}
	}
	p.inviteAgent(b, token, role, "ready@idle.example.com")
	allInvited(b, clients, "ready@idle.example.com")

	// BENCH_CPU_PROFILE=FILE saves the server's CPU profile of the first
	// BENCH_CPU_SECONDS (default 10) of the loop, to see where fan-out goes.
	profiled := make(chan struct{})
	if path := os.Getenv("BENCH_CPU_PROFILE"); path != "" {
		go func() {
			defer close(profiled)
			secs := cmp.Or(os.Getenv("BENCH_CPU_SECONDS"), "10")
			res, err := http.Get("http://" + pprofAddr + "/debug/pprof/profile?seconds=" + secs)
			if err != nil {
				b.Error(err)
				return
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			_ = os.WriteFile(path, body, 0o644)
		}()
	} else {
		close(profiled)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		email := fmt.Sprintf("agent%d@idle.example.com", i)
		p.inviteAgent(b, token, role, email)
		allInvited(b, clients, email)
	}
	b.StopTimer()
	<-profiled
	// After the loop: ResetTimer would drop them.
	b.ReportMetric(float64(after-before)/(1<<20), "MB-rss-for-1000-subscribers")
	b.ReportMetric(float64(after)/(1<<20), "MB-rss-total")
	b.ReportMetric((heapAfter-heapBefore+stacksAfter-stacksBefore)/(1<<20), "MB-heap+stacks-for-1000-subscribers")
	b.ReportMetric((heapAfter-heapBefore)/(1<<20), "MB-heap-for-1000-subscribers")
	b.ReportMetric((stacksAfter-stacksBefore)/(1<<20), "MB-stacks-for-1000-subscribers")
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms-to-reach-all")
}

// metric reads a gauge of the process's /metrics (-1 when absent).
func (p *serverProcess) metric(name string) float64 {
	res, err := http.Get(p.base + "/metrics")
	if err != nil {
		return -1
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	for line := range strings.SplitSeq(string(body), "\n") {
		if rest, ok := strings.CutPrefix(line, name+" "); ok {
			v, _ := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return v
		}
	}
	return -1
}

// signIns signs the agent with email in n times, straight in the
// database (n logins would spend most of the run hashing passwords), and
// returns the tokens.
func signIns(t testing.TB, url, email string, n int) []string {
	t.Helper()
	d, err := db.Open(url, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var agentID int64
	if err := d.Model(&models.Agent{}).Where("email = ?", email).Pluck("id", &agentID).Error; err != nil || agentID == 0 {
		t.Fatalf("agent %s: %v", email, err)
	}
	tokens := make([]string, n)
	rows := make([]models.Session, n)
	now := time.Now().UTC()
	for i := range rows {
		token, hash := auth.NewToken()
		tokens[i] = token
		rows[i] = models.Session{AgentID: agentID, TokenHash: hash, ExpiresAt: now.Add(time.Hour), CreatedAt: now}
	}
	if err := d.CreateInBatches(rows, 200).Error; err != nil {
		t.Fatal(err)
	}
	return tokens
}

// heapBytes is the heap in use after a collection (pprof's ?gc=1 collects
// first). RSS also counts garbage not yet collected (GOGC=400) and memory
// not yet returned, and goroutine stacks are read apart.
func (p *serverProcess) heapBytes(pprofAddr string) float64 {
	// Several collections: each halves a goroutine stack that uses less
	// than a quarter of it (a socket's goroutine grows deep while it signs
	// in and then idles shallow), as the collections of a long-lived
	// server would.
	for range 4 {
		if res, err := http.Get("http://" + pprofAddr + "/debug/pprof/heap?gc=1"); err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
	}
	return p.metric("go_memstats_heap_inuse_bytes")
}
