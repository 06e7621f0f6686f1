// Package livetest is a graphql-transport-ws client for tests: a real
// WebSocket (github.com/coder/websocket) speaking the protocol as
// graphql-ws clients (Apollo's GraphQLWsLink) do, so tests reach the server
// the way a browser does.
package livetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// Subprotocol is the WebSocket subprotocol of graphql-transport-ws.
const Subprotocol = "graphql-transport-ws"

// Message is one protocol message.
type Message struct {
	Type    string          `json:"type"`
	ID      string          `json:"id,omitempty"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// Client is one socket. A goroutine reads it from the start (answering
// pings), so a test can wait for a message or the close with a timeout
// without the read itself closing the socket.
type Client struct {
	conn     *websocket.Conn
	messages chan Message
	closed   chan struct{}
	// CloseCode and CloseReason are the server's close frame, once closed
	// is done (-1: the connection ended without one).
	CloseCode   websocket.StatusCode
	CloseReason string
}

// Options adjust Dial.
type Options struct {
	// Origin, if set, is sent as a browser would.
	Origin string
	// InitPayload replaces {"Authorization": "Bearer <token>"}.
	InitPayload map[string]any
}

// Dial opens a socket to url (ws://…/query), sends connection_init with the
// token and returns once the server acknowledged it. If the server closes
// the socket instead, the client is returned with the error, so the close
// code can be read.
func Dial(ctx context.Context, url, token string, opts Options) (*Client, error) {
	header := http.Header{}
	if opts.Origin != "" {
		header.Set("Origin", opts.Origin)
	}
	conn, res, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{Subprotocol}, HTTPHeader: header})
	if err != nil {
		if res != nil {
			return nil, fmt.Errorf("dial: %w (HTTP %d)", err, res.StatusCode)
		}
		return nil, fmt.Errorf("dial: %w", err)
	}
	conn.SetReadLimit(8 << 20)
	c := &Client{conn: conn, messages: make(chan Message, 1024), closed: make(chan struct{}), CloseCode: -1}
	go c.read()
	payload := opts.InitPayload
	if payload == nil {
		payload = map[string]any{"Authorization": "Bearer " + token}
	}
	if err := c.Send(ctx, Message{Type: "connection_init", Payload: mustJSON(payload)}); err != nil {
		return c, err
	}
	m, err := c.Next(ctx)
	if err != nil {
		return c, err
	}
	if m.Type != "connection_ack" {
		return c, fmt.Errorf("want connection_ack, got %s", m.Type)
	}
	return c, nil
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func (c *Client) read() {
	defer close(c.closed)
	for {
		_, data, err := c.conn.Read(context.Background())
		if err != nil {
			var ce websocket.CloseError
			if errors.As(err, &ce) {
				c.CloseCode, c.CloseReason = ce.Code, ce.Reason
			}
			return
		}
		var m Message
		if json.Unmarshal(data, &m) != nil {
			continue
		}
		if m.Type == "ping" {
			_ = c.Send(context.Background(), Message{Type: "pong"})
			continue
		}
		if m.Type == "pong" {
			continue
		}
		c.messages <- m
	}
}

// Send writes one message.
func (c *Client) Send(ctx context.Context, m Message) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return c.conn.Write(ctx, websocket.MessageText, b)
}

// Subscribe starts operation id.
func (c *Client) Subscribe(ctx context.Context, id, query string, variables map[string]any) error {
	return c.Send(ctx, Message{Type: "subscribe", ID: id,
		Payload: mustJSON(map[string]any{"query": query, "variables": variables})})
}

// ErrClosed is Next's answer once the server closed the socket.
var ErrClosed = errors.New("socket closed")

// Next returns the next message, ErrClosed once the socket is closed, or
// ctx's error.
func (c *Client) Next(ctx context.Context) (Message, error) {
	select {
	case m := <-c.messages:
		return m, nil
	case <-ctx.Done():
		return Message{}, ctx.Err()
	case <-c.closed:
		select {
		case m := <-c.messages:
			return m, nil
		default:
		}
		return Message{}, fmt.Errorf("%w: %d %s", ErrClosed, c.CloseCode, c.CloseReason)
	}
}

// NextWithin is Next with a timeout.
func (c *Client) NextWithin(d time.Duration) (Message, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return c.Next(ctx)
}

// Closed returns when the server has closed the socket, or false after d.
func (c *Client) Closed(d time.Duration) bool {
	select {
	case <-c.closed:
		return true
	case <-time.After(d):
		return false
	}
}

// Close closes the socket from the client's side.
func (c *Client) Close() { _ = c.conn.Close(websocket.StatusNormalClosure, "bye") }

// Data decodes a "next" message's payload.data into dst; an "error" or a
// payload with errors is an error.
func (m Message) Data(dst any) error {
	if m.Type != "next" {
		return fmt.Errorf("want a next message, got %s %s", m.Type, m.Payload)
	}
	var p struct {
		Data   json.RawMessage `json:"data"`
		Errors json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		return err
	}
	if len(p.Errors) > 0 && string(p.Errors) != "null" {
		return fmt.Errorf("errors: %s", p.Errors)
	}
	return json.Unmarshal(p.Data, dst)
}

// URL turns an http:// base URL into the ws:// URL of its /query.
func URL(httpBase string) string {
	return "ws" + strings.TrimPrefix(httpBase, "http") + "/query"
}
