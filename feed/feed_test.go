package feed_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/core/coretest"
	"github.com/callcfg/callcfg/db/dbtest"
	"github.com/callcfg/callcfg/feed"
)

const wait = 30 * time.Second

// run starts a hub over w's database, woken as serve wakes it.
func run(t *testing.T, w *coretest.World, url string, opts feed.Options) *feed.Hub {
	t.Helper()
	hub := feed.New(w.Svc, opts)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); hub.Run(ctx) }()
	go func() { defer wg.Done(); w.Svc.WatchFeed(ctx, dbtest.DirectURL(url), time.Second, nil, hub.Wake) }()
	t.Cleanup(func() {
		hub.Close()
		cancel()
		wg.Wait()
	})
	return hub
}

// follow subscribes as actor from the feed's end; ended receives the
// error the subscription ends with.
func follow(t *testing.T, hub *feed.Hub, w *coretest.World, actor string) (<-chan *core.Change, <-chan error) {
	t.Helper()
	a := w.Actor(t, actor)
	conn, err := hub.Connect(a, feed.TransportWebSocket, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Close)
	start, err := w.Svc.StartFollowing(context.Background(), a, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ended := make(chan error, 1)
	ch, err := conn.Subscribe(context.Background(), start, func(err error) { ended <- err })
	if err != nil {
		t.Fatal(err)
	}
	return ch, ended
}

func TestTooSlowSubscriberIsClosedAndBlocksNobody(t *testing.T) {
	ctx := context.Background()
	dbtest.Each(t, func(t *testing.T, url string) {
		bdb := dbtest.Open(t, url)
		w := coretest.Build(t, bdb)
		dbtest.SettleChanges(t, bdb)
		hub := run(t, w, url, feed.Options{Buffer: 1})
		slow, ended := follow(t, hub, w, coretest.Manager)
		fast, _ := follow(t, hub, w, coretest.Staff)
		_ = slow // never read: its client stopped reading

		staff := w.Actor(t, coretest.Staff)
		var endErr error
		for i := 0; endErr == nil; i++ {
			if i == 20 {
				t.Fatal("20 changes waited for a subscriber with a buffer of 1, and it was not closed")
			}
			if _, err := w.Svc.UpdateConfig(ctx, staff, w.Config, core.Patch{MaxAutoReassignAttempts: core.Some(int64(i))}, core.Precondition{}); err != nil {
				t.Fatal(err)
			}
			// The other subscriber gets every change meanwhile.
			select {
			case c := <-fast:
				if c.After.MaxAutoReassignAttempts != int64(i) {
					t.Fatalf("change %d: %d", i, c.After.MaxAutoReassignAttempts)
				}
			case <-time.After(wait):
				t.Fatalf("change %d did not reach the subscriber that reads", i)
			}
			select {
			case endErr = <-ended:
			default:
			}
		}
		var fe *feed.Error
		if !errors.As(endErr, &fe) || fe.Reason != feed.ReasonTooSlow {
			t.Fatalf("ended with %v, want too slow", endErr)
		}
	})
}

// A write the hub hears nothing of (another process's, on SQLite: the CLI
// beside the server) still reaches subscribers, at the next poll.
func TestUnheardWriteArrivesAtThePoll(t *testing.T) {
	ctx := context.Background()
	url := dbtest.NewURL(t, "sqlite")
	bdb := dbtest.Open(t, url)
	w := coretest.Build(t, bdb)
	hub := run(t, w, url, feed.Options{Poll: 50 * time.Millisecond})
	ch, _ := follow(t, hub, w, coretest.Staff)

	// Another handle on the same file: its writes wake nobody.
	other := core.New(dbtest.Open(t, url))
	staff, err := other.Authenticate(ctx, w.Tokens[coretest.Staff])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.UpdateConfig(ctx, staff, w.Config, core.Patch{MaxAutoReassignAttempts: core.Some[int64](9)}, core.Precondition{}); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-ch:
		if c.After.MaxAutoReassignAttempts != 9 {
			t.Fatalf("got %+v", c.After)
		}
	case <-time.After(wait):
		t.Fatal("the change never arrived")
	}
}
