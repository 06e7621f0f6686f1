package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"agentdesk/db"
	"agentdesk/db/dbtest"
	"agentdesk/demo"
	"agentdesk/httpapi"
	"agentdesk/team/teamtest"
)

// startAgentdesk serves the real handler on a small seeded workspace and
// returns a signed-in target and the Agent role's id.
func startAgentdesk(t *testing.T, database *db.DB) (Target, string) {
	ctx := context.Background()
	svc := teamtest.New(t, database, nil)
	// The inviteAgent scenario measures the write path of a seeded (so new)
	// workspace, beyond what the mail limits let one send.
	svc.Config.MailWorkspaceDailyLimit, svc.Config.MailNewWorkspaceDailyLimit = 100_000_000, 100_000_000
	seeded, err := demo.Seed(ctx, database, svc.Passwords, "Smoke", demo.Size{Agents: 40, Conversations: 300, MessagesPerConversation: 1})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.NewHandler(httpapi.Config{Team: svc, Sessions: svc.Sessions, Ready: database.Ping,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	t.Cleanup(srv.Close)
	var login struct{ Login struct{ Token string } }
	if err := graphql(ctx, srv.URL+"/query", "", `mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { token } }`,
		map[string]any{"e": seeded.OwnerEmail, "p": seeded.OwnerPassword}, &login); err != nil {
		t.Fatal(err)
	}
	var roles struct{ Roles []struct{ ID, Name string } }
	if err := graphql(ctx, srv.URL+"/query", login.Login.Token, `{ roles { id name } }`, nil, &roles); err != nil {
		t.Fatal(err)
	}
	agentRole := ""
	for _, r := range roles.Roles {
		if r.Name == "Agent" {
			agentRole = r.ID
		}
	}
	return Target{URL: srv.URL + "/query", Token: login.Login.Token}, agentRole
}

// smokeRequests is how many answers a smoke run of a scenario waits for.
const smokeRequests = 4

// A short run of every scenario, so the load runner cannot rot.
func TestLoadRunnerSmoke(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		target, role := startAgentdesk(t, dbtest.Open(t, d, nil))
		ctx := context.Background()
		for _, sc := range Scenarios(role, time.Now().UnixNano()) {
			for name, r := range map[string]Result{
				// At least a few answers however busy the machine: a fixed
				// window alone saw none when CI shared the CPU.
				"max rate":   MaxRateAtLeast(ctx, target, sc, 2, 300*time.Millisecond, smokeRequests),
				"fixed rate": FixedRate(ctx, target, sc, 20, 500*time.Millisecond, 50),
			} {
				if r.Requests == 0 || r.Errors > 0 || r.P99 == 0 {
					t.Errorf("%s at %s: %d requests, %d errors (%s)", sc.Name, name, r.Requests, r.Errors, r.FirstError)
				}
			}
		}
	})
}

// The baseline answers the read scenarios with exactly agentdesk's JSON, so
// the ratio compares equal work.
func TestBaselineAnswersLikeAgentdesk(t *testing.T) {
	database := dbtest.Open(t, db.Postgres, nil)
	target, role := startAgentdesk(t, database)
	pool, err := pgxpool.New(context.Background(), database.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	base := httptest.NewServer(&baseline{pool: pool})
	defer base.Close()
	post := func(url string, body []byte) any {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+target.Token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out any
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	for _, sc := range Scenarios(role, 1)[:3] {
		ours, theirs := post(target.URL, sc.Body(0)), post(base.URL+"/query", sc.Body(0))
		if !reflect.DeepEqual(ours, theirs) {
			a, _ := json.Marshal(ours)
			b, _ := json.Marshal(theirs)
			t.Errorf("%s differs:\nagentdesk %.600s\nbaseline  %.600s", sc.Name, a, b)
		}
	}
	for _, r := range []Result{MaxRateAtLeast(context.Background(), Target{URL: base.URL + "/query", Token: target.Token}, Scenarios(role, 2)[3], 2, 300*time.Millisecond, smokeRequests)} {
		if r.Requests == 0 || r.Errors > 0 {
			t.Errorf("baseline inviteAgent: %d requests, %d errors (%s)", r.Requests, r.Errors, r.FirstError)
		}
	}
}

func TestResultsOfSlicesAddUp(t *testing.T) {
	a := Result{Requests: 10, Errors: 1, Duration: time.Second, FirstError: ""}
	b := Result{Requests: 30, Errors: 2, Duration: 2 * time.Second, FirstError: "EOF"}
	sum := a.Add(b).Add(Result{Requests: 5, Duration: time.Second, FirstError: "later"})
	if sum.Requests != 45 || sum.Errors != 3 || sum.Duration != 4*time.Second || sum.FirstError != "EOF" {
		t.Fatalf("summed %+v", sum)
	}
	if sum.RPS() != 11.25 {
		t.Fatalf("%v req/s, want 11.25", sum.RPS())
	}
}

// slowServer answers every GraphQL request with empty data after delay, or
// not at all when the client gives up first.
func slowServer(t *testing.T, delay time.Duration) Target {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(delay):
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"data":{}}`)
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	return Target{URL: srv.URL, Token: "t"}
}

// A server slower than the window (as a busy machine makes agentdesk): the
// load runner's MaxRate still counts only what fitted in the window, and the
// smoke test's MaxRateAtLeast waits for its answers.
func TestMaxRateAtLeastWaitsBeyondTheWindowForSlowAnswers(t *testing.T) {
	target := slowServer(t, 150*time.Millisecond)
	sc := Scenario{Name: "slow", Body: fixed(viewerQuery)}
	ctx := context.Background()
	if r := MaxRate(ctx, target, sc, 2, 20*time.Millisecond); r.Requests != 0 || r.Errors != 0 {
		t.Errorf("MaxRate counted %d requests (%d errors) that ended after its window", r.Requests, r.Errors)
	}
	r := MaxRateAtLeast(ctx, target, sc, 2, 20*time.Millisecond, 5)
	if r.Requests < 5 || r.Errors != 0 || r.P50 < 150*time.Millisecond {
		t.Errorf("MaxRateAtLeast: %d requests, %d errors (%s), p50 %s; want at least 5 answers of at least 150ms",
			r.Requests, r.Errors, r.FirstError, r.P50)
	}
	if r.Duration < 3*150*time.Millisecond {
		t.Errorf("run took %s, shorter than the 3 rounds 5 answers from 2 workers need", r.Duration)
	}
}
