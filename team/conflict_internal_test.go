package team

import (
	"context"
	"testing"

	"agentdesk/apperr"
	"agentdesk/db"
	"agentdesk/db/dbtest"
)

// TestConflictMessagePerConstraint: a mutation that breaks a unique
// constraint answers CONFLICT with that constraint's own message, the same
// whichever mutation broke it, on both databases; every constraint the
// migrations create has one, and no two share it.
func TestConflictMessagePerConstraint(t *testing.T) {
	seen := map[string]string{}
	for _, name := range db.UniqueConstraints {
		msg := conflictMessages[name]
		if msg == "" {
			t.Errorf("%s has no message", name)
		}
		if other, dup := seen[msg]; dup {
			t.Errorf("%s and %s share the message %q", name, other, msg)
		}
		seen[msg] = name
	}
	dbtest.Each(t, func(t *testing.T, dialect db.Dialect) {
		d := dbtest.Open(t, dialect, nil)
		s := &Service{DB: d}
		breakers := dbtest.UniqueBreakers(t, d)
		for _, name := range db.UniqueConstraints {
			err := s.InTx(context.Background(), breakers[name])
			e, ok := apperr.As(err)
			if !ok || e.Code != apperr.Conflict || e.Message != conflictMessages[name] {
				t.Errorf("%s: %#v, want CONFLICT %q", name, err, conflictMessages[name])
			}
		}
	})
}
