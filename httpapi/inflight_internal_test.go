package httpapi

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sync/semaphore"

	"agentdesk/reqctx"
)

// TestInFlightRequestsAreBounded: however many requests arrive at once, at
// most n run the handler; one that finds no slot before its deadline is
// answered 503 RATE_LIMITED, and a slot freed is taken by the next request.
func TestInFlightRequestsAreBounded(t *testing.T) {
	const n = 3
	var inside, peak atomic.Int64
	release := make(chan struct{})
	entered := make(chan struct{}, 100)
	h := limitInFlight(n, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := inside.Add(1)
		defer inside.Add(-1)
		for p := peak.Load(); now > p && !peak.CompareAndSwap(p, now); p = peak.Load() {
		}
		entered <- struct{}{}
		<-release
		_, _ = w.Write([]byte("served"))
	}))

	var wg sync.WaitGroup
	served := atomic.Int64{}
	for range 10 { // 10 wait with no deadline: 3 run, 7 queue
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/query", nil))
			if rec.Body.String() == "served" {
				served.Add(1)
			}
		}()
	}
	for range n {
		<-entered
	}
	// A request whose deadline passes while all slots are taken.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/query", nil).WithContext(ctx))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), `"code":"RATE_LIMITED"`) {
		t.Fatalf("no slot: %d %s", rec.Code, rec.Body)
	}
	close(release)
	wg.Wait()
	if served.Load() != 10 {
		t.Errorf("%d of 10 waiting requests were served", served.Load())
	}
	if peak.Load() > n {
		t.Errorf("%d requests ran at once; at most %d may", peak.Load(), n)
	}
}

// TestBodiesBeingReceivedShareABudget: bodies that are still arriving hold
// at most their chunk each, and together no more than the budget; a body
// that finds no budget before its deadline fails to read.
func TestBodiesBeingReceivedShareABudget(t *testing.T) {
	budget := semaphore.NewWeighted(4 * bodyChunk)
	var pipes []*io.PipeWriter
	var started sync.WaitGroup
	results := make(chan error, 4)
	for range 4 { // four trickling bodies: each waits for bytes holding one chunk
		pr, pw := io.Pipe()
		pipes = append(pipes, pw)
		started.Add(1)
		go func() {
			br := &budgetedReader{ctx: context.Background(), budget: budget, r: pr}
			defer br.release()
			started.Done()
			_, err := io.ReadAll(br)
			results <- err
		}()
	}
	started.Wait()
	// Wait until the four chunks are reserved (nothing is timed: the loop
	// ends as soon as the budget is spent).
	for budget.TryAcquire(1) {
		budget.Release(1)
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	late := &budgetedReader{ctx: ctx, budget: budget, r: strings.NewReader("{}")}
	if _, err := io.ReadAll(late); err == nil {
		t.Fatal("a fifth body was read although four held the whole budget")
	}
	for _, pw := range pipes {
		_, _ = pw.Write([]byte("abc"))
		_ = pw.Close()
	}
	for range 4 {
		if err := <-results; err != nil {
			t.Errorf("a trickled body that completed failed: %v", err)
		}
	}
	if !budget.TryAcquire(4 * bodyChunk) {
		t.Error("the budget was not given back")
	}
}

// TestOneClientCannotHoldEverySlot: a client with n requests in progress
// gets 429 RATE_LIMITED for the next at once, while another client (IPv6:
// another /64) is served; once its requests end, the client is served again
// and nothing is kept for it.
func TestOneClientCannotHoldEverySlot(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 10)
	h := limitPerClient(2, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hold" {
			entered <- struct{}{}
			<-release
		}
		_, _ = w.Write([]byte("served"))
	}))
	from := func(ip, path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, path, nil)
		h.ServeHTTP(rec, r.WithContext(reqctx.WithClientIP(r.Context(), ip)))
		return rec
	}
	var wg sync.WaitGroup
	for _, ip := range []string{"2001:db8:1:2::1", "2001:db8:1:2::99"} { // one /64
		wg.Go(func() { from(ip, "/hold") })
	}
	<-entered
	<-entered
	if rec := from("2001:db8:1:2::7", "/"); rec.Code != http.StatusTooManyRequests || !strings.Contains(rec.Body.String(), `"code":"RATE_LIMITED"`) {
		t.Fatalf("a third request of the client: %d %s", rec.Code, rec.Body)
	}
	if rec := from("2001:db8:1:3::1", "/"); rec.Body.String() != "served" {
		t.Fatalf("another client: %d %s", rec.Code, rec.Body)
	}
	close(release)
	wg.Wait()
	if rec := from("2001:db8:1:2::7", "/"); rec.Body.String() != "served" {
		t.Fatalf("the client once its requests ended: %d %s", rec.Code, rec.Body)
	}
}
