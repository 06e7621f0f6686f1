package graph_test

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"agentdesk/db"
	"agentdesk/httpapi"
)

// TestUnreadAnswersGiveBackTheirSlot: a client that asks for a large answer
// and never reads it is cut off once it stops taking bytes, and its slot
// serves the next request. (Before, the slot stayed held until the write
// deadline, twice the request timeout, and every other request got 503.)
// The 30 s read deadline only keeps a failing run from hanging.
func TestUnreadAnswersGiveBackTheirSlot(t *testing.T) {
	s := newServer(t, db.SQLite)
	owner := s.createWorkspace("Slow")
	conv := s.conversation(owner.Token, "EMAIL")
	body := strings.Repeat("😀", 10_000) // 40 KB
	for range 50 {
		s.must(owner.Token, sendQ, map[string]any{"c": conv, "b": body}, nil)
	}
	h := httpapi.NewHandler(httpapi.Config{Team: s.svc, Sessions: s.svc.Sessions, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Ready: s.db.Ping, MaxConcurrent: 1, Timeout: 12 * time.Second})
	// The server's side of each connection gets a small send buffer, as
	// on a real link, so that an unread answer blocks its write instead of
	// vanishing into loopback's large kernel buffers.
	srv := httptest.NewUnstartedServer(h)
	srv.Listener = smallSendBuffers{srv.Listener}
	srv.Start()
	defer srv.Close()

	// A reader with a 4 KB window that never reads: the server's write of
	// a 2 MB answer blocks as soon as the kernel's buffers are full.
	dialer := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	conn, err := dialer.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	q := fmt.Sprintf(`{"query":"{ conversation(id: \"%s\") { messages(first: 50) { edges { node { body } } } } }"}`, conv)
	fmt.Fprintf(conn, "POST /query HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", owner.Token, len(q), q)
	time.Sleep(500 * time.Millisecond) // let it take the slot (ordering only)

	client := srv.Client()
	client.Timeout = 30 * time.Second
	res, err := client.Post(srv.URL+"/query", "application/json", strings.NewReader(`{"query":"{ __typename }"}`))
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(answer), `"__typename":"Query"`) {
		t.Fatalf("the next request, while an answer stays unread: %d %s", res.StatusCode, answer)
	}
}

// smallSendBuffers gives every accepted connection a 16 KB send buffer.
type smallSendBuffers struct{ net.Listener }

func (l smallSendBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(16 << 10)
	}
	return c, err
}
