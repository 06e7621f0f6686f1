package graph_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"agentdesk/graph"
)

// introspectedType is a __Type as graphql-js's introspection query asks for
// it: enough to rebuild the schema (buildClientSchema).
type introspectedType struct {
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Fields []struct {
		Name string       `json:"name"`
		Args []typedValue `json:"args"`
		Type *typeRef     `json:"type"`
	} `json:"fields"`
	InputFields   []typedValue `json:"inputFields"`
	Interfaces    []*typeRef   `json:"interfaces"`
	PossibleTypes []*typeRef   `json:"possibleTypes"`
	EnumValues    []struct {
		Name string `json:"name"`
	} `json:"enumValues"`
}

type typedValue struct {
	Name string   `json:"name"`
	Type *typeRef `json:"type"`
}

type typeRef struct {
	Kind   string   `json:"kind"`
	Name   *string  `json:"name"`
	OfType *typeRef `json:"ofType"`
}

// named follows a reference to its named type; "" when the answer stops
// short of it (a client could not rebuild that type).
func (r *typeRef) named() string {
	for ; r != nil; r = r.OfType {
		if r.Name != nil {
			return *r.Name
		}
	}
	return ""
}

// clientIntrospectionQueries are the introspection queries clients send,
// exactly (graph/testdata/introspection: each file says what produced it).
func clientIntrospectionQueries(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("testdata/introspection/*.graphql")
	if err != nil || len(files) < 2 {
		t.Fatalf("introspection queries: %v %v", files, err)
	}
	out := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = string(b)
	}
	return out
}

// The playground (GraphiQL) and GraphQL Code Generator load the schema with
// graphql-js's introspection query, 15 levels deep: it passes the shape
// limits in development (even with a depth limit lower than its nesting),
// and the answer describes every type of schema.graphqls, field by field,
// with every type reference followed to its named type.
func TestClientIntrospectionQueries(t *testing.T) {
	src, err := os.ReadFile("../schema.graphqls")
	if err != nil {
		t.Fatal(err)
	}
	schema, gqlErr := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphqls", Input: string(src)})
	if gqlErr != nil {
		t.Fatal(gqlErr)
	}
	queries := clientIntrospectionQueries(t)
	eachDB(t, func(t *testing.T, s *testServer) {
		for _, limits := range []graph.Limits{{}, {Depth: 3}} {
			s.serve(limits)
			for name, q := range queries {
				res := s.post("", mustJSON(t, map[string]any{"query": q, "operationName": "IntrospectionQuery"}))
				if len(res.Errors) > 0 {
					t.Fatalf("%s (depth limit %d): %.500s", name, limits.Depth, res.raw)
				}
				var data struct {
					Schema struct {
						QueryType struct{ Name string } `json:"queryType"`
						Types     []introspectedType    `json:"types"`
					} `json:"__schema"`
				}
				if err := json.Unmarshal(res.Data, &data); err != nil {
					t.Fatal(err)
				}
				if data.Schema.QueryType.Name != "Query" {
					t.Fatalf("%s: queryType %q", name, data.Schema.QueryType.Name)
				}
				checkIntrospectedTypes(t, name, schema, data.Schema.Types)
			}
		}
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkIntrospectedTypes compares an introspection answer with the schema
// it came from.
func checkIntrospectedTypes(t *testing.T, query string, schema *ast.Schema, types []introspectedType) {
	t.Helper()
	got := map[string]introspectedType{}
	for _, typ := range types {
		got[typ.Name] = typ
	}
	refs := 0
	checkRef := func(where string, r *typeRef) {
		refs++
		if n := r.named(); n == "" || got[n].Name == "" {
			t.Errorf("%s: %s refers to %q, which the answer does not describe", query, where, n)
		}
	}
	for name, def := range schema.Types {
		if strings.HasPrefix(name, "__") {
			continue
		}
		typ, ok := got[name]
		if !ok {
			t.Errorf("%s: type %s is missing from __schema.types", query, name)
			continue
		}
		var fieldNames []string
		for _, f := range typ.Fields {
			fieldNames = append(fieldNames, f.Name)
			checkRef(name+"."+f.Name, f.Type)
			for _, a := range f.Args {
				checkRef(name+"."+f.Name+"("+a.Name+")", a.Type)
			}
		}
		for _, f := range typ.InputFields {
			fieldNames = append(fieldNames, f.Name)
			checkRef(name+"."+f.Name, f.Type)
		}
		for _, v := range typ.EnumValues {
			fieldNames = append(fieldNames, v.Name)
		}
		for _, r := range append(typ.Interfaces, typ.PossibleTypes...) {
			checkRef(name+" (interfaces, possible types)", r)
		}
		var want []string
		for _, f := range def.Fields {
			if !strings.HasPrefix(f.Name, "__") {
				want = append(want, f.Name)
			}
		}
		for _, v := range def.EnumValues {
			want = append(want, v.Name)
		}
		slices.Sort(fieldNames)
		slices.Sort(want)
		if !slices.Equal(fieldNames, want) {
			t.Errorf("%s: %s has fields %v, want %v", query, name, fieldNames, want)
		}
	}
	if refs < 100 {
		t.Errorf("%s: only %d type references checked", query, refs)
	}
}

// What the introspection exemption lets through is bounded by the schema:
// walking it again from a type reference (every level multiplies by the
// number of fields) and a deep ofType chain are refused, by name, before
// any resolver runs; a single __type and GraphiQL-style fragments pass.
func TestIntrospectionShapeIsBounded(t *testing.T) {
	eachDB(t, func(t *testing.T, s *testServer) {
		refused := map[string]string{
			`{__type(name:"Query"){fields{type{fields{name}}}}}`:                                                               "introspection",
			`{__schema{types{fields{type{ofType{fields{name}}}}}}}`:                                                            "introspection",
			`{__schema{types{interfaces{possibleTypes{name}}}}}`:                                                               "introspection",
			`{__schema{types{fields{type{...T}}}}} fragment T on __Type{enumValues{name}}`:                                     "introspection",
			`{__schema{types{fields{type{... on __Type{inputFields{name}}}}}}}`:                                                "introspection",
			`{__type(name:"Agent"){fields{type{` + strings.Repeat("ofType{", 900) + "name" + strings.Repeat("}", 900) + "}}}}": "depth",
			"{" + repeatAliases(`__schema{types{name}}`, 6) + "}":                                                              "complexity", // 1,000 each
		}
		for q, limit := range refused {
			res := s.query("", q, nil)
			if res.code() != "BAD_USER_INPUT" || res.Errors[0].Extensions["limit"] != limit || !res.empty() {
				t.Errorf("%.120s: want limit %s, got %.300s", q, limit, res.raw)
			}
		}
		for _, q := range []string{
			`{__type(name:"Agent"){name fields{name args{name type{name kind ofType{name kind}}} type{kind ofType{kind ofType{name}}}}}}`,
			`{__schema{queryType{fields{name type{name}}}}}`,
			`{__schema{directives{name locations args{name type{name}}}}}`,
		} {
			if res := s.query("", q, nil); len(res.Errors) > 0 {
				t.Errorf("%s: %.300s", q, res.raw)
			}
		}
		// A query that is not introspection keeps the depth limit.
		res := s.query("", "{viewer{"+strings.Repeat("invitation{invitedBy{", 6)+"id"+strings.Repeat("}}", 6)+"}}", nil)
		if res.Errors == nil || res.Errors[0].Extensions["limit"] != "depth" {
			t.Errorf("14 levels of invitedBy: %.300s", res.raw)
		}
	})
}

func repeatAliases(field string, n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("a")
		b.WriteString(strings.Repeat("x", i))
		b.WriteString(":")
		b.WriteString(field)
		b.WriteString(" ")
	}
	return b.String()
}
