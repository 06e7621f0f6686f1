package graph_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"agentdesk/auth"
	"agentdesk/httpapi"
	"agentdesk/live/livetest"
	"agentdesk/sessions"
)

// forbiddenEnd waits for the end of subscription id on c: an error
// message with FORBIDDEN (graphql-transport-ws: an error ends the
// operation, no complete follows); the socket stays open.
func forbiddenEnd(t *testing.T, c *livetest.Client, id string) {
	t.Helper()
	m, err := c.NextWithin(hangGuard)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	if m.ID != id || m.Type != "error" || !strings.Contains(string(m.Payload), `"FORBIDDEN"`) {
		t.Fatalf("want a FORBIDDEN error for %s, got %s %s %s", id, m.ID, m.Type, m.Payload)
	}
}

// TestBatchedLookupAnswersEachSocketItsOwnSession: the sockets hearing one
// event are looked up in one batch, and each is answered with its own
// session as it is at that event, whatever the others in the batch are: a
// socket whose agent lost AGENTS_READ ends its agentChanged with FORBIDDEN
// and sees fewer conversations from that event on (nothing of the previous
// event's lookup carries over); a removed agent's socket and an expired
// session's socket close with 4401; two tabs of one session both hear the
// event; a subscriber of another workspace hears nothing of it.
func TestBatchedLookupAnswersEachSocketItsOwnSession(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Batch Mixed")
		keep := s.member(owner, "keep@batch.example.com", "Supervisor")
		demoted := s.member(owner, "demoted@batch.example.com", "Supervisor")
		removed := s.member(owner, "removed@batch.example.com", "Supervisor")
		expiring := s.member(owner, "expiring@batch.example.com", "Supervisor")
		elsewhere := s.createWorkspace("Batch Elsewhere")

		// A session of its own that ends an hour from now (the others: 30 days).
		ev, err := s.svc.Sessions.ResolveViewer(context.Background(), expiring.Token)
		if err != nil {
			t.Fatal(err)
		}
		short := &sessions.Store{DB: s.db.DB, TTL: time.Hour, Now: s.clock.Now}
		expiringToken, _, err := short.Create(s.db.DB, ev.AgentID)
		if err != nil {
			t.Fatal(err)
		}

		// Owner's conversation, assigned to the owner: only CONVERSATIONS_READ_ALL sees it.
		private := s.createConversation(owner.Token, "Private", "EMAIL")
		s.must(owner.Token, `mutation($in: AssignConversationInput!) { assignConversation(input: $in) { conversation { id } } }`,
			map[string]any{"in": map[string]any{"conversationId": private, "agentId": owner.ID}}, nil)
		const sendMessage = `mutation($in: SendMessageInput!) { sendMessage(input: $in) { message { id } } }`
		message := func(body string) {
			s.must(owner.Token, sendMessage, map[string]any{"in": map[string]any{"conversationId": private, "body": body}}, nil)
		}

		tab1, tab2 := s.socket(keep.Token), s.socket(keep.Token)
		dem, demConv := s.socket(demoted.Token), s.socket(demoted.Token)
		rem, exp := s.socket(removed.Token), s.socket(expiringToken)
		other, otherConv := s.socket(elsewhere.Token), s.socket(elsewhere.Token)
		subscribers := 8 // one per socket, for its session
		s.settle(subscribers)
		for _, c := range []*livetest.Client{tab1, tab2, dem, rem, exp, other} {
			subscribers++
			s.subscribe(c, "a", agentChangedSub, nil, subscribers)
		}
		for _, c := range []*livetest.Client{demConv, otherConv} {
			subscribers++
			s.subscribe(c, "c", conversationChangedSub, nil, subscribers)
		}
		agentSockets := map[string]*livetest.Client{"tab1": tab1, "tab2": tab2, "demoted": dem, "removed": rem, "expiring": exp}
		expect := func(names []string, change, agentID string, roles ...string) {
			t.Helper()
			for _, name := range names {
				got := event[agentEvent](t, agentSockets[name], "a").AgentChanged
				var names []string
				for _, r := range got.Agent.Roles {
					names = append(names, r.Name)
				}
				if got.Change != change || (agentID != "" && got.Agent.ID != agentID) ||
					(roles != nil && strings.Join(names, ",") != strings.Join(roles, ",")) {
					t.Fatalf("%s: event %+v, want %s of %s with roles %v", name, got, change, agentID, roles)
				}
			}
		}

		// Event 1: everyone of the workspace, in one batch.
		x1 := s.invite(owner.Token, "x1@batch.example.com", "Agent")
		expect([]string{"tab1", "tab2", "demoted", "removed", "expiring"}, "INVITED", x1, "Agent")
		message("first")
		if got := event[conversationEvent](t, demConv, "c").ConversationChanged; got.Change != "MESSAGE_ADDED" || got.Conversation.ID != private {
			t.Fatalf("demoted, while a Supervisor: %+v", got)
		}

		// Event 2: the demoted agent's own lookup says Agent (no
		// AGENTS_READ); the others' say Supervisor and hear the change.
		s.must(owner.Token, `mutation($in: UpdateAgentRolesInput!) { updateAgentRoles(input: $in) { agent { id } } }`,
			map[string]any{"in": map[string]any{"agentId": demoted.ID, "roleIds": []string{s.roleID(owner.Token, "Agent")}}}, nil)
		forbiddenEnd(t, dem, "a")
		expect([]string{"tab1", "tab2", "removed", "expiring"}, "ROLES_UPDATED", demoted.ID, "Agent")
		// No longer CONVERSATIONS_READ_ALL: the owner's conversation is not
		// the demoted agent's to hear of; the next thing it hears is an
		// unassigned one.
		message("second")
		open := s.createConversation(owner.Token, "Open", "EMAIL")
		if got := event[conversationEvent](t, demConv, "c").ConversationChanged; got.Change != "CREATED" || got.Conversation.ID != open {
			t.Fatalf("demoted, now an Agent: %+v", got)
		}

		// Event 3: the removed agent's lookup is UNAUTHENTICATED in the
		// same batch as live ones.
		s.must(owner.Token, `mutation($in: RemoveAgentInput!) { removeAgent(input: $in) { agent { id } } }`,
			map[string]any{"in": map[string]any{"agentId": removed.ID}}, nil)
		closedWith(t, rem, 4401)
		expect([]string{"tab1", "tab2", "expiring"}, "REMOVED", removed.ID)

		// Event 4: the short session has expired by the time of the event.
		s.clock.Advance(2 * time.Hour)
		x2 := s.invite(owner.Token, "x2@batch.example.com", "Agent")
		closedWith(t, exp, 4401)
		expect([]string{"tab1", "tab2"}, "INVITED", x2, "Agent")

		// Nothing of it reached the other workspace.
		quiet(t, other)
		quiet(t, otherConv)
		quiet(t, tab1)
		quiet(t, tab2)
	})
}

// blockingSessions holds every batched lookup until released, and records
// the tokens of each batch in order and whether its context had ended.
type blockingSessions struct {
	auth.ViewersResolver
	started chan []string
	release chan struct{}
	mu      sync.Mutex
	ctxErrs []error
}

func (b *blockingSessions) ResolveViewers(ctx context.Context, tokens []string) ([]*auth.Viewer, []error) {
	b.started <- tokens
	<-b.release
	b.mu.Lock()
	b.ctxErrs = append(b.ctxErrs, ctx.Err())
	b.mu.Unlock()
	return b.ViewersResolver.ResolveViewers(ctx, tokens)
}

// TestBatchedLookupOutlivesItsFirstSubscriber: the batch runs with the
// context of the subscription that started it; when that socket closes
// while the lookup is in flight, the lookup still answers the others, and
// the next event is looked up afresh.
func TestBatchedLookupOutlivesItsFirstSubscriber(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Batch First Leaves")
		a := s.member(owner, "a@first.example.com", "Supervisor")
		b := s.member(owner, "b@first.example.com", "Supervisor")
		blocking := &blockingSessions{ViewersResolver: s.svc.Sessions, started: make(chan []string, 8), release: make(chan struct{})}
		srv := s.serveAnother(t, func(c *httpapi.Config) { c.Sessions = blocking })
		dial := func(token string) *livetest.Client {
			ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
			defer cancel()
			c, err := livetest.Dial(ctx, livetest.URL(srv.URL), token, livetest.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.Close)
			return c
		}
		byToken := map[string]*livetest.Client{a.Token: dial(a.Token), b.Token: dial(b.Token)}
		n := 0
		for _, c := range byToken {
			n += 2
			s.subscribe(c, "a", agentChangedSub, nil, n)
		}

		s.invite(owner.Token, "x@first.example.com", "Agent")
		var batch []string
		select {
		case batch = <-blocking.started:
		case <-time.After(hangGuard):
			t.Fatal("no batched lookup")
		}
		if len(batch) != 2 {
			// The two wakes were more than the batch's wait apart: this
			// run cannot show what it is about.
			close(blocking.release)
			t.Skipf("the two sockets were looked up in separate batches (%d tokens)", len(batch))
		}
		first, second := byToken[batch[0]], byToken[batch[1]]
		first.Close()
		if !first.Closed(hangGuard) {
			t.Fatal("first socket still open")
		}
		close(blocking.release)
		if got := event[agentEvent](t, second, "a").AgentChanged; got.Change != "INVITED" {
			t.Fatalf("event %+v", got)
		}
		blocking.mu.Lock()
		if blocking.ctxErrs[0] != nil {
			t.Errorf("the batch's context ended with its first subscriber: %v", blocking.ctxErrs[0])
		}
		blocking.mu.Unlock()
		// The next event: a fresh lookup, for the remaining socket only.
		s.invite(owner.Token, "y@first.example.com", "Agent")
		select {
		case batch = <-blocking.started:
		case <-time.After(hangGuard):
			t.Fatal("no batched lookup for the next event")
		}
		if len(batch) != 1 || byToken[batch[0]] != second {
			t.Fatalf("next event's batch %d tokens", len(batch))
		}
		if got := event[agentEvent](t, second, "a").AgentChanged; got.Change != "INVITED" {
			t.Fatalf("event %+v", got)
		}
	})
}

// TestBurstOfEventsReachesEverySocketInOrder: a bulk invitation is a burst
// of events, each looked up in its own batch; every socket hears all of
// them, in order, and a socket that closes in the middle of the burst does
// not hold the others up.
func TestBurstOfEventsReachesEverySocketInOrder(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Batch Burst")
		const members, burst = 6, 40
		tokens := make([]string, members)
		for i := range tokens {
			tokens[i] = s.member(owner, fmt.Sprintf("m%d@burst.example.com", i), "Supervisor").Token
		}
		clients := make([]*livetest.Client, members)
		for i, token := range tokens {
			clients[i] = s.socket(token)
			s.subscribe(clients[i], "a", agentChangedSub, nil, 2*(i+1))
		}
		emails := make([]string, burst)
		for i := range emails {
			emails[i] = fmt.Sprintf("b%02d@burst.example.com", i)
		}
		go func() {
			time.Sleep(5 * time.Millisecond)
			clients[0].Close()
		}()
		s.must(owner.Token, `mutation($in: InviteAgentsInput!) { inviteAgents(input: $in) { invited { id } } }`,
			map[string]any{"in": map[string]any{"emails": emails, "roleIds": []string{s.roleID(owner.Token, "Agent")}}}, nil)
		for i, c := range clients[1:] {
			for j, email := range emails {
				got := event[agentEvent](t, c, "a").AgentChanged
				if got.Change != "INVITED" || got.Agent.Email != email {
					t.Fatalf("socket %d, event %d: %+v, want INVITED %s", i+1, j, got, email)
				}
			}
			quiet(t, c)
		}
	})
}

// TestConversationEventCostDoesNotGrowWithSubscribers: one conversation
// event heard by twenty subscriptions that may all see it (the owner's, no
// filter) should cost about the statements it costs one: the sessions are
// looked up in a batch, and the changed conversation should be read once
// per event, as agentChanged reads its agent once (live.Shared), not once
// per subscription. Each subscription re-reads it (ConversationMatching):
// a signed-in client holding 10 sockets of 20 subscriptions makes every
// conversation change of its workspace, its own messages included, cost
// 200 statements on each replica.
func TestConversationEventCostDoesNotGrowWithSubscribers(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Batch Conversation Cost")
		conv := s.createConversation(owner.Token, "Cost", "EMAIL")
		const sendMessage = `mutation($in: SendMessageInput!) { sendMessage(input: $in) { message { id } } }`
		const sub = `subscription { conversationChanged { change conversation { id } } }`
		// cost is the statements of one message, from the mutation until
		// every subscription has had its event.
		cost := func(clients []*livetest.Client, perSocket int) int64 {
			t.Helper()
			before := s.db.Statements.Load()
			s.must(owner.Token, sendMessage, map[string]any{"in": map[string]any{"conversationId": conv, "body": "x"}}, nil)
			for _, c := range clients {
				for range perSocket {
					m, err := c.NextWithin(hangGuard)
					if err != nil {
						t.Fatalf("no event: %v", err)
					}
					var got conversationEvent
					if err := m.Data(&got); err != nil || got.ConversationChanged.Change != "MESSAGE_ADDED" {
						t.Fatalf("event %s: %v", m.Payload, err)
					}
				}
			}
			return s.db.Statements.Load() - before
		}

		one := s.socket(owner.Token)
		s.subscribe(one, "c0", sub, nil, 2)
		alone := cost([]*livetest.Client{one}, 1)

		const sockets, perSocket = 10, 2
		clients := []*livetest.Client{one}
		for range sockets - 1 {
			var login struct{ Login struct{ Token string } }
			s.must("", `mutation($in: LoginInput!) { login(input: $in) { token } }`,
				map[string]any{"in": map[string]any{"email": owner.Email, "password": owner.Password}}, &login)
			clients = append(clients, s.socket(login.Login.Token))
		}
		n := 1 + len(clients) // sockets, and the first subscription
		for i, c := range clients {
			for j := range perSocket {
				if i == 0 && j == 0 {
					continue
				}
				n++
				s.subscribe(c, fmt.Sprintf("c%d", j), sub, nil, n)
			}
		}
		many := cost(clients, perSocket)
		t.Logf("%s: a message heard by 1 subscription cost %d statements, by %d subscriptions %d", s.dialect, alone, sockets*perSocket, many)
		if many > alone+4 {
			t.Errorf("%d subscriptions made one event cost %d statements more than one did", sockets*perSocket, many-alone)
		}
	})
}
