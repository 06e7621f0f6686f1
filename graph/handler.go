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

	"agentdesk/auth"
	"agentdesk/graph/generated"
	"agentdesk/team"
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
	// RateLimits bound the public operations; zero takes DefaultRateLimits.
	RateLimits RateLimits
	// AllowedOrigins may call the API from a browser ("*": any).
	AllowedOrigins []string
	// TrustedProxies may name the client in X-Forwarded-For.
	TrustedProxies []netip.Prefix
	// HSTS adds Strict-Transport-Security (PUBLIC_URL is https).
	HSTS bool
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

// NewHandler returns agentdesk's HTTP handler: the GraphQL endpoint at /query
// (and /graphql), the playground at /, the probes and /metrics.
func NewHandler(cfg Config) http.Handler {
	limits := cfg.limits()
	rates := cfg.RateLimits
	if rates == (RateLimits{}) {
		rates = DefaultRateLimits
	}
	srv := NewSchema(&Resolver{Team: cfg.Team, guard: newAbuseGuard(rates, cfg.Now)}, limits)
	// GraphQL over HTTP: POST, GET for queries only (the GET transport
	// refuses mutations), and OPTIONS.
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
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
	srv.SetErrorPresenter(presentError(cfg.Log))
	srv.SetRecoverFunc(recoverPanic(cfg.Log))
	m := newMetrics(cfg.Team.DB.DB, func() float64 { return float64(cfg.Team.DB.Statements.Load()) })
	srv.AroundResponses(m.observe(cfg.Log))

	var api http.Handler = srv
	api = limitBody(limits.BodyBytes, api)
	api = loadersMiddleware(cfg.Team, api)
	api = auth.Middleware(cfg.Sessions, api)
	api = withTimeout(limits.Timeout, api)
	api = withJSONStatus(api)

	mux := http.NewServeMux()
	mux.Handle("/query", api)
	mux.Handle("/graphql", api)
	if !cfg.Production {
		mux.Handle("GET /{$}", playground.Handler("agentdesk", "/query"))
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
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{}))

	var h http.Handler = mux
	h = withCORS(cfg.AllowedOrigins, h)
	h = withSecurityHeaders(cfg.HSTS, h)
	h = withClientIP(cfg.TrustedProxies, h)
	return withRequestID(h)
}

// limitBody caps the request body; a larger one fails to read, which the
// transport answers with a GraphQL error.
func limitBody(n int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, n)
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
