// Package live carries the changes a transaction committed to the
// subscribers of its workspace (BEHAVIOUR.md §7). It knows nothing of
// GraphQL: an event is a kind, a workspace, an id and the name of the change,
// and a subscriber re-reads what it may see of the changed row through the
// normal read rules, with its permissions as they are then.
//
// Events leave only after their transaction commits, never after a rollback:
//
//   - In process (SQLite, or any database with one server): Emit keeps the
//     events of a transaction begun with Begin, and Committed hands them to
//     the subscribers once the transaction has committed.
//   - On PostgreSQL: Emit runs NOTIFY inside the transaction, which PostgreSQL
//     delivers exactly when, and only if, the transaction commits, to every
//     server LISTENing on the database (every replica, this one included);
//     each fans them out to its own subscribers. The payload holds ids and
//     change names only.
package live

import (
	"context"
	"errors"
	"sync"
)

// Kind says what changed.
type Kind uint8

const (
	// AgentChanged: ID is the agent; Change one of the contract's AgentChange.
	AgentChanged Kind = iota + 1
	// ConversationChanged: ID is the conversation; Change one of the
	// contract's ConversationChange.
	ConversationChanged
	// SessionEnded: the session SessionID of agent ID was revoked (logout);
	// SessionID 0: every session of the agent.
	SessionEnded
	// Resync: events may have been missed (the PostgreSQL listener
	// reconnected); subscribers re-check what they hold (their session).
	Resync
)

// Event is one committed change.
type Event struct {
	Kind        Kind
	WorkspaceID int64
	ID          int64
	Change      string
	SessionID   int64
	// shared is set on delivery: one per event and process (see Shared).
	shared *Shared
}

// Change names of the contract (clients.graphqls AgentChange and
// ConversationChange), as the rules emit them.
const (
	AgentInvited               = "INVITED"
	AgentReinvited             = "REINVITED"
	AgentLinkResent            = "LINK_RESENT"
	AgentDeliveryStatusChanged = "DELIVERY_STATUS_CHANGED"
	AgentActivated             = "ACTIVATED"
	AgentRolesUpdated          = "ROLES_UPDATED"
	AgentRemoved               = "REMOVED"

	ConversationCreated       = "CREATED"
	ConversationAssigned      = "ASSIGNED"
	ConversationStatusChanged = "STATUS_CHANGED"
	ConversationCautionChange = "CAUTION_CHANGED"
	ConversationMessageAdded  = "MESSAGE_ADDED"
)

// maxWaiting is how many events a subscriber may have waiting. One that
// falls further behind (its socket does not read, or cannot keep up) is
// ended (Subscription.Overflowed) rather than growing without bound or
// slowing the publishers; its client resubscribes and re-reads. Waiting
// events are kept in a slice that exists only while there are some, so an
// idle subscriber costs a few hundred bytes.
const maxWaiting = 10_000

// Broker fans committed events out to the subscribers of each workspace. A
// nil *Broker drops everything (tests and tools that need no live updates).
type Broker struct {
	mu   sync.RWMutex
	subs map[int64]map[*Subscription]struct{}
	// notify is set on PostgreSQL (NewPostgres): events travel through
	// NOTIFY instead of the transaction's Pending.
	notify *pgNotifier
}

// NewLocal returns an in-process broker.
func NewLocal() *Broker {
	return &Broker{subs: map[int64]map[*Subscription]struct{}{}}
}

// Subscription receives the events of one workspace until Close.
type Subscription struct {
	b         *Broker
	workspace int64
	ready     chan struct{}
	done      chan struct{}
	once      sync.Once

	// notify, if set, receives each event instead of the queue
	// (SubscribeFunc).
	notify func(Event)
	// wake, if set, is called when events wait or the subscription
	// overflowed, instead of signalling Ready (SubscribeWake).
	wake func()

	mu         sync.Mutex
	waiting    []Event
	overflowed bool
}

// Ready receives a value when events wait; take them with Take.
func (s *Subscription) Ready() <-chan struct{} { return s.ready }

// Take returns the waiting events, oldest first, and forgets them.
func (s *Subscription) Take() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	events := s.waiting
	s.waiting = nil
	return events
}

// Done is closed when the subscription ends (Close, or overflow).
func (s *Subscription) Done() <-chan struct{} { return s.done }

// Overflowed reports whether the broker ended the subscription because it
// fell maxWaiting events behind.
func (s *Subscription) Overflowed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.overflowed
}

// Close ends the subscription.
func (s *Subscription) Close() {
	s.once.Do(func() {
		if s.b != nil {
			s.b.mu.Lock()
			delete(s.b.subs[s.workspace], s)
			if len(s.b.subs[s.workspace]) == 0 {
				delete(s.b.subs, s.workspace)
			}
			s.b.mu.Unlock()
		}
		close(s.done)
	})
}

// offer queues ev; false when the subscriber is maxWaiting behind.
func (s *Subscription) offer(ev Event) bool {
	if s.notify != nil {
		s.notify(ev)
		return true
	}
	s.mu.Lock()
	if s.overflowed {
		s.mu.Unlock()
		return true
	}
	if len(s.waiting) >= maxWaiting {
		s.overflowed = true
		s.waiting = nil
		s.mu.Unlock()
		if s.wake != nil {
			s.wake()
		}
		return false
	}
	s.waiting = append(s.waiting, ev)
	s.mu.Unlock()
	if s.wake != nil {
		s.wake()
		return true
	}
	select {
	case s.ready <- struct{}{}:
	default: // already signalled
	}
	return true
}

// Subscribe returns a subscription to the events of a workspace (Resync
// events reach every subscription).
func (b *Broker) Subscribe(workspaceID int64) *Subscription {
	return b.add(&Subscription{b: b, workspace: workspaceID, ready: make(chan struct{}, 1), done: make(chan struct{})})
}

// add registers a subscription, complete before any event can reach it.
func (b *Broker) add(s *Subscription) *Subscription {
	workspaceID := s.workspace
	if b == nil {
		return s
	}
	b.mu.Lock()
	set := b.subs[workspaceID]
	if set == nil {
		set = map[*Subscription]struct{}{}
		b.subs[workspaceID] = set
	}
	set[s] = struct{}{}
	b.mu.Unlock()
	return s
}

// SubscribeWake is Subscribe for a subscriber that needs no goroutine of
// its own while idle: the events wait as with Subscribe (Take), and wake is
// called, by the publisher, whenever some arrive or the subscription
// overflowed; it must return at once (start a goroutine to Take them).
func (b *Broker) SubscribeWake(workspaceID int64, wake func()) *Subscription {
	return b.add(&Subscription{b: b, workspace: workspaceID, wake: wake, ready: make(chan struct{}, 1), done: make(chan struct{})})
}

// SubscribeFunc is Subscribe for a subscriber that needs no goroutine of
// its own while idle: fn is called with each event, by the publisher, and
// must return at once (start a goroutine for any work).
func (b *Broker) SubscribeFunc(workspaceID int64, fn func(Event)) *Subscription {
	return b.add(&Subscription{b: b, workspace: workspaceID, notify: fn, ready: make(chan struct{}, 1), done: make(chan struct{})})
}

// Subscribers counts the open subscriptions (for tests and metrics).
func (b *Broker) Subscribers() int {
	if b == nil {
		return 0
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	n := 0
	for _, set := range b.subs {
		n += len(set)
	}
	return n
}

// deliver hands committed events to this process's subscribers.
func (b *Broker) deliver(events []Event) {
	if b == nil || len(events) == 0 {
		return
	}
	var behind []*Subscription
	b.mu.RLock()
	for _, ev := range events {
		ev.shared = &Shared{}
		if ev.Kind == Resync {
			for _, set := range b.subs {
				behind = offerAll(set, ev, behind)
			}
			continue
		}
		behind = offerAll(b.subs[ev.WorkspaceID], ev, behind)
	}
	b.mu.RUnlock()
	for _, s := range behind {
		s.Close()
	}
}

func offerAll(set map[*Subscription]struct{}, ev Event, behind []*Subscription) []*Subscription {
	for s := range set {
		if !s.offer(ev) {
			behind = append(behind, s)
		}
	}
	return behind
}

// Pending holds the events of one transaction until it commits.
type Pending struct {
	mu     sync.Mutex
	events []Event
}

type pendingKey struct{}

// Begin returns a context for one attempt of a transaction (pass it to
// gorm's WithContext) and the events Emit records in it. After the
// transaction committed, hand them to Committed; after a rollback, drop them.
func Begin(ctx context.Context) (context.Context, *Pending) {
	p := &Pending{}
	return context.WithValue(ctx, pendingKey{}, p), p
}

// ErrNoTransaction is Emit's answer outside a transaction begun with Begin:
// the event could otherwise leave before, or without, its commit.
var ErrNoTransaction = errors.New("live: Emit outside a transaction begun with live.Begin")

// Exec runs one statement in the caller's transaction (NOTIFY, on
// PostgreSQL).
type Exec func(sql string, args ...any) error

// Emit records events of the transaction whose context is ctx and whose
// statements exec runs. They reach subscribers only if and after it
// commits.
func (b *Broker) Emit(ctx context.Context, exec Exec, events ...Event) error {
	if b == nil || len(events) == 0 {
		return nil
	}
	if b.notify != nil {
		return b.notify.emit(exec, events)
	}
	p, _ := ctx.Value(pendingKey{}).(*Pending)
	if p == nil {
		return ErrNoTransaction
	}
	p.mu.Lock()
	p.events = append(p.events, events...)
	p.mu.Unlock()
	return nil
}

// Committed delivers the events of a committed transaction (in process;
// on PostgreSQL the database already has them and this does nothing).
func (b *Broker) Committed(p *Pending) {
	if b == nil || p == nil || b.notify != nil {
		return
	}
	p.mu.Lock()
	events := p.events
	p.events = nil
	p.mu.Unlock()
	b.deliver(events)
}
