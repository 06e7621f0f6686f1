package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// Channel is the PostgreSQL notification channel of agentdesk's events.
const Channel = "agentdesk_live"

// maxPayload keeps a notification under PostgreSQL's 8000-byte limit; a
// transaction with more events (a removal that puts the badge on many
// conversations) sends several.
const maxPayload = 7000

// pgNotifier sends events with NOTIFY and receives everyone's with LISTEN.
type pgNotifier struct {
	url    string
	log    *slog.Logger
	cancel context.CancelFunc
	done   chan struct{}
}

// NewPostgres returns a broker whose events travel through the PostgreSQL
// database at url (DATABASE_URL), so every server on that database receives
// every workspace's events. It returns once it listens; it keeps listening,
// reconnecting after a lost connection (and telling subscribers to resync:
// events of the gap are lost), until Close.
func NewPostgres(ctx context.Context, url string, log *slog.Logger) (*Broker, error) {
	b := NewLocal()
	n := &pgNotifier{url: url, log: log, done: make(chan struct{})}
	conn, err := n.listen(ctx)
	if err != nil {
		return nil, fmt.Errorf("live: listen on PostgreSQL: %w", err)
	}
	loopCtx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	b.notify = n
	go n.run(loopCtx, b, conn)
	return b, nil
}

// Close stops listening (PostgreSQL brokers; a local one has nothing to stop).
func (b *Broker) Close() {
	if b == nil || b.notify == nil {
		return
	}
	b.notify.cancel()
	<-b.notify.done
}

func (n *pgNotifier) listen(ctx context.Context) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, n.url)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+Channel); err != nil {
		_ = conn.Close(context.Background())
		return nil, err
	}
	return conn, nil
}

func (n *pgNotifier) run(ctx context.Context, b *Broker, conn *pgx.Conn) {
	defer close(n.done)
	backoff := 100 * time.Millisecond
	for {
		for conn != nil {
			note, err := conn.WaitForNotification(ctx)
			if err != nil {
				_ = conn.Close(context.Background())
				conn = nil
				if ctx.Err() != nil {
					return
				}
				n.log.Warn("live: lost the PostgreSQL listener; reconnecting", "err", err)
				break
			}
			backoff = 100 * time.Millisecond
			events, err := decodePayload(note.Payload)
			if err != nil {
				n.log.Warn("live: undecodable notification dropped", "err", err)
				continue
			}
			b.deliver(events)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
		var err error
		if conn, err = n.listen(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			n.log.Warn("live: PostgreSQL listener reconnect failed", "err", err)
			continue
		}
		// Whatever was notified while we were not listening is lost:
		// subscribers re-check their sessions at once.
		b.deliver([]Event{{Kind: Resync}})
	}
}

// emit queues events in tx: PostgreSQL delivers them on commit.
func (n *pgNotifier) emit(exec Exec, events []Event) error {
	for _, payload := range encodePayloads(events) {
		if err := exec("SELECT pg_notify(?, ?)", Channel, payload); err != nil {
			return err
		}
	}
	return nil
}

// wireEvent is an event on the wire: [kind, workspace, id, change, session].
type wireEvent [5]any

func encodePayloads(events []Event) []string {
	var payloads []string
	batch := make([]wireEvent, 0, len(events))
	size := 2
	flush := func() {
		if len(batch) == 0 {
			return
		}
		b, _ := json.Marshal(batch)
		payloads = append(payloads, string(b))
		batch, size = batch[:0], 2
	}
	for _, ev := range events {
		w := wireEvent{ev.Kind, ev.WorkspaceID, ev.ID, ev.Change, ev.SessionID}
		b, _ := json.Marshal(w)
		if size+len(b)+1 > maxPayload {
			flush()
		}
		batch = append(batch, w)
		size += len(b) + 1
	}
	flush()
	return payloads
}

func decodePayload(payload string) ([]Event, error) {
	var raw [][5]json.RawMessage
	if err := json.Unmarshal([]byte(payload), &raw); err != nil {
		return nil, err
	}
	events := make([]Event, 0, len(raw))
	for _, r := range raw {
		var ev Event
		var kind uint8
		if err := errors.Join(json.Unmarshal(r[0], &kind), json.Unmarshal(r[1], &ev.WorkspaceID),
			json.Unmarshal(r[2], &ev.ID), json.Unmarshal(r[3], &ev.Change), json.Unmarshal(r[4], &ev.SessionID)); err != nil {
			return nil, err
		}
		ev.Kind = Kind(kind)
		events = append(events, ev)
	}
	return events, nil
}
