package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"agentdesk/db"
	"agentdesk/db/dbtest"
)

var binDir string

func TestMain(m *testing.M) {
	code := dbtest.Run(m) // also terminates the PostgreSQL test container
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binary builds agentdesk once for the tests of this package, unless
// AGENTDESK_BINARY names a binary already built from this tree: .ci/run
// passes the one it built with the Dockerfile's flags, so that its race run
// (cgo on, which -race needs) does not compile the whole program again.
var binary = sync.OnceValues(func() (string, error) {
	if bin := os.Getenv("AGENTDESK_BINARY"); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			return "", fmt.Errorf("AGENTDESK_BINARY: %w", err)
		}
		return bin, nil
	}
	var err error
	if binDir, err = os.MkdirTemp("", "agentdesk-bin"); err != nil {
		return "", err
	}
	bin := filepath.Join(binDir, "agentdesk")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		return "", fmt.Errorf("build: %v\n%s", err, out)
	}
	return bin, nil
})

// serverProcess is the agentdesk binary running as an operator starts it.
type serverProcess struct {
	bin, addr, base string
	cmd             *exec.Cmd
	exited          chan error
	logs            *syncBuffer
}

// startServer runs the binary with the given settings and waits until it
// answers /healthz.
func startServer(t testing.TB, env ...string) *serverProcess {
	t.Helper()
	p := launch(t, env...)
	p.waitFor(t, "/healthz")
	return p
}

// launch runs the binary with the given settings and returns at once. It
// does not drain on SIGTERM unless env sets SHUTDOWN_DRAIN.
func launch(t testing.TB, env ...string) *serverProcess {
	t.Helper()
	return launchWithEnv(t, os.Environ(), env...)
}

// launchWithEnv is launch with base instead of this process's environment.
func launchWithEnv(t testing.TB, base []string, env ...string) *serverProcess {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	p := &serverProcess{bin: bin, addr: freeAddr(t), exited: make(chan error, 1), logs: &syncBuffer{}}
	p.base = "http://" + p.addr
	p.cmd = exec.Command(bin)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	p.cmd.Env = append(append(slices.Clip(base), "LISTEN_ADDR="+p.addr, "SHUTDOWN_DRAIN=0s"), env...)
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() { _ = p.cmd.Process.Kill() })
	return p
}

// status answers the status code of GET path, 0 when unreachable.
func (p *serverProcess) status(path string) int {
	res, err := http.Get(p.base + path)
	if err != nil {
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}

// until polls cond, failing if the process exits or the bound passes.
func (p *serverProcess) until(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		select {
		case err := <-p.exited:
			t.Fatalf("server exited while waiting for %s: %v\n%s", what, err, p.logs)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("never: %s\n%s", what, p.logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *serverProcess) waitFor(t testing.TB, path string) {
	t.Helper()
	p.until(t, path+" answering 200", func() bool { return p.status(path) == http.StatusOK })
}

// terminate sends SIGTERM and expects exit status 0.
func (p *serverProcess) terminate(t testing.TB) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, p.logs)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("still running 30 s after SIGTERM\n%s", p.logs)
	}
}

// syncBuffer collects a process's output while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func freeAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestServeAndShutDown runs the real binary as an operator would: it
// migrates, serves, answers the probes and GraphQL, and exits 0 on SIGTERM.
func TestServeAndShutDown(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		p := startServer(t, "DATABASE_URL="+dbtest.URL(t, d), "PUBLIC_URL=https://desk.example.com")
		for _, path := range []string{"/readyz", "/"} {
			if got := p.status(path); got != http.StatusOK {
				t.Fatalf("GET %s: %d", path, got)
			}
		}
		probe := exec.Command(p.bin, "healthcheck")
		probe.Env = append(os.Environ(), "LISTEN_ADDR="+p.addr)
		if out, err := probe.CombinedOutput(); err != nil {
			t.Fatalf("healthcheck: %v %s", err, out)
		}
		body := `{"query":"mutation { createWorkspace(input: {workspaceName: \"Acme\", ownerName: \"O\", ownerEmail: \"o@example.com\", password: \"password1\"}) { agent { status } } }"}`
		res, err := http.Post(p.base+"/graphql", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !strings.Contains(string(got), `"status":"ACTIVE"`) {
			t.Fatalf("createWorkspace: %s", got)
		}
		p.terminate(t)
	})
}

// TestMetricsOnTheirOwnAddress: with METRICS_ADDR, /metrics is served there
// and the public address answers 404 for it.
func TestMetricsOnTheirOwnAddress(t *testing.T) {
	metricsAddr := freeAddr(t)
	p := startServer(t, "DATABASE_URL=sqlite::memory:", "METRICS_ADDR="+metricsAddr)
	if got := p.status("/metrics"); got != http.StatusNotFound {
		t.Fatalf("public GET /metrics: %d", got)
	}
	res, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "agentdesk_emails") {
		t.Fatalf("GET %s/metrics: %d %.200s", metricsAddr, res.StatusCode, body)
	}
	p.terminate(t)
}

// tcpProxy forwards a loopback port to a server and can cut and restore
// the connection, to play an unreachable database.
type tcpProxy struct {
	addr, target string
	mu           sync.Mutex
	listener     net.Listener
	conns        []net.Conn
}

func (p *tcpProxy) start(t *testing.T) {
	l, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.listener, p.addr = l, l.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", p.target)
			if err != nil {
				in.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, in, out)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(out, in); out.Close() }()
			go func() { _, _ = io.Copy(in, out); in.Close() }()
		}
	}()
}

func (p *tcpProxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	_ = p.listener.Close()
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}

// TestReadinessFollowsTheDatabase cuts the server off its PostgreSQL: the
// readiness probe fails, the process keeps running, and it recovers when the
// database is back.
func TestReadinessFollowsTheDatabase(t *testing.T) {
	dbURL, err := url.Parse(dbtest.URL(t, db.Postgres))
	if err != nil {
		t.Fatal(err)
	}
	proxy := &tcpProxy{addr: "127.0.0.1:0", target: dbURL.Host}
	proxy.start(t)
	t.Cleanup(proxy.stop)
	dbURL.Host = proxy.addr

	p := startServer(t, "DATABASE_URL="+dbURL.String())
	p.waitFor(t, "/readyz")
	proxy.stop()
	p.until(t, "readyz failing without the database", func() bool { return p.status("/readyz") == http.StatusServiceUnavailable })
	if got := p.status("/healthz"); got != http.StatusOK {
		t.Fatalf("healthz = %d while the database is away", got)
	}
	proxy.start(t)
	p.waitFor(t, "/readyz")
	p.terminate(t)
}

// gql posts a GraphQL request to the process and decodes data into dst,
// failing on any error.
func (p *serverProcess) gql(t *testing.T, token, query string, dst any) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"query": query})
	req, _ := http.NewRequest(http.MethodPost, p.base+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Data   json.RawMessage
		Errors []any
	}
	raw, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(raw, &out); err != nil || len(out.Errors) > 0 {
		t.Fatalf("%s: %s", query, raw)
	}
	if err := json.Unmarshal(out.Data, dst); err != nil {
		t.Fatal(err)
	}
}

// Without PUBLIC_URL, activation links point at the address the server
// listens on (here 127.0.0.1 and a free port, not the 8080 of the default
// LISTEN_ADDR).
func TestActivationLinkDefaultsToListenAddress(t *testing.T) {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PUBLIC_URL=") && !strings.HasPrefix(kv, "SMTP_URL=") {
			env = append(env, kv)
		}
	}
	p := launchWithEnv(t, env, "DATABASE_URL=sqlite::memory:")
	p.waitFor(t, "/healthz")
	var signup struct{ CreateWorkspace struct{ Token string } }
	p.gql(t, "", `mutation { createWorkspace(input: {workspaceName: "Acme", ownerName: "O", ownerEmail: "o@example.com", password: "password1"}) { token } }`, &signup)
	var roles struct{ Roles []struct{ ID, Name string } }
	p.gql(t, signup.CreateWorkspace.Token, `{ roles { id name } }`, &roles)
	var invited struct {
		InviteAgent struct{ Agent struct{ ID string } }
	}
	p.gql(t, signup.CreateWorkspace.Token, fmt.Sprintf(`mutation { inviteAgent(input: {email: "ana@example.com", roleIds: [%q]}) { agent { id } } }`,
		roles.Roles[len(roles.Roles)-1].ID), &invited)
	want := p.base + "/activate?token="
	p.until(t, "the activation email in the log", func() bool { return strings.Contains(p.logs.String(), "ana@example.com") })
	if !strings.Contains(p.logs.String(), want) || strings.Contains(p.logs.String(), "localhost:8080") {
		t.Fatalf("want a link %s…, log:\n%s", want, p.logs)
	}
	p.terminate(t)
}
