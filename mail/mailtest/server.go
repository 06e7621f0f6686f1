// Package mailtest runs a real SMTP server (emersion/go-smtp) inside a test
// process, so delivery is tested over an actual SMTP exchange.
package mailtest

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Message is one email the server accepted.
type Message struct {
	From string
	To   []string
	Raw  []byte
	// Received is when the server had the whole message (before it
	// answered 250).
	Received time.Time
}

// Server is an SMTP server on loopback that keeps what it receives.
type Server struct {
	// URL is the SMTP_URL that reaches it.
	URL string

	mu       sync.Mutex
	messages []Message
	refuse   int
	delay    time.Duration
	notify   chan struct{}
	// sending receives one value each time a DATA command starts.
	sending chan struct{}
}

// Start runs a server until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{URL: "smtp://" + l.Addr().String(), notify: make(chan struct{}, 1), sending: make(chan struct{}, 100)}
	srv := smtp.NewServer(backend{s})
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

// RefuseNext makes the next n deliveries fail with a temporary error (421).
func (s *Server) RefuseNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = n
}

// Delay makes the server wait d after each DATA command before reading the
// message: a slow server, during which the sender is mid-send. What the
// sender wrote waits in the socket meanwhile, so a sender that dies during
// the wait still leaves a whole message once d has passed (as a real server
// keeps a message whose sender stopped listening); only a d longer than the
// test, such as time.Hour, leaves none.
func (s *Server) Delay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// Sending is signalled each time a DATA command starts.
func (s *Server) Sending() <-chan struct{} { return s.sending }

// Messages returns what was received so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// WaitFor waits until at least n messages have arrived or the bound passes,
// and returns what arrived. The bound only stops a broken test from hanging.
func (s *Server) WaitFor(n int, bound time.Duration) []Message {
	deadline := time.After(bound)
	for {
		if msgs := s.Messages(); len(msgs) >= n {
			return msgs
		}
		select {
		case <-s.notify:
		case <-deadline:
			return s.Messages()
		}
	}
}

type backend struct{ s *Server }

func (b backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{s: b.s}, nil }

type session struct {
	s    *Server
	from string
	to   []string
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	if ss.s.refuse > 0 {
		ss.s.refuse--
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	select {
	case ss.s.sending <- struct{}{}:
	default:
	}
	ss.s.mu.Lock()
	delay := ss.s.delay
	ss.s.mu.Unlock()
	time.Sleep(delay)
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	ss.s.messages = append(ss.s.messages, Message{From: ss.from, To: ss.to, Raw: raw, Received: time.Now()})
	ss.s.mu.Unlock()
	select {
	case ss.s.notify <- struct{}{}:
	default:
	}
	return nil
}

// Part returns the decoded body of the message's part of the media type
// (e.g. "text/plain"), or "" if it has none.
func (m Message) Part(mediaType string) string {
	msg, err := netmail.ReadMessage(bytes.NewReader(m.Raw))
	if err != nil {
		return ""
	}
	return findPart(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, mediaType)
}

// Header returns a decoded header of the message.
func (m Message) Header(name string) string {
	msg, err := netmail.ReadMessage(bytes.NewReader(m.Raw))
	if err != nil {
		return ""
	}
	v, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get(name))
	if err != nil {
		return msg.Header.Get(name)
	}
	return v
}

func findPart(contentType, encoding string, body io.Reader, want string) string {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				return ""
			}
			if got := findPart(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, want); got != "" {
				return got
			}
		}
	}
	if mediaType != want {
		return ""
	}
	var r io.Reader = body
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	case "base64":
		r = base64Reader(body)
	}
	out, _ := io.ReadAll(r)
	return string(out)
}
