package graph

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"agentdesk/graph/generated"
	"agentdesk/graph/model"
)

// Limits bound what one request may cost (OWASP GraphQL Cheat Sheet). Each
// answers a GraphQL error with code BAD_USER_INPUT and extensions.limit
// naming it, before any resolver runs — except the timeout, which cancels
// the database work of a request that runs too long.
type Limits struct {
	BodyBytes     int64         // request body
	ParserTokens  int           // tokens the parser reads
	Depth         int           // nesting of selections
	Aliases       int           // aliased fields per operation
	Directives    int           // directives per operation
	Operations    int           // operations per document
	Complexity    int           // see complexityRoot
	Timeout       time.Duration // wall time of a request
	DefaultPageSz int           // `first` assumed by the complexity of a list without it
}

// DefaultLimits are the defaults of the settings in README.md.
var DefaultLimits = Limits{BodyBytes: 1 << 20, ParserTokens: 15_000, Depth: 12, Aliases: 30, Directives: 50,
	Operations: 10, Complexity: 5_000, Timeout: 10 * time.Second, DefaultPageSz: 20}

func limitError(limit, format string, args ...any) *gqlerror.Error {
	return &gqlerror.Error{Message: fmt.Sprintf(format, args...),
		Extensions: map[string]any{"code": "BAD_USER_INPUT", "limit": limit}}
}

// shapeLimits checks depth, aliases, directives and the number of
// operations of a parsed, validated request.
type shapeLimits struct{ Limits }

func (shapeLimits) ExtensionName() string                   { return "ShapeLimits" }
func (shapeLimits) Validate(graphql.ExecutableSchema) error { return nil }
func (l shapeLimits) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if n := len(oc.Doc.Operations); n > l.Operations {
		return limitError("operations", "The document has %d operations; at most %d are allowed.", n, l.Operations)
	}
	w := shapeWalker{fragments: oc.Doc.Fragments}
	w.walk(oc.Operation.SelectionSet, 1, map[string]bool{})
	w.directives += len(oc.Operation.Directives)
	switch {
	case w.depth > l.Depth:
		return limitError("depth", "The query is nested %d levels deep; at most %d are allowed.", w.depth, l.Depth)
	case w.aliases > l.Aliases:
		return limitError("aliases", "The query has %d aliases; at most %d are allowed.", w.aliases, l.Aliases)
	case w.directives > l.Directives:
		return limitError("directives", "The query has %d directives; at most %d are allowed.", w.directives, l.Directives)
	}
	return nil
}

// shapeWalker measures an operation with its fragments expanded, so a
// fragment spread N times counts N times.
type shapeWalker struct {
	fragments                  ast.FragmentDefinitionList
	depth, aliases, directives int
}

func (w *shapeWalker) walk(set ast.SelectionSet, depth int, inFragments map[string]bool) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			w.depth = max(w.depth, depth)
			w.directives += len(s.Directives)
			if s.Alias != "" && s.Alias != s.Name {
				w.aliases++
			}
			w.walk(s.SelectionSet, depth+1, inFragments)
		case *ast.InlineFragment:
			w.directives += len(s.Directives)
			w.walk(s.SelectionSet, depth, inFragments)
		case *ast.FragmentSpread:
			w.directives += len(s.Directives)
			f := w.fragments.ForName(s.Name)
			if f == nil || inFragments[s.Name] { // validation rejects cycles; this is only a guard
				continue
			}
			inFragments[s.Name] = true
			w.walk(f.SelectionSet, depth, inFragments)
			delete(inFragments, s.Name)
		}
	}
}

// complexityRoot prices lists by their size: a connection costs `first`
// times what each of its items asks for, so `agents(first: 100)` with roles
// costs a hundred times `agents(first: 1)`.
func complexityRoot(defaultFirst int) generated.ComplexityRoot {
	var c generated.ComplexityRoot
	page := func(child int, first *int) int {
		n := defaultFirst
		if first != nil && *first > 0 {
			n = *first
		}
		return 1 + n*child
	}
	c.Query.Agents = func(child int, first *int, _ *string, _ *model.AgentFilter, _ *model.AgentOrder) int {
		return page(child, first)
	}
	c.Query.Conversations = func(child int, first *int, _ *string, _ *model.ConversationFilter) int { return page(child, first) }
	c.Query.AuditLog = func(child int, first *int, _ *string) int { return page(child, first) }
	c.Agent.AssignedConversations = func(child int, first *int, _ *string) int { return page(child, first) }
	c.Conversation.Messages = func(child int, first *int, _ *string) int { return page(child, first) }
	return c
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
