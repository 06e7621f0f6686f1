package graph

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
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
