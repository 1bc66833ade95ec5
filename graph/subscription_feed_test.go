package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/core/coretest"
	"github.com/callcfg/callcfg/db/dbtest"
	"github.com/callcfg/callcfg/feed"
	"github.com/callcfg/callcfg/graph/streamtest"
	"github.com/callcfg/callcfg/links"
	"github.com/callcfg/callcfg/server/servertest"
)

// expectedFeed is what actor may see of the feed after start under the
// call filter, as cursors: what its subscription must have delivered.
func expectedFeed(t *testing.T, svc *core.Service, a core.Actor, call *uuid.UUID, start core.ChangePosition) []string {
	t.Helper()
	var out []string
	pos := start
	for {
		page, err := svc.VisibleChangesAfter(context.Background(), a, core.ChangeFilter{CallUUID: call}, pos, core.MaxPageSize)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page {
			out = append(out, c.Cursor)
			pos = c.Position
		}
		if len(page) < core.MaxPageSize {
			return out
		}
	}
}

// collector is one subscriber that keeps the cursors it received, and may
// lose its connection on purpose and resume after its last cursor.
type collector struct {
	name      string
	actor     string
	auth      string
	call      *uuid.UUID
	transport string
	// dropAt: after this many changes the connection is cut and the
	// subscription resumed on a new one (0: never).
	dropAt int

	mu      sync.Mutex
	got     []string
	err     error
	dropped bool
}

func (c *collector) vars(after string) map[string]any {
	v := map[string]any{}
	if c.call != nil {
		v["call"] = links.Hex(*c.call)
	}
	if after != "" {
		v["after"] = after
	}
	return v
}

func (c *collector) fail(err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = err
	}
	c.mu.Unlock()
}

// open subscribes, after a cursor when given.
func (c *collector) open(ctx context.Context, base, after string) (<-chan streamtest.Event, func(), error) {
	if c.transport == "sse" {
		sse, err := streamtest.SubscribeSSE(ctx, base+"/graphql", c.auth, changedSub, c.vars(after))
		if err != nil {
			return nil, nil, err
		}
		return sse.Events, sse.Close, nil
	}
	ws, err := streamtest.DialWS(ctx, "ws"+strings.TrimPrefix(base, "http")+"/graphql", c.auth, nil)
	if err != nil {
		return nil, nil, err
	}
	ch, err := ws.Subscribe("s", changedSub, c.vars(after))
	if err != nil {
		ws.Close()
		return nil, nil, err
	}
	return ch, ws.Drop, nil
}

// run collects until ctx ends.
func (c *collector) run(ctx context.Context, base string, ch <-chan streamtest.Event, stop func()) {
	defer func() { stop() }()
	for {
		var ev streamtest.Event
		select {
		case <-ctx.Done():
			return
		case ev = <-ch:
		}
		if ev.Complete || ev.Closed || len(ev.Errors) > 0 {
			c.fail(fmt.Errorf("%s: the subscription ended: %+v", c.name, ev))
			return
		}
		var data struct {
			Change struct {
				Cursor string `json:"cursor"`
			} `json:"callAssignmentConfigurationChanged"`
		}
		if err := jsonUnmarshal(ev.Data, &data); err != nil {
			c.fail(err)
			return
		}
		c.mu.Lock()
		c.got = append(c.got, data.Change.Cursor)
		drop := c.dropAt > 0 && !c.dropped && len(c.got) == c.dropAt
		c.dropped = c.dropped || drop
		last := c.got[len(c.got)-1]
		c.mu.Unlock()
		if drop {
			// The network goes; the client comes back with its last cursor.
			stop()
			var err error
			ch, stop, err = c.open(ctx, base, last)
			if err != nil {
				c.fail(fmt.Errorf("%s: resume: %v", c.name, err))
				stop = func() {}
				return
			}
		}
	}
}

func (c *collector) received() ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.got), c.err
}

// awaitFeed waits until every collector has received as many changes as
// it may see, then checks that they are exactly those, in feed order.
func awaitFeed(t *testing.T, cs []*collector, want map[*collector][]string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for _, c := range cs {
		for {
			got, err := c.received()
			if err != nil {
				t.Fatal(err)
			}
			if len(got) >= len(want[c]) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s received %d changes, want %d", c.name, len(got), len(want[c]))
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	for _, c := range cs {
		got, _ := c.received()
		if !slices.Equal(got, want[c]) {
			i := 0
			for i < len(got) && i < len(want[c]) && got[i] == want[c][i] {
				i++
			}
			t.Errorf("%s (%s, %s, dropped at %d): received %d changes, want %d; first difference at %d", c.name, c.actor, c.transport,
				c.dropAt, len(got), len(want[c]), i)
		}
	}
}

// TestSubscriptionConcurrentWriters: 4 writers make 250 changes each
// while 50 subscribers of every kind of actor follow, over both
// transports, some of a single call, four of them losing their connection
// midway and resuming with their last cursor. Each must receive exactly
// the changes it may see, once, in the feed's order (which is each
// configuration's order), the resumed ones too.
func TestSubscriptionConcurrentWriters(t *testing.T) {
	if testing.Short() {
		t.Skip("a thousand writes and fifty subscribers")
	}
	ctx := context.Background()
	eachKind(t, func(t *testing.T, fresh func(*testing.T) string) {
		// A buffer larger than all the changes: this test is about each
		// change once and in order, not about a slow machine.
		s := newStreams(t, fresh(t), feed.Options{ConnsPerKey: 50, Buffer: 4096})
		w := s.e.W
		staff := w.Actor(t, coretest.Staff)
		bareCfg, err := w.Svc.CreateConfig(ctx, staff, core.Some(w.Bare), core.Patch{})
		if err != nil {
			t.Fatal(err)
		}
		dbtest.SettleChanges(t, s.e.DB)
		start, err := w.Svc.FeedEnd(ctx)
		if err != nil {
			t.Fatal(err)
		}

		actors := []string{coretest.Staff, coretest.Support, coretest.Manager, coretest.Reviewer, coretest.PanelMember,
			coretest.OrganizerRole, coretest.OrganizerNoRole, coretest.Outsider}
		var cs []*collector
		for i := range 50 {
			c := &collector{actor: actors[i%len(actors)], transport: []string{"websocket", "sse"}[i%2]}
			c.auth = "Token " + s.e.Token(c.actor)
			if i%5 == 4 && c.actor != coretest.OrganizerNoRole && c.actor != coretest.Outsider {
				// Following one call they may see (one they cannot is
				// NOT_FOUND at once).
				call := w.Call
				c.call = &call
			}
			if i < 4 {
				c.actor = []string{coretest.Staff, coretest.Manager}[i%2]
				c.auth = "Token " + s.e.Token(c.actor)
				c.dropAt = 60
			}
			c.name = fmt.Sprintf("subscriber %d", i)
			cs = append(cs, c)
		}
		runCollectors(t, ctx, s.srv, cs...)
		s.awaitActive(len(cs))

		configs := []uuid.UUID{w.Config, w.OtherCf, bareCfg.UUID}
		var writers sync.WaitGroup
		for wr := range 4 {
			writers.Add(1)
			go func() {
				defer writers.Done()
				for i := range 250 {
					id := configs[(wr+i)%len(configs)]
					if _, err := w.Svc.UpdateConfig(ctx, staff, id, core.Patch{MaxAutoReassignAttempts: core.Some(int64(wr*1000 + i))}, core.Precondition{}); err != nil {
						t.Errorf("writer %d: %v", wr, err)
						return
					}
				}
			}()
		}
		writers.Wait()
		// Visibility is decided at delivery: the grant below must come
		// after the hub handed out the writers' changes, which it has once
		// a subscriber who sees all has them.
		dbtest.SettleChanges(t, s.e.DB)
		written := expectedFeed(t, w.Svc, staff, nil, start)
		var watcher *collector
		for _, c := range cs {
			if c.actor == coretest.Staff && c.call == nil && c.dropAt == 0 {
				watcher = c
				break
			}
		}
		awaitFeed(t, []*collector{watcher}, map[*collector][]string{watcher: written})
		// Last, a change that the actors who saw nothing so far may see:
		// if anything they may not see had reached them, it would come
		// before it.
		for _, name := range []string{coretest.OrganizerNoRole, coretest.Outsider} {
			if err := w.Svc.GrantRole(ctx, core.Grant{Username: name, CallUUID: &w.Bare, Role: "reviewer"}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.Svc.UpdateConfig(ctx, staff, bareCfg.UUID, core.Patch{AutoReassignOnDecline: core.Some(true)}, core.Precondition{}); err != nil {
			t.Fatal(err)
		}
		dbtest.SettleChanges(t, s.e.DB)

		want := map[*collector][]string{}
		all := expectedFeed(t, w.Svc, staff, nil, start)
		if len(all) != 1001 {
			t.Fatalf("staff may see %d changes, want 1001", len(all))
		}
		for _, c := range cs {
			switch c.actor {
			case coretest.OrganizerNoRole, coretest.Outsider:
				// They could see none while the writers wrote: only the
				// last change, made after their grant.
				want[c] = all[len(all)-1:]
			default:
				want[c] = expectedFeed(t, w.Svc, w.Actor(t, c.actor), c.call, start)
			}
		}
		awaitFeed(t, cs, want)
	})
}

// TestSubscriptionAcrossReplicas: a change made through REST on one replica
// reaches a WebSocket and an SSE subscriber on another, which follows the
// feed through LISTEN on the direct URL; its database connections, the
// listener's included, are cut while changes are made, and killed
// afterwards: nothing is lost or doubled.
func TestSubscriptionAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	for _, kind := range dbtest.PostgresKinds() {
		t.Run(kind, func(t *testing.T) {
			url := dbtest.NewURL(t, kind)
			a := servertest.New(t, url)
			dbtest.SettleChanges(t, a.DB)

			// Replica B reaches PostgreSQL (its pool, and its listener over
			// the direct URL) through proxies the test can cut.
			poolProxy, poolURL := dbtest.NewProxy(t, url)
			listenProxy, listenURL := dbtest.NewProxy(t, dbtest.DirectURL(url))
			bdb := dbtest.Open(t, poolURL)
			bw := *a.W
			bw.Svc = core.New(bdb)
			b := &servertest.Env{W: &bw, DB: bdb, URL: poolURL, ListenURL: listenURL}
			srv := b.ServeFeed(t, feed.Options{Poll: 300 * time.Millisecond})
			s := &streams{t: t, e: b, srv: srv.URL}

			start, err := a.W.Svc.FeedEnd(ctx)
			if err != nil {
				t.Fatal(err)
			}
			cs := []*collector{
				{name: "websocket", actor: coretest.Manager, transport: "websocket"},
				{name: "sse", actor: coretest.Support, transport: "sse"},
			}
			for _, c := range cs {
				c.auth = "Token " + a.Token(c.actor)
			}
			runCollectors(t, ctx, s.srv, cs...)
			s.awaitActive(2)

			// Through REST on A; a write refused while the database is being
			// killed records nothing, so it is simply made again.
			attempts := 0
			write := func() {
				t.Helper()
				attempts++
				for try := 0; ; try++ {
					res, body := a.Call(t, coretest.Manager, http.MethodPatch, "/api/call-assignment-configurations/"+links.Hex(a.W.Config)+"/",
						map[string]any{"max_auto_reassign_attempts": attempts})
					if res.StatusCode == http.StatusOK {
						return
					}
					if res.StatusCode != http.StatusServiceUnavailable || try > 20 {
						t.Fatalf("PATCH: %d %v", res.StatusCode, body)
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
			want := func() map[*collector][]string {
				dbtest.SettleChanges(t, a.DB)
				m := map[*collector][]string{}
				for _, c := range cs {
					m[c] = expectedFeed(t, a.W.Svc, a.W.Actor(t, c.actor), nil, start)
				}
				return m
			}
			write()
			awaitFeed(t, cs, want())

			// B loses PostgreSQL: its pool and its listener.
			poolProxy.Set(dbtest.Refuse)
			listenProxy.Set(dbtest.Refuse)
			for range 5 {
				write()
			}
			poolProxy.Set(dbtest.Pass)
			listenProxy.Set(dbtest.Pass)
			awaitFeed(t, cs, want())

			// Every backend of the database killed, as a restart would.
			admin := dbtest.Open(t, dbtest.AdminURL())
			if _, err := admin.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
  WHERE datname = ? AND pid <> pg_backend_pid()`, databaseName(dbtest.DirectURL(url))); err != nil {
				t.Fatal(err)
			}
			for range 5 {
				write()
			}
			awaitFeed(t, cs, want())
		})
	}
}

func databaseName(rawURL string) string {
	i := strings.LastIndex(rawURL, "/")
	name := rawURL[i+1:]
	if j := strings.Index(name, "?"); j >= 0 {
		name = name[:j]
	}
	return name
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// A replica hears of another's writes through the writer's notification,
// not through its own poll: both poll once an hour here, so only the
// notification can bring the changes in time.
func TestSubscriptionHearsAnotherReplicasWrites(t *testing.T) {
	ctx := context.Background()
	for _, kind := range dbtest.PostgresKinds() {
		t.Run(kind, func(t *testing.T) {
			url := dbtest.NewURL(t, kind)
			a := servertest.New(t, url)
			dbtest.SettleChanges(t, a.DB)
			a.ServeFeed(t, feed.Options{Poll: time.Hour})
			bdb := dbtest.Open(t, url)
			bw := *a.W
			bw.Svc = core.New(bdb)
			b := &servertest.Env{W: &bw, DB: bdb, URL: url}
			srv := b.ServeFeed(t, feed.Options{Poll: time.Hour})
			s := &streams{t: t, e: b, srv: srv.URL}

			start, err := a.W.Svc.FeedEnd(ctx)
			if err != nil {
				t.Fatal(err)
			}
			c := &collector{name: "websocket", actor: coretest.Manager, transport: "websocket", auth: "Token " + a.Token(coretest.Manager)}
			runCollectors(t, ctx, s.srv, c)
			s.awaitActive(1)

			for i := range 3 {
				res, body := a.Call(t, coretest.Manager, http.MethodPatch, "/api/call-assignment-configurations/"+links.Hex(a.W.Config)+"/",
					map[string]any{"max_auto_reassign_attempts": i + 1})
				if res.StatusCode != http.StatusOK {
					t.Fatalf("PATCH on A: %d %v", res.StatusCode, body)
				}
			}
			dbtest.SettleChanges(t, a.DB)
			want := map[*collector][]string{c: expectedFeed(t, a.W.Svc, a.W.Actor(t, c.actor), nil, start)}
			if len(want[c]) != 3 {
				t.Fatalf("the feed holds %d changes, want 3", len(want[c]))
			}
			awaitFeed(t, []*collector{c}, want)
		})
	}
}

// runCollectors opens each collector's subscription on srv and keeps it
// reading until the test ends.
func runCollectors(t *testing.T, ctx context.Context, srv string, cs ...*collector) {
	t.Helper()
	runCtx, stop := context.WithCancel(ctx)
	var running sync.WaitGroup
	t.Cleanup(func() {
		stop()
		running.Wait()
	})
	for _, c := range cs {
		ch, closeFn, err := c.open(runCtx, srv, "")
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		running.Add(1)
		go func() {
			defer running.Done()
			c.run(runCtx, srv, ch, closeFn)
		}()
	}
}
