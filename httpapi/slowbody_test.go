package graph_test

import (
	"bufio"
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

// TestTrickledBodyIsCutOffAtTheRequestTimeout: a client that announces a
// body and sends it a byte at a time does not hold its connection beyond
// the request timeout; it is answered with a GraphQL error. (The 10 s read
// deadline below only keeps a failing run from hanging; nothing is timed.)
func TestTrickledBodyIsCutOffAtTheRequestTimeout(t *testing.T) {
	s := newServer(t, db.SQLite)
	h := httpapi.NewHandler(httpapi.Config{Team: s.svc, Sessions: s.svc.Sessions, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Ready: s.db.Ping, Timeout: 200 * time.Millisecond})
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

// TestSlowBodiesDoNotTakeTheSlots: clients trickling their bodies do not
// hold the slots of running requests, so with every slot's worth of them
// connected, an honest request is answered at once. (Before, 150 such
// connections kept all 32 slots for good.)
func TestSlowBodiesDoNotTakeTheSlots(t *testing.T) {
	s := newServer(t, db.SQLite)
	h := httpapi.NewHandler(httpapi.Config{Team: s.svc, Sessions: s.svc.Sessions, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Ready: s.db.Ping, MaxConcurrent: 1, Timeout: 5 * time.Second})
	srv := httptest.NewServer(h)
	defer srv.Close()

	var slow []net.Conn
	for range 3 {
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_, _ = io.WriteString(conn, "POST /query HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
		slow = append(slow, conn)
	}
	time.Sleep(200 * time.Millisecond) // let the server take them in (ordering only)

	res, err := srv.Client().Post(srv.URL+"/query", "application/json", strings.NewReader(`{"query":"{ __typename }"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"__typename":"Query"`) {
		t.Fatalf("honest request: %d %s", res.StatusCode, body)
	}
	// The slow ones are still waiting for their bodies: the honest request
	// did not wait for them to be cut off.
	_ = slow[0].SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if n, err := slow[0].Read(make([]byte, 1)); n > 0 || err == nil {
		t.Fatal("a trickled request was answered before the honest one")
	}
}

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
