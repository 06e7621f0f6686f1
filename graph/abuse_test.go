package graph_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"agentdesk/db"
	"agentdesk/graph"
	"agentdesk/httpapi"
)

// limitedServer points s at a handler with the given rate limits (the
// harness's own has limits no scenario reaches) and trusted proxies.
func (s *testServer) limitedServer(rates graph.RateLimits, trusted ...string) {
	s.t.Helper()
	cfg := httpapi.Config{Team: s.svc, Sessions: s.svc.Sessions,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Ready: s.db.Ping, Now: s.clock.Now, RateLimits: rates}
	for _, p := range trusted {
		cfg.TrustedProxies = append(cfg.TrustedProxies, netip.MustParsePrefix(p))
	}
	srv := httptest.NewServer(httpapi.NewHandler(cfg))
	s.t.Cleanup(srv.Close)
	s.http = srv
}

// queryFrom is query through a trusted proxy that sends the given
// X-Forwarded-For header lines.
func (s *testServer) queryFrom(forwardedFor []string, q string, vars map[string]any) gqlResponse {
	s.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	return s.postRequest(body, func(req *http.Request) {
		for _, line := range forwardedFor {
			req.Header.Add("X-Forwarded-For", line)
		}
	})
}

var rateLimitKeys = regexp.MustCompile(`(?m)^agentdesk_ratelimit_keys\{limiter="(\w+)"\} (\d+)$`)

// rateLimitKeys reads the limiters' table sizes from /metrics.
func (s *testServer) rateLimitKeys() map[string]int {
	s.t.Helper()
	res, err := http.Get(s.http.URL + "/metrics")
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	out := map[string]int{}
	for _, m := range rateLimitKeys.FindAllStringSubmatch(string(body), -1) {
		out[m[1]], _ = strconv.Atoi(m[2])
	}
	if len(out) != 2 {
		s.t.Fatalf("/metrics has no agentdesk_ratelimit_keys for both limiters: %v", out)
	}
	return out
}

const loginQ = `mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { token } }`

const signupQ = `mutation($e: String!, $p: String!) { createWorkspace(input: {workspaceName: "W", ownerName: "O",
	ownerEmail: $e, password: $p}) { token } }`

func heapAlloc() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestEmailFloodKeepsRateLimitMemoryBounded floods login with distinct
// emails, long and short: a long one is BAD_USER_INPUT before any limiter
// (no bucket), the buckets stay within the table's bound, and the heap
// holds no copy of what was sent.
func TestEmailFloodKeepsRateLimitMemoryBounded(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		s.limitedServer(graph.RateLimits{PerIP: 1_000_000, PerSubject: 5, Period: time.Minute, MaxKeys: 200})
		for _, n := range []int{255, 100_000} {
			res := s.expectCode("", loginQ, map[string]any{"e": strings.Repeat("a", n-len("@x.com")) + "@x.com", "p": "whatever1"},
				"BAD_USER_INPUT")
			if res.Errors[0].Extensions["field"] != "email" {
				t.Fatalf("long email: %s", res.raw)
			}
			res = s.expectCode("", signupQ, map[string]any{"e": strings.Repeat("a", n), "p": "whatever1"}, "BAD_USER_INPUT")
			if res.Errors[0].Extensions["field"] != "ownerEmail" {
				t.Fatalf("long owner email: %s", res.raw)
			}
		}
		if keys := s.rateLimitKeys(); keys["ip"] != 0 || keys["subject"] != 0 {
			t.Fatalf("refused long emails left buckets: %v", keys)
		}
		before := heapAlloc()
		for i := range 1000 {
			email := fmt.Sprintf("flood%d@example.com", i)
			if i%5 == 0 { // 200 long ones, 100 kB each: 20 MB if kept
				email = fmt.Sprintf("%d%s@example.com", i, strings.Repeat("x", 100_000))
			}
			code := s.query("", loginQ, map[string]any{"e": email, "p": "whatever1"}).code()
			if want := map[bool]string{true: "BAD_USER_INPUT", false: "INVALID_CREDENTIALS"}[i%5 == 0]; code != want {
				t.Fatalf("login %d: %q, want %s", i, code, want)
			}
		}
		if keys := s.rateLimitKeys(); keys["subject"] > 200 || keys["ip"] > 200 {
			t.Fatalf("buckets beyond the bound of 200: %v", keys)
		}
		if grown := int64(heapAlloc()) - int64(before); grown > 4<<20 {
			t.Fatalf("the flood left %d kB on the heap", grown>>10)
		}
	})
}

// TestRefusedIPCreatesNoEmailBucket: once an IP is refused, its attempts at
// emails spend nothing of their budget and keep no bucket for them.
func TestRefusedIPCreatesNoEmailBucket(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		s.limitedServer(graph.RateLimits{PerIP: 3, PerSubject: 5, Period: time.Minute}, "127.0.0.0/8")
		for i := range 3 {
			s.queryFrom([]string{"203.0.113.1"}, loginQ, map[string]any{"e": fmt.Sprintf("guess%d@example.com", i), "p": "whatever1"})
		}
		for i := range 50 {
			if code := s.queryFrom([]string{"203.0.113.1"}, loginQ, map[string]any{"e": fmt.Sprintf("victim%d@example.com", i%2),
				"p": "whatever1"}).code(); code != "RATE_LIMITED" {
				t.Fatalf("attempt from a refused IP: %q", code)
			}
		}
		// The refused attempts did not spend the victims' budget.
		if code := s.queryFrom([]string{"198.51.100.7"}, loginQ, map[string]any{"e": "victim0@example.com", "p": "whatever1"}).code(); code != "INVALID_CREDENTIALS" {
			t.Fatalf("another client's attempt for an email a refused IP tried: %q", code)
		}
		if keys := s.rateLimitKeys(); keys["subject"] != 4 || keys["ip"] != 2 {
			t.Fatalf("buckets after 50 refused attempts from one IP and one from another: %v", keys)
		}
	})
}

// TestLoginAndSignUpShareOnePasswordBudget: createWorkspace checks an
// existing account's password too, so its attempts count against the same
// budget as login's, per email and per IP.
func TestLoginAndSignUpShareOnePasswordBudget(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		owner := s.createWorkspace("Acme")
		s.limitedServer(graph.RateLimits{PerIP: 100, PerSubject: 5, Period: time.Minute})
		for range 3 {
			if code := s.query("", loginQ, map[string]any{"e": owner.Email, "p": "wrong password"}).code(); code != "INVALID_CREDENTIALS" {
				t.Fatalf("login: %q", code)
			}
		}
		for range 2 {
			if code := s.query("", signupQ, map[string]any{"e": strings.ToUpper(owner.Email), "p": "wrong password"}).code(); code != "INVALID_CREDENTIALS" {
				t.Fatalf("sign-up with an existing account: %q", code)
			}
		}
		if code := s.query("", loginQ, map[string]any{"e": owner.Email, "p": testPassword}).code(); code != "RATE_LIMITED" {
			t.Fatalf("6th password attempt for one email (login): %q", code)
		}
		if code := s.query("", signupQ, map[string]any{"e": owner.Email, "p": testPassword}).code(); code != "RATE_LIMITED" {
			t.Fatalf("6th password attempt for one email (sign-up): %q", code)
		}

		s.limitedServer(graph.RateLimits{PerIP: 4, PerSubject: 100, Period: time.Minute})
		for i := range 2 {
			s.query("", loginQ, map[string]any{"e": fmt.Sprintf("nobody%d@example.com", i), "p": "whatever1"})
			s.query("", signupQ, map[string]any{"e": fmt.Sprintf("new%d@example.com", i), "p": "short"})
		}
		if code := s.query("", loginQ, map[string]any{"e": "other@example.com", "p": "whatever1"}).code(); code != "RATE_LIMITED" {
			t.Fatalf("5th password attempt from one IP (login): %q", code)
		}
		if code := s.query("", signupQ, map[string]any{"e": "other2@example.com", "p": "whatever1"}).code(); code != "RATE_LIMITED" {
			t.Fatalf("5th password attempt from one IP (sign-up): %q", code)
		}
	})
}

// TestForwardedForIsReadOverAllHeaderLines: a proxy that appends its own
// X-Forwarded-For line after the one the client sent names the client in
// the last line; the client's own line cannot choose its address.
func TestForwardedForIsReadOverAllHeaderLines(t *testing.T) {
	s := newServer(t, db.SQLite)
	s.limitedServer(graph.RateLimits{PerIP: 1, PerSubject: 100, Period: time.Hour}, "127.0.0.0/8", "10.0.0.0/8")
	try := func(lines ...string) string {
		return s.queryFrom(lines, loginQ, map[string]any{"e": "x@example.com", "p": "whatever1"}).code()
	}
	if code := try("203.0.113.1", "198.51.100.7"); code != "INVALID_CREDENTIALS" {
		t.Fatalf("first attempt: %q", code)
	}
	if code := try("203.0.113.2", "198.51.100.7"); code != "RATE_LIMITED" {
		t.Fatalf("a client chose its IP with its own X-Forwarded-For line: %q", code)
	}
	if code := try("198.51.100.7", "203.0.113.3"); code != "INVALID_CREDENTIALS" {
		t.Fatalf("another client behind the proxy shares a limit: %q", code)
	}
	// Trusted hops are skipped across lines too.
	if code := try("203.0.113.4, 198.51.100.9", "10.1.2.3", "10.4.5.6"); code != "INVALID_CREDENTIALS" {
		t.Fatalf("first attempt through two proxies: %q", code)
	}
	if code := try("203.0.113.5", "198.51.100.9, 10.1.2.3", "10.4.5.6"); code != "RATE_LIMITED" {
		t.Fatalf("the nearest untrusted hop over several lines is not the client: %q", code)
	}
}

// TestIPv6ClientsAreLimitedPerSlash64: one IPv6 host normally holds a whole
// /64, so addresses within it share one per-IP budget; another /64 has its own.
func TestIPv6ClientsAreLimitedPerSlash64(t *testing.T) {
	s := newServer(t, db.SQLite)
	s.limitedServer(graph.RateLimits{PerIP: 2, PerSubject: 100, Period: time.Hour}, "127.0.0.0/8")
	try := func(ip, email string) string {
		return s.queryFrom([]string{ip}, loginQ, map[string]any{"e": email, "p": "whatever1"}).code()
	}
	for i, ip := range []string{"2001:db8:1:2::1", "2001:db8:1:2:ffff::9"} {
		if code := try(ip, fmt.Sprintf("a%d@example.com", i)); code != "INVALID_CREDENTIALS" {
			t.Fatalf("attempt %d from the /64: %q", i+1, code)
		}
	}
	if code := try("2001:db8:1:2:abcd::7", "c@example.com"); code != "RATE_LIMITED" {
		t.Fatalf("a third address of the same /64 got a fresh budget: %q", code)
	}
	if code := try("2001:db8:1:3::1", "d@example.com"); code != "INVALID_CREDENTIALS" {
		t.Fatalf("another /64 shares the budget: %q", code)
	}
	if code := try("::ffff:198.51.100.7", "e@example.com"); code != "INVALID_CREDENTIALS" {
		t.Fatalf("an IPv4 client: %q", code)
	}
}
