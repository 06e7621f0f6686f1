package graph

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/99designs/gqlgen/graphql/playground"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/vektah/gqlparser/v2/ast"
	"golang.org/x/sync/semaphore"

	"agentdesk/auth"
	"agentdesk/graph/generated"
	"agentdesk/team"
	"agentdesk/web"
)

// Config wires the HTTP handler.
type Config struct {
	Team     *team.Service
	Sessions *auth.Sessions
	Log      *slog.Logger
	// Production turns off introspection, the playground and field suggestions.
	Production bool
	// Ready reports whether the database answers (for /readyz).
	Ready func(ctx context.Context) error
	// Limits bound each request; zero fields take DefaultLimits.
	Limits Limits
	// RateLimits bound the public operations; zero fields take DefaultRateLimits.
	RateLimits RateLimits
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
	// Now is the rate limiter's clock (nil: wall clock).
	Now func() time.Time
}

func (c Config) limits() Limits {
	l, d := c.Limits, DefaultLimits
	return Limits{
		BodyBytes:     cmp.Or(l.BodyBytes, d.BodyBytes),
		ParserTokens:  cmp.Or(l.ParserTokens, d.ParserTokens),
		Depth:         cmp.Or(l.Depth, d.Depth),
		Aliases:       cmp.Or(l.Aliases, d.Aliases),
		Directives:    cmp.Or(l.Directives, d.Directives),
		Operations:    cmp.Or(l.Operations, d.Operations),
		Complexity:    cmp.Or(l.Complexity, d.Complexity),
		Size:          cmp.Or(l.Size, d.Size),
		NameBytes:     cmp.Or(l.NameBytes, d.NameBytes),
		Merges:        cmp.Or(l.Merges, d.Merges),
		Timeout:       cmp.Or(l.Timeout, d.Timeout),
		DefaultPageSz: cmp.Or(l.DefaultPageSz, d.DefaultPageSz),
	}
}

// NewSchema returns the executable schema with its resolvers, directives and
// list pricing.
func NewSchema(r *Resolver, limits Limits) *handler.Server {
	return handler.New(generated.NewExecutableSchema(generated.Config{
		Resolvers:  r,
		Directives: directives(),
		Complexity: complexityRoot(limits.DefaultPageSz),
	}))
}

// NewHandler returns agentdesk's public HTTP handler (see NewHandlers).
func NewHandler(cfg Config) http.Handler { return NewHandlers(cfg).Public }

// Handlers are agentdesk's HTTP handlers: Public has the GraphQL endpoint
// at /query (and /graphql), the playground at /, the probes and, unless
// Config.PrivateMetrics, /metrics; Metrics serves /metrics alone, for a
// listener that only the monitoring can reach.
type Handlers struct {
	Public, Metrics http.Handler
}

// NewHandlers returns agentdesk's HTTP handlers.
func NewHandlers(cfg Config) Handlers {
	limits := cfg.limits()
	r, d := cfg.RateLimits, DefaultRateLimits
	rates := RateLimits{PerIP: cmp.Or(r.PerIP, d.PerIP), PerSubject: cmp.Or(r.PerSubject, d.PerSubject),
		Period: cmp.Or(r.Period, d.Period), MaxKeys: r.MaxKeys}
	guard := newAbuseGuard(rates, cfg.Now)
	srv := NewSchema(&Resolver{Team: cfg.Team, guard: guard}, limits)
	// GraphQL over HTTP: POST, GET for queries only (queryGET refuses
	// mutations), and OPTIONS; withTransportRules refuses the rest.
	srv.AddTransport(transport.Options{})
	srv.AddTransport(queryGET{})
	srv.AddTransport(jsonPOST{})
	// The caches are bounded in bytes and keep only queries that passed
	// every check (keepChecked, last).
	parsed, persisted := newParsedQueryCache(), newPersistedQueryCache()
	srv.SetQueryCache(afterChecks[*ast.QueryDocument]{parsed, "parsedQuery"})
	srv.Use(extension.AutomaticPersistedQuery{Cache: afterChecks[string]{persisted, "persistedQuery"}})
	if !cfg.Production {
		srv.Use(extension.Introspection{})
	}
	srv.SetParserTokenLimit(limits.ParserTokens)
	// After the persisted-query extension, which fills in the query it
	// measures, and after Introspection, whose answer it reads; it also
	// prices the query (gqlgen's complexity extension would re-walk every
	// fragment spread).
	srv.Use(&shapeLimits{Limits: limits, parsed: parsed})
	srv.Use(keepChecked{slots: []string{"parsedQuery", "persistedQuery"}})
	srv.SetDisableSuggestion(cfg.Production)
	srv.SetValidationRulesFn(validationRules)
	srv.SetErrorPresenter(presentError(cfg.Log))
	srv.SetRecoverFunc(recoverPanic(cfg.Log))
	m := newMetrics(cfg.Team.DB.DB, func() float64 { return float64(cfg.Team.DB.Statements.Load()) })
	m.registry.MustRegister(guard.collectors()...)
	srv.AroundResponses(m.observe(cfg.Log))

	var api http.Handler = srv
	concurrent := cmp.Or(cfg.MaxConcurrent, DefaultMaxConcurrent)
	api = loadersMiddleware(cfg.Team, api)
	api = auth.Middleware(cfg.Sessions, api)
	api = limitInFlight(concurrent, api)
	// Bodies being received may hold twice what the running requests do.
	api = readBodyWithin(semaphore.NewWeighted(2*int64(concurrent)*limits.BodyBytes), limits.BodyBytes, api)
	api = limitPerClient(cmp.Or(cfg.MaxPerClient, DefaultMaxPerClient), api)
	api = withTimeout(limits.Timeout, api)
	api = withJSONStatus(api)
	api = withTransportRules(api)
	api = limitBodyTime(limits.Timeout, api)

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
	h = withCORS(cfg.AllowedOrigins, h)
	h = withSecurityHeaders(cfg.HSTS, h)
	h = withClientIP(cfg.TrustedProxies, h)
	return Handlers{Public: withRequestID(h), Metrics: metricsMux}
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

type requestIDKey struct{}

// RequestID returns the id of the request ctx belongs to.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// withRequestID gives each request an id, echoed in X-Request-ID, logged with
// its operation and internal errors, and returned in their extensions.requestId.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		id := hex.EncodeToString(b)
		w.Header().Set("X-Request-ID", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}
