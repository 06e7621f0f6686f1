package graph

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	gqlast "github.com/vektah/gqlparser/v2/ast"

	"agentdesk/graph/generated"
)

// TestSelectionPathsExistInTheSchema: every path the prefetches look for
// names fields that exist, each on the type the one before it returns, so a
// typo or a renamed field fails here rather than silently turning a
// prefetch off (the statement counts would then grow with the page).
func TestSelectionPathsExistInTheSchema(t *testing.T) {
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	if len(selectionPaths) == 0 {
		t.Fatal("no selection paths declared")
	}
	for _, p := range selectionPaths {
		if err := walkSchema(schema, p); err != "" {
			t.Errorf("%s.%s: %s", p.On, strings.Join(p.Fields, "."), err)
		}
	}
}

// TestWalkSchemaRefusesWhatDoesNotExist: the walk the test above relies on
// refuses a misspelt field, a field of the wrong type and an unknown type.
func TestWalkSchemaRefusesWhatDoesNotExist(t *testing.T) {
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	for _, p := range []selectionPath{
		path("AgentConnection", "edges", "node", "invitation", "invitedby"),
		path("AgentConnection", "edges", "roles"),
		path("AgentConnection", "node"),
		path("Agents", "roles"),
		path("Agent", "name", "first"),
		path("Agent"),
	} {
		if walkSchema(schema, p) == "" {
			t.Errorf("%s.%s was accepted", p.On, strings.Join(p.Fields, "."))
		}
	}
}

// walkSchema follows p's fields from its type and says what is missing ("" if nothing).
func walkSchema(schema *gqlast.Schema, p selectionPath) string {
	typ := schema.Types[p.On]
	if typ == nil {
		return "no type " + p.On
	}
	if len(p.Fields) == 0 {
		return "no fields"
	}
	for _, name := range p.Fields {
		f := typ.Fields.ForName(name)
		if f == nil {
			return "type " + typ.Name + " has no field " + name
		}
		typ = schema.Types[f.Type.Name()]
	}
	return ""
}

// TestEverySelectionPathIsChecked: every path(…) written in graph's source
// is one of selectionPaths, so a path added beside the others but left out
// of that list does not escape TestSelectionPathsExistInTheSchema.
func TestEverySelectionPathIsChecked(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	declared := map[string]bool{}
	for _, p := range selectionPaths {
		declared[p.On+"."+strings.Join(p.Fields, ".")] = true
	}
	found := 0
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if fn, ok := call.Fun.(*ast.Ident); !ok || fn.Name != "path" {
				return true
			}
			var names []string
			for _, arg := range call.Args {
				lit, ok := arg.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					t.Errorf("%s: path(…) with an argument that is not a string literal", fset.Position(call.Pos()))
					return true
				}
				s, _ := strconv.Unquote(lit.Value)
				names = append(names, s)
			}
			found++
			if key := strings.Join(names, "."); !declared[key] {
				t.Errorf("%s: path %s is not in selectionPaths", fset.Position(call.Pos()), key)
			}
			return true
		})
	}
	if found < len(selectionPaths) {
		t.Errorf("found %d path(…) calls in graph's source, fewer than the %d selectionPaths", found, len(selectionPaths))
	}
}
