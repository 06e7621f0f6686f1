package graph

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/99designs/gqlgen/graphql/playground"
	"github.com/vektah/gqlparser/v2/ast"

	"agentdesk/auth"
	"agentdesk/graph/generated"
	"agentdesk/team"
)

// MaxBodyBytes bounds a request body (1 MiB).
const MaxBodyBytes = 1 << 20

// Config wires the HTTP handler.
type Config struct {
	Team     *team.Service
	Sessions *auth.Sessions
	Log      *slog.Logger
	// Production turns off introspection, the playground and field suggestions.
	Production bool
	// Ready reports whether the database answers (for /readyz).
	Ready func(ctx context.Context) error
}

// NewSchema returns the executable schema with its resolvers and directives.
func NewSchema(svc *team.Service) *handler.Server {
	return handler.New(generated.NewExecutableSchema(generated.Config{
		Resolvers:  &Resolver{Team: svc},
		Directives: directives(),
	}))
}

// NewHandler returns agentdesk's HTTP handler: the GraphQL endpoint at /query
// (and /graphql), the playground at /, and the health probes.
func NewHandler(cfg Config) http.Handler {
	srv := NewSchema(cfg.Team)
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](100)})
	if !cfg.Production {
		srv.Use(extension.Introspection{})
	}
	srv.SetDisableSuggestion(cfg.Production)
	srv.SetErrorPresenter(presentError(cfg.Log))
	srv.SetRecoverFunc(recoverPanic(cfg.Log))

	api := withRequestID(auth.Middleware(cfg.Sessions, loadersMiddleware(cfg.Team, limitBody(srv))))
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
	return mux
}

func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
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
// internal errors and returned in their extensions.requestId.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		id := hex.EncodeToString(b)
		w.Header().Set("X-Request-ID", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}
