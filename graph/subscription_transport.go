package graph

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/callcfg/callcfg/feed"
)

// The streaming transports of subscriptions, beside GraphQL over HTTP:
// gqlgen's WebSocket transport (graphql-transport-ws, and the legacy
// graphql-ws protocol) and its Server-Sent Events transport, each wrapped
// for what this service adds: the key in connection_init, per-key
// connection counts, origin checks, the request bounds of GraphQL over
// HTTP, and a close that says why.

// CodeOriginNotAllowed: a WebSocket from a browser page on an origin that
// is neither this server's nor one of --cors-origins (HTTP 403).
const CodeOriginNotAllowed = "ORIGIN_NOT_ALLOWED"

// WebSocket close codes beyond RFC 6455's, as graphql-ws uses them.
const (
	closeForbidden       = 4403 // connection_init without a valid key
	closeTooManyRequests = 4429 // over a limit: connections per key, the key's rate
	closeGoingAway       = 1001 // the server shuts down
	closeTryAgainLater   = 1013 // the database is unavailable
	closeInternalError   = 1011
)

// DefaultKeepAlive is how often a quiet stream is pinged.
const DefaultKeepAlive = 25 * time.Second

// wsInitTimeout bounds how long a socket may stay open without
// connection_init, holding a place no key pays for.
const wsInitTimeout = 10 * time.Second

// wsConnection is what the server knows of one WebSocket.
type wsConnection struct {
	cancel context.CancelFunc

	mu   sync.Mutex
	ws   transport.WebsocketConn
	conn *feed.Conn
}

type wsConnectionKey struct{}

func wsConnectionFrom(ctx context.Context) *wsConnection {
	c, _ := ctx.Value(wsConnectionKey{}).(*wsConnection)
	return c
}

// shutdown closes the socket with 1001 (graphql-ws clients then reconnect,
// to another replica) and ends its subscriptions without completing them.
func (c *wsConnection) shutdown() {
	c.mu.Lock()
	ws := c.ws
	c.mu.Unlock()
	if ws != nil {
		_ = ws.WriteClose(closeGoingAway, "The server is shutting down; connect again.")
	}
	c.cancel()
}

// close releases the connection once gqlgen is done with it, whatever
// path it left by.
func (c *wsConnection) close() {
	c.mu.Lock()
	ws, conn := c.ws, c.conn
	c.mu.Unlock()
	if conn != nil {
		conn.Close()
	}
	if ws != nil {
		_ = ws.Close()
	}
}

// wsImplementation accepts the upgrade as gqlgen's default does (the
// coder/websocket library), once the origin is checked, and keeps the
// socket so that the server can close it with a code of its own.
type wsImplementation struct{}

func (wsImplementation) Accept(w http.ResponseWriter, r *http.Request, opts transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	// The socket outlives the request: the HTTP server's read and write
	// deadlines would cut it after a few seconds.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	impl := transport.CoderWebsocketImplementation{}
	// The origin was checked before (wsTransport.Do), against the same
	// list CORS uses.
	impl.AcceptOptions.InsecureSkipVerify = true
	ws, err := impl.Accept(w, r, opts)
	if err == nil {
		if c := wsConnectionFrom(r.Context()); c != nil {
			c.mu.Lock()
			c.ws = ws
			c.mu.Unlock()
		}
	}
	return ws, err
}

// wsTransport is gqlgen's WebSocket transport with this service's
// connection handling around it.
type wsTransport struct {
	ws      transport.Websocket
	origins originCheck
}

func newWSTransport(h *handler, keepAlive time.Duration) wsTransport {
	limit := h.opts.MaxBodyBytes
	t := wsTransport{origins: newOriginCheck(h.opts.Origins, h.opts.PublicURL)}
	t.ws = transport.Websocket{
		Implementation:        wsImplementation{},
		InitFunc:              h.wsInit,
		InitTimeout:           wsInitTimeout,
		KeepAlivePingInterval: keepAlive,
		PingPongInterval:      keepAlive,
		PayloadReadLimit:      &limit,
	}
	return t
}

func (t wsTransport) Supports(r *http.Request) bool { return t.ws.Supports(r) }

func (t wsTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	if r.Method != http.MethodGet || !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		writeRefusal(w, mediaJSON, badRequest("Only a WebSocket upgrade (GET, Upgrade: websocket) is served with an Upgrade header."))
		return
	}
	if !t.origins.allows(r) {
		writeRefusal(w, mediaJSON, &refusal{http.StatusForbidden,
			"WebSockets from this origin are not allowed: only this server's own origin and --cors-origins are.", CodeOriginNotAllowed})
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	c := &wsConnection{cancel: cancel}
	defer func() {
		cancel()
		c.close()
	}()
	t.ws.Do(w, r.WithContext(context.WithValue(ctx, wsConnectionKey{}, c)), exec)
}

// wsInit authenticates connection_init: its payload's Authorization (or,
// from a client that can set one, the upgrade request's header), as an
// HTTP request's. A socket without a valid key, or over its key's
// connections, is closed with a code and the error's code in the reason.
func (h *handler) wsInit(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	req := requestFrom(ctx)
	if auth := payload.Authorization(); auth != "" {
		req.header = auth
	}
	c := wsConnectionFrom(ctx)
	a, err := actor(ctx)
	if err == nil {
		// Checked now: the connection is counted against its key.
		a, err = h.svc.Resolve(ctx, a)
	}
	if err == nil {
		var conn *feed.Conn
		conn, err = h.hub.Connect(a, feed.TransportWebSocket, false, c.shutdown)
		if err == nil {
			c.mu.Lock()
			c.conn = conn
			c.mu.Unlock()
			return context.WithValue(ctx, connKey{}, conn), nil, nil
		}
	}
	gerr := presenter{log: h.opts.Logger}.present(ctx, err)
	code, _ := gerr.Extensions["code"].(string)
	status := closeInternalError
	switch code {
	case CodeUnauthenticated:
		status = closeForbidden
	case CodeRateLimited, CodeConnectionLimitExceeded:
		status = closeTooManyRequests
	case CodeUnavailable:
		status = closeTryAgainLater
	}
	ctx = transport.WithWebsocketCloseCode(ctx, status)
	ctx = transport.AppendCloseReason(ctx, closeReason(code+": "+gerr.Message))
	return ctx, nil, gerr
}

// closeReason fits a close frame's reason: at most 123 bytes of UTF-8.
func closeReason(s string) string {
	const limit = 123
	if len(s) <= limit {
		return s
	}
	s = s[:limit]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// originCheck decides which browser pages may open a WebSocket: the
// server's own origin, those of --cors-origins (any, with *), and clients
// that send no Origin (they are not browsers, which always send one).
type originCheck struct {
	any     bool
	allowed []string
	public  string
}

func newOriginCheck(origins []string, public *url.URL) originCheck {
	o := originCheck{any: slices.Contains(origins, "*"), allowed: origins}
	if public != nil {
		o.public = public.Scheme + "://" + public.Host
	}
	return o
}

func (o originCheck) allows(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	switch {
	case origin == "" || o.any || slices.Contains(o.allowed, origin):
		return true
	case o.public != "" && strings.EqualFold(origin, o.public):
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}

// sseTransport is gqlgen's Server-Sent Events transport (a POST of JSON
// with Accept: text/event-stream, answered as a stream of `next` events and
// a `complete`), behind the same request bounds and checks as GraphQL over
// HTTP: its body is read and checked here, so that gqlgen never reads an
// unbounded body or echoes a bad one back.
type sseTransport struct {
	sse      transport.SSE
	maxBytes int64
}

func (t sseTransport) Supports(r *http.Request) bool { return t.sse.Supports(r) }

func (t sseTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	var body bytes.Buffer
	r.Body = io.NopCloser(io.TeeReader(r.Body, &body))
	p, ref := httpTransport{maxBytes: t.maxBytes}.fromBody(r)
	if ref != nil {
		writeRefusal(w, mediaJSON, ref)
		return
	}
	ctx := r.Context()
	if p.documentID != "" {
		ctx = context.WithValue(ctx, documentIDKey{}, p.documentID)
	}
	r = r.WithContext(ctx)
	r.Body = io.NopCloser(&body)
	rc := http.NewResponseController(w)
	// A stream lasts as long as its subscription, beyond the server's
	// write timeout.
	_ = rc.SetWriteDeadline(time.Time{})
	t.sse.Do(flushWriter{ResponseWriter: w, rc: rc}, r, exec)
}

// flushWriter reaches the connection's Flush through the middleware's
// response writers, which gqlgen's SSE transport asks for by type.
type flushWriter struct {
	http.ResponseWriter
	rc *http.ResponseController
}

func (f flushWriter) Flush() { _ = f.rc.Flush() }

// IsStream reports whether r opens a stream (a WebSocket, or Server-Sent
// Events), which lasts beyond the request deadline: its database work is
// bounded statement by statement instead.
func IsStream(r *http.Request) bool {
	return r.Header.Get("Upgrade") != "" || strings.Contains(r.Header.Get("Accept"), "text/event-stream")
}
