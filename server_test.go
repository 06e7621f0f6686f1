package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
