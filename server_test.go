package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"agentdesk/db"
	"agentdesk/db/dbtest"
)

// TestServeAndShutDown runs the real binary as an operator would: it
// migrates, serves, answers the probes and GraphQL, and exits 0 on SIGTERM.
func TestServeAndShutDown(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "agentdesk")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		addr := freeAddr(t)
		cmd := exec.Command(bin)
		var logs bytes.Buffer
		cmd.Stdout, cmd.Stderr = &logs, &logs
		cmd.Env = append(os.Environ(), "LISTEN_ADDR="+addr, "DATABASE_URL="+dbtest.URL(t, d),
			"PUBLIC_URL=https://desk.example.com")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		t.Cleanup(func() { _ = cmd.Process.Kill() })

		base := "http://" + addr
		waitFor(t, base+"/healthz", exited, &logs)
		for _, path := range []string{"/readyz", "/"} {
			res, err := http.Get(base + path)
			if err != nil || res.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %v %v", path, res, err)
			}
			res.Body.Close()
		}
		probe := exec.Command(bin, "healthcheck")
		probe.Env = append(os.Environ(), "LISTEN_ADDR="+addr)
		if out, err := probe.CombinedOutput(); err != nil {
			t.Fatalf("healthcheck: %v %s", err, out)
		}
		body := `{"query":"mutation { createWorkspace(input: {workspaceName: \"Acme\", ownerName: \"O\", ownerEmail: \"o@example.com\", password: \"password1\"}) { agent { status } } }"}`
		res, err := http.Post(base+"/graphql", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !strings.Contains(string(got), `"status":"ACTIVE"`) {
			t.Fatalf("createWorkspace: %s", got)
		}

		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-exited:
			if err != nil {
				t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("still running 30 s after SIGTERM\n%s", logs.String())
		}
	})
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitFor(t *testing.T, url string, exited chan error, logs *bytes.Buffer) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		select {
		case err := <-exited:
			t.Fatalf("server exited: %v\n%s", err, logs.String())
		default:
		}
		if res, err := http.Get(url); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never answered\n%s", url, logs.String())
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
	bin := filepath.Join(t.TempDir(), "agentdesk")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	dbURL, err := url.Parse(dbtest.URL(t, db.Postgres))
	if err != nil {
		t.Fatal(err)
	}
	proxy := &tcpProxy{addr: "127.0.0.1:0", target: dbURL.Host}
	proxy.start(t)
	t.Cleanup(proxy.stop)
	dbURL.Host = proxy.addr

	addr := freeAddr(t)
	cmd := exec.Command(bin)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.Env = append(os.Environ(), "LISTEN_ADDR="+addr, "DATABASE_URL="+dbURL.String())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	base := "http://" + addr
	waitFor(t, base+"/readyz", exited, &logs)

	status := func(path string) int {
		res, err := http.Get(base + path)
		if err != nil {
			return 0
		}
		res.Body.Close()
		return res.StatusCode
	}
	until := func(what string, cond func() bool) {
		deadline := time.Now().Add(30 * time.Second)
		for !cond() {
			select {
			case err := <-exited:
				t.Fatalf("server exited while %s: %v\n%s", what, err, logs.String())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("never: %s\n%s", what, logs.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	proxy.stop()
	until("readyz fails without the database", func() bool { return status("/readyz") == http.StatusServiceUnavailable })
	if got := status("/healthz"); got != http.StatusOK {
		t.Fatalf("healthz = %d while the database is away", got)
	}
	proxy.start(t)
	until("readyz recovers", func() bool { return status("/readyz") == http.StatusOK })

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("still running 30 s after SIGTERM\n%s", logs.String())
	}
}
