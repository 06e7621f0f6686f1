package graph

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vikstrous/dataloadgen"

	"agentdesk/apperr"
	"agentdesk/auth"
	"agentdesk/graph/model"
	"agentdesk/live"
	"agentdesk/models"
)

// MaxSubscriptionsPerSocket bounds the subscriptions one socket runs.
const MaxSubscriptionsPerSocket = 20

// socketConn is what subscriptions need of the WebSocket they run on.
type socketConn struct {
	resolver *Resolver
	log      *slog.Logger
	// endSession closes the socket: its session ended.
	endSession func()
	// operations counts the running subscriptions.
	operations atomic.Int32
	// loaders are replaced before each event, so nothing read for one event
	// is served to the next (permissions may have changed in between).
	loaders atomic.Pointer[Loaders]
}

type connectionKey struct{}

// socketsRunSubscriptionsOnly refuses queries and mutations sent over a
// WebSocket. Sockets are not requests: the request timeout and the
// in-flight and per-client bounds of the HTTP layer do not apply to them,
// so a query over a socket would escape them (one socket could run
// thousands at once). Clients send those over HTTP (Apollo's split link).
type socketsRunSubscriptionsOnly struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = socketsRunSubscriptionsOnly{}

func (socketsRunSubscriptionsOnly) ExtensionName() string { return "SocketsRunSubscriptionsOnly" }

func (socketsRunSubscriptionsOnly) Validate(graphql.ExecutableSchema) error { return nil }

func (socketsRunSubscriptionsOnly) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if ctx.Value(connectionKey{}) == nil || oc.Operation == nil || oc.Operation.Operation == ast.Subscription {
		return nil
	}
	return subscriptionError(apperr.BadUserInput,
		"A WebSocket runs subscriptions only; send queries and mutations over HTTP (POST /query).")
}

// statePerSubscription gives each subscription on a socket its own
// authentication state (auth.Fork) and loaders. A subscription refreshes
// the viewer and replaces the loaders for each event it delivers; were
// they the socket's, a subscription still delivering an older event could
// hand its viewer (permissions from before a demotion) or its loaders to
// another subscription's newer event on the same socket.
type statePerSubscription struct{ resolver *Resolver }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
} = statePerSubscription{}

func (statePerSubscription) ExtensionName() string { return "StatePerSubscription" }

func (statePerSubscription) Validate(graphql.ExecutableSchema) error { return nil }

func (e statePerSubscription) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if ctx.Value(connectionKey{}) != nil {
		if oc := graphql.GetOperationContext(ctx); oc.Operation != nil && oc.Operation.Operation == ast.Subscription {
			loaders := &atomic.Pointer[Loaders]{}
			loaders.Store(NewLoaders(e.resolver))
			ctx = context.WithValue(auth.Fork(ctx), loadersKey{}, loaders)
		}
	}
	return next(ctx)
}

// WithConnection prepares the context of a WebSocket, signed in by its
// connection_init, for subscriptions; the transport (package httpapi) calls
// it. endSession closes the socket when a subscription finds that its
// session ended.
func (s *Server) WithConnection(ctx context.Context, log *slog.Logger, endSession func()) context.Context {
	c := &socketConn{resolver: s.resolver, log: log, endSession: endSession}
	c.loaders.Store(NewLoaders(s.resolver))
	ctx = context.WithValue(ctx, loadersKey{}, &c.loaders)
	return context.WithValue(ctx, connectionKey{}, c)
}

// liveFeed runs one subscription: for each event of the subscriber's
// workspace that pick accepts, it looks the subscriber up again (a session
// that ended closes the socket; permissions are those of that moment), asks
// read for what the subscriber may see of the changed row (ok false: nothing,
// the event is not sent), and sends that with fresh loaders (primed by
// read's prime, if any, with rows read once for all subscribers).
func liveFeed[T any](ctx context.Context, broker *live.Broker, pick func(live.Event) bool,
	read func(ctx context.Context, v *auth.Viewer, ev live.Event) (T, func(*Loaders), bool, error)) (<-chan T, error) {
	s, _ := ctx.Value(connectionKey{}).(*socketConn)
	if s == nil {
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
	// The subscription's own (statePerSubscription), else the socket's.
	loaders, _ := ctx.Value(loadersKey{}).(*atomic.Pointer[Loaders])
	if loaders == nil {
		loaders = &s.loaders
	}
	out := make(chan T)
	var finishOnce sync.Once
	var sub *live.Subscription
	// finish ends the subscription once: with an error (sent, then the
	// channel closes and gqlgen completes the operation), or without, when
	// the operation's context ended (gqlgen stops reading by itself).
	finish := func(failure *gqlerror.Error) {
		finishOnce.Do(func() {
			sub.Close()
			s.operations.Add(-1)
			if failure != nil {
				transport.AddSubscriptionError(ctx, failure)
				close(out)
			}
		})
	}
	// deliver works through the waiting events; true when the
	// subscription has ended.
	deliver := func() bool {
		if sub.Overflowed() {
			// Fell too far behind: the client subscribes again and
			// re-reads what it shows.
			finish(subscriptionError(apperr.RateLimited, "Too many changes at once; subscribe again."))
			return true
		}
		for _, ev := range sub.Take() {
			if !pick(ev) {
				continue
			}
			v, err := refreshViewer(ctx, ev)
			if e, ok := apperr.As(err); ok && e.Code == apperr.Unauthenticated {
				s.endSession()
				return true
			}
			if err != nil {
				if ctx.Err() == nil {
					s.log.Error("subscription: session lookup failed", "err", err)
				}
				continue
			}
			item, prime, ok, err := read(ctx, v, ev)
			if e, isApp := apperr.As(err); isApp && e.Code == apperr.Forbidden {
				// The subscriber lost the permission the subscription
				// needs: it ends, and says why.
				finish(subscriptionError(e.Code, e.Message))
				return true
			}
			if err != nil {
				if ctx.Err() == nil {
					s.log.Error("subscription: reading a changed row failed", "err", err)
				}
				continue
			}
			if !ok {
				continue
			}
			fresh := NewLoaders(s.resolver)
			if prime != nil {
				prime(fresh)
			}
			loaders.Store(fresh)
			select {
			case out <- item:
			case <-ctx.Done():
				return true
			}
		}
		return false
	}
	// An idle subscription holds no goroutine of its own: a worker starts
	// when events arrive and stops when they are handled, one at a time so
	// they go out in order. state: 0 no worker, 1 a worker runs, 2 a worker
	// runs and more events came meanwhile.
	var state atomic.Int32
	subscribed := make(chan struct{}) // sub is set: an event may wake us before
	wake := func() {
		if state.Add(1) != 1 {
			state.Store(2)
			return
		}
		go func() {
			<-subscribed
			for {
				if ctx.Err() != nil || deliver() {
					return // state stays set: no worker starts again
				}
				if state.CompareAndSwap(1, 0) {
					return
				}
				state.Store(1)
			}
		}()
	}
	sub = broker.SubscribeWake(v.WorkspaceID, wake)
	close(subscribed)
	context.AfterFunc(ctx, func() { finish(nil) })
	return out, nil
}

// viewerLoaderKey names, in an event's shared memo, the loader that looks
// up the sessions of the subscriptions hearing the event.
type viewerLoaderKey struct{}

const (
	// viewerBatchWait is how long the first lookup of an event waits for
	// the other subscriptions' lookups to join its statement: the broker
	// wakes them all at once, so a few milliseconds gather nearly all.
	viewerBatchWait = 2 * time.Millisecond
	// viewerBatchSize starts a lookup without waiting longer once this many
	// tokens have joined.
	viewerBatchSize = 500
)

// refreshViewer looks the subscriber up again for ev: in one batched
// lookup shared by every subscription that hears ev (sessions.ResolveViewers:
// two statements for a thousand sockets), each session once however many
// of its subscriptions (tabs) hear it.
func refreshViewer(ctx context.Context, ev live.Event) (*auth.Viewer, error) {
	return auth.RefreshWith(ctx, func(resolver auth.ViewerResolver, token string) (*auth.Viewer, error) {
		l, _ := ev.Shared().Do(viewerLoaderKey{}, func() (any, error) { return newViewerLoader(resolver), nil })
		// Not cancelled with this subscription: others wait for the same lookup.
		return l.(*dataloadgen.Loader[string, *auth.Viewer]).Load(context.WithoutCancel(ctx), token)
	})
}

// newViewerLoader batches session lookups: with a resolver that resolves
// many tokens at once, one call per batch; else one lookup per token.
func newViewerLoader(resolver auth.ViewerResolver) *dataloadgen.Loader[string, *auth.Viewer] {
	fetch := func(ctx context.Context, tokens []string) ([]*auth.Viewer, []error) {
		if many, ok := resolver.(auth.ViewersResolver); ok {
			return many.ResolveViewers(ctx, tokens)
		}
		viewers, errs := make([]*auth.Viewer, len(tokens)), make([]error, len(tokens))
		for i, token := range tokens {
			viewers[i], errs[i] = resolver.ResolveViewer(ctx, token)
		}
		return viewers, errs
	}
	return dataloadgen.NewLoader(fetch, dataloadgen.WithWait(viewerBatchWait), dataloadgen.WithBatchCapacity(viewerBatchSize))
}

// changedAgent is what agentChanged subscribers share of one event.
type changedAgent struct {
	agent *models.Agent
	roles []models.Role
}

type changedAgentKey struct{ id int64 }

type changedConversationKey struct{ id int64 }

func subscriptionError(code apperr.Code, message string) *gqlerror.Error {
	return &gqlerror.Error{Message: message, Extensions: map[string]any{"code": string(code)}}
}

// agentChanges serves agentChanged: each changed agent of the workspace,
// as Agent reads it, while the subscriber holds AGENTS_READ.
func (r *Resolver) agentChanges(ctx context.Context) (<-chan *model.AgentChangedEvent, error) {
	return liveFeed(ctx, r.Live, func(ev live.Event) bool { return ev.Kind == live.AgentChanged },
		func(ctx context.Context, v *auth.Viewer, ev live.Event) (*model.AgentChangedEvent, func(*Loaders), bool, error) {
			if !v.Can(models.PermAgentsRead) {
				return nil, nil, false, apperr.New(apperr.Forbidden, "You need the %s permission to do this.", models.PermAgentsRead)
			}
			if err := r.Team.CheckAgentRead(v, ev.ID); err != nil {
				return nil, nil, false, nil // not the viewer's to see (AGENTS_READ was checked above)
			}
			shared, err := ev.Shared().Do(changedAgentKey{ev.ID}, func() (any, error) {
				bg := context.WithoutCancel(ctx)
				a, err := r.Team.ChangedAgent(bg, ev.WorkspaceID, ev.ID)
				if err != nil {
					return nil, err
				}
				// Shared by every subscriber: all hold AGENTS_READ (checked
				// above), so each sees the roles v sees.
				roles, err := r.Team.RolesByAgent(bg, v, []int64{a.ID})
				return &changedAgent{agent: a, roles: roles[a.ID]}, err
			})
			if e, ok := apperr.As(err); ok && e.Code == apperr.NotFound {
				return nil, nil, false, nil
			}
			if err != nil {
				return nil, nil, false, err
			}
			c := shared.(*changedAgent)
			prime := func(l *Loaders) { l.RolesByAgent.Prime(c.agent.ID, c.roles) }
			return &model.AgentChangedEvent{Change: model.AgentChange(ev.Change), Agent: c.agent}, prime, true, nil
		})
}

// conversationChanges serves conversationChanged(filter): each changed
// conversation the subscriber may see (BEHAVIOUR.md §5) and the filter
// matches, as the conversation list would show it; the row is read once
// per event for all subscribers, and matched per subscriber in the rules.
func (r *Resolver) conversationChanges(ctx context.Context, filter *model.ConversationFilter) (<-chan *model.ConversationChangedEvent, error) {
	f, err := conversationFilter(filter)
	if err != nil {
		return nil, err
	}
	return liveFeed(ctx, r.Live, func(ev live.Event) bool { return ev.Kind == live.ConversationChanged },
		func(ctx context.Context, v *auth.Viewer, ev live.Event) (*model.ConversationChangedEvent, func(*Loaders), bool, error) {
			shared, err := ev.Shared().Do(changedConversationKey{ev.ID}, func() (any, error) {
				return r.ConversationRules.ChangedConversation(context.WithoutCancel(ctx), ev.WorkspaceID, ev.ID)
			})
			if e, ok := apperr.As(err); ok && e.Code == apperr.NotFound {
				return nil, nil, false, nil
			}
			if err != nil {
				return nil, nil, false, err
			}
			c, ok := r.ConversationRules.ConversationMatching(v, f, shared.(*models.ChangedConversation))
			if !ok {
				return nil, nil, false, nil
			}
			return &model.ConversationChangedEvent{Change: model.ConversationChange(ev.Change), Conversation: c}, nil, true, nil
		})
}
