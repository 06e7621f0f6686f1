package graph

import (
	"cmp"
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// shape is what a selection set measures with its fragments expanded: a
// fragment spread N times counts N times, although it is walked once.
type shape struct {
	depth, aliases, directives int
	// size counts the nodes a server walks for it: selections, variable
	// definitions, directives, argument values, and for a variable the nodes
	// of the value it was given (every use of it decodes all of it).
	size int
	// names counts the bytes of its names: validation compares each unknown
	// one with every name it could have meant.
	names int
	// introspects names an introspection field (__schema, __type) if the set
	// selects one.
	introspects string
	// Introspection has its own fixed shape (see introspectionShape): the
	// fields of introspection types add nothing to depth; these bound them.
	introspection introspectionShape
}

// introspectionShape bounds what an introspection subtree may ask, in place
// of the depth limit. Clients' introspection queries (graphql-js's
// getIntrospectionQuery, which GraphiQL and GraphQL Code Generator send)
// nest 15 levels, but only in two ways that the schema bounds: lists that
// walk the schema once (__schema.types → fields → args) and a chain of ofType
// that stops at the deepest wrapping of a type ([T!]! is three). An
// attacker's way to grow an answer is to walk the schema again from a type
// reference (fields { type { fields { type { fields … }}}}: every level
// multiplies by the number of fields), which no client does; so a type
// reached through type, ofType, interfaces or possibleTypes may not select
// a type's lists, and ofType nests at most maxOfTypeDepth levels.
type introspectionShape struct {
	// typeLists: the set selects one of a __Type's lists directly (through
	// fragments too).
	typeLists bool
	// reenters names a type reference in the subtree that selects a
	// type's lists.
	reenters string
	// ofTypes is the deepest nesting of ofType in the subtree.
	ofTypes int
}

// maxOfTypeDepth bounds the nesting of ofType: graphql-js's TypeRef nests 9.
const maxOfTypeDepth = 16

// typeListFields are the fields of __Type that list other parts of the
// schema; typeReferences are the fields that lead to a __Type from
// elsewhere than __schema.types or __type.
var (
	typeListFields = map[string]bool{"fields": true, "inputFields": true, "interfaces": true,
		"possibleTypes": true, "enumValues": true}
	typeReferences = map[string]bool{"type": true, "ofType": true, "interfaces": true, "possibleTypes": true}
)

func (s *introspectionShape) add(o introspectionShape) {
	s.typeLists = s.typeLists || o.typeLists
	s.reenters = cmp.Or(s.reenters, o.reenters)
	s.ofTypes = max(s.ofTypes, o.ofTypes)
}

// stringBytesPerNode is how many bytes of a string literal count as one
// node of a query's size.
const stringBytesPerNode = 1024

// add sums up two sibling shapes.
func (s *shape) add(o shape) {
	s.depth = max(s.depth, o.depth)
	s.aliases = sat(s.aliases + o.aliases)
	s.directives = sat(s.directives + o.directives)
	s.size = sat(s.size + o.size)
	s.names = sat(s.names + o.names)
	if s.introspects == "" {
		s.introspects = o.introspects
	}
	s.introspection.add(o.introspection)
}

// cost is the complexity of a selection set: total, and the part of it in
// `edges`, which a connection multiplies by its page size (the rest of a
// connection, totalCount and pageInfo, is paid once).
//
// counts is the price of the totalCounts in it, kept apart because a count
// is paid once wherever it stands: a totalCount inside a list is one
// GROUP BY for all the items of its level (graph/nested.go), whose rows are
// the same as one count over them, so it is not multiplied by page sizes.
type cost struct{ total, items, counts int }

// countCost is the price of a totalCount: a COUNT reads every row its filter
// matches, however small the page, so it costs what a full page does
// (`first: 100` of five-field items). At most nine fit in the default
// complexity limit.
const countCost = 500

// shapeWalker measures a document. Each fragment definition is walked at
// most once per measure (shapes and costs are memoised by name); visits
// counts the nodes walked, so that tests can bound the work.
type shapeWalker struct {
	ctx       context.Context
	es        graphql.ExecutableSchema // for prices; may be nil before validation
	vars      map[string]any
	fragments map[string]*ast.FragmentDefinition
	shapes    map[string]*shape // nil while a fragment is being measured
	costs     map[string]*cost  // nil while a fragment is being priced
	varSizes  map[string]int
	// cycle names a fragment found spread within itself.
	cycle  string
	visits int
}

func newShapeWalker(ctx context.Context, es graphql.ExecutableSchema, doc *ast.QueryDocument, vars map[string]any) *shapeWalker {
	w := &shapeWalker{ctx: ctx, es: es, vars: vars, fragments: map[string]*ast.FragmentDefinition{},
		shapes: map[string]*shape{}, costs: map[string]*cost{}, varSizes: map[string]int{}}
	for _, f := range doc.Fragments {
		if _, dup := w.fragments[f.Name]; !dup { // as ForName: the first wins
			w.fragments[f.Name] = f
		}
	}
	return w
}

func (w *shapeWalker) operationShape(op *ast.OperationDefinition) shape {
	s := w.shapeOf(op.SelectionSet)
	w.addDirectives(&s, op.Directives)
	s.names = sat(s.names + len(op.Name))
	for _, v := range op.VariableDefinitions {
		w.visits++
		s.size = sat(s.size + 1 + w.valueSize(&s, v.DefaultValue))
		s.names = sat(s.names + len(v.Variable) + typeNameBytes(v.Type))
		w.addDirectives(&s, v.Directives)
	}
	return s
}

func typeNameBytes(t *ast.Type) int {
	n := 0
	for ; t != nil; t = t.Elem {
		n += len(t.NamedType)
	}
	return n
}

func (w *shapeWalker) shapeOf(set ast.SelectionSet) shape {
	var s shape
	for _, sel := range set {
		w.visits++
		var c shape
		switch x := sel.(type) {
		case *ast.Field:
			c = w.shapeOf(x.SelectionSet)
			if isIntrospectionField(x) {
				measureIntrospection(&c, x)
			} else {
				c.depth++
				c.introspection.typeLists = false // said of its children, not of the set it is in
			}
			c.names = sat(c.names + len(x.Name))
			if x.Alias != "" && x.Alias != x.Name {
				c.aliases = sat(c.aliases + 1)
				c.names = sat(c.names + len(x.Alias))
			}
			w.addArguments(&c, x.Arguments)
			w.addDirectives(&c, x.Directives)
			if x.Name == "__schema" || x.Name == "__type" {
				c.introspects = x.Name
			}
		case *ast.InlineFragment:
			c = w.shapeOf(x.SelectionSet)
			c.names = sat(c.names + len(x.TypeCondition))
			w.addDirectives(&c, x.Directives)
		case *ast.FragmentSpread:
			c = w.fragmentShape(x.Name)
			c.names = sat(c.names + len(x.Name))
			w.addDirectives(&c, x.Directives)
		}
		c.size = sat(c.size + 1)
		s.add(c)
	}
	return s
}

// isIntrospectionField reports whether f is a field of an introspection
// type (__Schema, __Type…), known once the query is validated. __schema and
// __type themselves are fields of Query.
func isIntrospectionField(f *ast.Field) bool {
	return f.ObjectDefinition != nil && strings.HasPrefix(f.ObjectDefinition.Name, "__")
}

// measureIntrospection turns c, the shape of f's selections, into the
// shape of f, a field of an introspection type: no depth of its own, but
// its place in the introspection's fixed shape (introspectionShape).
func measureIntrospection(c *shape, f *ast.Field) {
	in := &c.introspection
	if typeReferences[f.Name] && in.typeLists && in.reenters == "" {
		in.reenters = f.Name
	}
	if f.Name == "ofType" {
		in.ofTypes = sat(in.ofTypes + 1)
	}
	// Whether f's parent selects a type's lists is f's own business, not
	// its children's.
	in.typeLists = f.ObjectDefinition.Name == "__Type" && typeListFields[f.Name]
}

func (w *shapeWalker) fragmentShape(name string) shape {
	if s, seen := w.shapes[name]; seen {
		if s == nil {
			w.cycle = name
			return shape{}
		}
		return *s
	}
	f := w.fragments[name]
	if f == nil {
		return shape{} // validation answers the unknown fragment
	}
	w.shapes[name] = nil
	s := w.shapeOf(f.SelectionSet)
	w.addDirectives(&s, f.Directives)
	w.shapes[name] = &s
	return s
}

func (w *shapeWalker) addArguments(s *shape, args ast.ArgumentList) {
	for _, a := range args {
		s.names = sat(s.names + len(a.Name))
		s.size = sat(s.size + w.valueSize(s, a.Value))
	}
}

func (w *shapeWalker) addDirectives(s *shape, dirs ast.DirectiveList) {
	for _, d := range dirs {
		s.directives = sat(s.directives + 1)
		s.names = sat(s.names + len(d.Name))
		s.size = sat(s.size + 1)
		w.addArguments(s, d.Arguments)
	}
}

// valueSize counts the nodes of an argument value, and adds the bytes of
// its names to s.
func (w *shapeWalker) valueSize(s *shape, v *ast.Value) int {
	if v == nil {
		return 0
	}
	w.visits++
	switch v.Kind {
	case ast.Variable:
		s.names = sat(s.names + len(v.Raw))
		if n, ok := w.varSizes[v.Raw]; ok {
			return n
		}
		n := 1
		if val, ok := w.vars[v.Raw]; ok {
			n = w.jsonSize(val)
		} else if v.VariableDefinition != nil && v.VariableDefinition.DefaultValue != nil {
			n = w.valueSize(&shape{}, v.VariableDefinition.DefaultValue)
		}
		w.varSizes[v.Raw] = n
		return n
	case ast.EnumValue:
		s.names = sat(s.names + len(v.Raw))
	case ast.StringValue, ast.BlockValue:
		// Every use of a string is walked, coerced and may be quoted into an
		// error: a 1 MB string in a fragment spread by ten operations was
		// eleven megabytes of work and of answer. It counts a node per KB.
		return 1 + len(v.Raw)/stringBytesPerNode
	case ast.ListValue, ast.ObjectValue:
		n := 1
		for _, c := range v.Children {
			s.names = sat(s.names + len(c.Name))
			n = sat(n + w.valueSize(s, c.Value))
		}
		return n
	}
	return 1
}

func (w *shapeWalker) jsonSize(v any) int {
	w.visits++
	n := 1
	switch x := v.(type) {
	case []any:
		for _, c := range x {
			n = sat(n + w.jsonSize(c))
		}
	case map[string]any:
		for _, c := range x {
			n = sat(n + w.jsonSize(c))
		}
	}
	return n
}

// merges counts the pairs of fields that merge into one response field in
// sets, fragments expanded: validation compares each such pair (and builds
// an error for each that conflicts). It walks the expansion, so it may only
// run on a document whose size is bounded and that has no fragment cycle.
func (w *shapeWalker) merges(sets []ast.SelectionSet) int {
	var names []string // in order of appearance, so that the walk is deterministic
	children := map[string][]ast.SelectionSet{}
	var collect func(set ast.SelectionSet)
	collect = func(set ast.SelectionSet) {
		for _, sel := range set {
			w.visits++
			switch x := sel.(type) {
			case *ast.Field:
				key := cmp.Or(x.Alias, x.Name)
				if _, seen := children[key]; !seen {
					names = append(names, key)
				}
				children[key] = append(children[key], x.SelectionSet)
			case *ast.InlineFragment:
				collect(x.SelectionSet)
			case *ast.FragmentSpread:
				if f := w.fragments[x.Name]; f != nil {
					collect(f.SelectionSet)
				}
			}
		}
	}
	for _, set := range sets {
		collect(set)
	}
	pairs := 0
	for _, name := range names {
		k := len(children[name])
		pairs = sat(pairs + k*(k-1)/2 + w.merges(children[name]))
	}
	return pairs
}

// costOf prices a selection set as gqlgen's complexity does (each field 1
// plus its children, or what complexityRoot says), except that a connection
// multiplies only its edges by the page size.
func (w *shapeWalker) costOf(set ast.SelectionSet) cost {
	var c cost
	for _, sel := range set {
		w.visits++
		var f cost
		switch x := sel.(type) {
		case *ast.Field:
			if isTotalCount(x) {
				f.counts = countCost
				break
			}
			f = w.fieldCost(x)
			if x.Name == "edges" {
				f.items = f.total
			}
		case *ast.InlineFragment:
			f = w.costOf(x.SelectionSet)
		case *ast.FragmentSpread:
			f = w.fragmentCost(x.Name)
		}
		c.total = sat(c.total + f.total)
		c.items = sat(c.items + f.items)
		c.counts = sat(c.counts + f.counts)
	}
	return c
}

// isTotalCount reports whether f is the totalCount of a connection.
func isTotalCount(f *ast.Field) bool {
	return f.Name == "totalCount" && f.ObjectDefinition != nil && strings.HasSuffix(f.ObjectDefinition.Name, "Connection")
}

func (w *shapeWalker) fragmentCost(name string) cost {
	if c, seen := w.costs[name]; seen {
		if c == nil {
			return cost{}
		}
		return *c
	}
	f := w.fragments[name]
	if f == nil {
		return cost{}
	}
	w.costs[name] = nil
	c := w.costOf(f.SelectionSet)
	w.costs[name] = &c
	return c
}

// fieldCost prices a field: total as gqlgen's complexity would (without
// counts), and the counts within it.
func (w *shapeWalker) fieldCost(f *ast.Field) cost {
	children := w.costOf(f.SelectionSet)
	if f.Definition == nil || f.ObjectDefinition == nil || w.es == nil { // not validated: only a guard
		return cost{total: sat(1 + children.total), counts: children.counts}
	}
	typ := f.Definition.Type.Name()
	if typ == "__Schema" || (typ == "__Type" && f.Name == "__type") {
		// Introspection has its own fixed shape: one costs a fixed price,
		// however much of it is asked.
		return cost{total: introspectionCost}
	}
	perItem, once := children.total, 0
	if strings.HasSuffix(typ, "Connection") {
		perItem, once = children.items, children.total-children.items
	}
	args := f.ArgumentMap(w.vars)
	price := func(def *ast.Definition) int {
		if c, ok := w.es.Complexity(w.ctx, def.Name, f.Name, perItem, args); ok && c >= 1 {
			return sat(c)
		}
		return sat(1 + perItem)
	}
	var c int
	if f.ObjectDefinition.Kind == ast.Interface {
		// An interface's field costs what its dearest implementation does.
		for _, t := range w.es.Schema().GetPossibleTypes(f.ObjectDefinition) {
			c = max(c, price(t))
		}
	} else {
		c = price(f.ObjectDefinition)
	}
	return cost{total: sat(c + once), counts: children.counts}
}

// ceiling caps every count, so that no figure overflows however far a query
// expands; anything near it is far over every limit.
const ceiling = 1 << 50

func sat(n int) int { return min(max(n, 0), ceiling) }
