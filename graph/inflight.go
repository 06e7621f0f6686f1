package graph

import "net/http"

// DefaultMaxConcurrent is how many GraphQL requests are served at once
// unless MAX_CONCURRENT_REQUESTS says otherwise.
const DefaultMaxConcurrent = 32

// limitInFlight serves at most n GraphQL requests at once. Each request may
// hold its body (up to the body limit), the parsed document and its result
// while it runs, so without a bound the memory of a flood of large requests
// grows with the number of connections an attacker opens; with it, it is at
// most n times the cost of the worst request. A request beyond the n waits
// for a slot until its deadline (the request timeout, set by withTimeout
// around this) and is then answered 503 with a RATE_LIMITED error. Waiting
// holds no body: it has not been read yet.
//
// It must only wrap request/response operations: a long-lived connection
// (a WebSocket subscription) would hold its slot for its whole life.
func limitInFlight(n int, next http.Handler) http.Handler {
	slots := make(chan struct{}, n)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case slots <- struct{}{}:
		case <-r.Context().Done():
			writeBusy(w)
			return
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
