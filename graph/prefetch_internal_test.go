package graph

import (
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

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
func walkSchema(schema *ast.Schema, p selectionPath) string {
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
