package httpapi_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"agentdesk/httpapi"
)

// TestTrickledBodyIsCutOffAtTheRequestTimeout: a client that announces a
// body and sends it a byte at a time does not hold its connection beyond
// the request timeout; it is answered with a GraphQL error. (The 10 s read
// deadline below only keeps a failing run from hanging; nothing is timed.)
func TestTrickledBodyIsCutOffAtTheRequestTimeout(t *testing.T) {
	svc, database := newTeam(t)
	h := httpapi.NewHandler(httpapi.Config{Team: svc, Sessions: svc.Sessions, Log: quietLog(),
		Ready: database.Ping, Timeout: 200 * time.Millisecond})
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
	svc, database := newTeam(t)
	h := httpapi.NewHandler(httpapi.Config{Team: svc, Sessions: svc.Sessions, Log: quietLog(),
		Ready: database.Ping, MaxConcurrent: 1, Timeout: 5 * time.Second})
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
