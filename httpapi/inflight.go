package httpapi

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"

	"golang.org/x/sync/semaphore"

	"agentdesk/reqctx"
)

// DefaultMaxConcurrent is how many GraphQL requests are served at once
// unless MAX_CONCURRENT_REQUESTS says otherwise.
const DefaultMaxConcurrent = 32

// Memory and slots are bounded separately for the two phases of a request:
//
//   - Receiving the body (readBodyWithin): bodies being received draw on a
//     shared budget of bytes, a chunk at a time, so a client trickling a body
//     holds only a chunk of the budget, not a slot, and honest requests with
//     small bodies get through. Together they never hold more than the
//     budget.
//   - Running it (limitInFlight): at most n requests parse, validate and
//     resolve at once, each holding its body, its document and its result.
//
// Taking the slot only once the body is in means a slow client cannot keep
// the slots from everyone else (an outside test held all 32 with 150
// connections sending a byte a second).

// bodyChunk is what one read of a body reserves from the budget: the most a
// connection that is waiting for its next bytes holds.
const bodyChunk = 4 << 10

// readBodyWithin reads a request's body, at most maxBytes of it, drawing on
// budget, then serves the request with the body in memory. A body that
// cannot be read (too large, too slow, no budget before the request's
// deadline) is handed on as a body that fails with that error, which the
// transport answers with a GraphQL error.
func readBodyWithin(budget *semaphore.Weighted, maxBytes int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		br := &budgetedReader{ctx: r.Context(), budget: budget, r: http.MaxBytesReader(w, r.Body, maxBytes)}
		defer br.release()
		body, err := io.ReadAll(br)
		var rest io.Reader = bytes.NewReader(body)
		if err != nil {
			rest = io.MultiReader(rest, failingReader{err})
		}
		r.Body = io.NopCloser(rest)
		next.ServeHTTP(w, r)
	})
}

// budgetedReader reserves each chunk from the budget before reading it and
// keeps what it read reserved until release.
type budgetedReader struct {
	ctx    context.Context
	budget *semaphore.Weighted
	r      io.Reader
	held   int64
}

func (b *budgetedReader) Read(p []byte) (int, error) {
	if len(p) > bodyChunk {
		p = p[:bodyChunk]
	}
	// A whole chunk, however small p is: what a waiting connection holds is
	// then exactly one chunk, whatever its reader asks for.
	const want = bodyChunk
	if err := b.budget.Acquire(b.ctx, want); err != nil {
		return 0, err
	}
	n, err := b.r.Read(p)
	b.budget.Release(want - int64(n))
	b.held += int64(n)
	return n, err
}

func (b *budgetedReader) release() {
	b.budget.Release(b.held)
	b.held = 0
}

type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }

// limitInFlight serves at most n GraphQL requests at once; see above. A
// request beyond the n waits for a slot until its deadline (the request
// timeout, set by withTimeout around this) and is then answered 503 with a
// RATE_LIMITED error.
//
// It must only wrap request/response operations: a long-lived connection
// (a WebSocket subscription) would hold its slot for its whole life.
func limitInFlight(n int, next http.Handler) http.Handler {
	slots := make(chan struct{}, n)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case slots <- struct{}{}: // a free slot is taken even past the deadline: the transport answers why
		default:
			select {
			case slots <- struct{}{}:
			case <-r.Context().Done():
				writeBusy(w)
				return
			}
		}
		defer func() { <-slots }()
		next.ServeHTTP(w, r)
	})
}

func writeBusy(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Retry-After", "1")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte(`{"errors":[{"message":"The server is busy; try again shortly.","extensions":{"code":"RATE_LIMITED","retryAfterSeconds":1}}]}` + "\n"))
}

// DefaultMaxPerClient is how many GraphQL requests one client (an IPv4
// address, an IPv6 /64) may have in progress at once unless
// MAX_REQUESTS_PER_CLIENT says otherwise.
const DefaultMaxPerClient = 16

// limitPerClient refuses a client's request at once (429 RATE_LIMITED) while
// it already has n in progress, receiving, running or being written. The
// shared bounds above hold the server's memory; this keeps one client from
// taking all of them: an outside test held every slot by not reading its
// answers, and the whole body budget with thousands of connections that each
// sent one byte. It counts only requests in progress, so it holds no memory
// once they end. Behind a load balancer, TRUSTED_PROXIES must name it, or
// every client is the balancer.
func limitPerClient(n int, next http.Handler) http.Handler {
	var mu sync.Mutex
	inProgress := map[string]int{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		client := reqctx.ClientKey(r.Context())
		mu.Lock()
		if inProgress[client] >= n {
			mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"errors":[{"message":"Too many requests in progress from this client; wait for them to finish.","extensions":{"code":"RATE_LIMITED","retryAfterSeconds":1}}]}` + "\n"))
			return
		}
		inProgress[client]++
		mu.Unlock()
		defer func() {
			mu.Lock()
			if inProgress[client]--; inProgress[client] == 0 {
				delete(inProgress, client)
			}
			mu.Unlock()
		}()
		next.ServeHTTP(w, r)
	})
}
