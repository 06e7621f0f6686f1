package live

import (
	"testing"
	"time"
)

// TestBrokerRoutesByWorkspace: a subscriber gets its workspace's events in
// order and no other workspace's; Resync reaches everyone.
func TestBrokerRoutesByWorkspace(t *testing.T) {
	b := NewLocal()
	one, two := b.Subscribe(1), b.Subscribe(2)
	defer one.Close()
	defer two.Close()
	b.deliver([]Event{{Kind: AgentChanged, WorkspaceID: 1, ID: 10}, {Kind: AgentChanged, WorkspaceID: 2, ID: 20},
		{Kind: AgentChanged, WorkspaceID: 1, ID: 11}, {Kind: Resync}})
	got := one.Take()
	if len(got) != 3 || got[0].ID != 10 || got[1].ID != 11 || got[2].Kind != Resync {
		t.Fatalf("workspace 1 got %+v", got)
	}
	if got := two.Take(); len(got) != 2 || got[0].ID != 20 || got[1].Kind != Resync {
		t.Fatalf("workspace 2 got %+v", got)
	}
	one.Close()
	if b.Subscribers() != 1 {
		t.Fatalf("%d subscribers after one closed", b.Subscribers())
	}
}

// TestSubscriberThatFallsBehindIsEnded: a subscriber maxWaiting events
// behind is ended (Done, Overflowed, woken) instead of growing without
// bound; the others keep theirs.
func TestSubscriberThatFallsBehindIsEnded(t *testing.T) {
	b := NewLocal()
	woken := make(chan struct{}, 1)
	slow := b.SubscribeWake(1, func() {
		select {
		case woken <- struct{}{}:
		default:
		}
	})
	fast := b.Subscribe(1)
	defer fast.Close()
	events := make([]Event, maxWaiting+1)
	for i := range events {
		events[i] = Event{Kind: ConversationChanged, WorkspaceID: 1, ID: int64(i)}
	}
	b.deliver(events[:maxWaiting])
	if got := len(fast.Take()); got != maxWaiting {
		t.Fatalf("fast subscriber got %d", got)
	}
	b.deliver(events[maxWaiting:])
	select {
	case <-slow.Done():
	case <-time.After(time.Second):
		t.Fatal("the slow subscriber was not ended")
	}
	if !slow.Overflowed() || len(slow.Take()) != 0 || len(woken) != 1 {
		t.Fatalf("overflowed %v, woken %d", slow.Overflowed(), len(woken))
	}
	if got := fast.Take(); len(got) != 1 || b.Subscribers() != 1 {
		t.Fatalf("fast subscriber got %d; %d subscribers", len(got), b.Subscribers())
	}
}

// TestPayloadsStayUnderTheNotifyLimit: many events of one transaction are
// split into notifications under PostgreSQL's 8000 bytes, and decode back.
func TestPayloadsStayUnderTheNotifyLimit(t *testing.T) {
	events := make([]Event, 1000)
	for i := range events {
		events[i] = Event{Kind: ConversationChanged, WorkspaceID: 123456, ID: int64(1_000_000 + i), Change: ConversationCautionChange}
	}
	payloads := encodePayloads(events)
	var back []Event
	for _, p := range payloads {
		if len(p) > 8000 {
			t.Fatalf("payload of %d bytes", len(p))
		}
		evs, err := decodePayload(p)
		if err != nil {
			t.Fatal(err)
		}
		back = append(back, evs...)
	}
	if len(payloads) < 2 || len(back) != len(events) || back[999] != events[999] {
		t.Fatalf("%d payloads, %d events back", len(payloads), len(back))
	}
}
