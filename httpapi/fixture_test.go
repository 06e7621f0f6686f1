package httpapi_test

import (
	"io"
	"log/slog"
	"testing"

	"agentdesk/db"
	"agentdesk/db/dbtest"
	"agentdesk/team"
	"agentdesk/team/teamtest"
)

// newTeam returns the rules' service on a fresh SQLite database, for tests
// of the HTTP layer that need a real handler but no scenario. The scenarios
// through HTTP, on both databases, are graph's tests (graph/harness_test.go).
func newTeam(t *testing.T) (*team.Service, *db.DB) {
	t.Helper()
	database := dbtest.Open(t, db.SQLite, nil)
	return teamtest.New(t, database, nil), database
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
