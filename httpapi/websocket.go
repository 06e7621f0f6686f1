package httpapi

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"agentdesk/apperr"
	"agentdesk/auth"
	"agentdesk/graph"
	"agentdesk/live"
	"agentdesk/reqctx"
)

// Subscriptions (BEHAVIOUR.md §7) run over graphql-transport-ws on a
// WebSocket at /query and /graphql. A socket is not a request: it skips the
// request timeout, the in-flight slots, the per-client bound and the
// steady-write rule of the HTTP path (each would cut or starve a
// connection that lives for hours), and is bounded instead by these.
const (
	// DefaultMaxSocketsPerAgent bounds the sockets of one agent (per
	// process) unless MAX_SOCKETS_PER_AGENT says otherwise.
	DefaultMaxSocketsPerAgent = 10
	// MaxUnsignedSocketsPerClient bounds the sockets one client (IPv4
	// address, IPv6 /64) holds open before their connection_init: anyone
	// may open those, and each holds a file descriptor and memory until
	// socketInitTimeout. Signed-in sockets are bounded per agent instead.
	MaxUnsignedSocketsPerClient = 32
	// socketInitTimeout is how long a socket may wait to send
	// connection_init before it is closed.
	socketInitTimeout = 10 * time.Second
	// socketPingInterval: the server pings each socket this often and drops
	// one that has not answered within two intervals.
	socketPingInterval = 20 * time.Second
)

// Close codes of graphql-transport-ws (and of the WebSocket spec) the
// server sends.
const (
	closeUnauthorized     = 4401 // no, a bad, or an ended session
	closeTooManySockets   = 4429 // the agent holds its fill of sockets already
	closeInternalError    = 1011
	closeServerGoingAway  = 1001
	closeReasonBadSession = "Unauthorized"
)

// sockets are the live sockets of one handler: the per-agent bound, and
// closing them all at shutdown.
type sockets struct {
	sessions auth.ViewerResolver
	srv      *graph.Server
	broker   *live.Broker
	log      *slog.Logger
	perAgent int

	mu      sync.Mutex
	open    map[*socket]struct{}
	byAgent map[int64]int
	// unsigned counts, per client key, the sockets that have not sent
	// connection_init yet.
	unsigned map[string]int
}

// socket is one WebSocket connection after its connection_init: whose it
// is, its operations, and how to close it.
type socket struct {
	owner *sockets
	// conn is the connection, for a close code of our choosing.
	conn transport.WebsocketConn
	// cancel ends the connection's context: gqlgen then stops its
	// operations and closes the socket.
	cancel    context.CancelFunc
	agentID   int64
	sessionID int64
	counted   bool
	release   sync.Once
	// clientKey holds a place among its client's unsigned sockets until
	// connection_init ("" once released).
	clientKey string
}

type socketKey struct{}

func socketFrom(ctx context.Context) *socket {
	s, _ := ctx.Value(socketKey{}).(*socket)
	return s
}

func newSockets(cfg Config, srv *graph.Server) *sockets {
	return &sockets{sessions: cfg.Sessions, srv: srv, broker: cfg.Live, log: cfg.Log,
		perAgent: cmp.Or(cfg.MaxSocketsPerAgent, DefaultMaxSocketsPerAgent),
		open:     map[*socket]struct{}{}, byAgent: map[int64]int{}, unsigned: map[string]int{}}
}

// websocketTransport is gqlgen's WebSocket transport as agentdesk runs it.
func (ss *sockets) websocketTransport(maxMessageBytes int64) transport.Websocket {
	return transport.Websocket{
		Implementation:   trackedConns{},
		InitFunc:         ss.init,
		InitTimeout:      socketInitTimeout,
		PingPongInterval: socketPingInterval,
		PayloadReadLimit: &maxMessageBytes,
		CloseFunc:        func(ctx context.Context, _ int) { socketFrom(ctx).end() },
		ErrorFunc: func(ctx context.Context, err error) {
			ss.log.Debug("websocket", "request_id", reqctx.RequestID(ctx), "err", err)
		},
	}
}

// handler serves WebSocket upgrades with the GraphQL server srv (which has
// the transport): after the origin check and a check of the handshake,
// outside the request limits.
func (ss *sockets) handler(allowedOrigins []string, localDev bool, srv http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !websocketOriginAllowed(allowedOrigins, localDev, r) {
			writeTransportErr(w, r, http.StatusForbidden, &gqlerror.Error{
				Message:    "This origin may not open a WebSocket here (ALLOWED_ORIGINS).",
				Extensions: map[string]any{"code": string(apperr.Forbidden)}})
			return
		}
		if !websocketHandshake(r) {
			w.Header().Set("Sec-WebSocket-Version", "13")
			writeTransportError(w, r, http.StatusBadRequest, reasonHandshake,
				"Not a WebSocket handshake (RFC 6455: Connection: Upgrade, Sec-WebSocket-Version: 13, one Sec-WebSocket-Key).")
			return
		}
		s := &socket{owner: ss}
		if !ss.holdUnsigned(s, reqctx.ClientKey(r.Context())) {
			w.Header().Set("Retry-After", "10")
			writeTransportErr(w, r, http.StatusTooManyRequests, &gqlerror.Error{
				Message:    "Too many sockets from this client are waiting for connection_init.",
				Extensions: map[string]any{"code": string(apperr.RateLimited), "retryAfterSeconds": 10}})
			return
		}
		defer s.end()
		srv.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), socketKey{}, s)))
	})
}

// withWebsockets sends WebSocket handshakes to ws and everything else to
// api. gqlgen's WebSocket transport claims every request with an Upgrade
// header, and answers one that is no handshake in text/plain, repeating the
// client's headers (up to the 64 KB header limit) there and in the standard
// log. So an upgrade this server does not take (h2c, or "websocket" on a
// POST) is ignored, as a server may (RFC 9110 §7.8), and the request served
// as it is; a GET asking for a WebSocket that is no valid handshake is
// refused by ws (sockets.handler), with a GraphQL error like the other
// transport refusals.
func withWebsockets(ws, api http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.Header.Values("Upgrade")) == 0 {
			api.ServeHTTP(w, r)
			return
		}
		if r.Method == http.MethodGet && headerHasToken(r.Header, "Upgrade", "websocket") {
			ws.ServeHTTP(w, r) // which refuses what is no handshake
			return
		}
		r = r.Clone(r.Context())
		r.Header.Del("Upgrade")
		api.ServeHTTP(w, r)
	})
}

// websocketHandshake checks what coder/websocket's Accept checks of a GET
// asking for a WebSocket, so that Accept never refuses it (its refusal
// repeats the client's headers).
func websocketHandshake(r *http.Request) bool {
	if !r.ProtoAtLeast(1, 1) || !headerHasToken(r.Header, "Connection", "upgrade") ||
		r.Header.Get("Sec-WebSocket-Version") != "13" {
		return false
	}
	keys := r.Header.Values("Sec-WebSocket-Key")
	if len(keys) != 1 {
		return false
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(keys[0]))
	return err == nil && len(key) == 16
}

// headerHasToken reports whether the comma-separated values of header name
// hold token (case-insensitively), as Connection and Upgrade do.
func headerHasToken(h http.Header, name, token string) bool {
	for _, value := range h.Values(name) {
		for part := range strings.SplitSeq(value, ",") {
			if strings.EqualFold(strings.TrimSpace(part), token) {
				return true
			}
		}
	}
	return false
}

// websocketOriginAllowed: a browser page may open a socket from its own
// origin or from one CORS allows (ALLOWED_ORIGINS, and in development any
// http://localhost or 127.0.0.1 port, as withCORS). Browsers always send
// Origin on a WebSocket; clients that are not browsers send none and need
// no protection from cross-site use (they hold the token themselves).
func websocketOriginAllowed(allowed []string, localDev bool, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || slices.Contains(allowed, "*") || slices.Contains(allowed, origin) || (localDev && isLocalOrigin(origin)) {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

// trackedConns accepts sockets with coder/websocket (the origin was checked
// before) and keeps each connection on its socket, so the server can close
// it with a code of its own (4401 when the session ends).
type trackedConns struct{}

func (trackedConns) Accept(w http.ResponseWriter, r *http.Request, opts transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	impl := transport.CoderWebsocketImplementation{}
	impl.AcceptOptions.InsecureSkipVerify = true
	conn, err := impl.Accept(w, r, opts)
	if err == nil {
		if s := socketFrom(r.Context()); s != nil {
			s.conn = conn
		}
	}
	return conn, err
}

// socketToken reads the session token of connection_init's payload:
// {"Authorization": "Bearer <token>"} as the contract says, and the
// {"authToken": …} and {"token": …} that some clients send.
func socketToken(p transport.InitPayload) string {
	if h := p.Authorization(); h != "" {
		if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
			return strings.TrimSpace(h[7:])
		}
		return strings.TrimSpace(h)
	}
	for _, key := range []string{"authToken", "token"} {
		if t := p.GetString(key); t != "" {
			return strings.TrimSpace(strings.TrimPrefix(t, "Bearer "))
		}
	}
	return ""
}

// init authenticates a socket from its connection_init. No, a bad or an
// ended session closes it with 4401; an agent that holds its fill of
// sockets already (MAX_SOCKETS_PER_AGENT), with 4429.
func (ss *sockets) init(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	s := socketFrom(ctx)
	s.releaseUnsigned()
	token := socketToken(payload)
	if s == nil || token == "" {
		return refuse(ctx, closeUnauthorized, closeReasonBadSession)
	}
	ctx = auth.WithToken(ctx, ss.sessions, token)
	v, err := auth.ViewerFrom(ctx)
	if e, ok := apperr.As(err); ok && e.Code == apperr.Unauthenticated {
		return refuse(ctx, closeUnauthorized, closeReasonBadSession)
	}
	if err != nil {
		ss.log.Error("websocket: session lookup failed", "request_id", reqctx.RequestID(ctx), "err", err)
		return refuse(ctx, closeInternalError, "internal error")
	}
	if !ss.admit(s, v) {
		return refuse(ctx, closeTooManySockets, "Too many sockets for this agent")
	}
	ctx, s.cancel = context.WithCancel(ctx)
	ctx = ss.srv.WithConnection(ctx, ss.log, func() { s.close(closeUnauthorized, "Session ended") })
	s.watchSession(ctx, v)
	return ctx, nil, nil
}

func refuse(ctx context.Context, code int, reason string) (context.Context, *transport.InitPayload, error) {
	ctx = transport.WithWebsocketCloseCode(ctx, code)
	return transport.AppendCloseReason(ctx, reason), nil, errors.New(reason)
}

// admit counts the socket for its agent, unless the agent has its fill.
func (ss *sockets) admit(s *socket, v *auth.Viewer) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.byAgent[v.AgentID] >= ss.perAgent {
		return false
	}
	ss.byAgent[v.AgentID]++
	ss.open[s] = struct{}{}
	s.agentID, s.sessionID, s.counted = v.AgentID, v.SessionID, true
	return true
}

// holdUnsigned takes a place for s among the unsigned sockets of its
// client, unless the client holds MaxUnsignedSocketsPerClient already.
func (ss *sockets) holdUnsigned(s *socket, clientKey string) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.unsigned[clientKey] >= MaxUnsignedSocketsPerClient {
		return false
	}
	ss.unsigned[clientKey]++
	s.clientKey = clientKey
	return true
}

// releaseUnsigned gives back s's place among its client's unsigned
// sockets: it sent connection_init or closed (idempotent).
func (s *socket) releaseUnsigned() {
	if s == nil {
		return
	}
	ss := s.owner
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if s.clientKey == "" {
		return
	}
	if ss.unsigned[s.clientKey]--; ss.unsigned[s.clientKey] <= 0 {
		delete(ss.unsigned, s.clientKey)
	}
	s.clientKey = ""
}

// end forgets a closed socket (idempotent).
func (s *socket) end() {
	if s == nil {
		return
	}
	s.releaseUnsigned()
	s.release.Do(func() {
		if s.cancel != nil {
			s.cancel()
		}
		if !s.counted {
			return
		}
		ss := s.owner
		ss.mu.Lock()
		delete(ss.open, s)
		if ss.byAgent[s.agentID]--; ss.byAgent[s.agentID] <= 0 {
			delete(ss.byAgent, s.agentID)
		}
		ss.mu.Unlock()
	})
}

// close closes the socket with code and reason, then ends it.
func (s *socket) close(code int, reason string) {
	if s.conn != nil {
		_ = s.conn.WriteClose(code, reason)
	}
	s.end()
}

// closeAll closes every socket (shutdown): clients reconnect elsewhere.
func (ss *sockets) closeAll() {
	ss.mu.Lock()
	open := make([]*socket, 0, len(ss.open))
	for s := range ss.open {
		open = append(open, s)
	}
	ss.mu.Unlock()
	for _, s := range open {
		s.close(closeServerGoingAway, "server shutting down")
	}
}

// watchSession closes the socket within moments of its session ending: a
// logout or the agent's removal (events), a lost event stream (Resync), or
// the session's expiry (a timer). Each looks the session up again; only a
// session that is really gone closes the socket. It holds no goroutine
// while nothing happens: an idle socket costs a broker entry and a timer.
func (s *socket) watchSession(ctx context.Context, v *auth.Viewer) {
	// state: 0 idle, 1 a check runs, 2 a check runs and another was asked
	// for meanwhile (its lookup may have begun before that event's commit).
	var state atomic.Int32
	var expiry *time.Timer
	lookup := func() (ended bool) {
		fresh, err := auth.Refresh(ctx)
		if e, ok := apperr.As(err); ok && e.Code == apperr.Unauthenticated {
			s.close(closeUnauthorized, "Session ended")
			return true
		}
		if err == nil {
			// At least a few seconds: a server clock behind the database's
			// must not make this a busy loop.
			expiry.Reset(untilExpiry(fresh, 5*time.Second))
		} else if ctx.Err() == nil {
			s.owner.log.Warn("websocket: session re-check failed", "err", err)
		}
		return false
	}
	check := func() {
		if state.Add(1) != 1 {
			state.Store(2) // the running check looks again when done
			return
		}
		go func() {
			for !lookup() && !state.CompareAndSwap(1, 0) {
				state.Store(1)
			}
		}()
	}
	expiry = time.AfterFunc(untilExpiry(v, time.Second), check)
	sub := s.owner.broker.SubscribeFunc(v.WorkspaceID, func(ev live.Event) {
		if s.concerns(ev) {
			check()
		}
	})
	context.AfterFunc(ctx, func() {
		expiry.Stop()
		sub.Close()
	})
}

// concerns reports whether ev may have ended the socket's session.
func (s *socket) concerns(ev live.Event) bool {
	switch ev.Kind {
	case live.Resync:
		return true
	case live.SessionEnded:
		return ev.ID == s.agentID && (ev.SessionID == 0 || ev.SessionID == s.sessionID)
	case live.AgentChanged:
		return ev.ID == s.agentID && ev.Change == live.AgentRemoved
	}
	return false
}

// untilExpiry is the wait before re-checking v's session for its expiry,
// never less than atLeast.
func untilExpiry(v *auth.Viewer, atLeast time.Duration) time.Duration {
	return max(time.Until(v.SessionExpiresAt)+100*time.Millisecond, atLeast)
}

// collectors export the open sockets and the broker's subscriptions (one
// per socket for its session, one per running subscription).
func (ss *sockets) collectors() []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "agentdesk_websockets",
			Help: "Open WebSockets (after connection_init)."}, func() float64 {
			ss.mu.Lock()
			defer ss.mu.Unlock()
			return float64(len(ss.open))
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "agentdesk_live_subscriptions",
			Help: "Live-update subscriptions of this process: one per socket, one per running GraphQL subscription."},
			func() float64 { return float64(ss.broker.Subscribers()) }),
	}
}
