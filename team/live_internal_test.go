package team

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"agentdesk/apperr"
	"agentdesk/db"
	"agentdesk/db/dbtest"
	"agentdesk/live"
)

// TestEventsLeaveAfterCommitOnly: an event emitted in a transaction reaches
// subscribers only once the transaction has committed; one emitted by an
// attempt that lost a race and was retried, or by a transaction that failed
// and rolled back, never does.
func TestEventsLeaveAfterCommitOnly(t *testing.T) {
	old := txBackoff
	txBackoff = time.Nanosecond
	t.Cleanup(func() { txBackoff = old })
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		database := dbtest.Open(t, d, nil)
		broker := live.NewLocal()
		if d == db.Postgres {
			var err error
			if broker, err = live.NewPostgres(context.Background(), database.URL, slog.New(slog.DiscardHandler)); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(broker.Close)
		}
		s := &Service{DB: database, Live: broker}
		sub := broker.Subscribe(7)
		defer sub.Close()
		ctx := context.Background()
		ev := func(id int64) live.Event { return agentEvent(7, id, live.AgentInvited) }
		deadlock := fmt.Errorf("update agents: %w", &pgconn.PgError{Code: "40P01", Message: "deadlock detected"})

		var got []int64
		attempt := 0
		if err := s.InTx(ctx, func(tx *gorm.DB) error {
			attempt++
			if err := s.emit(tx, ev(int64(attempt))); err != nil { // 1 is rolled back, 2 commits
				return err
			}
			if attempt == 1 {
				return deadlock
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		err := s.InTx(ctx, func(tx *gorm.DB) error {
			if err := s.emit(tx, ev(3)); err != nil {
				return err
			}
			return apperr.New(apperr.Conflict, "refused after the event was emitted")
		})
		if e, ok := apperr.As(err); !ok || e.Code != apperr.Conflict {
			t.Fatalf("rolled-back transaction: %v", err)
		}
		if err := s.InTx(ctx, func(tx *gorm.DB) error {
			if err := s.emit(tx, ev(4)); err != nil {
				return err
			}
			// Not before the commit.
			time.Sleep(200 * time.Millisecond)
			for _, e := range sub.Take() {
				if got = append(got, e.ID); e.ID == 4 {
					return fmt.Errorf("event 4 arrived before its commit")
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}

		deadline := time.After(5 * time.Second)
		for !slices.Contains(got, 4) {
			select {
			case <-sub.Ready():
				for _, e := range sub.Take() {
					got = append(got, e.ID)
				}
			case <-deadline:
				t.Fatalf("events so far %v; 4 never came", got)
			}
		}
		time.Sleep(200 * time.Millisecond) // anything that would follow late
		got = append(got, idsOf(sub.Take())...)
		if !slices.Equal(got, []int64{2, 4}) {
			t.Fatalf("events %v, want only those of the committed attempts [2 4]", got)
		}
	})
}

func idsOf(events []live.Event) []int64 {
	ids := make([]int64, len(events))
	for i, e := range events {
		ids[i] = e.ID
	}
	return ids
}
