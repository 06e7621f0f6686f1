package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"agentdesk/auth"
	"agentdesk/graph/generated"
	"agentdesk/models"
)

// directives implements the schema's auth directives, once, for every field
// that carries them. They check what the field's signature shows (signed in,
// permissions); the rules re-check what they cannot see (targets, escalation,
// owners).
func directives() generated.DirectiveRoot {
	return generated.DirectiveRoot{
		Authenticated: authenticated,
		HasPermission: hasPermission,
	}
}

// authenticated requires a live session of an ACTIVE agent.
func authenticated(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
	if _, err := auth.ViewerFrom(ctx); err != nil {
		return nil, err
	}
	return next(ctx)
}

// hasPermission requires every listed permission, as the viewer's roles
// grant them at this request.
func hasPermission(ctx context.Context, _ any, next graphql.Resolver, permissions []models.Permission) (any, error) {
	v, err := auth.ViewerFrom(ctx)
	if err != nil {
		return nil, err
	}
	if missing := v.Permissions.Missing(permissions); len(missing) > 0 {
		return nil, auth.MissingPermissions(missing)
	}
	return next(ctx)
}
