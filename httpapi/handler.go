// Package httpapi is agentdesk over HTTP and its operations: the mux, the
// GraphQL-over-HTTP transports and their answers, the limits on a request
// (body size and pace, wall time, requests in flight, requests per client),
// the client's address behind trusted proxies, CORS, security headers,
// request ids, the probes and the Prometheus metrics. What a GraphQL
// operation means is package graph's: NewHandlers wraps graph.NewServer.
package httpapi

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/99designs/gqlgen/graphql/playground"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/semaphore"

	"agentdesk/auth"
	"agentdesk/conversations"
	"agentdesk/graph"
	"agentdesk/live"
	"agentdesk/reqctx"
	"agentdesk/team"
	"agentdesk/web"
)

// Config wires the HTTP handler.
type Config struct {
	Team     *team.Service
	Sessions auth.ViewerResolver
	Log      *slog.Logger
	// Production turns off introspection, the playground and field suggestions.
	Production bool
	// Ready reports whether the database answers (for /readyz).
	Ready func(ctx context.Context) error
	// Limits bound each operation's shape; zero fields take graph.DefaultLimits.
	Limits graph.Limits
	// BodyBytes bounds a request's body (0: DefaultBodyBytes).
	BodyBytes int64
	// Timeout bounds a request's wall time, its database work included (0:
	// DefaultTimeout).
	Timeout time.Duration
	// RateLimits bound the public operations; zero fields take
	// graph.DefaultRateLimits.
	RateLimits graph.RateLimits
	// AllowedOrigins may call the API from a browser ("*": any).
	AllowedOrigins []string
	// MaxConcurrent bounds the GraphQL requests served at once (0:
	// DefaultMaxConcurrent).
	MaxConcurrent int
	// MaxPerClient bounds the GraphQL requests one client has in progress
	// (0: DefaultMaxPerClient).
	MaxPerClient int
	// TrustedProxies may name the client in X-Forwarded-For.
	TrustedProxies []netip.Prefix
	// HSTS adds Strict-Transport-Security (PUBLIC_URL is https).
	HSTS bool
	// PrivateMetrics leaves /metrics off the public handler (404); the
	// server serves Handlers.Metrics on its own listener (METRICS_ADDR).
	PrivateMetrics bool
	// WebApp serves the pages for people (package web): /activate, /app.
	WebApp bool
	// Live carries committed changes to subscriptions (nil: none arrive).
	Live *live.Broker
	// MaxSocketsPerAgent bounds one agent's WebSockets (0:
	// DefaultMaxSocketsPerAgent).
	MaxSocketsPerAgent int
	// Now is the rate limiter's clock (nil: wall clock).
	Now func() time.Time
}

// DefaultBodyBytes and DefaultTimeout are the defaults of MAX_BODY_BYTES and
// REQUEST_TIMEOUT.
const (
	DefaultBodyBytes = 1 << 20
	DefaultTimeout   = 10 * time.Second
)

// NewHandler returns agentdesk's public HTTP handler (see NewHandlers).
func NewHandler(cfg Config) http.Handler { return NewHandlers(cfg).Public }

// Handlers are agentdesk's HTTP handlers: Public has the GraphQL endpoint
// at /query (and /graphql), the playground at /, the probes and, unless
// Config.PrivateMetrics, /metrics; Metrics serves /metrics alone, for a
// listener that only the monitoring can reach.
type Handlers struct {
	Public, Metrics http.Handler
	// CloseSockets closes every WebSocket (at shutdown, which does not wait
	// for them).
	CloseSockets func()
}

// NewHandlers returns agentdesk's HTTP handlers: graph's executable server
// with the GraphQL-over-HTTP transports, wrapped in the limits on requests,
// authentication, CORS, security headers, client address and request id.
func NewHandlers(cfg Config) Handlers {
	bodyBytes := cmp.Or(cfg.BodyBytes, DefaultBodyBytes)
	timeout := cmp.Or(cfg.Timeout, DefaultTimeout)
	srv := graph.NewServer(graph.Config{Team: cfg.Team, ConversationRules: &conversations.Service{Team: cfg.Team}, Log: cfg.Log, Production: cfg.Production,
		Limits: cfg.Limits, RateLimits: cfg.RateLimits, Now: cfg.Now, Live: cfg.Live})
	sockets := newSockets(cfg, srv)
	srv.AddTransport(sockets.websocketTransport(bodyBytes))
	// GraphQL over HTTP: POST, GET for queries only (queryGET refuses
	// mutations), and OPTIONS; withTransportRules refuses the rest.
	srv.AddTransport(transport.Options{})
	srv.AddTransport(queryGET{})
	srv.AddTransport(jsonPOST{})
	m := newMetrics(cfg.Team.DB.DB, func() float64 { return float64(cfg.Team.DB.Statements.Load()) })
	m.registry.MustRegister(rateLimitCollectors(srv)...)
	m.registry.MustRegister(sockets.collectors()...)
	srv.AroundResponses(m.observe(cfg.Log))
	srv.AroundOperations(m.observeSubscriptions(cfg.Log))

	var api http.Handler = srv
	concurrent := cmp.Or(cfg.MaxConcurrent, DefaultMaxConcurrent)
	api = auth.Middleware(cfg.Sessions, api)
	api = limitInFlight(concurrent, api)
	// Bodies being received may hold twice what the running requests do.
	api = readBodyWithin(semaphore.NewWeighted(2*int64(concurrent)*bodyBytes), bodyBytes, api)
	api = limitPerClient(cmp.Or(cfg.MaxPerClient, DefaultMaxPerClient), api)
	api = withTimeout(timeout, api)
	api = withJSONStatus(api)
	api = withTransportRules(api)
	api = limitBodyTime(timeout, api)

	// WebSockets (subscriptions) skip the request limits: see websocket.go.
	api = withWebsockets(sockets.handler(cfg.AllowedOrigins, !cfg.Production, srv), api)
	mux := http.NewServeMux()
	mux.Handle("/query", api)
	mux.Handle("/graphql", api)
	if !cfg.Production {
		mux.Handle("GET /{$}", playground.Handler("agentdesk", "/query"))
	}
	if cfg.WebApp {
		web.Mount(mux, cfg.Production)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := cfg.Ready(ctx); err != nil {
			cfg.Log.Warn("readiness check failed", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("database unreachable\n"))
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	metricsMux := http.NewServeMux()
	metricsMux.Handle("GET /metrics", promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{}))
	if !cfg.PrivateMetrics {
		mux.Handle("GET /metrics", metricsMux)
	}

	var h http.Handler = mux
	h = withCORS(cfg.AllowedOrigins, !cfg.Production, h)
	h = withSecurityHeaders(cfg.HSTS, h)
	h = withClientIP(cfg.TrustedProxies, h)
	return Handlers{Public: withRequestID(h), Metrics: metricsMux, CloseSockets: sockets.closeAll}
}

// limitBodyTime stops reading a request's body after d: a client trickling
// a body a byte at a time would otherwise hold its connection and goroutine
// for ever (the request's context does not interrupt a read). The read then
// fails, which the transport answers with a GraphQL error. It is set here,
// not as the server's ReadTimeout, so that it covers GraphQL requests only,
// and it wraps the writer the server gave, which is what the
// ResponseController can reach.
func limitBodyTime(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(time.Now().Add(d)) // unsupported only by test recorders
		// A client that does not read its answer would hold a slot while the
		// write blocks; the write gets the request's time once more.
		_ = rc.SetWriteDeadline(time.Now().Add(2 * d))
		next.ServeHTTP(w, r)
	})
}

// withTimeout bounds a request's wall time. The context is what every
// database call runs with, so the work stops too, not only the response;
// PostgreSQL's statement_timeout is the backstop for a statement that ignores
// cancellation.
func withTimeout(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// withRequestID gives each request an id, echoed in X-Request-ID, logged with
// its operation and internal errors, and returned in their extensions.requestId.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		id := hex.EncodeToString(b)
		w.Header().Set("X-Request-ID", id)
		next.ServeHTTP(w, r.WithContext(reqctx.WithRequestID(r.Context(), id)))
	})
}
