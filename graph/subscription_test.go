package graph_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

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
		for name, ch := range map[string]<-chan streamtest.Event{"websocket": viaWS, "sse": sse.Events} {
			c := change(t, next(t, ch))
			if c["kind"] != "UPDATED" || c["via"] != "REST" || dig(c, "after.maxAutoReassignAttempts") != 7.0 ||
				dig(c, "actor.username") != coretest.Staff || dig(c, "call.name") != coretest.ManagedCallName {
				t.Errorf("%s: change %v", name, c)
			}
		}
		// The call says what each viewer may do with it.
		_ = viaWS
	})
}
