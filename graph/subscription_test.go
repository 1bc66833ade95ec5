package graph_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/core/coretest"
	"github.com/callcfg/callcfg/db/dbtest"
	"github.com/callcfg/callcfg/feed"
	"github.com/callcfg/callcfg/graph/streamtest"
	"github.com/callcfg/callcfg/links"
	"github.com/callcfg/callcfg/server"
	"github.com/callcfg/callcfg/server/servertest"
)

// changedSub is the subscription the tests send.
const changedSub = `subscription Changed($call: UUID, $after: String) {
  callAssignmentConfigurationChanged(callUuid: $call, after: $after) {
    uuid kind via cursor configurationUuid callUuid changedFields
    actor { username }
    after { maxAutoReassignAttempts }
    call { name viewerCanManage }
  }
}`

// wait is the bound on any one delivery: generous, as tests share the
// machine and the PostgreSQL cluster, and never a measure of speed.
const wait = 30 * time.Second

// streams is a server with a live feed over one database.
type streams struct {
	t   *testing.T
	e   *servertest.Env
	srv string // the feed's server's base URL
}

func newStreams(t *testing.T, dbURL string, opts feed.Options, configure ...func(*server.Config)) *streams {
	t.Helper()
	e := servertest.New(t, dbURL)
	// "After the subscription starts" is after the feed's end, its last
	// final change: the world's own changes must be final by then.
	dbtest.SettleChanges(t, e.DB)
	srv := e.ServeFeed(t, opts, configure...)
	return &streams{t: t, e: e, srv: srv.URL}
}

func (s *streams) wsURL() string { return "ws" + strings.TrimPrefix(s.srv, "http") + "/graphql" }

// dial opens a WebSocket as actor.
func (s *streams) dial(actor string) *streamtest.WS {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	ws, err := streamtest.DialWS(ctx, s.wsURL(), "Token "+s.e.Token(actor), nil)
	if err != nil {
		s.t.Fatalf("dial as %s: %v", actor, err)
	}
	s.t.Cleanup(ws.Close)
	return ws
}

// subscribe starts changedSub on ws and waits until the server has
// registered it, so that a write made next is after its start.
func (s *streams) subscribe(ws *streamtest.WS, id string, vars map[string]any) <-chan streamtest.Event {
	s.t.Helper()
	before := s.active()
	ch, err := ws.Subscribe(id, changedSub, vars)
	if err != nil {
		s.t.Fatal(err)
	}
	s.awaitActive(before + 1)
	return ch
}

// active is how many subscriptions the hub serves, as /metrics would say.
func (s *streams) active() int {
	return s.e.Feed.Active()
}

func (s *streams) awaitActive(n int) {
	s.t.Helper()
	deadline := time.Now().Add(wait)
	for s.active() != n {
		if time.Now().After(deadline) {
			s.t.Fatalf("%d subscriptions active, want %d", s.active(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// patch changes the managed call's configuration through REST as actor.
func (s *streams) patch(actor string, attempts int) {
	s.t.Helper()
	res, body := s.e.Call(s.t, actor, http.MethodPatch, "/api/call-assignment-configurations/"+links.Hex(s.e.W.Config)+"/",
		map[string]any{"max_auto_reassign_attempts": attempts})
	if res.StatusCode != http.StatusOK {
		s.t.Fatalf("PATCH as %s: %d %v", actor, res.StatusCode, body)
	}
}

// next waits for the next event.
func next(t *testing.T, ch <-chan streamtest.Event) streamtest.Event {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("the subscription's channel closed")
		}
		return ev
	case <-time.After(wait):
		t.Fatal("no event within the bound")
	}
	return streamtest.Event{}
}

// change decodes an event's change.
func change(t *testing.T, ev streamtest.Event) map[string]any {
	t.Helper()
	if len(ev.Errors) > 0 || ev.Complete || ev.Closed {
		t.Fatalf("want a change, got %+v", ev)
	}
	var data struct {
		Change map[string]any `json:"callAssignmentConfigurationChanged"`
	}
	if err := json.Unmarshal(ev.Data, &data); err != nil || data.Change == nil {
		t.Fatalf("event data %s: %v", ev.Data, err)
	}
	return data.Change
}

func TestSubscriptionDeliversOverWebSocketAndSSE(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		s := newStreams(t, url, feed.Options{})
		ws := s.dial(coretest.Manager)
		viaWS := s.subscribe(ws, "1", nil)
		before := s.active()
		sse, err := streamtest.SubscribeSSE(context.Background(), s.srv+"/graphql", "Token "+s.e.Token(coretest.Reviewer), changedSub, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer sse.Close()
		s.awaitActive(before + 1)

		s.patch(coretest.Staff, 7)
		// One change, as each viewer sees it: the manager may manage its
		// call, the reviewer may not.
		for name, want := range map[string]struct {
			ch     <-chan streamtest.Event
			manage bool
		}{"websocket": {viaWS, true}, "sse": {sse.Events, false}} {
			c := change(t, next(t, want.ch))
			if c["kind"] != "UPDATED" || c["via"] != "REST" || dig(c, "after.maxAutoReassignAttempts") != 7.0 ||
				dig(c, "actor.username") != coretest.Staff || dig(c, "call.name") != coretest.ManagedCallName ||
				dig(c, "call.viewerCanManage") != want.manage {
				t.Errorf("%s: change %v", name, c)
			}
		}
	})
}

// errorCode is the code of an event that ends a subscription with an error.
func errorCode(t *testing.T, ev streamtest.Event) string {
	t.Helper()
	if len(ev.Errors) == 0 {
		t.Fatalf("want an error, got %+v (data %s)", ev, ev.Data)
	}
	return ev.Errors[0].Code()
}

// ended waits for the event after an error: the subscription's end.
func ended(t *testing.T, ch <-chan streamtest.Event) {
	t.Helper()
	if ev := next(t, ch); !ev.Complete {
		t.Fatalf("want the subscription completed, got %+v", ev)
	}
}

// eachKind runs fn once per database kind; each of its tests makes a
// database of that kind of its own with fresh.
func eachKind(t *testing.T, fn func(t *testing.T, fresh func(*testing.T) string)) {
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			fn(t, func(t *testing.T) string { return dbtest.NewURL(t, kind) })
		})
	}
}

func TestSubscriptionVisibility(t *testing.T) {
	ctx := context.Background()
	eachKind(t, func(t *testing.T, fresh func(*testing.T) string) {
		t.Run("an outsider receives nothing it may not see", func(t *testing.T) {
			s := newStreams(t, fresh(t), feed.Options{})
			outsider := s.subscribe(s.dial(coretest.Outsider), "1", nil)
			s.patch(coretest.Staff, 4)
			// Then a change the outsider may see: it must be the first thing
			// it receives, as each subscriber gets the feed in order.
			w := s.e.W
			if err := w.Svc.GrantRole(ctx, core.Grant{Username: coretest.Outsider, CallUUID: &w.Bare, Role: "reviewer"}); err != nil {
				t.Fatal(err)
			}
			if _, err := w.Svc.CreateConfig(ctx, w.Actor(t, coretest.Staff), core.Some(w.Bare), core.Patch{}); err != nil {
				t.Fatal(err)
			}
			if c := change(t, next(t, outsider)); c["kind"] != "CREATED" || c["callUuid"] != links.Hex(w.Bare) {
				t.Errorf("the outsider's first change is %v, want the creation on the call it was granted", c)
			}
		})
		t.Run("a revoked role stops delivery; with callUuid the subscription ends NOT_FOUND", func(t *testing.T) {
			s := newStreams(t, fresh(t), feed.Options{})
			w := s.e.W
			ws := s.dial(coretest.Manager)
			all := s.subscribe(ws, "all", nil)
			one := s.subscribe(ws, "one", map[string]any{"call": links.Hex(w.Call)})
			s.patch(coretest.Staff, 5)
			change(t, next(t, all))
			change(t, next(t, one))
			if _, err := w.Svc.RevokeRole(ctx, core.Grant{Username: coretest.Manager, CallUUID: &w.Call, Role: "manager"}); err != nil {
				t.Fatal(err)
			}
			s.patch(coretest.Staff, 6)
			if code := errorCode(t, next(t, one)); code != "NOT_FOUND" {
				t.Errorf("callUuid subscription ended with %s, want NOT_FOUND", code)
			}
			ended(t, one)
			// The manager still manages Bare: that creation is the next
			// change it receives, not the update it may no longer see.
			if _, err := w.Svc.CreateConfig(ctx, w.Actor(t, coretest.Staff), core.Some(w.Bare), core.Patch{}); err != nil {
				t.Fatal(err)
			}
			if c := change(t, next(t, all)); c["callUuid"] != links.Hex(w.Bare) || dig(c, "call.viewerCanManage") != true {
				t.Errorf("next change %v, want the creation on Bare, manageable", c)
			}
		})
		t.Run("a revoked key ends delivery with UNAUTHENTICATED", func(t *testing.T) {
			s := newStreams(t, fresh(t), feed.Options{})
			ws := s.dial(coretest.Reviewer)
			ch := s.subscribe(ws, "1", nil)
			sse, err := streamtest.SubscribeSSE(ctx, s.srv+"/graphql", "Token "+s.e.Token(coretest.Reviewer), changedSub, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer sse.Close()
			s.awaitActive(2)
			if _, err := s.e.W.Svc.RevokeTokens(ctx, coretest.Reviewer); err != nil {
				t.Fatal(err)
			}
			s.patch(coretest.Staff, 8)
			for name, ch := range map[string]<-chan streamtest.Event{"websocket": ch, "sse": sse.Events} {
				if code := errorCode(t, next(t, ch)); code != "UNAUTHENTICATED" {
					t.Errorf("%s: ended with %s, want UNAUTHENTICATED", name, code)
				}
				ended(t, ch)
			}
			// A new subscription on the same connection is refused too.
			again, err := ws.Subscribe("2", changedSub, nil)
			if err != nil {
				t.Fatal(err)
			}
			if code := errorCode(t, next(t, again)); code != "UNAUTHENTICATED" {
				t.Errorf("new subscription: %s, want UNAUTHENTICATED", code)
			}
		})
		t.Run("a revoked key ends a quiet subscription at the re-check", func(t *testing.T) {
			s := newStreams(t, fresh(t), feed.Options{Recheck: 100 * time.Millisecond})
			ch := s.subscribe(s.dial(coretest.Reviewer), "1", nil)
			if _, err := s.e.W.Svc.RevokeTokens(ctx, coretest.Reviewer); err != nil {
				t.Fatal(err)
			}
			if code := errorCode(t, next(t, ch)); code != "UNAUTHENTICATED" {
				t.Errorf("ended with %s, want UNAUTHENTICATED", code)
			}
		})
		t.Run("a call the subscriber cannot see is NOT_FOUND at once", func(t *testing.T) {
			s := newStreams(t, fresh(t), feed.Options{})
			ch, err := s.dial(coretest.Reviewer).Subscribe("1", changedSub, map[string]any{"call": links.Hex(s.e.W.Other)})
			if err != nil {
				t.Fatal(err)
			}
			if code := errorCode(t, next(t, ch)); code != "NOT_FOUND" {
				t.Errorf("got %s, want NOT_FOUND", code)
			}
		})
	})
}

// feedCursors reads the feed as staff, oldest first.
func feedCursors(t *testing.T, s *streams) []string {
	t.Helper()
	dbtest.SettleChanges(t, s.e.DB)
	_, body := s.e.GraphQL(t, coretest.Staff, `{ callAssignmentConfigurationChanges(first: 300) { nodes { cursor } } }`, nil)
	var out []string
	for _, n := range dig(body, "data.callAssignmentConfigurationChanges.nodes").([]any) {
		out = append(out, dig(n, "cursor").(string))
	}
	return out
}

func TestSubscriptionResumesAfterCursor(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		s := newStreams(t, url, feed.Options{})
		for i := range 3 {
			s.patch(coretest.Staff, 10+i)
		}
		cursors := feedCursors(t, s)
		// The world's two creations, then the three updates.
		if len(cursors) != 5 {
			t.Fatalf("feed has %d changes, want 5", len(cursors))
		}
		vars := map[string]any{"after": cursors[2]}
		viaWS := s.subscribe(s.dial(coretest.Manager), "1", vars)
		before := s.active()
		sse, err := streamtest.SubscribeSSE(context.Background(), s.srv+"/graphql", "Token "+s.e.Token(coretest.Manager), changedSub, vars)
		if err != nil {
			t.Fatal(err)
		}
		defer sse.Close()
		s.awaitActive(before + 1)
		streams := map[string]<-chan streamtest.Event{"websocket": viaWS, "sse": sse.Events}
		// What the store holds after the cursor first...
		for name, ch := range streams {
			for i := 3; i < 5; i++ {
				if c := change(t, next(t, ch)); c["cursor"] != cursors[i] {
					t.Fatalf("%s: change %d: cursor %v, want %s", name, i, c["cursor"], cursors[i])
				}
			}
		}
		// ...then the live ones.
		s.patch(coretest.Staff, 20)
		live := feedCursors(t, s)[5]
		for name, ch := range streams {
			if c := change(t, next(t, ch)); c["cursor"] != live {
				t.Fatalf("%s: live change: cursor %v, want %s", name, c["cursor"], live)
			}
		}
	})
}

func TestSubscriptionRefusals(t *testing.T) {
	ctx := context.Background()
	dbtest.Each(t, func(t *testing.T, url string) {
		s := newStreams(t, url, feed.Options{SubscriptionsPerConn: 1, ConnsPerKey: 1}, func(c *server.Config) {
			c.CORSOrigins = []string{"https://app.example.org"}
		})
		t.Run("connection_init without a valid key", func(t *testing.T) {
			for _, auth := range []string{"", "Token nope"} {
				_, err := streamtest.DialWS(ctx, s.wsURL(), auth, nil)
				var ce *streamtest.CloseError
				if !errors.As(err, &ce) || ce.Code != 4403 || !strings.HasPrefix(ce.Reason, "UNAUTHENTICATED: ") {
					t.Errorf("%q: %v, want close 4403 UNAUTHENTICATED", auth, err)
				}
			}
		})
		t.Run("origins", func(t *testing.T) {
			host := strings.TrimPrefix(s.srv, "http://")
			for origin, ok := range map[string]bool{
				"":                        true,
				"http://" + host:          true,
				"https://app.example.org": true,
				"https://evil.example":    false,
			} {
				h := http.Header{}
				if origin != "" {
					h.Set("Origin", origin)
				}
				ws, err := streamtest.DialWS(ctx, s.wsURL(), "Token "+s.e.Token(coretest.Support), h)
				if (err == nil) != ok {
					t.Errorf("origin %q: %v, want allowed %v", origin, err, ok)
				}
				if ok && ws != nil {
					ws.Close()
					s.awaitConns(0)
				} else if err != nil && !strings.Contains(err.Error(), "403") {
					t.Errorf("origin %q: %v, want 403", origin, err)
				}
			}
		})
		t.Run("subscriptions per connection", func(t *testing.T) {
			ws := s.dial(coretest.Staff)
			s.subscribe(ws, "1", nil)
			ch, _ := ws.Subscribe("2", changedSub, nil)
			if code := errorCode(t, next(t, ch)); code != "SUBSCRIPTION_LIMIT_EXCEEDED" {
				t.Errorf("got %s", code)
			}
			ended(t, ch)
		})
		t.Run("connections per key", func(t *testing.T) {
			s.dial(coretest.Manager)
			_, err := streamtest.DialWS(ctx, s.wsURL(), "Token "+s.e.Token(coretest.Manager), nil)
			var ce *streamtest.CloseError
			if !errors.As(err, &ce) || ce.Code != 4429 || !strings.HasPrefix(ce.Reason, "CONNECTION_LIMIT_EXCEEDED: ") {
				t.Errorf("second WebSocket: %v, want close 4429 CONNECTION_LIMIT_EXCEEDED", err)
			}
			sse, err := streamtest.SubscribeSSE(ctx, s.srv+"/graphql", "Token "+s.e.Token(coretest.Manager), changedSub, nil)
			if err != nil {
				t.Fatal(err)
			}
			if code := errorCode(t, next(t, sse.Events)); code != "CONNECTION_LIMIT_EXCEEDED" {
				t.Errorf("SSE: %s, want CONNECTION_LIMIT_EXCEEDED", code)
			}
		})
		t.Run("not over plain HTTP", func(t *testing.T) {
			res, body := s.e.GraphQL(t, coretest.Staff, changedSub, nil)
			if res.StatusCode != http.StatusOK || dig(body, "errors.0.extensions.code") != "BAD_REQUEST" || dig(body, "data") != nil {
				t.Errorf("POST: %d %v", res.StatusCode, body)
			}
		})
		t.Run("SSE without a key", func(t *testing.T) {
			sse, err := streamtest.SubscribeSSE(ctx, s.srv+"/graphql", "", changedSub, nil)
			if err != nil {
				t.Fatal(err)
			}
			if code := errorCode(t, next(t, sse.Events)); code != "UNAUTHENTICATED" {
				t.Errorf("got %s", code)
			}
		})
		t.Run("a bad cursor", func(t *testing.T) {
			ch, _ := s.dial(coretest.Support).Subscribe("1", changedSub, map[string]any{"after": "nope"})
			if ev := next(t, ch); errorCode(t, ev) != "BAD_USER_INPUT" {
				t.Errorf("got %+v", ev)
			}
		})
	})
}

func (s *streams) awaitConns(n int) {
	s.t.Helper()
	deadline := time.Now().Add(wait)
	for s.e.Feed.Connections() != n {
		if time.Now().After(deadline) {
			s.t.Fatalf("%d connections, want %d", s.e.Feed.Connections(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSubscriptionShutdown(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		s := newStreams(t, url, feed.Options{})
		ws := s.subscribe(s.dial(coretest.Staff), "1", nil)
		sse, err := streamtest.SubscribeSSE(context.Background(), s.srv+"/graphql", "Token "+s.e.Token(coretest.Support), changedSub, nil)
		if err != nil {
			t.Fatal(err)
		}
		s.awaitActive(2)
		s.e.Feed.Close()
		if ev := next(t, ws); !ev.Closed || ev.CloseCode != 1001 {
			t.Errorf("WebSocket: %+v, want closed with 1001", ev)
		}
		if ev := next(t, sse.Events); !ev.Complete {
			t.Errorf("SSE: %+v, want complete", ev)
		}
	})
}

// Subscription documents pass the limits queries pass.
func TestSubscriptionDocumentLimits(t *testing.T) {
	s := newStreams(t, dbtest.NewURL(t, "sqlite"), feed.Options{}, func(c *server.Config) {
		c.GraphQLLimits.Depth = 2
	})
	ch, err := s.dial(coretest.Staff).Subscribe("1", changedSub, nil)
	if err != nil {
		t.Fatal(err)
	}
	if code := errorCode(t, next(t, ch)); code != "DEPTH_LIMIT_EXCEEDED" {
		t.Errorf("websocket: %s, want DEPTH_LIMIT_EXCEEDED", code)
	}
	sse, err := streamtest.SubscribeSSE(context.Background(), s.srv+"/graphql", "Token "+s.e.Token(coretest.Staff), changedSub, nil)
	if err != nil {
		t.Fatal(err)
	}
	if code := errorCode(t, next(t, sse.Events)); code != "DEPTH_LIMIT_EXCEEDED" {
		t.Errorf("sse: %s, want DEPTH_LIMIT_EXCEEDED", code)
	}
}
