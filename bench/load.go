package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Target is a server to load.
type Target struct {
	URL   string // the GraphQL endpoint
	Token string // Authorization: Bearer
	// Replicas, when set, are the GraphQL endpoints of several replicas
	// of one server, taken in turn (a round-robin load balancer); URL is
	// then unused.
	Replicas []string
	next     *atomic.Int64
}

// endpoint is the URL of the next request.
func (t Target) endpoint() string {
	if len(t.Replicas) == 0 {
		return t.URL
	}
	return t.Replicas[int(t.next.Add(1)-1)%len(t.Replicas)]
}

// RoundRobin is a target that spreads requests over replicas in turn.
func RoundRobin(urls []string, token string) Target {
	return Target{URL: urls[0], Replicas: urls, Token: token, next: &atomic.Int64{}}
}

// Result is what one run measured.
type Result struct {
	Requests      int
	Errors        int
	Duration      time.Duration
	P50, P95, P99 time.Duration
	FirstError    string
}

// RPS is the achieved throughput.
func (r Result) RPS() float64 { return float64(r.Requests) / r.Duration.Seconds() }

var client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}, Timeout: 30 * time.Second}

// do sends one request; an HTTP error or a GraphQL "errors" entry counts as
// an error.
func do(ctx context.Context, t Target, body []byte) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.endpoint(), bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+t.Token)
	start := time.Now()
	res, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	raw, err := io.ReadAll(res.Body)
	res.Body.Close()
	elapsed := time.Since(start)
	if err != nil {
		return elapsed, err
	}
	if res.StatusCode != http.StatusOK || bytes.Contains(raw, []byte(`"errors"`)) {
		return elapsed, fmt.Errorf("status %d: %.200s", res.StatusCode, raw)
	}
	return elapsed, nil
}

type recorder struct {
	mu        sync.Mutex
	latencies []time.Duration
	errors    int
	first     string
}

func (r *recorder) add(d time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.errors++
		if r.first == "" {
			r.first = err.Error()
		}
		return
	}
	r.latencies = append(r.latencies, d)
}

func (r *recorder) result(elapsed time.Duration) Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	lat := slices.Clone(r.latencies)
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	return Result{Requests: len(lat) + r.errors, Errors: r.errors, Duration: elapsed,
		P50: pct(0.50), P95: pct(0.95), P99: pct(0.99), FirstError: r.first}
}

// MaxRate runs workers closed-loop for d: each sends its next request as
// soon as the previous answered. A request still in flight when d ends is
// dropped, so the result counts only requests that fitted in the window.
func MaxRate(ctx context.Context, t Target, s Scenario, workers int, d time.Duration) Result {
	return MaxRateAtLeast(ctx, t, s, workers, d, 0)
}

// MaxRateAtLeast is MaxRate that, when d has passed before minRequests
// requests completed, goes on until they have. A check that every scenario
// still answers (the smoke test) needs some answers however slow the machine
// is; the load runner's own measurements use MaxRate, a fixed window.
func MaxRateAtLeast(ctx context.Context, t Target, s Scenario, workers int, d time.Duration, minRequests int) Result {
	rec := &recorder{}
	var seq, completed atomic.Int64
	// enough is closed once minRequests requests have completed.
	enough := make(chan struct{})
	var cancel context.CancelFunc
	if minRequests <= 0 {
		// The load runner's window, exactly: the deadline cuts the run.
		ctx, cancel = context.WithTimeout(ctx, d)
	} else {
		ctx, cancel = context.WithCancel(ctx)
		go func() {
			window := time.NewTimer(d)
			defer window.Stop()
			select {
			case <-window.C:
			case <-ctx.Done():
				return
			}
			select {
			case <-enough:
			case <-ctx.Done():
				return
			}
			cancel()
		}()
	}
	defer cancel()
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				lat, err := do(ctx, t, s.Body(seq.Add(1)))
				if ctx.Err() != nil {
					return // cut off by the end of the run, not a server error
				}
				rec.add(lat, err)
				if completed.Add(1) == int64(minRequests) {
					close(enough)
				}
			}
		})
	}
	wg.Wait()
	return rec.result(time.Since(start))
}

// FixedRate sends rate requests per second for d, open-loop (a slow answer
// does not delay the next request), with at most maxInFlight outstanding.
func FixedRate(ctx context.Context, t Target, s Scenario, rate int, d time.Duration, maxInFlight int) Result {
	rec := &recorder{}
	interval := time.Second / time.Duration(rate)
	total := int(d / interval)
	sem := make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range total {
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			time.Sleep(wait)
		}
		select {
		case sem <- struct{}{}:
		default:
			rec.add(0, fmt.Errorf("more than %d requests in flight", maxInFlight))
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			rec.add(do(ctx, t, s.Body(int64(i))))
		})
	}
	wg.Wait()
	return rec.result(time.Since(start))
}

// graphql sends one request and decodes its data into dst.
func graphql(ctx context.Context, url, token, query string, vars map[string]any, dst any) error {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	var out struct {
		Data   json.RawMessage
		Errors []struct{ Message string }
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return err
	}
	if len(out.Errors) > 0 {
		return fmt.Errorf("graphql: %s", out.Errors[0].Message)
	}
	return json.Unmarshal(out.Data, dst)
}

// Add sums two maximum-rate runs (requests, errors, time); latency
// percentiles are not summed and stay zero.
func (r Result) Add(o Result) Result {
	first := r.FirstError
	if first == "" {
		first = o.FirstError
	}
	return Result{Requests: r.Requests + o.Requests, Errors: r.Errors + o.Errors, Duration: r.Duration + o.Duration, FirstError: first}
}
