// Package streamtest holds small clients of the GraphQL subscription
// transports, for tests and the benchmark: graphql-transport-ws over a
// real WebSocket (as the graphql-ws library speaks it) and Server-Sent
// Events over HTTP (as gqlgen serves them). They read whatever the server
// sends into channels and answer pings, nothing more.
package streamtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/coder/websocket"
)

// Event is one result of a subscription, or its end.
type Event struct {
	Data   json.RawMessage `json:"data"`
	Errors []Error         `json:"errors"`
	// Complete: the server completed the subscription; nothing follows.
	Complete bool `json:"-"`
	// Closed: the connection closed; CloseCode and CloseReason say how.
	Closed      bool   `json:"-"`
	CloseCode   int    `json:"-"`
	CloseReason string `json:"-"`
}

// Error is one entry of a result's errors.
type Error struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Code is the error's extensions.code.
func (e Error) Code() string { s, _ := e.Extensions["code"].(string); return s }

// Buffer is how many events a subscription keeps until they are read; a
// reader that falls further behind blocks the connection, as a slow client
// would.
var Buffer = 2048

type message struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// WS is one graphql-transport-ws connection.
type WS struct {
	conn *websocket.Conn
	ctx  context.Context
	stop context.CancelFunc

	wmu sync.Mutex
	mu  sync.Mutex
	// subs are the event channels by subscription id.
	subs   map[string]chan Event
	closed *Event
	done   chan struct{}
}

// CloseError is a connection the server refused or closed.
type CloseError struct {
	Code   int
	Reason string
}

func (e *CloseError) Error() string { return fmt.Sprintf("closed %d: %s", e.Code, e.Reason) }

// DialWS opens a WebSocket to url (ws://…/graphql) with header (an Origin,
// say), sends connection_init with {"Authorization": authorization} (none
// when empty) and waits for connection_ack. A refusal is a *CloseError.
func DialWS(ctx context.Context, url string, authorization string, header http.Header) (*WS, error) {
	conn, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: header})
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dial: %w (HTTP %d)", err, resp.StatusCode)
		}
		return nil, fmt.Errorf("dial: %w", err)
	}
	conn.SetReadLimit(16 << 20)
	wctx, stop := context.WithCancel(context.Background())
	w := &WS{conn: conn, ctx: wctx, stop: stop, subs: map[string]chan Event{}, done: make(chan struct{})}
	payload := map[string]any{}
	if authorization != "" {
		payload["Authorization"] = authorization
	}
	p, _ := json.Marshal(payload)
	if err := w.send(message{Type: "connection_init", Payload: p}); err != nil {
		w.Close()
		return nil, err
	}
	for {
		var m message
		if err := w.read(ctx, &m); err != nil {
			w.Close()
			return nil, err
		}
		switch m.Type {
		case "connection_ack":
			go w.loop()
			return w, nil
		case "ping":
			_ = w.send(message{Type: "pong"})
		}
	}
}

func (w *WS) read(ctx context.Context, m *message) error {
	_, b, err := w.conn.Read(ctx)
	if err != nil {
		if code := websocket.CloseStatus(err); code != -1 {
			var ce websocket.CloseError
			errors.As(err, &ce)
			return &CloseError{Code: int(code), Reason: ce.Reason}
		}
		return err
	}
	return json.Unmarshal(b, m)
}

func (w *WS) send(m message) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	w.wmu.Lock()
	defer w.wmu.Unlock()
	return w.conn.Write(w.ctx, websocket.MessageText, b)
}

// loop routes what the server sends to the subscriptions.
func (w *WS) loop() {
	defer close(w.done)
	for {
		var m message
		err := w.read(w.ctx, &m)
		if err != nil {
			ev := Event{Closed: true}
			var ce *CloseError
			if errors.As(err, &ce) {
				ev.CloseCode, ev.CloseReason = ce.Code, ce.Reason
			}
			w.mu.Lock()
			w.closed = &ev
			subs := w.subs
			w.subs = map[string]chan Event{}
			w.mu.Unlock()
			for _, ch := range subs {
				ch <- ev
				close(ch)
			}
			return
		}
		switch m.Type {
		case "ping":
			_ = w.send(message{Type: "pong"})
			continue
		case "pong":
			continue
		}
		w.mu.Lock()
		ch := w.subs[m.ID]
		if m.Type == "complete" || m.Type == "error" {
			delete(w.subs, m.ID)
		}
		w.mu.Unlock()
		if ch == nil {
			continue
		}
		switch m.Type {
		case "next":
			var ev Event
			_ = json.Unmarshal(m.Payload, &ev)
			ch <- ev
		case "error":
			var errs []Error
			_ = json.Unmarshal(m.Payload, &errs)
			ch <- Event{Errors: errs, Complete: true}
			close(ch)
		case "complete":
			ch <- Event{Complete: true}
			close(ch)
		}
	}
}

// Subscribe starts a subscription under id; its events come on the
// channel, which closes after completion, an error or the connection's
// close.
func (w *WS) Subscribe(id, query string, variables map[string]any) (<-chan Event, error) {
	ch := make(chan Event, Buffer)
	w.mu.Lock()
	if w.closed != nil {
		w.mu.Unlock()
		ch <- *w.closed
		close(ch)
		return ch, nil
	}
	w.subs[id] = ch
	w.mu.Unlock()
	p, err := json.Marshal(map[string]any{"query": query, "variables": variables})
	if err != nil {
		return nil, err
	}
	return ch, w.send(message{ID: id, Type: "subscribe", Payload: p})
}

// Complete ends the subscription id from the client's side.
func (w *WS) Complete(id string) error {
	w.mu.Lock()
	delete(w.subs, id)
	w.mu.Unlock()
	return w.send(message{ID: id, Type: "complete"})
}

// Close closes the connection (normal closure) and waits for its reader.
func (w *WS) Close() {
	_ = w.conn.Close(websocket.StatusNormalClosure, "")
	w.stop()
	select {
	case <-w.done:
	default:
	}
}

// Drop cuts the connection without a close handshake, as a lost network
// would.
func (w *WS) Drop() {
	_ = w.conn.CloseNow()
	w.stop()
}

// SSE is one subscription over Server-Sent Events.
type SSE struct {
	// Status is the HTTP status of the answer.
	Status int
	Events <-chan Event
	cancel context.CancelFunc
}

// SubscribeSSE posts the subscription to url (http://…/graphql) with
// Accept: text/event-stream and reads the stream's events. An answer that
// is not a stream is one event with its errors, then the channel closes.
func SubscribeSSE(ctx context.Context, url, authorization, query string, variables map[string]any) (*SSE, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": variables})
	ctx, cancel := context.WithCancel(ctx)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		cancel()
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		return nil, err
	}
	ch := make(chan Event, Buffer)
	s := &SSE{Status: resp.StatusCode, Events: ch, cancel: cancel}
	go func() {
		defer close(ch)
		defer resp.Body.Close()
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
			var ev Event
			b, _ := io.ReadAll(resp.Body)
			_ = json.Unmarshal(b, &ev)
			ch <- ev
			return
		}
		rd := bufio.NewReader(resp.Body)
		var name string
		var data strings.Builder
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				ch <- Event{Closed: true}
				return
			}
			line = strings.TrimRight(line, "\r\n")
			switch {
			case line == "":
				switch name {
				case "next":
					var ev Event
					_ = json.Unmarshal([]byte(data.String()), &ev)
					ch <- ev
				case "complete":
					ch <- Event{Complete: true}
					return
				}
				name = ""
				data.Reset()
			case strings.HasPrefix(line, "event:"):
				name = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
			case strings.HasPrefix(line, "data:"):
				data.WriteString(strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " "))
			}
		}
	}()
	return s, nil
}

// Close ends the stream from the client's side.
func (s *SSE) Close() { s.cancel() }
