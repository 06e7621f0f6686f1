package graph_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"agentdesk/db"
)

// Go benchmarks of the load runner's scenarios, in process through the real
// handler (no network): go test -run '^$' -bench . -benchmem ./graph/
// They run on SQLite, and on PostgreSQL when TEST_DATABASE_URL or Docker is
// there; compare runs with benchstat.

func benchmarkQuery(b *testing.B, query string, setup func(s *testServer, owner person)) {
	for _, d := range []db.Dialect{db.SQLite, db.Postgres} {
		b.Run(string(d), func(b *testing.B) {
			s := newServer(b, d)
			owner := s.createWorkspace("Bench")
			if setup != nil {
				setup(s, owner)
			}
			h := s.http.Config.Handler
			body := `{"query":` + strconv.Quote(query) + `}`
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/query", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+owner.Token)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), `"errors"`) {
					b.Fatalf("%d %s", rec.Code, rec.Body.String())
				}
			}
		})
	}
}

func BenchmarkTypename(b *testing.B) { benchmarkQuery(b, `{ __typename }`, nil) }

func BenchmarkViewer(b *testing.B) {
	benchmarkQuery(b, `{ viewer { id name email status roles { name } permissions } }`, nil)
}

func seedPage(s *testServer, owner person) {
	for i := range 60 {
		s.invite(owner.Token, "bench"+strconv.Itoa(i)+"@example.com", "Agent", "Supervisor")
	}
	for i := range 60 {
		var out struct {
			CreateConversation struct{ Conversation struct{ ID string } }
		}
		s.must(owner.Token, createConvQ, map[string]any{"ch": "EMAIL", "m": "Hello", "e": "c" + strconv.Itoa(i) + "@customer.test"}, &out)
		s.assign(owner.Token, out.CreateConversation.Conversation.ID, owner.ID)
	}
}

func BenchmarkAgentsPage(b *testing.B) {
	benchmarkQuery(b, `{ agents(first: 50) { edges { node { id name email status roles { name } permissions
		invitation { sentAt expiresAt sendCount deliveryStatus invitedBy { name } } } } } }`, seedPage)
}

func BenchmarkConversationList(b *testing.B) {
	benchmarkQuery(b, `{ conversations(first: 50) { edges { node { id subject status channel caution
		assignee { name status } contact { name } lastMessageAt } } } }`, seedPage)
}

// The Agents page as a frontend built on the clients part asks for it: the
// same page with every agent's permission hints, and the tabs' counts.
func BenchmarkAgentsPageWithHints(b *testing.B) {
	benchmarkQuery(b, `{ agentCounts { pending active removed } agents(first: 50) { edges { node { id name email status roles { name } permissions
		invitation { sentAt expiresAt sendCount deliveryStatus resendAvailableAt invitedBy { name } }
		viewerCan { resendActivationLink remove updateRoles reinvite blocked { action code message } } } } } }`, seedPage)
}
