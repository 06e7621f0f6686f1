package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"agentdesk/apperr"
	"agentdesk/auth"
	"agentdesk/graph/model"
	"agentdesk/live"
	"agentdesk/models"
)

// liveFeed runs one subscription: for each event of the subscriber's
// workspace that pick accepts, it looks the subscriber up again (a session
// that ended closes the socket; permissions are those of that moment), asks
// read for what the subscriber may see of the changed row (ok false: nothing,
// the event is not sent), and sends that with fresh loaders.
func liveFeed[T any](ctx context.Context, broker *live.Broker, pick func(live.Event) bool,
	read func(ctx context.Context, v *auth.Viewer, ev live.Event) (T, bool, error)) (<-chan T, error) {
	s := socketFrom(ctx)
	if s == nil || s.cancel == nil {
		return nil, apperr.New(apperr.BadUserInput,
			"Subscriptions run over a WebSocket (graphql-transport-ws) at /query.")
	}
	if s.operations.Add(1) > MaxSubscriptionsPerSocket {
		s.operations.Add(-1)
		return nil, apperr.New(apperr.RateLimited, "A socket may run at most %d subscriptions.", MaxSubscriptionsPerSocket)
	}
	v, err := auth.ViewerFrom(ctx)
	if err != nil {
		s.operations.Add(-1)
		return nil, err
	}
	sub := broker.Subscribe(v.WorkspaceID)
	out := make(chan T)
	go func() {
		defer close(out)
		defer sub.Close()
		defer s.operations.Add(-1)
		for {
			select {
			case <-ctx.Done():
				return
			case <-sub.Done():
				// Fell too far behind: the client subscribes again and
				// re-reads what it shows.
				transport.AddSubscriptionError(ctx, subscriptionError(apperr.RateLimited,
					"Too many changes at once; subscribe again."))
				return
			case <-sub.Ready():
			}
			for _, ev := range sub.Take() {
				if !pick(ev) {
					continue
				}
				v, err := auth.Refresh(ctx)
				if e, ok := apperr.As(err); ok && e.Code == apperr.Unauthenticated {
					s.close(closeUnauthorized, "Session ended")
					return
				}
				if err != nil {
					if ctx.Err() == nil {
						s.owner.log.Error("subscription: session lookup failed", "err", err)
					}
					continue
				}
				item, ok, err := read(ctx, v, ev)
				if e, isApp := apperr.As(err); isApp && e.Code == apperr.Forbidden {
					// The subscriber lost the permission the subscription
					// needs: it ends, and says why.
					transport.AddSubscriptionError(ctx, subscriptionError(e.Code, e.Message))
					return
				}
				if err != nil {
					if ctx.Err() == nil {
						s.owner.log.Error("subscription: reading a changed row failed", "err", err)
					}
					continue
				}
				if !ok {
					continue
				}
				s.loaders.Store(NewLoaders(s.owner.svc))
				select {
				case out <- item:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}

func subscriptionError(code apperr.Code, message string) *gqlerror.Error {
	return &gqlerror.Error{Message: message, Extensions: map[string]any{"code": string(code)}}
}

// agentChanges serves agentChanged: each changed agent of the workspace,
// as Agent reads it, while the subscriber holds AGENTS_READ.
func (r *Resolver) agentChanges(ctx context.Context) (<-chan *model.AgentChangedEvent, error) {
	return liveFeed(ctx, r.Live, func(ev live.Event) bool { return ev.Kind == live.AgentChanged },
		func(ctx context.Context, v *auth.Viewer, ev live.Event) (*model.AgentChangedEvent, bool, error) {
			if !v.Can(models.PermAgentsRead) {
				return nil, false, apperr.New(apperr.Forbidden, "You need the %s permission to do this.", models.PermAgentsRead)
			}
			a, err := r.Team.Agent(ctx, v, ev.ID)
			if e, ok := apperr.As(err); ok && e.Code == apperr.NotFound {
				return nil, false, nil
			}
			if err != nil {
				return nil, false, err
			}
			return &model.AgentChangedEvent{Change: model.AgentChange(ev.Change), Agent: a}, true, nil
		})
}

// conversationChanges serves conversationChanged(filter): each changed
// conversation the subscriber may see (BEHAVIOUR.md §5) and the filter
// matches, read as the conversation list reads it.
func (r *Resolver) conversationChanges(ctx context.Context, filter *model.ConversationFilter) (<-chan *model.ConversationChangedEvent, error) {
	f, err := conversationFilter(filter)
	if err != nil {
		return nil, err
	}
	return liveFeed(ctx, r.Live, func(ev live.Event) bool { return ev.Kind == live.ConversationChanged },
		func(ctx context.Context, v *auth.Viewer, ev live.Event) (*model.ConversationChangedEvent, bool, error) {
			c, err := r.Team.ConversationMatching(ctx, v, f, ev.ID)
			if e, ok := apperr.As(err); ok && e.Code == apperr.NotFound {
				return nil, false, nil
			}
			if err != nil {
				return nil, false, err
			}
			return &model.ConversationChangedEvent{Change: model.ConversationChange(ev.Change), Conversation: c}, true, nil
		})
}
