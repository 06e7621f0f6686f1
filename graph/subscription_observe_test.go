package graph_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"agentdesk/httpapi"
	"agentdesk/live/livetest"
)

// TestRefusedSubscriptionIsLoggedAndCounted: a subscription refused before
// it starts (its variables do not fit, it is nested too deep) is an
// operation like any refused query: one log line with its error codes and
// a count in agentdesk_graphql_requests_total, over HTTP and over a
// socket. It sent no event, so agentdesk_subscription_events_total does
// not count it. (A client could otherwise send any number of refused
// operations that the log never shows, by naming them subscriptions.)
func TestRefusedSubscriptionIsLoggedAndCounted(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Refused Subscriptions")
		logs := &lockedWriter{w: &strings.Builder{}}
		srv := s.serveAnother(t, func(c *httpapi.Config) { c.Log = slog.New(slog.NewTextHandler(logs, nil)) })

		// Over HTTP: variables that do not fit the filter.
		const badVariables = `{"query":"subscription Hidden($f: ConversationFilter) { conversationChanged(filter: $f) { change } }","variables":{"f":{"nope":1}}}`
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/query", strings.NewReader(badVariables))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+owner.Token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !strings.Contains(string(body), `"BAD_USER_INPUT"`) {
			t.Fatalf("bad variables answered %s", body)
		}

		// Over a socket: nested deeper than the limit.
		ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
		defer cancel()
		c, err := livetest.Dial(ctx, livetest.URL(srv.URL), owner.Token, livetest.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		deep := "id"
		for range 6 {
			deep = "invitation { invitedBy { " + deep + " } }"
		}
		if err := c.Subscribe(ctx, "deep", "subscription { agentChanged { agent { "+deep+" } } }", nil); err != nil {
			t.Fatal(err)
		}
		if m, err := c.NextWithin(hangGuard); err != nil || m.ID != "deep" || !strings.Contains(string(m.Payload), `"BAD_USER_INPUT"`) {
			t.Fatalf("too deep over the socket: %v %s %s", err, m.Type, m.Payload)
		}

		res, err = http.Get(srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(res.Body)
		res.Body.Close()
		metrics := string(body)
		for _, want := range []string{
			`agentdesk_graphql_requests_total{operation="subscription:conversationChanged"} 1`,
			`agentdesk_graphql_requests_total{operation="subscription:agentChanged"} 1`,
			"agentdesk_subscription_events_total 0",
		} {
			if !strings.Contains(metrics, want) {
				t.Errorf("metrics lack %q", want)
			}
		}
		logs.mu.Lock()
		log := logs.w.(*strings.Builder).String()
		logs.mu.Unlock()
		for _, op := range []string{"subscription:conversationChanged", "subscription:agentChanged"} {
			found := false
			for _, line := range strings.Split(log, "\n") {
				if strings.Contains(line, "operation="+op+" ") && strings.Contains(line, "errors=BAD_USER_INPUT") {
					found = true
				}
			}
			if !found {
				t.Errorf("no log line for the refused %s with its error code; log:\n%s", op, log)
			}
		}
	})
}
