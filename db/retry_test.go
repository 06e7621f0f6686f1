package db_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	_ "github.com/glebarez/go-sqlite" // registers the "sqlite" driver
	"github.com/jackc/pgx/v5/pgconn"

	"agentdesk/apperr"
	"agentdesk/db"
)

// Only a lost race is retried: deadlocks, serialization failures and SQLite
// busy/locked. Everything else — constraint violations, other driver errors,
// rule errors, a cancelled request — is answered as it is.
func TestRetryableClassification(t *testing.T) {
	for _, c := range []struct {
		name  string
		err   error
		retry bool
	}{
		{"deadlock", &pgconn.PgError{Code: "40P01"}, true},
		{"serialization failure", &pgconn.PgError{Code: "40001"}, true},
		{"wrapped deadlock", fmt.Errorf("commit: %w", &pgconn.PgError{Code: "40P01"}), true},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"foreign key violation", &pgconn.PgError{Code: "23503"}, false},
		{"lock not available", &pgconn.PgError{Code: "55P03"}, false},
		{"query canceled", &pgconn.PgError{Code: "57014"}, false},
		{"sqlite busy", sqliteBusy(t), true},
		{"rule error", apperr.New(apperr.Conflict, "role in use"), false},
		{"context cancelled", context.Canceled, false},
		{"plain error", errors.New("deadlock detected"), false},
		{"nil", nil, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := errors.Is(db.TranslateError(c.err), db.ErrRetryable); got != c.retry {
				t.Fatalf("retryable(%v) = %v, want %v", c.err, got, c.retry)
			}
		})
	}
}

// sqliteBusy returns the driver's real error for a write that finds another
// connection writing (busy_timeout 0, so it answers at once).
func sqliteBusy(t *testing.T) error {
	t.Helper()
	dsn := filepath.Join(t.TempDir(), "busy.db") + "?_pragma=busy_timeout(0)&_pragma=journal_mode(WAL)"
	open := func() *sql.Conn {
		d, err := sql.Open("sqlite", dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		c, err := d.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	a, b := open(), open()
	ctx := context.Background()
	if _, err := a.ExecContext(ctx, "CREATE TABLE t (x int)"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	_, err := b.ExecContext(ctx, "BEGIN IMMEDIATE")
	if err == nil {
		t.Fatal("second writer was not refused")
	}
	_, _ = a.ExecContext(ctx, "ROLLBACK")
	return err
}
