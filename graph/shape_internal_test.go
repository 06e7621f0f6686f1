package graph

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"agentdesk/graph/generated"
)

var testSchema = generated.NewExecutableSchema(generated.Config{Complexity: complexityRoot(DefaultLimits.DefaultPageSz)})

// doubling is query{...F0} with each fragment spreading the next twice:
// 2^n fields once expanded, in about 40·n bytes.
func doubling(n int) string {
	var b strings.Builder
	b.WriteString("query{...F0} ")
	for i := range n {
		fmt.Fprintf(&b, "fragment F%d on Query{...F%d ...F%d} ", i, i+1, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on Query{__typename}", n)
	return b.String()
}

// workCeiling is the most walker visits a query of this many bytes may
// cost: every node of the document once per pass (a node takes at least a
// byte), and the expansion once, which is only walked when its size is
// within the limit.
func workCeiling(query string, l Limits) int { return 3*len(query) + 2*l.Size + 16 }

// checkBoth runs both steps of shapeLimits on query as the server does: the
// document check, then validation, then the operation check. It returns the
// first refusal (nil if none, or if validation refused) and the visits of
// each step.
func checkBoth(t testing.TB, l *shapeLimits, query string) (err error, visits []int) {
	doc, perr := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, l.ParserTokens)
	if perr != nil {
		return nil, nil
	}
	w := newShapeWalker(context.Background(), testSchema, doc, nil)
	if gerr := l.checkDocument(w, doc); gerr != nil {
		return gerr, []int{w.visits}
	}
	visits = []int{w.visits}
	if errs := validator.Validate(testSchema.Schema(), doc); len(errs) > 0 {
		return nil, visits
	}
	for _, op := range doc.Operations {
		w := newShapeWalker(context.Background(), testSchema, doc, nil)
		gerr := l.checkOperation(w, op, true)
		visits = append(visits, w.visits)
		if gerr != nil {
			return gerr, visits
		}
	}
	return nil, visits
}

// The walker measures each fragment once: a chain of fragments that doubles
// at each step is measured in work proportional to its text, its expanded
// size is counted exactly (until it saturates), and it is refused for size.
func TestShapeWalkerWorkIsLinear(t *testing.T) {
	l := &shapeLimits{Limits: DefaultLimits, es: testSchema}
	for _, n := range []int{10, 26, 60, 600} {
		q := doubling(n)
		doc, err := parser.ParseQuery(&ast.Source{Input: q})
		if err != nil {
			t.Fatal(err)
		}
		w := newShapeWalker(context.Background(), testSchema, doc, nil)
		s := w.operationShape(doc.Operations[0])
		// F0..Fn-1 hold two spreads each (2^(n+1)-2 of them) and Fn a field
		// (2^n of them), plus the spread of F0.
		want := ceiling
		if n < 48 {
			want = 1<<(n+1) - 2 + 1<<n + 1
		}
		if s.size != want {
			t.Errorf("doubling(%d): size %d, want %d", n, s.size, want)
		}
		if w.visits > 3*(n+1) {
			t.Errorf("doubling(%d): %d visits to measure %d fragments", n, w.visits, n+1)
		}
		gerr, visits := checkBoth(t, l, q)
		if gerr == nil || !strings.Contains(gerr.Error(), "nodes") {
			t.Errorf("doubling(%d): %v, want refused for its size", n, gerr)
		}
		for _, v := range visits {
			if v > workCeiling(q, l.Limits) {
				t.Errorf("doubling(%d): %d visits, over the ceiling %d", n, v, workCeiling(q, l.Limits))
			}
		}
	}
}

// A connection multiplies only its edges by its page size; totalCount is paid
// once, at countCost.
func TestConnectionPricesTotalCountOnce(t *testing.T) {
	l := &shapeLimits{Limits: DefaultLimits, es: testSchema}
	price := func(q string) int {
		doc, err := parser.ParseQuery(&ast.Source{Input: q})
		if err != nil {
			t.Fatal(err)
		}
		if errs := validator.Validate(testSchema.Schema(), doc); len(errs) > 0 {
			t.Fatal(errs)
		}
		c := newShapeWalker(context.Background(), l.es, doc, nil).costOf(doc.Operations[0].SelectionSet)
		return c.total + c.counts
	}
	for _, tc := range []struct {
		query string
		want  int
	}{
		{`{ agents(first: 50) { edges { node { id } } } }`, 1 + 50*(1+1+1)},
		{`{ agents(first: 50) { totalCount edges { node { id } } } }`, 1 + 50*3 + countCost},
		{`{ agents(first: 1) { totalCount } }`, 1 + countCost},
		{`{ agents(first: 1) { ... on AgentConnection { totalCount pageInfo { hasNextPage } } } }`, 1 + countCost + 2},
		// A count inside a list is one GROUP BY for its whole level: paid once.
		{`{ agents(first: 10) { edges { node { assignedConversations(first: 5) { totalCount } } } } }`, 1 + 10*(1+1+1) + countCost},
		{`{ agents(first: 10) { edges { node { a: assignedConversations(first: 5) { totalCount } b: assignedConversations(first: 5) { totalCount } } } } }`, 1 + 10*(1+1+1+1) + 2*countCost},
	} {
		if got := price(tc.query); got != tc.want {
			t.Errorf("%s: complexity %d, want %d", tc.query, got, tc.want)
		}
	}
}

// fuzzQuery builds a query from fuzz bytes with a small grammar: fragments
// (which may spread one another, in cycles too), spreads, aliases,
// directives, inline fragments and nesting.
func fuzzQuery(data []byte) string {
	next := func() int {
		if len(data) == 0 {
			return 0
		}
		b := int(data[0])
		data = data[1:]
		return b
	}
	fields := []string{"__typename", "viewer", "agents", "id", "name", "edges", "node", "totalCount", "roles", "workspace"}
	frags := next()%6 + 1
	var set func(b *strings.Builder, depth int)
	set = func(b *strings.Builder, depth int) {
		b.WriteString("{")
		for n := next()%4 + 1; n > 0; n-- {
			switch k := next() % 7; {
			case k == 0 || depth > 5:
				b.WriteString(fields[next()%len(fields)] + " ")
			case k == 1:
				fmt.Fprintf(b, "a%d:%s ", next()%4, fields[next()%len(fields)])
			case k == 2:
				fmt.Fprintf(b, "...F%d ", next()%frags)
			case k == 3:
				fmt.Fprintf(b, "...F%d @include(if:true) ", next()%frags)
			case k == 4:
				b.WriteString("... on Query")
				set(b, depth+1)
			case k == 5:
				fmt.Fprintf(b, "%s(first:%d) @skip(if:false)", fields[next()%len(fields)], next()%120)
				set(b, depth+1)
			default:
				b.WriteString(fields[next()%len(fields)])
				set(b, depth+1)
			}
		}
		b.WriteString("}")
	}
	var b strings.Builder
	b.WriteString("query")
	set(&b, 0)
	for i := range frags {
		fmt.Fprintf(&b, " fragment F%d on Query", i)
		set(&b, 0)
	}
	return b.String()
}

// FuzzShapeLimits: no query makes the limits panic, and each is refused or
// accepted within a fixed amount of work for its size.
func FuzzShapeLimits(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{5, 2, 2, 1, 2, 2, 1, 2, 2, 2, 3, 2})
	f.Add([]byte{3, 4, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6})
	f.Add([]byte("query fragments aliases directives"))
	l := &shapeLimits{Limits: DefaultLimits, es: testSchema}
	small := &shapeLimits{Limits: DefaultLimits, es: testSchema}
	small.Size, small.Merges, small.Complexity = 40, 10, 100
	f.Fuzz(func(t *testing.T, data []byte) {
		q := fuzzQuery(data)
		for _, l := range []*shapeLimits{l, small} {
			_, visits := checkBoth(t, l, q)
			for _, v := range visits {
				if v > workCeiling(q, l.Limits) {
					t.Fatalf("%d visits for %d bytes, over the ceiling %d: %s", v, len(q), workCeiling(q, l.Limits), q)
				}
			}
		}
	})
}
