package graph

import (
	"container/list"
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// The query caches are keyed by a query's full text, which a client chooses:
// comments are not parser tokens, so a 1 MB query passes the token limit. An
// entry-counted cache of such queries kept hundreds of MB alive; these are
// bounded in bytes, and keep nothing larger than maxEntry.
const (
	// parsedQueryBytes bounds the parsed-query cache. A parsed query holds
	// its text and about 220 bytes per node of its tree (selections,
	// arguments, values, directives, variables — measured on agentdesk's
	// schema for lists, fields, aliases and the Agents page: 217 to 228), so
	// it is charged its length plus astBytesPerNode per node. Charged by
	// text alone, a 5 KB list of 2,700 ids held 590 KB and the cache 2.5
	// times its budget.
	parsedQueryBytes = 8 << 20
	parsedQueryEntry = 256 << 10
	astBytesPerNode  = 256
	// persistedQueryBytes bounds the persisted-query (APQ) cache, which holds
	// text only.
	persistedQueryBytes = 2 << 20
	persistedQueryEntry = 64 << 10
)

func newParsedQueryCache() *byteLRU[*ast.QueryDocument] {
	return newByteLRU(parsedQueryBytes, parsedQueryEntry, func(q string, doc *ast.QueryDocument) int {
		// Twice the text: string values are kept once more, unescaped (a
		// block string of 196 KB held 390 KB).
		return 2*len(q) + astBytesPerNode*astNodes(doc)
	})
}

// astNodes counts the nodes of a parsed document.
func astNodes(doc *ast.QueryDocument) int {
	if doc == nil {
		return 0
	}
	n := 0
	var value func(v *ast.Value)
	value = func(v *ast.Value) {
		if v == nil {
			return
		}
		n++
		for _, c := range v.Children {
			value(c.Value)
		}
	}
	arguments := func(args ast.ArgumentList) {
		for _, a := range args {
			n++
			value(a.Value)
		}
	}
	directives := func(dirs ast.DirectiveList) {
		for _, d := range dirs {
			n++
			arguments(d.Arguments)
		}
	}
	var selections func(set ast.SelectionSet)
	selections = func(set ast.SelectionSet) {
		for _, sel := range set {
			n++
			switch x := sel.(type) {
			case *ast.Field:
				arguments(x.Arguments)
				directives(x.Directives)
				selections(x.SelectionSet)
			case *ast.InlineFragment:
				directives(x.Directives)
				selections(x.SelectionSet)
			case *ast.FragmentSpread:
				directives(x.Directives)
			}
		}
	}
	for _, op := range doc.Operations {
		n++
		for _, v := range op.VariableDefinitions {
			n++
			value(v.DefaultValue) // a default value is a tree like any argument
			directives(v.Directives)
		}
		directives(op.Directives)
		selections(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		n++
		directives(f.Directives)
		selections(f.SelectionSet)
	}
	return n
}

func newPersistedQueryCache() *byteLRU[string] {
	return newByteLRU(persistedQueryBytes, persistedQueryEntry, func(hash, q string) int { return len(hash) + len(q) })
}

// byteLRU is a least-recently-used cache bounded by the bytes its entries
// hold (as sizeOf counts them): adding evicts the least recently used entries
// until the total fits, and an entry larger than maxEntry is not kept at all.
// It is a gqlgen graphql.Cache.
type byteLRU[T any] struct {
	budget, maxEntry int
	sizeOf           func(key string, value T) int

	mu    sync.Mutex
	used  int
	order *list.List // of *byteEntry[T], most recently used first
	items map[string]*list.Element
}

type byteEntry[T any] struct {
	key   string
	value T
	size  int
}

func newByteLRU[T any](budget, maxEntry int, sizeOf func(string, T) int) *byteLRU[T] {
	return &byteLRU[T]{budget: budget, maxEntry: min(maxEntry, budget), sizeOf: sizeOf,
		order: list.New(), items: map[string]*list.Element{}}
}

func (c *byteLRU[T]) Get(_ context.Context, key string) (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.order.MoveToFront(el)
		return el.Value.(*byteEntry[T]).value, true
	}
	var zero T
	return zero, false
}

func (c *byteLRU[T]) Add(_ context.Context, key string, value T) {
	size := c.sizeOf(key, value)
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.remove(el)
	}
	if size > c.maxEntry {
		return
	}
	c.items[key] = c.order.PushFront(&byteEntry[T]{key: key, value: value, size: size})
	c.used += size
	for c.used > c.budget {
		c.remove(c.order.Back())
	}
}

func (c *byteLRU[T]) remove(el *list.Element) {
	e := c.order.Remove(el).(*byteEntry[T])
	delete(c.items, e.key)
	c.used -= e.size
}

// Bytes returns the bytes the cache holds, as sizeOf counts them.
func (c *byteLRU[T]) Bytes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.used
}

// Len returns the number of entries.
func (c *byteLRU[T]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.items)
}

// afterChecks defers a cache's Add until the request has passed every check.
// gqlgen adds a persisted query before parsing it and a parsed query before
// the limits run; either may still fail, and a failed query must not be kept.
// Add parks the entry on the request's operation context; keepChecked, the
// last extension, adds it when the request got that far.
type afterChecks[T any] struct {
	*byteLRU[T]
	slot string
}

func (a afterChecks[T]) Add(ctx context.Context, key string, value T) {
	if !graphql.HasOperationContext(ctx) {
		return // not through the executor: nothing vouches for the entry
	}
	graphql.GetOperationContext(ctx).Stats.SetExtension(a.slot, func() { a.byteLRU.Add(ctx, key, value) })
}

// keepChecked is the extension that adds the parked entries; it must be the
// last operation-context mutator, which gqlgen calls only when every one
// before it passed.
type keepChecked struct{ slots []string }

func (keepChecked) ExtensionName() string                   { return "KeepCheckedQueries" }
func (keepChecked) Validate(graphql.ExecutableSchema) error { return nil }
func (k keepChecked) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	for _, slot := range k.slots {
		if add, ok := oc.Stats.GetExtension(slot).(func()); ok {
			add()
		}
	}
	return nil
}
