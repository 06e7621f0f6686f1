package team

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"agentdesk/apperr"
	"agentdesk/db"
	"agentdesk/db/dbtest"
	"agentdesk/models"
)

// InTx runs a transaction that lost a race again, a bounded number of times,
// and answers a contract code, never the driver's error, when it keeps losing;
// any other failure is answered at once. Each attempt's writes are rolled
// back, so only the last one counts.
func TestInTxRetriesLostRaces(t *testing.T) {
	// Count attempts, not time.
	old := txBackoff
	txBackoff = time.Nanosecond
	t.Cleanup(func() { txBackoff = old })
	s := &Service{DB: dbtest.Open(t, db.SQLite, nil)}
	ctx := context.Background()
	deadlock := fmt.Errorf("update agents: %w", &pgconn.PgError{Code: "40P01", Message: "deadlock detected"})

	for _, c := range []struct {
		name     string
		failures int   // attempts that lose a race before one succeeds
		other    error // a non-race error returned on the first attempt
		calls    int
		code     apperr.Code // "" for success
	}{
		{name: "wins at once", calls: 1},
		{name: "wins on the third attempt", failures: 2, calls: 3},
		{name: "wins on the last attempt", failures: txAttempts - 1, calls: txAttempts},
		{name: "never wins", failures: 100, calls: txAttempts, code: apperr.Conflict},
		{name: "rule error", other: apperr.New(apperr.NotFound, "No such role."), calls: 1, code: apperr.NotFound},
		{name: "serialization failure", failures: 1, calls: 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			name := "ws " + c.name
			calls := 0
			err := s.InTx(ctx, func(tx *gorm.DB) error {
				calls++
				if err := tx.Create(&models.Workspace{Name: name}).Error; err != nil {
					return err
				}
				if c.other != nil {
					return c.other
				}
				if calls <= c.failures {
					if c.name == "serialization failure" {
						return &pgconn.PgError{Code: "40001"}
					}
					return deadlock
				}
				return nil
			})
			if calls != c.calls {
				t.Fatalf("fn ran %d times, want %d", calls, c.calls)
			}
			var code apperr.Code
			if err != nil {
				e, ok := apperr.As(err)
				if !ok {
					t.Fatalf("err = %v, want a contract code", err)
				}
				code = e.Code
			}
			if code != c.code {
				t.Fatalf("code = %q (%v), want %q", code, err, c.code)
			}
			var n int64
			s.DB.Model(&models.Workspace{}).Where("name = ?", name).Count(&n)
			if want := map[bool]int64{true: 1, false: 0}[c.code == ""]; n != want {
				t.Fatalf("%d workspaces written, want %d", n, want)
			}
		})
	}
}

// A cancelled request stops retrying.
func TestInTxStopsWhenCancelled(t *testing.T) {
	s := &Service{DB: dbtest.Open(t, db.SQLite, nil)}
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	err := s.InTx(ctx, func(*gorm.DB) error {
		calls++
		cancel()
		return &pgconn.PgError{Code: "40P01"}
	})
	if calls != 1 || err == nil {
		t.Fatalf("ran %d times, err %v; want 1 and an error", calls, err)
	}
}

// A real deadlock on PostgreSQL: two transactions lock two rows in opposite
// orders. The database aborts one of them; InTx runs it again and both
// succeed, with no error reaching the caller.
func TestInTxRetriesARealDeadlock(t *testing.T) {
	s := &Service{DB: dbtest.Open(t, db.Postgres, nil)}
	ctx := context.Background()
	a, b := models.Workspace{Name: "a"}, models.Workspace{Name: "b"}
	if err := s.DB.Create(&a).Error; err != nil {
		t.Fatal(err)
	}
	if err := s.DB.Create(&b).Error; err != nil {
		t.Fatal(err)
	}
	var held sync.WaitGroup // both first locks taken, on the first attempts only
	held.Add(2)
	var attempts atomic.Int64
	lockBoth := func(first, second int64) error {
		once := true
		return s.InTx(ctx, func(tx *gorm.DB) error {
			attempts.Add(1)
			if err := tx.Exec("UPDATE workspaces SET name = name || '.' WHERE id = ?", first).Error; err != nil {
				return err
			}
			if once {
				once = false
				held.Done()
				held.Wait()
			}
			return tx.Exec("UPDATE workspaces SET name = name || '.' WHERE id = ?", second).Error
		})
	}
	var errA, errB error
	var wg sync.WaitGroup
	wg.Go(func() { errA = lockBoth(a.ID, b.ID) })
	wg.Go(func() { errB = lockBoth(b.ID, a.ID) })
	wg.Wait()
	if errA != nil || errB != nil {
		t.Fatalf("errors %v, %v; want both to succeed", errA, errB)
	}
	// At least the deadlock victim ran again. Under load the retry can
	// meet the other transaction once more, so more attempts are fine as
	// long as both finished within their bounded retries.
	if n := attempts.Load(); n < 3 || n > 2*txAttempts {
		t.Fatalf("%d attempts, want 3 to %d (the deadlock victim retried)", n, 2*txAttempts)
	}
}
