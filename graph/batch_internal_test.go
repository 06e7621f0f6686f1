package graph

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vikstrous/dataloadgen"

	"agentdesk/apperr"
	"agentdesk/models"
)

// batchField runs a batch resolver's answer through gqlgen's own per-parent
// resolution, as the generated executor does for a list of parents at
// parentPath, and returns each parent's value and the presented errors.
func batchField[T any](parentPath, field string, results []T, err error) ([]any, []map[string]any) {
	ctx := graphql.WithResponseContext(context.Background(), presentError(slog.New(slog.NewTextHandler(io.Discard, nil))), nil)
	ctx = graphql.WithPathContext(ctx, graphql.NewPathWithField(parentPath))
	ctx = graphql.WithPathContext(ctx, graphql.NewPathWithIndex(0))
	ctx = graphql.WithPathContext(ctx, graphql.NewPathWithField(field))
	result := &graphql.BatchFieldResult{Results: results, Err: err}
	values := make([]any, len(results))
	for i := range results {
		values[i], _ = graphql.ResolveBatchGroupResult[T](ctx, ast.PathIndex(i), len(results), result, field, nil)
	}
	var errs []map[string]any
	for _, e := range graphql.GetErrors(ctx) {
		errs = append(errs, map[string]any{"path": e.Path.String(), "code": e.Extensions["code"], "message": e.Message})
	}
	return values, errs
}

// References of a page are primed, but one the page did not know is loaded
// by itself; when that load fails, only its object answers the error and
// its siblings keep their data (they used to fail with it, one error each).
func TestFailingReferenceFailsOnlyItsObject(t *testing.T) {
	ctx := context.Background()
	primed := &models.Agent{ID: 1, Name: "Ann"}
	l := dataloadgen.NewMappedLoader(func(ctx context.Context, ids []int64) (map[int64]*models.Agent, error) {
		return nil, apperr.New(apperr.Forbidden, "Not yours.")
	})
	l.Prime(1, primed)
	l.Prime(3, nil) // a vanished reference: nil, not an error
	one, two, three := int64(1), int64(2), int64(3)

	got, err := loadRefs(ctx, l, []*int64{&one, nil, &two, &three})
	var items graphql.BatchErrorList
	if !errors.As(err, &items) || len(items) != 4 || items[0] != nil || items[1] != nil || items[2] == nil || items[3] != nil {
		t.Fatalf("loadRefs error = %#v, want one error, for the third object", err)
	}
	if len(got) != 4 || got[0] != primed || got[1] != nil || got[3] != nil {
		t.Fatalf("loadRefs = %v", got)
	}

	values, errs := batchField("conversations", "assignee", got, err)
	if values[0] != primed || values[1] != (*models.Agent)(nil) || values[2] != nil || values[3] != (*models.Agent)(nil) {
		t.Fatalf("values = %v", values)
	}
	want := []map[string]any{{"path": "conversations[2].assignee", "code": "FORBIDDEN", "message": "Not yours."}}
	if !reflect.DeepEqual(errs, want) {
		t.Fatalf("errors = %v, want %v", errs, want)
	}
}

// A nested page already loaded for one parent is kept when the load of its
// sibling's page fails: the error goes to the sibling alone.
func TestFailingNestedPageFailsOnlyItsParent(t *testing.T) {
	a, b := &models.Agent{ID: 1}, &models.Agent{ID: 2}
	var pages nestedPages[models.Agent, string]
	id := func(a *models.Agent) int64 { return a.ID }
	loaded, err := pages.resolve([]*models.Agent{a}, id, 5, "", func(ps []*models.Agent) (map[int64]string, error) {
		return map[int64]string{1: "page of 1"}, nil
	})
	if err != nil || loaded[0] != "page of 1" {
		t.Fatalf("first load: %v, %v", loaded, err)
	}
	var asked []*models.Agent
	got, err := pages.resolve([]*models.Agent{a, b}, id, 5, "", func(ps []*models.Agent) (map[int64]string, error) {
		asked = ps
		return nil, apperr.New(apperr.NotFound, "Gone.")
	})
	if len(asked) != 1 || asked[0] != b {
		t.Fatalf("loaded %v again, want only the missing parent", asked)
	}
	values, errs := batchField("agents", "assignedConversations", got, err)
	if values[0] != "page of 1" || values[1] != nil {
		t.Fatalf("values = %v", values)
	}
	want := []map[string]any{{"path": "agents[1].assignedConversations", "code": "NOT_FOUND", "message": "Gone."}}
	if !reflect.DeepEqual(errs, want) {
		t.Fatalf("errors = %v, want %v", errs, want)
	}

	// A parent listed with others loads their pages with its own.
	c, d := &models.Agent{ID: 3}, &models.Agent{ID: 4}
	pages.addLevel([]*models.Agent{c, d})
	calls := 0
	for _, p := range []*models.Agent{c, d} {
		got, err := pages.resolve([]*models.Agent{p}, id, 5, "", func(ps []*models.Agent) (map[int64]string, error) {
			calls++
			return map[int64]string{3: "page of 3", 4: "page of 4"}, nil
		})
		if err != nil || got[0] != map[int64]string{3: "page of 3", 4: "page of 4"}[p.ID] {
			t.Fatalf("level: %v, %v", got, err)
		}
	}
	if calls != 1 {
		t.Fatalf("a level of two loaded in %d calls, want 1", calls)
	}
}
