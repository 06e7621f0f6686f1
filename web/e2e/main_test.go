package e2e

import (
	"os"
	"testing"

	"agentdesk/db/dbtest"
)

// TestMain terminates this package's PostgreSQL test container after the last test.
func TestMain(m *testing.M) { os.Exit(dbtest.Run(m)) }
