package db_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"agentdesk/db"
	"agentdesk/db/dbtest"
)

// TestUniqueConstraintNamesEachViolation: breaking each unique constraint
// is a unique violation named the same on both databases (PostgreSQL reports
// the constraint's name, SQLite an index name or the columns), so the rules
// can give each its own message.
func TestUniqueConstraintNamesEachViolation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dialect db.Dialect) {
		d := dbtest.Open(t, dialect, nil)
		breakers := dbtest.UniqueBreakers(t, d)
		for _, name := range db.UniqueConstraints {
			brk, ok := breakers[name]
			if !ok {
				t.Fatalf("no way to break %s", name)
			}
			err := db.TranslateError(brk(d.DB))
			if !errors.Is(err, db.ErrUniqueViolation) {
				t.Errorf("%s: %v, want a unique violation", name, err)
			}
			if got := db.UniqueConstraint(err); got != name {
				t.Errorf("%s: UniqueConstraint = %q (%v)", name, got, err)
			}
		}
		if got := db.UniqueConstraint(errors.New("no such table: x")); got != "" {
			t.Errorf("another error names %q", got)
		}
	})
}

// TestUniqueConstraintsListsTheMigrations: every unique index the
// migrations create (bar the surrogate id keys and the job queue's own) is
// in db.UniqueConstraints, so a new one gets a name, and then a message.
func TestUniqueConstraintsListsTheMigrations(t *testing.T) {
	d := dbtest.Open(t, db.Postgres, nil)
	var names []string
	err := d.WithContext(context.Background()).Raw(`SELECT indexname FROM pg_indexes
		WHERE schemaname = current_schema() AND indexdef LIKE 'CREATE UNIQUE INDEX%'
		AND indexdef NOT LIKE '%USING btree (id)' AND tablename NOT LIKE 'river%' AND tablename NOT LIKE 'goose%'
		ORDER BY indexname`).Scan(&names).Error
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Sorted(slices.Values(db.UniqueConstraints))
	if !slices.Equal(names, want) {
		t.Fatalf("unique indexes %v, db.UniqueConstraints %v", names, want)
	}
}
