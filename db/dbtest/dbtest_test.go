package dbtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"

	"agentdesk/db"
)

func TestMain(m *testing.M) { os.Exit(Run(m)) }

func TestFindPostgresKeepsTheOrderOfSources(t *testing.T) {
	container := &postgresServer{adminURL: "postgres://container", source: "container"}
	engineUp := func() (*postgresServer, error) { return container, nil }
	engineDown := func() (*postgresServer, error) { return nil, errors.New("no engine here") }

	got, err := findPostgres(engineUp, "postgres://from-env")
	if err != nil || got != container {
		t.Errorf("engine up, URL set: got %+v, %v; want the container", got, err)
	}
	got, err = findPostgres(engineDown, "postgres://from-env")
	if err != nil || got.adminURL != "postgres://from-env" || got.container != nil {
		t.Errorf("engine down, URL set: got %+v, %v; want TEST_DATABASE_URL", got, err)
	}
	got, err = findPostgres(engineDown, "")
	if err == nil || got != nil {
		t.Fatalf("engine down, no URL: got %+v, %v; want an error", got, err)
	}
	for _, want := range []string{"no engine here", "TEST_DATABASE_URL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// With no engine answering, the real startContainer fails, and soon, and
// the server TEST_DATABASE_URL names is taken (the machines without Docker).
// testcontainers finds an engine at the machine's default socket whatever
// DOCKER_HOST says, so this runs only where none answers: .ci/run runs it
// first thing, before it installs or starts one. In a child process, which
// looks for the engine afresh (testcontainers caches what it found).
func TestNoEngineFallsBackToDatabaseURL(t *testing.T) {
	const url = "postgres://postgres@127.0.0.1:1/fallback?sslmode=disable" // never dialled
	if os.Getenv("DBTEST_NO_ENGINE_CHILD") == "1" {
		start := time.Now()
		server, err := findPostgres(startContainer, url)
		if err != nil {
			t.Fatal(err)
		}
		if server.container != nil {
			_ = server.close(context.Background())
		}
		fmt.Printf("source=%s url=%s container=%v after=%s\n", server.source, server.adminURL, server.container != nil, time.Since(start))
		return
	}
	if provider, err := testcontainers.ProviderDefault.GetProvider(); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		healthy := provider.Health(ctx) == nil
		cancel()
		_ = provider.Close()
		if healthy {
			t.Skip("a Docker engine answers here: the fallback without one is tested where none does (.ci/run runs this test before it starts one)")
		}
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestNoEngineFallsBackToDatabaseURL$", "-test.v")
	cmd.Env = append(os.Environ(), "DBTEST_NO_ENGINE_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	want := "source=TEST_DATABASE_URL url=" + url + " container=false"
	if !strings.Contains(string(out), want) {
		t.Fatalf("child printed:\n%s\nwant a line with %q", out, want)
	}
	// How long the failed attempt took, for the log (startContainer bounds
	// its health check at 5 s; no wall-clock assertion here).
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "source=") {
			t.Log(line)
		}
	}
}

// serverURL is a real PostgreSQL server for the tests of the
// TEST_DATABASE_URL path: that variable when set, else this package's own
// container treated as an existing server.
func serverURL(t *testing.T) string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	newPostgresDatabase(t) // starts the package's server, or skips / fails as the rules say
	return pgServer.adminURL
}

func databaseExists(t *testing.T, conn *db.DB, name string) bool {
	t.Helper()
	var n int64
	if err := conn.Raw(`SELECT count(*) FROM pg_database WHERE datname = ?`, name).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// The TEST_DATABASE_URL path on a real server: a migrated template, one clone
// per test dropped when the test ends, stale templates of earlier runs swept,
// and the template dropped by close.
func TestDatabaseURLServer(t *testing.T) {
	url := serverURL(t)
	conn, err := db.Open(url, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	stale := fmt.Sprintf("agentdesk_tmpl_%d_0ld", time.Now().Add(-2*time.Hour).Unix())
	recent := fmt.Sprintf("agentdesk_tmpl_%d_n3w", time.Now().Add(-time.Minute).Unix())
	for _, name := range []string{stale, recent} {
		if err := conn.Exec(`CREATE DATABASE ` + name).Error; err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { conn.Exec(`DROP DATABASE IF EXISTS ` + recent) })

	server := &postgresServer{adminURL: url, source: "TEST_DATABASE_URL"}
	if err := server.prepare(); err != nil {
		t.Fatal(err)
	}
	if databaseExists(t, conn, stale) {
		t.Errorf("template %s, two hours old, was not swept", stale)
	}
	if !databaseExists(t, conn, recent) {
		t.Errorf("template %s, a minute old (maybe another run's), was swept", recent)
	}

	var clone string
	t.Run("clone", func(t *testing.T) {
		u := server.newDatabase(t, server.template)
		clone = u[strings.LastIndex(u, "/")+1:]
		d, err := db.Open(u, db.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		var workspaces int64
		if err := d.Raw(`SELECT count(*) FROM workspaces`).Scan(&workspaces).Error; err != nil {
			t.Fatalf("the clone is not migrated: %v", err)
		}
	})
	if clone == "" || databaseExists(t, conn, clone) {
		t.Errorf("test database %q not dropped when its test ended", clone)
	}
	if err := server.close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if databaseExists(t, conn, server.template) {
		t.Errorf("template %s not dropped by close", server.template)
	}
}

// engine returns a Docker client, skipping outside CI when no engine answers.
func engine(t *testing.T) *testcontainers.DockerClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err == nil {
		_, err = cli.Ping(ctx, client.PingOptions{})
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("a Docker engine is required under CI=true: %v", err)
		}
		t.Skipf("no Docker engine: %v", err)
	}
	t.Cleanup(func() { cli.Close() })
	// An engine without the image (no registry reachable, TEST_POSTGRES_IMAGE
	// unset) is a developer machine, not a failure: .ci/images.sh builds it.
	if _, err := cli.ImageInspect(ctx, postgresImage()); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("image %s is required under CI=true: %v", postgresImage(), err)
		}
		t.Skipf("image %s is not on this engine (set TEST_POSTGRES_IMAGE, see .ci/images.sh): %v", postgresImage(), err)
	}
	return cli
}

func containerExists(t *testing.T, cli *testcontainers.DockerClient, id string) bool {
	t.Helper()
	_, err := cli.ContainerInspect(context.Background(), id, client.ContainerInspectOptions{})
	if err != nil && !strings.Contains(strings.ToLower(err.Error()), "no such container") {
		t.Fatal(err)
	}
	return err == nil
}

func TestContainerIsTerminatedByClose(t *testing.T) {
	cli := engine(t)
	server, err := startContainer()
	if err != nil {
		t.Fatal(err)
	}
	id := server.container.GetContainerID()
	if !containerExists(t, cli, id) {
		t.Fatalf("container %s not found after start", id)
	}
	if err := server.close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if containerExists(t, cli, id) {
		t.Errorf("container %s still exists after close", id)
	}
}

// A container whose test process died before Run's clean-up is removed by
// the next run on the host; one whose process lives is left alone.
func TestOrphanedContainersAreRemoved(t *testing.T) {
	cli := engine(t)
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	create := func(pid int) string {
		labels := ownerLabels()
		labels[labelPID] = strconv.Itoa(pid)
		ctr, err := testcontainers.GenericContainer(context.Background(), testcontainers.GenericContainerRequest{
			ContainerRequest: testcontainers.ContainerRequest{Image: postgresImage(), Labels: labels},
			Started:          false,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = ctr.Terminate(context.Background()) })
		return ctr.GetContainerID()
	}
	orphan, owned := create(dead.Process.Pid), create(os.Getpid())

	removeOrphans(context.Background())
	if containerExists(t, cli, orphan) {
		t.Errorf("container %s of dead process %d not removed", orphan, dead.Process.Pid)
	}
	if !containerExists(t, cli, owned) {
		t.Errorf("container %s of this live process was removed", owned)
	}
}

// TEST_CONTAINER_LABEL adds the caller's label to the owner labels (.ci/run
// finds its own containers by it); without "=" or a key it adds nothing.
func TestContainerLabelFromEnvironment(t *testing.T) {
	for _, c := range []struct {
		env        string
		key, value string
		added      bool
	}{
		{"agentdesk.ci.run=agentdesk-ci.Ab12", "agentdesk.ci.run", "agentdesk-ci.Ab12", true},
		{"k=", "k", "", true},
		{"k=a=b", "k", "a=b", true},
		{"no-equals", "", "", false},
		{"=v", "", "", false},
		{"", "", "", false},
	} {
		t.Setenv("TEST_CONTAINER_LABEL", c.env)
		labels := ownerLabels()
		if c.added {
			if got, ok := labels[c.key]; !ok || got != c.value {
				t.Errorf("TEST_CONTAINER_LABEL=%q: label %q = %q, %v; want %q", c.env, c.key, got, ok, c.value)
			}
		}
		if want := 3 + map[bool]int{true: 1}[c.added]; len(labels) != want {
			t.Errorf("TEST_CONTAINER_LABEL=%q: %d labels %v, want %d", c.env, len(labels), labels, want)
		}
	}
}
