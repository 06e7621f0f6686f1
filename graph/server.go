package graph

import (
	"cmp"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/ast"

	"agentdesk/graph/generated"
	"agentdesk/live"
)

// Config configures the executable GraphQL server.
type Config struct {
	// The rules the resolvers call (ports.go).
	Team              TeamRules
	ConversationRules ConversationRules
	Log               *slog.Logger // nil: slog.Default()
	// Production turns off introspection and field suggestions.
	Production bool
	// Limits bound each operation's shape; zero fields take DefaultLimits.
	Limits Limits
	// RateLimits bound the public operations; zero fields take DefaultRateLimits.
	RateLimits RateLimits
	// Now is the rate limiter's clock (nil: wall clock).
	Now func() time.Time
	// Live carries committed changes to the subscriptions (nil: none).
	Live *live.Broker
}

func (c Config) limits() Limits {
	l, d := c.Limits, DefaultLimits
	return Limits{
		ParserTokens:  cmp.Or(l.ParserTokens, d.ParserTokens),
		Depth:         cmp.Or(l.Depth, d.Depth),
		Aliases:       cmp.Or(l.Aliases, d.Aliases),
		Directives:    cmp.Or(l.Directives, d.Directives),
		Operations:    cmp.Or(l.Operations, d.Operations),
		Complexity:    cmp.Or(l.Complexity, d.Complexity),
		Size:          cmp.Or(l.Size, d.Size),
		NameBytes:     cmp.Or(l.NameBytes, d.NameBytes),
		Merges:        cmp.Or(l.Merges, d.Merges),
		DefaultPageSz: cmp.Or(l.DefaultPageSz, d.DefaultPageSz),
	}
}

func (c Config) rateLimits() RateLimits {
	r, d := c.RateLimits, DefaultRateLimits
	return RateLimits{PerIP: cmp.Or(r.PerIP, d.PerIP), PerSubject: cmp.Or(r.PerSubject, d.PerSubject),
		Period: cmp.Or(r.Period, d.Period), MaxKeys: r.MaxKeys, Redis: r.Redis, RedisPrefix: r.RedisPrefix}
}

// Server is the executable GraphQL server: the schema with its resolvers,
// directives and list pricing, the limits on a query's shape, the query
// caches and the error presenter. It has no transport: the HTTP layer
// (package httpapi) adds those (AddTransport) and its own response
// middleware (AroundResponses) to the embedded gqlgen server, and serves
// requests through ServeHTTP, which gives each its own loaders.
type Server struct {
	*handler.Server
	withLoaders http.Handler
	guard       *abuseGuard
	resolver    *Resolver
}

// NewServer returns the executable GraphQL server.
func NewServer(cfg Config) *Server {
	log := cmp.Or(cfg.Log, slog.Default())
	limits := cfg.limits()
	guard := newAbuseGuard(cfg.rateLimits(), cfg.Now, log)
	resolver := &Resolver{Team: cfg.Team, ConversationRules: cfg.ConversationRules, Live: cfg.Live, guard: guard}
	srv := handler.New(generated.NewExecutableSchema(generated.Config{
		Resolvers:  resolver,
		Directives: directives(),
		Complexity: complexityRoot(limits.DefaultPageSz),
	}))
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
	srv.Use(socketsRunSubscriptionsOnly{})
	srv.Use(statePerSubscription{resolver: resolver})
	srv.SetDisableSuggestion(cfg.Production)
	srv.SetValidationRulesFn(validationRules)
	srv.SetErrorPresenter(presentError(log))
	srv.SetRecoverFunc(recoverPanic(log))
	return &Server{Server: srv, withLoaders: loadersMiddleware(resolver, srv), guard: guard, resolver: resolver}
}

// ServeHTTP serves a GraphQL request over the transports the HTTP layer
// added, with loaders made for this request alone.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.withLoaders.ServeHTTP(w, r)
}

// RateLimitBuckets reports how many buckets each public-operation limiter
// holds, by limiter ("ip", "subject"), for the metrics.
func (s *Server) RateLimitBuckets() map[string]int { return s.guard.buckets() }
