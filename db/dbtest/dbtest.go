// Package dbtest gives tests fresh, migrated databases of both dialects.
//
// PostgreSQL comes, in this order, from a testcontainers-go container when a
// Docker engine answers, from TEST_DATABASE_URL (an existing server on which
// each test creates and drops its own database), or not at all: then the
// PostgreSQL half of a test is skipped with a message, except under CI=true,
// where a missing PostgreSQL fails the test.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
	tcpostgres "github.com/testcontainers/testcontainers-go/modules/postgres"
	"gorm.io/gorm/logger"

	"agentdesk/db"
)

// Dialects are the databases every scenario runs on.
var Dialects = []db.Dialect{db.SQLite, db.Postgres}

// Each runs fn once per dialect, as subtests named after the dialect.
func Each(t *testing.T, fn func(t *testing.T, dialect db.Dialect)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(string(d), func(t *testing.T) { fn(t, d) })
	}
}

// Open returns a new, migrated, empty database of the dialect, dropped when
// the test ends. log may be nil.
func Open(t testing.TB, dialect db.Dialect, log logger.Interface) *db.DB {
	t.Helper()
	var url string
	switch dialect {
	case db.SQLite:
		url = "sqlite:" + filepath.Join(t.TempDir(), "agentdesk.db")
	case db.Postgres:
		url = newPostgresDatabase(t)
	}
	d, err := db.Open(url, db.Options{Logger: log})
	if err != nil {
		t.Fatalf("open %s: %v", dialect, err)
	}
	t.Cleanup(func() { _ = d.Close() })
	if dialect == db.SQLite {
		if err := d.Migrate(context.Background()); err != nil {
			t.Fatalf("migrate: %v", err)
		}
	}
	return d
}

// URL returns a DATABASE_URL for a new, migrated, empty database of the
// dialect, for tests that start the server the way an operator does.
func URL(t testing.TB, dialect db.Dialect) string {
	t.Helper()
	if dialect == db.SQLite {
		return "sqlite:" + filepath.Join(t.TempDir(), "agentdesk.db")
	}
	return newPostgresDatabase(t)
}

var (
	pgOnce     sync.Once
	pgAdminURL string // a database on the server we may CREATE DATABASE from
	pgTemplate string // migrated template database, cloned per test
	pgErr      error
	pgMu       sync.Mutex // CREATE DATABASE ... TEMPLATE wants no concurrent clone
)

// EmptyPostgresURL returns a DATABASE_URL for a new PostgreSQL database
// with no tables at all, dropped when the test ends: for tests of the
// migrations themselves (replicas starting together).
func EmptyPostgresURL(t testing.TB) string {
	t.Helper()
	return postgresDatabase(t, "template0")
}

func newPostgresDatabase(t testing.TB) string {
	t.Helper()
	pgOnce.Do(preparePostgres)
	return postgresDatabase(t, pgTemplate)
}

func postgresDatabase(t testing.TB, template string) string {
	t.Helper()
	pgOnce.Do(preparePostgres)
	if pgErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is required under CI=true: %v", pgErr)
		}
		t.Skipf("PostgreSQL half skipped: %v. Start Docker, or set TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", pgErr)
	}
	name := "agentdesk_test_" + randomSuffix()
	admin, err := db.Open(pgAdminURL, db.Options{})
	if err != nil {
		t.Fatalf("connect to PostgreSQL: %v", err)
	}
	defer admin.Close()
	pgMu.Lock()
	err = admin.Exec(fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, template)).Error
	pgMu.Unlock()
	if err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		admin, err := db.Open(pgAdminURL, db.Options{})
		if err != nil {
			t.Errorf("connect to drop test database: %v", err)
			return
		}
		defer admin.Close()
		if err := admin.Exec(fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name)).Error; err != nil {
			t.Errorf("drop test database: %v", err)
		}
	})
	return withDatabase(pgAdminURL, name)
}

func preparePostgres() {
	admin, err := postgresServer()
	if err != nil {
		pgErr = err
		return
	}
	pgAdminURL = admin
	pgTemplate = "agentdesk_tmpl_" + randomSuffix()
	conn, err := db.Open(admin, db.Options{})
	if err != nil {
		pgErr = err
		return
	}
	defer conn.Close()
	if err := conn.Exec(fmt.Sprintf(`CREATE DATABASE %s`, pgTemplate)).Error; err != nil {
		pgErr = fmt.Errorf("create template database: %w", err)
		return
	}
	tmpl, err := db.Open(withDatabase(admin, pgTemplate), db.Options{})
	if err != nil {
		pgErr = err
		return
	}
	err = tmpl.Migrate(context.Background())
	_ = tmpl.Close()
	if err != nil {
		pgErr = err
		return
	}
	// The template is dropped by the next run's sweep (see sweepStale), since
	// a package's tests have no hook that runs after the last one.
	sweepStale(conn)
}

// sweepStale drops template databases left by earlier runs that are older
// than an hour (their processes are long gone).
func sweepStale(conn *db.DB) {
	var names []string
	conn.Raw(`SELECT datname FROM pg_database WHERE datname LIKE 'agentdesk_tmpl_%' AND datname <> ?`, pgTemplate).Scan(&names)
	for _, n := range names {
		// The suffix starts with the creation time in Unix seconds.
		parts := strings.SplitN(strings.TrimPrefix(n, "agentdesk_tmpl_"), "_", 2)
		var created int64
		if _, err := fmt.Sscan(parts[0], &created); err == nil && time.Since(time.Unix(created, 0)) > time.Hour {
			conn.Exec(fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, n))
		}
	}
}

// postgresServer finds a PostgreSQL server: a container when Docker answers,
// else TEST_DATABASE_URL.
func postgresServer() (string, error) {
	if url, err := startContainer(); err == nil {
		return url, nil
	} else if env := os.Getenv("TEST_DATABASE_URL"); env != "" {
		return env, nil
	} else {
		return "", fmt.Errorf("no Docker engine (%v) and TEST_DATABASE_URL is not set", err)
	}
}

func startContainer() (url string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("testcontainers: %v", r)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	provider, err := testcontainers.ProviderDefault.GetProvider()
	if err != nil {
		return "", err
	}
	if err := provider.Health(ctx); err != nil {
		_ = provider.Close()
		return "", err
	}
	_ = provider.Close()
	runCtx, runCancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer runCancel()
	// Ryuk removes the container when the test process exits.
	ctr, err := tcpostgres.Run(runCtx, "postgres:16-alpine",
		tcpostgres.WithDatabase("postgres"),
		tcpostgres.WithUsername("postgres"),
		tcpostgres.WithPassword("postgres"),
		tcpostgres.BasicWaitStrategies(),
	)
	if err != nil {
		return "", err
	}
	return ctr.ConnectionString(runCtx, "sslmode=disable")
}

func withDatabase(rawURL, name string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL
	}
	u.Path = "/" + name
	return u.String()
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%d_%s", time.Now().Unix(), hex.EncodeToString(b))
}
