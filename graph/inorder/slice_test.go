package inorder_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"agentdesk/graph/inorder"
)

func TestMarshalSliceKeepsOrderIndexAndRecovers(t *testing.T) {
	ctx := graphql.WithResponseContext(context.Background(), graphql.DefaultErrorPresenter, graphql.DefaultRecover)
	ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Field: graphql.CollectedField{Field: nil}})

	var indices []int
	got := inorder.MarshalSlice(ctx, 3, 0, false, func(ctx context.Context, i int) graphql.Marshaler {
		indices = append(indices, *graphql.GetFieldContext(ctx).Index)
		if i == 1 {
			panic("element 1 breaks")
		}
		return graphql.MarshalInt(i * 10)
	})

	var out bytes.Buffer
	got.MarshalGQL(&out)
	if out.String() != "[0,null,20]" {
		t.Errorf("marshalled %s, want [0,null,20]", out.String())
	}
	if len(indices) != 3 || indices[0] != 0 || indices[1] != 1 || indices[2] != 2 {
		t.Errorf("element field contexts carried indices %v, want [0 1 2]", indices)
	}
	errs := graphql.GetErrors(ctx)
	if len(errs) != 1 {
		t.Fatalf("got %d errors, want 1 for the panicking element: %v", len(errs), errs)
	}
	if path := errs[0].Path; len(path) == 0 || path[len(path)-1] != ast.PathIndex(1) {
		t.Errorf("error path %v does not end at index 1", path)
	}
}

func TestMarshalSliceOfNothing(t *testing.T) {
	got := inorder.MarshalSlice(context.Background(), 0, 0, true, func(context.Context, int) graphql.Marshaler {
		t.Fatal("no element to marshal")
		return nil
	})
	if len(got) != 0 {
		t.Errorf("got %d elements, want 0", len(got))
	}
}
