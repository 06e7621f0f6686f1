package graph_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// answer is what one hostile request got back.
type answer struct {
	status int
	code   string // extensions.code of the first error, "" when none
	data   bool   // the response carries data
	raw    string
}

// send makes one request without failing the test, so that it can run on
// many goroutines at once.
func (s *testServer) send(method, contentType, token, target string, body []byte) answer {
	req, _ := http.NewRequest(method, s.http.URL+target, bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := s.http.Client().Do(req)
	if err != nil {
		return answer{raw: err.Error()}
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out gqlResponse
	_ = json.Unmarshal(raw, &out)
	a := answer{status: res.StatusCode, code: out.code(), raw: string(raw)}
	a.data = len(out.Data) > 0 && string(out.Data) != "null"
	return a
}

func jsonBody(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// TestHostileLoadKeepsServingWithinBounds (BEHAVIOUR.md §8): a few hundred
// requests of each attack of issue 10, sent concurrently against the real
// handler, each get their contract answer; the heap left after them stays
// within a bound; and an honest agent's `viewer` query answers throughout.
func TestHostileLoadKeepsServingWithinBounds(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Hostile")
		agent := s.member(owner, "honest@hostile.test", "Agent")
		victim := s.invite(owner.Token, "victim@elsewhere.test", "Agent")
		s.must(owner.Token, `mutation($id: ID!) { removeAgent(input: {agentId: $id}) { agent { id } } }`, map[string]any{"id": victim}, nil)
		agentRole := s.roleID(owner.Token, "Agent")
		shapes := hostileShapes()

		type attack struct {
			name string
			n    int
			send func(i int) answer
			want func(a answer) bool
		}
		badInput := func(a answer) bool { return a.code == "BAD_USER_INPUT" }
		attacks := []attack{
			{"hostile shapes, anonymous", len(shapes), func(i int) answer {
				sh := shapes[i%len(shapes)]
				return s.send(http.MethodPost, "application/json", "", "/query", jsonBody(map[string]any{"query": sh.query, "variables": sh.vars}))
			}, func(a answer) bool { return a.status != 0 && a.code != "INTERNAL" && a.code != "" || a.data }},
			{"login with distinct 100 KB emails", 200, func(i int) answer {
				email := fmt.Sprintf("%d%s@example.com", i, strings.Repeat("x", 100<<10))
				return s.send(http.MethodPost, "application/json", "", "/query", jsonBody(map[string]any{
					"query": loginQ, "variables": map[string]any{"e": email, "p": "whatever1"}}))
			}, badInput},
			{"distinct 200 KB queries registered as persisted", 100, func(i int) answer {
				q := fmt.Sprintf("# %d %s\n{ __typename }", i, strings.Repeat("x", 200<<10))
				sum := sha256.Sum256([]byte(q))
				return s.send(http.MethodPost, "application/json", "", "/query", jsonBody(map[string]any{"query": q,
					"extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}}))
			}, func(a answer) bool { return a.data && a.code == "" }},
			{"distinct invalid 50 KB queries registered as persisted", 100, func(i int) answer {
				q := fmt.Sprintf("# %d %s\n{ nothing }", i, strings.Repeat("x", 50<<10))
				sum := sha256.Sum256([]byte(q))
				return s.send(http.MethodPost, "application/json", "", "/query", jsonBody(map[string]any{"query": q,
					"extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}}))
			}, func(a answer) bool {
				return a.code == "BAD_USER_INPUT" && strings.Contains(a.raw, "GRAPHQL_VALIDATION_FAILED")
			}},
			{"30 aliased totalCounts, signed in", 200, func(i int) answer {
				return s.send(http.MethodPost, "application/json", owner.Token, "/query", jsonBody(map[string]any{
					"query": "{" + repeat("c{i}:agents(filter:{search:\"x\"}){totalCount} ", 30) + "}"}))
			}, badInput},
			{"NUL and 100k-character searches", 200, func(i int) answer {
				search := "a\x00b"
				if i%2 == 1 {
					search = strings.Repeat("y", 100_000)
				}
				return s.send(http.MethodPost, "application/json", owner.Token, "/query", jsonBody(map[string]any{
					"query": `query($q: String) { agents(filter: {search: $q}) { totalCount } }`, "variables": map[string]any{"q": search}}))
			}, badInput},
			{"names with CR, LF, NUL and bidi overrides", 200, func(i int) answer {
				name := []string{"Evil\r\nBcc: x@y.test", "nul\x00", "\u202Eevil", "tab\there"}[i%4]
				return s.send(http.MethodPost, "application/json", owner.Token, "/query", jsonBody(map[string]any{
					"query": `mutation($n: String!) { createRole(input: {name: $n, permissions: []}) { role { id } } }`, "variables": map[string]any{"n": name}}))
			}, badInput},
			{"re-invites of a removed address", 200, func(i int) answer {
				return s.send(http.MethodPost, "application/json", owner.Token, "/query", jsonBody(map[string]any{
					"query":     `mutation($r: [ID!]!) { inviteAgent(input: {email: "victim@elsewhere.test", roleIds: $r}) { agent { id } } }`,
					"variables": map[string]any{"r": []string{agentRole}}}))
			}, func(a answer) bool { return a.code == "RATE_LIMITED" }},
			{"mutations over GET", 200, func(i int) answer {
				return s.send(http.MethodGet, "", owner.Token, "/query?query="+url.QueryEscape(`mutation { logout }`), nil)
			}, func(a answer) bool { return a.status == http.StatusMethodNotAllowed && a.code != "" }},
			{"text/plain bodies", 200, func(i int) answer {
				return s.send(http.MethodPost, "text/plain", "", "/query", []byte(`{"query":"{__typename}"}`))
			}, func(a answer) bool { return a.status >= 400 && a.code != "" }},
		}

		var before runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)

		// An honest agent asks for itself for as long as the attacks last.
		stop := make(chan struct{})
		var honestOK, honestFailed atomic.Int64
		var honestErr atomic.Value
		honestDone := make(chan struct{})
		go func() {
			defer close(honestDone)
			for {
				select {
				case <-stop:
					return
				default:
				}
				a := s.send(http.MethodPost, "application/json", agent.Token, "/query", jsonBody(map[string]any{"query": "{ viewer { id name } }"}))
				if a.data && a.code == "" && strings.Contains(a.raw, agent.ID) {
					honestOK.Add(1)
				} else {
					honestFailed.Add(1)
					honestErr.Store(a.raw)
				}
			}
		}()

		for _, at := range attacks {
			var wg sync.WaitGroup
			var wrong atomic.Int64
			var example atomic.Value
			next := atomic.Int64{}
			began := time.Now()
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := int(next.Add(1)) - 1; i < at.n; i = int(next.Add(1)) - 1 {
						if a := at.send(i); !at.want(a) {
							wrong.Add(1)
							example.Store(fmt.Sprintf("%d %.300s", a.status, a.raw))
						}
					}
				}()
			}
			wg.Wait()
			t.Logf("%s: %d requests in %v", at.name, at.n, time.Since(began).Round(time.Millisecond))
			if n := wrong.Load(); n > 0 {
				t.Errorf("%s: %d of %d answers were not the contract's, e.g. %v", at.name, n, at.n, example.Load())
			}
		}
		close(stop)
		<-honestDone
		if honestFailed.Load() > 0 || honestOK.Load() == 0 {
			t.Errorf("the honest viewer query answered %d times and failed %d times (%v)", honestOK.Load(), honestFailed.Load(), honestErr.Load())
		}

		var after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&after)
		grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
		t.Logf("heap after GC: %d KB before, %d KB after the attacks; honest viewer answered %d times",
			before.HeapAlloc>>10, after.HeapAlloc>>10, honestOK.Load())
		// The caches may hold 10 MB; rate-limit tables a few MB; the rest is
		// the test's own.
		if grown > 32<<20 {
			t.Errorf("the attacks left %d MB more on the heap; at most 32 MB may stay", grown>>20)
		}
	})
}
