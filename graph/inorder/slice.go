// Package inorder marshals GraphQL lists on the calling goroutine.
//
// gqlgen's generated code marshals every element of a list in a goroutine of
// its own (graphql.MarshalSliceConcurrently), which pays off when each
// element waits on I/O. agentdesk resolves related rows for a whole list in
// one batch resolver call, so nothing an element does waits on another: the
// goroutines only cost their start, their stack growth and the scheduler —
// about a third of the CPU of an Agents page under load (docs/PERFORMANCE.md).
// internal/gqlgen rewrites the generated calls to MarshalSlice.
package inorder

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
)

// MarshalSlice has graphql.MarshalSliceConcurrently's signature and result —
// each element marshalled under its own field context (so error paths carry
// the index), a panic in one element reported as an error and that element
// null — but marshals the elements one after the other. workerLimit is
// accepted for the signature and has nothing to limit.
func MarshalSlice(
	ctx context.Context,
	length int,
	workerLimit int64,
	omitPanicHandler bool,
	marshalElement func(ctx context.Context, i int) graphql.Marshaler,
) graphql.Array {
	_ = workerLimit
	ret := make(graphql.Array, length)
	for i := range length {
		childCtx := graphql.WithFieldContext(ctx, &graphql.FieldContext{Index: &i})
		if omitPanicHandler {
			ret[i] = marshalElement(childCtx, i)
			continue
		}
		ret[i] = marshalRecovering(childCtx, i, marshalElement)
	}
	return ret
}

func marshalRecovering(ctx context.Context, i int, marshalElement func(ctx context.Context, i int) graphql.Marshaler) (ret graphql.Marshaler) {
	defer func() {
		if r := recover(); r != nil {
			graphql.AddError(ctx, graphql.Recover(ctx, r))
			ret = graphql.Null
		}
	}()
	return marshalElement(ctx, i)
}
