// Package dbtest gives tests fresh, migrated databases of both dialects.
//
// PostgreSQL comes, in this order, from a testcontainers-go container when a
// Docker engine answers (one per test process, image TEST_POSTGRES_IMAGE or
// DefaultPostgresImage), from TEST_DATABASE_URL (an existing server on which
// each test creates and drops its own database), or not at all: then the
// PostgreSQL half of a test is skipped with a message, except under CI=true,
// where a missing PostgreSQL fails the test. A package using PostgreSQL runs
// its tests through Run from TestMain, which removes the container at the end.
package dbtest

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver of the wait for readiness
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tcpostgres "github.com/testcontainers/testcontainers-go/modules/postgres"
	"github.com/testcontainers/testcontainers-go/wait"
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

// DefaultPostgresImage is the image the PostgreSQL container runs unless
// TEST_POSTGRES_IMAGE names another (CI builds one from Debian packages where
// no registry is reachable: .ci/images.sh).
const DefaultPostgresImage = "postgres:16-alpine"

// mainInstalled records that the package's TestMain runs its tests through
// Run, so the container is terminated when they end.
var mainInstalled atomic.Bool

var (
	pgOnce   sync.Once
	pgServer *postgresServer
	pgErr    error
)

// Run runs the package's tests, then terminates the PostgreSQL container they
// used (a package's tests have no other hook that runs after the last one, and
// without testcontainers' reaper nothing else removes it) and drops the
// template database. Every package whose tests reach PostgreSQL through
// dbtest calls it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(dbtest.Run(m)) }
func Run(m *testing.M) int {
	mainInstalled.Store(true)
	code := m.Run()
	if pgServer != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := pgServer.close(ctx); err != nil {
			fmt.Fprintf(os.Stderr, "dbtest: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
	}
	return code
}

func postgresImage() string { return cmp.Or(os.Getenv("TEST_POSTGRES_IMAGE"), DefaultPostgresImage) }

// EmptyPostgresURL returns a DATABASE_URL for a new PostgreSQL database
// with no tables at all, dropped when the test ends: for tests of the
// migrations themselves (replicas starting together).
func EmptyPostgresURL(t testing.TB) string {
	t.Helper()
	return sharedPostgres(t).newDatabase(t, "template0")
}

func newPostgresDatabase(t testing.TB) string {
	t.Helper()
	server := sharedPostgres(t)
	return server.newDatabase(t, server.template)
}

// sharedPostgres returns the test process's PostgreSQL server, found and
// prepared on first use; it skips or fails the test when there is none.
func sharedPostgres(t testing.TB) *postgresServer {
	t.Helper()
	if !mainInstalled.Load() {
		t.Fatal("dbtest: this package's TestMain must call dbtest.Run, or its PostgreSQL container outlives the tests: func TestMain(m *testing.M) { os.Exit(dbtest.Run(m)) }")
	}
	pgOnce.Do(func() {
		pgServer, pgErr = findPostgres(startContainer, os.Getenv("TEST_DATABASE_URL"))
		if pgErr == nil {
			if pgErr = pgServer.prepare(); pgErr != nil {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				_ = pgServer.close(ctx)
				pgServer = nil
			}
		}
	})
	if pgErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is required under CI=true: %v", pgErr)
		}
		t.Skipf("PostgreSQL half skipped: %v. Start Docker, or set TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", pgErr)
	}
	return pgServer
}

// postgresServer is where a test process's PostgreSQL databases live: a
// container of its own, or the existing server TEST_DATABASE_URL names.
type postgresServer struct {
	adminURL  string                   // a database we may CREATE DATABASE from
	source    string                   // for messages: which of the two
	container testcontainers.Container // nil on TEST_DATABASE_URL
	template  string                   // migrated template database, cloned per test
	cloneMu   sync.Mutex               // CREATE DATABASE ... TEMPLATE wants no concurrent clone
}

// findPostgres applies the order of sources: a container when a Docker
// engine answers, else the server databaseURL names, else an error that says
// why neither.
func findPostgres(start func() (*postgresServer, error), databaseURL string) (*postgresServer, error) {
	server, err := start()
	if err == nil {
		return server, nil
	}
	if databaseURL != "" {
		fmt.Fprintf(os.Stderr, "dbtest: no PostgreSQL container (%v); using TEST_DATABASE_URL\n", err)
		return &postgresServer{adminURL: databaseURL, source: "TEST_DATABASE_URL"}, nil
	}
	return nil, fmt.Errorf("no PostgreSQL container (%v) and TEST_DATABASE_URL is not set", err)
}

// prepare creates and migrates the template database.
func (s *postgresServer) prepare() error {
	conn, err := db.Open(s.adminURL, db.Options{})
	if err != nil {
		return fmt.Errorf("%s: %w", s.source, err)
	}
	defer conn.Close()
	template := "agentdesk_tmpl_" + randomSuffix()
	if err := conn.Exec(fmt.Sprintf(`CREATE DATABASE %s`, template)).Error; err != nil {
		return fmt.Errorf("%s: create template database: %w", s.source, err)
	}
	s.template = template
	tmpl, err := db.Open(withDatabase(s.adminURL, template), db.Options{})
	if err != nil {
		return err
	}
	err = tmpl.Migrate(context.Background())
	_ = tmpl.Close()
	if err != nil {
		return err
	}
	if s.container == nil {
		sweepStale(conn, template)
	}
	return nil
}

// newDatabase clones template (the migrated one, or template0 for an empty
// database) into a database dropped when the test ends.
func (s *postgresServer) newDatabase(t testing.TB, template string) string {
	t.Helper()
	name := "agentdesk_test_" + randomSuffix()
	admin, err := db.Open(s.adminURL, db.Options{})
	if err != nil {
		t.Fatalf("connect to PostgreSQL: %v", err)
	}
	defer admin.Close()
	s.cloneMu.Lock()
	err = admin.Exec(fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, template)).Error
	s.cloneMu.Unlock()
	if err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		admin, err := db.Open(s.adminURL, db.Options{})
		if err != nil {
			t.Errorf("connect to drop test database: %v", err)
			return
		}
		defer admin.Close()
		if err := admin.Exec(fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name)).Error; err != nil {
			t.Errorf("drop test database: %v", err)
		}
	})
	return withDatabase(s.adminURL, name)
}

// close terminates the container, or on a shared server drops the template.
func (s *postgresServer) close(ctx context.Context) error {
	if s.container != nil {
		// StopTimeout(0): killed, not shut down; nothing in it is kept, and a
		// clean shutdown costs each test package time at its end.
		if err := s.container.Terminate(ctx, testcontainers.StopTimeout(0)); err != nil {
			return fmt.Errorf("terminate PostgreSQL container %s: %w", s.container.GetContainerID(), err)
		}
		return nil
	}
	if s.template == "" {
		return nil
	}
	conn, err := db.Open(s.adminURL, db.Options{})
	if err != nil {
		return fmt.Errorf("connect to drop the template database: %w", err)
	}
	defer conn.Close()
	if err := conn.WithContext(ctx).Exec(fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, s.template)).Error; err != nil {
		return fmt.Errorf("drop the template database: %w", err)
	}
	return nil
}

// sweepStale drops template databases on a shared server left by earlier
// runs that never reached Run's clean-up (killed, timed out) and are older
// than an hour (their processes are long gone).
func sweepStale(conn *db.DB, keep string) {
	var names []string
	conn.Raw(`SELECT datname FROM pg_database WHERE datname LIKE 'agentdesk_tmpl_%' AND datname <> ?`, keep).Scan(&names)
	for _, n := range names {
		// The suffix starts with the creation time in Unix seconds.
		parts := strings.SplitN(strings.TrimPrefix(n, "agentdesk_tmpl_"), "_", 2)
		var created int64
		if _, err := fmt.Sscan(parts[0], &created); err == nil && time.Since(time.Unix(created, 0)) > time.Hour {
			conn.Exec(fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, n))
		}
	}
}

// startContainer runs a PostgreSQL container when a Docker engine answers.
func startContainer() (server *postgresServer, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("testcontainers: %v", r)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	provider, err := testcontainers.ProviderDefault.GetProvider()
	if err != nil {
		return nil, err
	}
	if err := provider.Health(ctx); err != nil {
		_ = provider.Close()
		return nil, err
	}
	_ = provider.Close()
	removeOrphans(ctx)
	image := postgresImage()
	runCtx, runCancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer runCancel()
	ctr, err := tcpostgres.Run(runCtx, image,
		tcpostgres.WithDatabase("postgres"),
		tcpostgres.WithUsername("postgres"),
		tcpostgres.WithPassword("postgres"),
		// Ready when a query answers through the mapped port: the entrypoint's
		// first, socket-only start cannot answer it, so this is the server
		// proper. (tcpostgres.BasicWaitStrategies waits for its second log
		// line and then execs a shell in the container to look for the
		// port: about 0.7 s more for every test package.)
		// (The "pgx" driver is registered by the stdlib import below.)
		testcontainers.WithWaitStrategyAndDeadline(2*time.Minute, wait.ForSQL("5432/tcp", "pgx",
			func(host string, port network.Port) string {
				return "postgres://postgres:postgres@" + net.JoinHostPort(host, port.Port()) + "/postgres?sslmode=disable"
			}).WithPollInterval(50*time.Millisecond)),
		testcontainers.WithLabels(ownerLabels()),
	)
	if err != nil {
		// Run may return a created container with the error.
		if ctr != nil {
			_ = ctr.Terminate(context.Background(), testcontainers.StopTimeout(0))
		}
		return nil, fmt.Errorf("%s: %w", image, err)
	}
	url, err := ctr.ConnectionString(runCtx, "sslmode=disable")
	if err != nil {
		_ = ctr.Terminate(context.Background(), testcontainers.StopTimeout(0))
		return nil, err
	}
	return &postgresServer{adminURL: url, source: "container " + image, container: ctr}, nil
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

// Labels on each PostgreSQL container: which process on which host owns it,
// so a later run can remove the containers of processes that died before
// Run's clean-up (a test binary killed by -timeout, say) when no reaper does.
const (
	labelHost    = "agentdesk.dbtest.host"
	labelPID     = "agentdesk.dbtest.pid"
	labelPackage = "agentdesk.dbtest.package"
)

func ownerLabels() map[string]string {
	host, _ := os.Hostname()
	dir, _ := os.Getwd() // go test runs each package's binary in its directory
	labels := map[string]string{labelHost: host, labelPID: strconv.Itoa(os.Getpid()), labelPackage: dir}
	// TEST_CONTAINER_LABEL=key=value adds a label of the caller's: .ci/run
	// marks its run's containers so that its clean-up and its check for
	// containers left behind touch only its own, not those of another run or
	// of a developer's go test on the same engine.
	if key, value, ok := strings.Cut(os.Getenv("TEST_CONTAINER_LABEL"), "="); ok && key != "" {
		labels[key] = value
	}
	return labels
}

// removeOrphans removes the PostgreSQL containers of this host whose owning
// test process is gone. Errors are only reported: this is housekeeping.
func removeOrphans(ctx context.Context) {
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return
	}
	defer cli.Close()
	host, _ := os.Hostname()
	list, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true,
		Filters: make(client.Filters).Add("label", labelHost+"="+host)})
	if err != nil {
		fmt.Fprintf(os.Stderr, "dbtest: list containers: %v\n", err)
		return
	}
	for _, c := range list.Items {
		pid, err := strconv.Atoi(c.Labels[labelPID])
		if err != nil || processAlive(pid) {
			continue
		}
		if _, err := cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
			fmt.Fprintf(os.Stderr, "dbtest: remove orphaned container %s: %v\n", c.ID, err)
		}
	}
}

// processAlive reports whether a process with the pid exists (signal 0
// checks without sending anything; EPERM means it exists under another user).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
