package main

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/callcfg/callcfg/db/dbtest"
	"github.com/callcfg/callcfg/graph/streamtest"
	"github.com/callcfg/callcfg/ops/opstest"
)

// serve runs the live feed: a change made through REST reaches a WebSocket
// and an SSE subscriber (through LISTEN on PostgreSQL, the process's own
// writes on SQLite), and on SIGTERM the WebSocket is closed with 1001 and
// the stream completed before the process exits.
func TestServeFeedAndItsShutdown(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var out, errb opstest.Buffer
		done := make(chan int, 1)
		go func() {
			done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--demo", "--drain-delay", "0",
				"--database-url", url, "--database-direct-url", dbtest.DirectURL(url)}, strings.NewReader(""), &out, &errb)
		}()
		addr := waitFor(t, &errb, regexp.MustCompile(`listening addr=(\S+)`))
		key := waitFor(t, &out, regexp.MustCompile(`admin\s+([0-9a-f]{40})`))
		config := waitFor(t, &out, regexp.MustCompile(`call-assignment-configurations/([0-9a-f]{32})/`))
		wctx, wcancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer wcancel()
		const sub = `subscription { callAssignmentConfigurationChanged { kind after { maxAutoReassignAttempts } } }`
		ws, err := streamtest.DialWS(wctx, "ws://"+addr+"/graphql", "Token "+key, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		viaWS, err := ws.Subscribe("1", sub, nil)
		if err != nil {
			t.Fatal(err)
		}
		sse, err := streamtest.SubscribeSSE(wctx, "http://"+addr+"/graphql", "Token "+key, sub, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer sse.Close()

		// The subscriptions start at the feed's end, once the server has
		// registered them: write until both have an update.
		next := func(name string, ch <-chan streamtest.Event) streamtest.Event {
			t.Helper()
			select {
			case ev := <-ch:
				return ev
			case <-wctx.Done():
				t.Fatalf("%s: nothing within the bound", name)
			}
			return streamtest.Event{}
		}
		patch := func() {
			req, _ := http.NewRequest(http.MethodPatch, "http://"+addr+"/api/call-assignment-configurations/"+config+"/",
				bytes.NewReader([]byte(`{"max_auto_reassign_attempts": 6}`)))
			req.Header.Set("Authorization", "Token "+key)
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err != nil || res.StatusCode != http.StatusOK {
				t.Fatalf("PATCH: %v %v", res, err)
			}
			res.Body.Close()
		}
		got := map[string]bool{}
		for len(got) < 2 {
			patch()
			for name, ch := range map[string]<-chan streamtest.Event{"websocket": viaWS, "sse": sse.Events} {
				if got[name] {
					continue
				}
				select {
				case ev := <-ch:
					// The demo's own creation may still have been in flight
					// when the subscription started at the end of the feed.
					if len(ev.Errors) > 0 || ev.Complete || ev.Closed {
						t.Fatalf("%s: %+v", name, ev)
					}
					got[name] = strings.Contains(string(ev.Data), `"UPDATED"`)
				case <-time.After(time.Second):
				}
			}
			if wctx.Err() != nil {
				t.Fatalf("changes reached %v only", got)
			}
		}

		cancel() // what SIGTERM does
		for ev := next("websocket", viaWS); !ev.Closed; ev = next("websocket", viaWS) {
			if ev.Complete || len(ev.Errors) > 0 {
				t.Fatalf("websocket: %+v, want it closed", ev)
			}
		}
		for ev := next("sse", sse.Events); !ev.Complete; ev = next("sse", sse.Events) {
			if ev.Closed || len(ev.Errors) > 0 {
				t.Fatalf("sse: %+v, want complete", ev)
			}
		}
		select {
		case code := <-done:
			if code != 0 {
				t.Fatalf("serve exited %d: %s", code, errb.String())
			}
		case <-time.After(30 * time.Second):
			t.Fatal("serve did not stop")
		}
	})
}
