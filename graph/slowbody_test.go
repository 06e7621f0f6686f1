package graph_test

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"agentdesk/db"
	"agentdesk/graph"
)

// TestTrickledBodyIsCutOffAtTheRequestTimeout: a client that announces a
// body and sends it a byte at a time does not hold its connection beyond
// the request timeout; it is answered with a GraphQL error. (The 10 s read
// deadline below only keeps a failing run from hanging; nothing is timed.)
func TestTrickledBodyIsCutOffAtTheRequestTimeout(t *testing.T) {
	s := newServer(t, db.SQLite)
	h := graph.NewHandler(graph.Config{Team: s.svc, Sessions: s.svc.Sessions, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Ready: s.db.Ping, Limits: graph.Limits{Timeout: 200 * time.Millisecond}})
	srv := httptest.NewServer(h)
	defer srv.Close()

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = io.WriteString(conn, "POST /query HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"query\":")
	stop := make(chan struct{})
	defer close(stop)
	go func() { // one byte every 50 ms: never idle long enough for any idle timeout
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
				if _, err := conn.Write([]byte(" ")); err != nil {
					return
				}
			}
		}
	}()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a trickled body: %v", err)
	}
	body, _ := io.ReadAll(res.Body)
	if !strings.Contains(string(body), `"code":"BAD_USER_INPUT"`) {
		t.Fatalf("answer %d %s", res.StatusCode, body)
	}
}
