package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"agentdesk/auth"
	"agentdesk/db"
	"agentdesk/graph"
	"agentdesk/httpapi"
	"agentdesk/jobs"
	"agentdesk/live/livetest"
	"agentdesk/mail"
	"agentdesk/mail/mailtest"
)

// hangGuard only stops a hung test; what the contract bounds (an event
// within 1 s, a socket closed within 1 s) is measured and logged.
const hangGuard = 5 * time.Second

// socket opens a graphql-transport-ws socket signed in with token.
func (s *testServer) socket(token string) *livetest.Client {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	c, err := livetest.Dial(ctx, livetest.URL(s.http.URL), token, livetest.Options{})
	if err != nil {
		s.t.Fatalf("open socket: %v", err)
	}
	s.t.Cleanup(c.Close)
	return c
}

// subscribe starts a subscription and waits until the server's broker
// holds want subscriptions (each socket holds one for its session, each
// subscription one), so that a change made next is one the subscription
// must see.
func (s *testServer) subscribe(c *livetest.Client, id, query string, vars map[string]any, want int) {
	s.t.Helper()
	if err := c.Subscribe(context.Background(), id, query, vars); err != nil {
		s.t.Fatal(err)
	}
	s.settle(want)
}

// settle waits until the broker holds exactly n subscriptions.
func (s *testServer) settle(n int) {
	s.t.Helper()
	deadline := time.Now().Add(hangGuard)
	for s.svc.Live.Subscribers() != n {
		if time.Now().After(deadline) {
			s.t.Fatalf("the broker holds %d subscriptions, want %d", s.svc.Live.Subscribers(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// event waits for the next message of c, which must be data of operation id.
func event[T any](t *testing.T, c *livetest.Client, id string) T {
	t.Helper()
	m, err := c.NextWithin(hangGuard)
	if err != nil {
		t.Fatalf("no event: %v", err)
	}
	if m.ID != id {
		t.Fatalf("event of operation %q, want %q: %s", m.ID, id, m.Payload)
	}
	var out T
	if err := m.Data(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// quiet checks that nothing arrives on c for a moment.
func quiet(t *testing.T, c *livetest.Client) {
	t.Helper()
	if m, err := c.NextWithin(300 * time.Millisecond); err == nil {
		t.Fatalf("unexpected message %s %s", m.Type, m.Payload)
	}
}

type agentEvent struct {
	AgentChanged struct {
		Change string
		Agent  struct {
			ID, Email, Status string
			Roles             []struct{ Name string }
		}
	}
}

const agentChangedSub = `subscription { agentChanged { change agent { id email status roles { name } } } }`

// TestAgentChangedAfterCommitOnly: each committed change reaches the
// subscriber, with the agent as it is after it; a mutation that fails sends
// nothing (the next event is the next committed change).
func TestAgentChangedAfterCommitOnly(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Live Acme")
		c := s.socket(owner.Token)
		s.subscribe(c, "a", agentChangedSub, nil, 2)

		start := time.Now()
		ana := s.invite(owner.Token, "ana@live.example.com", "Agent")
		ev := event[agentEvent](t, c, "a").AgentChanged
		t.Logf("%s: INVITED event %v after the mutation was sent", s.dialect, time.Since(start))
		if ev.Change != "INVITED" || ev.Agent.ID != ana || ev.Agent.Status != "PENDING" ||
			len(ev.Agent.Roles) != 1 || ev.Agent.Roles[0].Name != "Agent" {
			t.Fatalf("event %+v", ev)
		}

		// Refused: nothing is committed, nothing is sent.
		s.expectCode(owner.Token, `mutation($in: InviteAgentInput!) { inviteAgent(input: $in) { agent { id } } }`,
			map[string]any{"in": map[string]any{"email": "ana@live.example.com", "roleIds": []string{s.roleID(owner.Token, "Agent")}}},
			"CONFLICT")
		quiet(t, c)

		s.must(owner.Token, `mutation($in: UpdateAgentRolesInput!) { updateAgentRoles(input: $in) { agent { id } } }`,
			map[string]any{"in": map[string]any{"agentId": ana, "roleIds": []string{s.roleID(owner.Token, "Supervisor")}}}, nil)
		ev = event[agentEvent](t, c, "a").AgentChanged
		if ev.Change != "ROLES_UPDATED" || ev.Agent.ID != ana || ev.Agent.Roles[0].Name != "Supervisor" {
			t.Fatalf("event %+v", ev)
		}
		s.activate("ana@live.example.com", "Ana")
		if ev = event[agentEvent](t, c, "a").AgentChanged; ev.Change != "ACTIVATED" || ev.Agent.Status != "ACTIVE" {
			t.Fatalf("event %+v", ev)
		}
		s.must(owner.Token, `mutation($in: RemoveAgentInput!) { removeAgent(input: $in) { agent { id } } }`,
			map[string]any{"in": map[string]any{"agentId": ana}}, nil)
		if ev = event[agentEvent](t, c, "a").AgentChanged; ev.Change != "REMOVED" || ev.Agent.Status != "REMOVED" {
			t.Fatalf("event %+v", ev)
		}
	})
}

type conversationEvent struct {
	ConversationChanged struct {
		Change       string
		Conversation struct{ ID, Subject string }
	}
}

const conversationChangedSub = `subscription($f: ConversationFilter) { conversationChanged(filter: $f) { change conversation { id subject } } }`

const createConversationMutation = `mutation($in: CreateConversationInput!) { createConversation(input: $in) { conversation { id } } }`

func (s *testServer) createConversation(token, subject, channel string) string {
	s.t.Helper()
	var out struct {
		CreateConversation struct{ Conversation struct{ ID string } }
	}
	s.must(token, createConversationMutation, map[string]any{"in": map[string]any{"channel": channel,
		"subject": subject, "contactEmail": "contact@example.org", "message": "Hello"}}, &out)
	return out.CreateConversation.Conversation.ID
}

// TestConversationChangedVisibility: an Agent-role subscriber gets the
// changes of the conversations it may see (BEHAVIOUR.md §5: its own and
// unassigned ones) and no others, each decided when the event happens; a
// filter narrows the events as it narrows the list.
func TestConversationChangedVisibility(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Live Visibility")
		member := s.member(owner, "agent@visibility.example.com", "Agent")
		mc := s.socket(member.Token)
		s.subscribe(mc, "m", conversationChangedSub, nil, 2)
		oc := s.socket(owner.Token)
		s.subscribe(oc, "o", conversationChangedSub, nil, 4)
		s.subscribe(oc, "chat", conversationChangedSub, map[string]any{"f": map[string]any{"channel": []string{"WEB_CHAT"}}}, 5)

		first := s.createConversation(owner.Token, "First", "EMAIL")
		for _, c := range []struct {
			client *livetest.Client
			id     string
		}{{mc, "m"}, {oc, "o"}} {
			if ev := event[conversationEvent](t, c.client, c.id).ConversationChanged; ev.Change != "CREATED" || ev.Conversation.ID != first {
				t.Fatalf("%s: event %+v", c.id, ev)
			}
		}
		// Assigned to the owner, the conversation leaves the member's sight:
		// the owner hears of it, the member does not.
		s.must(owner.Token, `mutation($in: AssignConversationInput!) { assignConversation(input: $in) { conversation { id } } }`,
			map[string]any{"in": map[string]any{"conversationId": first, "agentId": owner.ID}}, nil)
		if ev := event[conversationEvent](t, oc, "o").ConversationChanged; ev.Change != "ASSIGNED" || ev.Conversation.ID != first {
			t.Fatalf("owner: event %+v", ev)
		}
		s.must(owner.Token, `mutation($in: SendMessageInput!) { sendMessage(input: $in) { message { id } } }`,
			map[string]any{"in": map[string]any{"conversationId": first, "body": "We are on it."}}, nil)
		if ev := event[conversationEvent](t, oc, "o").ConversationChanged; ev.Change != "MESSAGE_ADDED" {
			t.Fatalf("owner: event %+v", ev)
		}
		chat := s.createConversation(owner.Token, "Second", "WEB_CHAT")
		// The member's next event is the new conversation: none of the two
		// changes it may not see came before it.
		if ev := event[conversationEvent](t, mc, "m").ConversationChanged; ev.Change != "CREATED" || ev.Conversation.ID != chat {
			t.Fatalf("member: event %+v", ev)
		}
		// Both of the owner's subscriptions hear of it, in either order; the
		// filtered one heard of nothing before (only WEB_CHAT).
		for range 2 {
			m, err := oc.NextWithin(hangGuard)
			if err != nil {
				t.Fatal(err)
			}
			var ev conversationEvent
			if err := m.Data(&ev); err != nil {
				t.Fatal(err)
			}
			if ch := ev.ConversationChanged; ch.Change != "CREATED" || ch.Conversation.ID != chat || (m.ID != "o" && m.ID != "chat") {
				t.Fatalf("%s: event %+v", m.ID, ch)
			}
		}
		quiet(t, mc)
		quiet(t, oc)
	})
}

// closedWith waits for the server to close c and checks the close code.
func closedWith(t *testing.T, c *livetest.Client, code websocket.StatusCode) time.Duration {
	t.Helper()
	start := time.Now()
	if !c.Closed(hangGuard) {
		t.Fatalf("socket still open after %v", hangGuard)
	}
	if c.CloseCode != code {
		t.Fatalf("closed with %d %q, want %d", c.CloseCode, c.CloseReason, code)
	}
	return time.Since(start)
}

// TestEndedSessionClosesSockets: removing an agent closes its sockets, and
// logging out closes those of that session only, with 4401 (measured: the
// contract asks for 1 s).
func TestEndedSessionClosesSockets(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Live Removal")
		sup := s.member(owner, "sup@removal.example.com", "Supervisor")
		sc := s.socket(sup.Token)
		s.subscribe(sc, "a", agentChangedSub, nil, 2)

		start := time.Now()
		s.must(owner.Token, `mutation($in: RemoveAgentInput!) { removeAgent(input: $in) { agent { id } } }`,
			map[string]any{"in": map[string]any{"agentId": sup.ID}}, nil)
		closedWith(t, sc, 4401)
		t.Logf("%s: removed agent's socket closed %v after the removal was sent", s.dialect, time.Since(start))

		s.settle(0)
		// Two sessions of the owner: logging one out closes its socket only.
		var login struct{ Login struct{ Token string } }
		s.must("", `mutation($in: LoginInput!) { login(input: $in) { token } }`,
			map[string]any{"in": map[string]any{"email": owner.Email, "password": owner.Password}}, &login)
		keep, leave := s.socket(owner.Token), s.socket(login.Login.Token)
		s.settle(2)
		s.subscribe(keep, "k", agentChangedSub, nil, 3)
		start = time.Now()
		s.must(login.Login.Token, `mutation { logout }`, nil, nil)
		closedWith(t, leave, 4401)
		t.Logf("%s: logged-out socket closed %v after the logout was sent", s.dialect, time.Since(start))
		s.invite(owner.Token, "next@removal.example.com", "Agent")
		if ev := event[agentEvent](t, keep, "k").AgentChanged; ev.Change != "INVITED" {
			t.Fatalf("event %+v", ev)
		}
	})
}

// TestSocketRefusals: no or a bad token closes with 4401; a subscription
// needs its permission (FORBIDDEN) and a socket (over POST:
// BAD_USER_INPUT); a foreign origin is refused before the upgrade; the
// per-socket and per-agent bounds hold.
func TestSocketRefusals(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Live Refusals")
		ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
		defer cancel()
		for name, payload := range map[string]map[string]any{
			"no token":    {},
			"bad token":   {"Authorization": "Bearer not-a-session"},
			"wrong shape": {"Authorization": 42},
		} {
			c, err := livetest.Dial(ctx, livetest.URL(s.http.URL), "", livetest.Options{InitPayload: payload})
			if err == nil {
				t.Fatalf("%s: acknowledged", name)
			}
			closedWith(t, c, 4401)
		}
		s.settle(0)
		// The token may also come as authToken (some clients' habit).
		c, err := livetest.Dial(ctx, livetest.URL(s.http.URL), "", livetest.Options{InitPayload: map[string]any{"authToken": owner.Token}})
		if err != nil {
			t.Fatalf("authToken: %v", err)
		}
		c.Close()
		s.settle(0)

		member := s.member(owner, "agent@refusals.example.com", "Agent")
		mc := s.socket(member.Token)
		s.settle(1)
		if err := mc.Subscribe(ctx, "a", agentChangedSub, nil); err != nil {
			t.Fatal(err)
		}
		m, err := mc.NextWithin(hangGuard)
		if err != nil || !strings.Contains(string(m.Payload), `"FORBIDDEN"`) {
			t.Fatalf("agentChanged without AGENTS_READ: %v %s %s", err, m.Type, m.Payload)
		}

		res := s.query(owner.Token, agentChangedSub, nil)
		if res.code() != "BAD_USER_INPUT" {
			t.Fatalf("subscription over POST: %s", res.raw)
		}

		if _, err := livetest.Dial(ctx, livetest.URL(s.http.URL), owner.Token, livetest.Options{Origin: "https://evil.example"}); err == nil ||
			!strings.Contains(err.Error(), "403") {
			t.Fatalf("foreign origin: %v", err)
		}

		oc := s.socket(owner.Token)
		s.settle(2)
		for i := range graph.MaxSubscriptionsPerSocket {
			s.subscribe(oc, "s"+string(rune('a'+i)), agentChangedSub, nil, 3+i)
		}
		if err := oc.Subscribe(ctx, "over", agentChangedSub, nil); err != nil {
			t.Fatal(err)
		}
		// On PostgreSQL a change committed just before a subscription
		// started may still reach it: skip those.
		for {
			m, err := oc.NextWithin(hangGuard)
			if err != nil {
				t.Fatalf("subscription past the socket's bound: %v", err)
			}
			if m.ID != "over" {
				continue
			}
			if !strings.Contains(string(m.Payload), `"RATE_LIMITED"`) {
				t.Fatalf("subscription past the socket's bound: %s %s", m.Type, m.Payload)
			}
			break
		}

		for range httpapi.DefaultMaxSocketsPerAgent - 1 { // oc is one
			s.socket(owner.Token)
		}
		c, err = livetest.Dial(ctx, livetest.URL(s.http.URL), owner.Token, livetest.Options{})
		if err == nil {
			t.Fatal("socket past the agent's bound acknowledged")
		}
		closedWith(t, c, 4429)
	})
}

// TestSocketOriginFollowsAllowedOrigins: the page's own origin and the
// allowed ones may open a socket.
func TestSocketOriginFollowsAllowedOrigins(t *testing.T) {
	s := newServer(t, db.SQLite)
	owner := s.createWorkspace("Live Origins")
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	c, err := livetest.Dial(ctx, livetest.URL(s.http.URL), owner.Token, livetest.Options{Origin: s.http.URL})
	if err != nil {
		t.Fatalf("same origin: %v", err)
	}
	c.Close()
	req, _ := http.NewRequest(http.MethodGet, s.http.URL+"/query", nil)
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Connection", "Upgrade")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		Errors []struct{ Extensions map[string]any }
	}
	_ = json.NewDecoder(res.Body).Decode(&body)
	if res.StatusCode != http.StatusForbidden || len(body.Errors) != 1 || body.Errors[0].Extensions["code"] != "FORBIDDEN" {
		t.Fatalf("foreign origin: %d %+v", res.StatusCode, body)
	}
}

// TestDeliveryStatusIsAnEvent: when an invitation's email leaves (real
// SMTP), its subscribers hear DELIVERY_STATUS_CHANGED with the new status.
func TestDeliveryStatusIsAnEvent(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		smtpServer := mailtest.Start(t)
		deliverer, err := mail.NewSMTP(smtpServer.URL, mailFrom, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		q, err := jobs.New(s.db, deliverer, jobs.Config{MaxAttempts: 3, RetryBase: 20 * time.Millisecond,
			PollInterval: 20 * time.Millisecond, CleanupEvery: time.Hour, SendTimeout: 5 * time.Second,
			RescueAfter: time.Minute, Now: s.clock.Now, Log: slog.New(slog.DiscardHandler), Live: s.svc.Live})
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
		s.svc.Emails = q

		owner := s.createWorkspace("Live Delivery")
		c := s.socket(owner.Token)
		s.subscribe(c, "a", `subscription { agentChanged { change agent { id invitation { deliveryStatus } } } }`, nil, 2)
		id := s.invite(owner.Token, "ana@delivery.example.com", "Agent")
		type deliveryEvent struct {
			AgentChanged struct {
				Change string
				Agent  struct {
					ID         string
					Invitation struct{ DeliveryStatus string }
				}
			}
		}
		ev := event[deliveryEvent](t, c, "a").AgentChanged
		if ev.Change != "INVITED" || ev.Agent.ID != id {
			t.Fatalf("event %+v", ev)
		}
		ev = event[deliveryEvent](t, c, "a").AgentChanged
		if ev.Change != "DELIVERY_STATUS_CHANGED" || ev.Agent.ID != id || ev.Agent.Invitation.DeliveryStatus != "SENT" {
			t.Fatalf("event %+v", ev)
		}
	})
}

// TestCautionChangedEvents: removing an agent puts the badge on its
// conversations (CAUTION_CHANGED); reassigning one clears it
// (CAUTION_CHANGED); moving it between active agents is ASSIGNED.
func TestCautionChangedEvents(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Live Caution")
		leaving := s.member(owner, "leaving@caution.example.com", "Agent")
		conv := s.createConversation(owner.Token, "Caution", "EMAIL")
		const assign = `mutation($in: AssignConversationInput!) { assignConversation(input: $in) { conversation { id } } }`
		s.must(owner.Token, assign, map[string]any{"in": map[string]any{"conversationId": conv, "agentId": leaving.ID}}, nil)
		c := s.socket(owner.Token)
		s.subscribe(c, "o", `subscription { conversationChanged { change conversation { id caution } } }`, nil, 2)
		type cautionEvent struct {
			ConversationChanged struct {
				Change       string
				Conversation struct {
					ID      string
					Caution *string
				}
			}
		}
		s.must(owner.Token, `mutation($in: RemoveAgentInput!) { removeAgent(input: $in) { agent { id } } }`,
			map[string]any{"in": map[string]any{"agentId": leaving.ID}}, nil)
		ev := event[cautionEvent](t, c, "o").ConversationChanged
		// On PostgreSQL the notifications of the changes committed just
		// before the subscription started may still arrive: pass over them.
		for ev.Change == "CREATED" || ev.Change == "ASSIGNED" {
			ev = event[cautionEvent](t, c, "o").ConversationChanged
		}
		if ev.Change != "CAUTION_CHANGED" || ev.Conversation.ID != conv || ev.Conversation.Caution == nil {
			t.Fatalf("after the removal: %+v", ev)
		}
		s.must(owner.Token, assign, map[string]any{"in": map[string]any{"conversationId": conv, "agentId": owner.ID}}, nil)
		ev = event[cautionEvent](t, c, "o").ConversationChanged
		if ev.Change != "CAUTION_CHANGED" || ev.Conversation.Caution != nil {
			t.Fatalf("after reassigning: %+v", ev)
		}
		other := s.member(owner, "other@caution.example.com", "Agent")
		s.must(owner.Token, assign, map[string]any{"in": map[string]any{"conversationId": conv, "agentId": other.ID}}, nil)
		if ev = event[cautionEvent](t, c, "o").ConversationChanged; ev.Change != "ASSIGNED" || ev.Conversation.Caution != nil {
			t.Fatalf("between active agents: %+v", ev)
		}
	})
}

// TestSocketRunsOnlySubscriptions: a query or a mutation sent over the
// socket is refused. Sockets are not requests: they escape the request
// timeout and the in-flight and per-client bounds, so one socket sending
// thousands of queries at once would run them all.
func TestSocketRunsOnlySubscriptions(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Live Only Subscriptions")
		c := s.socket(owner.Token)
		ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
		defer cancel()
		for id, query := range map[string]string{
			"q": `{ agents(first: 5) { totalCount } }`,
			"m": `mutation { logout }`,
		} {
			if err := c.Subscribe(ctx, id, query, nil); err != nil {
				t.Fatal(err)
			}
			m, err := c.NextWithin(hangGuard)
			if err != nil {
				t.Fatalf("%s: no answer: %v", id, err)
			}
			if m.ID != id || !strings.Contains(string(m.Payload), `"BAD_USER_INPUT"`) || strings.Contains(string(m.Payload), `"data":{`) {
				t.Fatalf("%s over the socket: %s %s %s", id, m.ID, m.Type, m.Payload)
			}
			if m, err := c.NextWithin(hangGuard); err != nil || m.ID != id || m.Type != "complete" {
				t.Fatalf("%s over the socket, then: %v %s %s", id, err, m.Type, m.Payload)
			}
		}
		// The logout was not run: the session still works.
		if res := s.query(owner.Token, `{ viewer { id } }`, nil); res.code() != "" {
			t.Fatalf("session after a refused logout over the socket: %s", res.raw)
		}
	})
}

// TestSocketsWaitingForInitAreBoundedPerClient: one client (address) may
// hold only httpapi.MaxUnsignedSocketsPerClient sockets that have not sent
// connection_init; one more is refused with 429 before the upgrade.
// Without the bound an anonymous client opened thousands in seconds, each
// holding a file descriptor and memory for up to 10 s. A socket that signs
// in frees its place.
func TestSocketsWaitingForInitAreBoundedPerClient(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Live Unsigned Sockets")
		ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
		defer cancel()
		dial := func() (*websocket.Conn, *http.Response, error) {
			return websocket.Dial(ctx, livetest.URL(s.http.URL), &websocket.DialOptions{Subprotocols: []string{livetest.Subprotocol}})
		}
		var waiting []*websocket.Conn
		t.Cleanup(func() {
			for _, c := range waiting {
				c.CloseNow()
			}
		})
		for i := range httpapi.MaxUnsignedSocketsPerClient {
			c, _, err := dial()
			if err != nil {
				t.Fatalf("socket %d: %v", i, err)
			}
			waiting = append(waiting, c)
		}
		_, res, err := dial()
		if err == nil || res == nil || res.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("one socket past the bound: %v %v", err, res)
		}
		// One signs in: its place is free again.
		if err := waiting[0].Write(ctx, websocket.MessageText, []byte(`{"type":"connection_init","payload":{"Authorization":"Bearer `+owner.Token+`"}}`)); err != nil {
			t.Fatal(err)
		}
		if _, msg, err := waiting[0].Read(ctx); err != nil || !strings.Contains(string(msg), "connection_ack") {
			t.Fatalf("connection_init: %v %s", err, msg)
		}
		c, _, err := dial()
		if err != nil {
			t.Fatalf("a socket after one signed in: %v", err)
		}
		waiting = append(waiting, c)
	})
}

// countingSessions is the session store with its lookups recorded: single
// lookups by token, and the sizes of batched ones.
type countingSessions struct {
	auth.ViewersResolver
	mu      sync.Mutex
	single  map[string]int
	batches []int
	batched map[string]int
}

func (c *countingSessions) ResolveViewer(ctx context.Context, token string) (*auth.Viewer, error) {
	c.mu.Lock()
	c.single[token]++
	c.mu.Unlock()
	return c.ViewersResolver.ResolveViewer(ctx, token)
}

func (c *countingSessions) ResolveViewers(ctx context.Context, tokens []string) ([]*auth.Viewer, []error) {
	c.mu.Lock()
	c.batches = append(c.batches, len(tokens))
	for _, token := range tokens {
		c.batched[token]++
	}
	c.mu.Unlock()
	return c.ViewersResolver.ResolveViewers(ctx, tokens)
}

func (c *countingSessions) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.single, c.batches, c.batched = map[string]int{}, nil, map[string]int{}
}

// TestOneEventLooksUpItsSubscribersTogether: every socket that hears an
// event looks its session up again, and those lookups are batched: each
// socket's token once, in a few statements for all of them, not one
// lookup per socket (a thousand sockets would cost two thousand
// statements per change).
func TestOneEventLooksUpItsSubscribersTogether(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		const sockets = 30
		owner := s.createWorkspace("Live Batched Lookups")
		v, err := s.svc.Sessions.ResolveViewer(context.Background(), owner.Token)
		if err != nil {
			t.Fatal(err)
		}
		sessions := &countingSessions{ViewersResolver: s.svc.Sessions}
		sessions.reset()
		srv := s.serveAnother(t, func(c *httpapi.Config) { c.Sessions, c.MaxSocketsPerAgent = sessions, sockets })
		clients := make([]*livetest.Client, sockets)
		tokens := map[string]bool{}
		for i := range clients {
			token, _, err := s.svc.Sessions.Create(s.db.DB, v.AgentID)
			if err != nil {
				t.Fatal(err)
			}
			tokens[token] = true
			ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
			clients[i], err = livetest.Dial(ctx, livetest.URL(srv.URL), token, livetest.Options{})
			cancel()
			if err != nil {
				t.Fatalf("socket %d: %v", i, err)
			}
			t.Cleanup(clients[i].Close)
			if err := clients[i].Subscribe(context.Background(), "a", agentChangedSub, nil); err != nil {
				t.Fatal(err)
			}
		}
		s.settle(2 * sockets)
		sessions.reset()

		s.invite(owner.Token, "ana@batched.example.com", "Agent")
		for _, c := range clients {
			if ev := event[agentEvent](t, c, "a").AgentChanged; ev.Change != "INVITED" {
				t.Fatalf("event %+v", ev)
			}
		}
		sessions.mu.Lock()
		defer sessions.mu.Unlock()
		t.Logf("%s: %d sockets looked up in batches of %v", s.dialect, sockets, sessions.batches)
		for token := range tokens {
			if sessions.single[token] != 0 || sessions.batched[token] != 1 {
				t.Errorf("a socket's token was looked up %d times alone and %d times in batches; want 0 and 1",
					sessions.single[token], sessions.batched[token])
			}
		}
		// A few batches at most (one, unless the wakes of the sockets
		// spread over more than the batch's wait); one per socket is what
		// this guards against.
		if len(sessions.batches) > sockets/5 {
			t.Errorf("%d sockets were looked up in %d batches %v", sockets, len(sessions.batches), sessions.batches)
		}
	})
}

// TestSubscriptionIsOneOperationItsEventsAreNotRequests: a subscription
// is counted and logged once, when it starts; its events add to
// agentdesk_subscription_events_total, not to the request counts,
// latencies and log (a change heard by a thousand subscribers is not a
// thousand requests).
func TestSubscriptionIsOneOperationItsEventsAreNotRequests(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Live Metrics")
		logs := &lockedWriter{w: &strings.Builder{}}
		srv := s.serveAnother(t, func(c *httpapi.Config) { c.Log = slog.New(slog.NewTextHandler(logs, nil)) })
		ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
		defer cancel()
		c, err := livetest.Dial(ctx, livetest.URL(srv.URL), owner.Token, livetest.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		s.subscribe(c, "a", agentChangedSub, nil, 2)
		const events = 3
		for i := range events {
			s.invite(owner.Token, fmt.Sprintf("m%d@metrics.example.com", i), "Agent")
			if ev := event[agentEvent](t, c, "a").AgentChanged; ev.Change != "INVITED" {
				t.Fatalf("event %+v", ev)
			}
		}
		res, err := http.Get(srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		metrics := string(body)
		for _, want := range []string{
			`agentdesk_graphql_requests_total{operation="subscription:agentChanged"} 1`,
			fmt.Sprintf("agentdesk_subscription_events_total %d", events),
		} {
			if !strings.Contains(metrics, want) {
				t.Errorf("metrics lack %q", want)
			}
		}
		if strings.Contains(metrics, `agentdesk_graphql_request_duration_seconds_count{operation="subscription:agentChanged"}`) {
			t.Error("a subscription's events are observed as request latencies")
		}
		logs.mu.Lock()
		lines := strings.Count(logs.w.(*strings.Builder).String(), "operation=subscription:agentChanged")
		logs.mu.Unlock()
		if lines != 1 {
			t.Errorf("the subscription was logged %d times, want once", lines)
		}
	})
}
