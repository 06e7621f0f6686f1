package graph

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"agentdesk/graph/generated"
	"agentdesk/graph/model"
)

// Limits bound what one operation may cost (OWASP GraphQL Cheat Sheet).
// Each answers a GraphQL error with code BAD_USER_INPUT and extensions.limit
// naming it, before any resolver runs. The limits on the request itself
// (body size, wall time) are the HTTP layer's: see httpapi.Config.
type Limits struct {
	ParserTokens  int // tokens the parser reads
	Depth         int // nesting of selections
	Aliases       int // aliased fields per operation
	Directives    int // directives per operation
	Operations    int // operations per document
	Complexity    int // see complexityRoot
	Size          int // nodes with fragments expanded (see shape.size)
	NameBytes     int // bytes of names with fragments expanded
	Merges        int // pairs of fields merging into one response field
	DefaultPageSz int // `first` assumed by the complexity of a list without it
}

// DefaultLimits are the defaults of the settings in README.md.
var DefaultLimits = Limits{ParserTokens: 15_000, Depth: 12, Aliases: 30, Directives: 50,
	Operations: 10, Complexity: 5_000, Size: 5_000,
	NameBytes: 32 << 10, Merges: 5_000, DefaultPageSz: 20}

// LimitError is the answer to a request over one of the limits: BAD_USER_INPUT
// with extensions.limit naming it.
func LimitError(limit, format string, args ...any) *gqlerror.Error {
	return &gqlerror.Error{Message: fmt.Sprintf(format, args...),
		Extensions: map[string]any{"code": "BAD_USER_INPUT", "limit": limit}}
}

// shapeLimits bounds what a request costs before any resolver runs, in two
// steps, each in time proportional to the document (each fragment is
// measured once, whatever the number of its spreads):
//
//   - MutateOperationParameters, before gqlgen parses and validates: the
//     number of operations, the size of the document with its fragments
//     expanded, the bytes of its names, and the pairs of fields that merge
//     into one response field. gqlparser's validation is superlinear in these (its
//     overlapping-fields rule compares every pair of fields that merge, and
//     its suggestions compare every unknown name with every known one), so
//     they are bounded before it runs. A query found in the parsed-query
//     cache has passed this already.
//   - MutateOperationContext, after validation: introspection when it is
//     off, then the chosen operation's size (its variables are known now),
//     depth, aliases and directives, and only then its complexity, which
//     decodes every field's arguments. This replaces gqlgen's complexity
//     extension, which re-walks every fragment spread.
type shapeLimits struct {
	Limits
	parsed graphql.Cache[*ast.QueryDocument] // may be nil
	es     graphql.ExecutableSchema
}

func (shapeLimits) ExtensionName() string { return "ShapeLimits" }
func (l *shapeLimits) Validate(es graphql.ExecutableSchema) error {
	l.es = es
	return nil
}

func (l *shapeLimits) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if l.parsed != nil {
		if _, ok := l.parsed.Get(ctx, p.Query); ok {
			return nil
		}
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, l.ParserTokens)
	if err != nil {
		return nil // gqlgen parses it again and answers the error as usual
	}
	return l.checkDocument(newShapeWalker(ctx, l.es, doc, p.Variables), doc)
}

// checkDocument measures every operation and fragment definition of a parsed
// document, as validation will walk each of them.
func (l *shapeLimits) checkDocument(w *shapeWalker, doc *ast.QueryDocument) *gqlerror.Error {
	if n := len(doc.Operations); n > l.Operations {
		return LimitError("operations", "The document has %d operations; at most %d are allowed.", n, l.Operations)
	}
	var total shape
	for _, op := range doc.Operations {
		total.add(w.operationShape(op))
	}
	for _, f := range doc.Fragments {
		s := w.shapeOf(f.SelectionSet)
		w.addDirectives(&s, f.Directives)
		s.names = sat(s.names + len(f.Name) + len(f.TypeCondition))
		total.add(s)
	}
	switch {
	case w.cycle != "":
		err := gqlerror.Errorf("Cannot spread fragment %q within itself.", w.cycle)
		errcode.Set(err, errcode.ValidationFailed) // what validation would answer, without its cost
		return err
	case total.size > l.Size:
		return LimitError("size", "The document has %d nodes with its fragments expanded; at most %d are allowed.", total.size, l.Size)
	case total.names > l.NameBytes:
		return LimitError("names", "The names in the document take %d bytes with its fragments expanded; at most %d are allowed.", total.names, l.NameBytes)
	}
	// The size is bounded and there is no cycle: walking the expansion is
	// bounded too.
	pairs := 0
	for _, op := range doc.Operations {
		pairs = sat(pairs + w.merges([]ast.SelectionSet{op.SelectionSet}))
	}
	for _, f := range doc.Fragments {
		pairs = sat(pairs + w.merges([]ast.SelectionSet{f.SelectionSet}))
	}
	if pairs > l.Merges {
		return LimitError("merges", "The document has %d pairs of fields that merge into one response field; at most %d are allowed.", pairs, l.Merges)
	}
	return nil
}

func (l *shapeLimits) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if n := len(oc.Doc.Operations); n > l.Operations {
		return LimitError("operations", "The document has %d operations; at most %d are allowed.", n, l.Operations)
	}
	return l.checkOperation(newShapeWalker(ctx, l.es, oc.Doc, oc.Variables), oc.Operation, oc.DisableIntrospection)
}

// checkOperation measures op and then prices it; pricing runs only once the
// size is known to be bounded, because pricing decodes each field's
// arguments.
func (l *shapeLimits) checkOperation(w *shapeWalker, op *ast.OperationDefinition, introspectionOff bool) *gqlerror.Error {
	s := w.operationShape(op)
	switch {
	case introspectionOff && s.introspects != "":
		// Production turns introspection off; asking for it is the client's
		// mistake, not ours (gqlgen would answer INTERNAL and log an error).
		return &gqlerror.Error{Message: "introspection is disabled",
			Extensions: map[string]any{"code": "BAD_USER_INPUT", "field": s.introspects}}
	case s.size > l.Size:
		return LimitError("size", "The query has %d nodes with its fragments expanded; at most %d are allowed.", s.size, l.Size)
	case s.depth > l.Depth:
		return LimitError("depth", "The query is nested %d levels deep; at most %d are allowed.", s.depth, l.Depth)
	case s.introspection.ofTypes > maxOfTypeDepth:
		return LimitError("depth", "The introspection nests ofType %d levels deep; at most %d are allowed.",
			s.introspection.ofTypes, maxOfTypeDepth)
	case s.introspection.reenters != "":
		return LimitError("introspection", "A type reached through %q may not select a type's fields, inputFields, interfaces, "+
			"possibleTypes or enumValues: ask __schema { types } or __type(name:) for that type.", s.introspection.reenters)
	case s.aliases > l.Aliases:
		return LimitError("aliases", "The query has %d aliases; at most %d are allowed.", s.aliases, l.Aliases)
	case s.directives > l.Directives:
		return LimitError("directives", "The query has %d directives; at most %d are allowed.", s.directives, l.Directives)
	}
	if c := w.costOf(op.SelectionSet); sat(c.total+c.counts) > l.Complexity {
		err := LimitError("complexity", "The query has complexity %d; at most %d is allowed.", sat(c.total+c.counts), l.Complexity)
		err.Extensions["reason"] = "COMPLEXITY_LIMIT_EXCEEDED" // the name gqlgen's extension gave it
		return err
	}
	return nil
}

// messageBodyCost is the price of a message's body; introspectionCost of
// a __schema or __type: the answer is large (GraphiQL's introspection of
// agentdesk is about 100 KB), so thirty aliased ones were 3 MB of answer
// for one small request. One still fits any limit.
const (
	messageBodyCost   = 40
	introspectionCost = 1000
)

// bulkInviteCost is the price of each address of inviteAgents: an invite is
// a transaction of about fifteen statements that may queue an email, so a
// hundred addresses (4,500) fill almost the whole default budget, and a
// request cannot invite more than one bulk call's worth by aliasing it
// (two calls of a hundred cost 9,000). The email limits themselves are
// counted per address inside each invite.
const bulkInviteCost = 45

// complexityRoot prices lists by their size: a connection costs `first`
// times what each of its items asks for, so `agents(first: 100)` with roles
// costs a hundred times `agents(first: 1)`; its totalCount costs countCost
// once (shapeWalker passes a connection only its edges as child).
func complexityRoot(defaultFirst int) generated.ComplexityRoot {
	var c generated.ComplexityRoot
	page := func(child int, first *int) int {
		n := defaultFirst
		if first != nil && *first > 0 {
			n = *first
		}
		if child > 0 && n > ceiling/child { // `first` is checked by the resolver, after this
			return ceiling
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
	// A message body may be 10,000 characters (up to 40 KB): priced by its
	// size, so that no query asks for more than about a hundred of them.
	c.Message.Body = func(int) int { return messageBodyCost }
	c.Mutation.InviteAgents = func(child int, in model.InviteAgentsInput) int {
		return sat(1 + child + bulkInviteCost*len(in.Emails))
	}
	count := func(int) int { return countCost }
	// The tabs' counts read every agent the filter matches, like a totalCount.
	c.Query.AgentCounts = func(int, *model.AgentFilter) int { return countCost }
	c.AgentConnection.TotalCount = count
	c.ConversationConnection.TotalCount = count
	c.MessageConnection.TotalCount = count
	c.AuditEventConnection.TotalCount = count
	return c
}
