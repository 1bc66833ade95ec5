package feed_test

import (
	"context"
	"testing"
	"time"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/core/coretest"
	"github.com/callcfg/callcfg/db/dbtest"
	"github.com/callcfg/callcfg/feed"
)

// A hub nobody follows does not read the feed after every write of its
// replica (that doubled the statements of every write), and its first
// subscriber gets what is written after it subscribed, not the backlog of
// changes made while nobody followed, which would overflow its buffer.
func TestIdleHubReadsNoFeedPerWrite(t *testing.T) {
	ctx := context.Background()
	dbtest.Each(t, func(t *testing.T, url string) {
		bdb := dbtest.Open(t, url)
		w := coretest.Build(t, bdb)
		dbtest.SettleChanges(t, bdb)
		staff := w.Actor(t, coretest.Staff)
		write := func(n int64) {
			t.Helper()
			if _, err := w.Svc.UpdateConfig(ctx, staff, w.Config, core.Patch{MaxAutoReassignAttempts: core.Some(n)}, core.Precondition{}); err != nil {
				t.Fatal(err)
			}
		}
		// What a write costs with no hub at all.
		counter := dbtest.CountQueries(bdb)
		write(99)
		perWrite := counter.Reset()

		hub := run(t, w, url, feed.Options{Poll: time.Hour, Buffer: 4})
		write(100)
		time.Sleep(100 * time.Millisecond) // the hub has started
		counter.Reset()
		const writes = 30
		for i := range writes {
			write(int64(i))
		}
		time.Sleep(50 * time.Millisecond) // wake-ups that would read
		// A key's use is noted once a minute: one statement of slack.
		if got, want := counter.Count(), writes*perWrite+1; got > want {
			t.Errorf("%d writes with nobody following cost %d statements, more than %d (%d each)\n%s", writes, got, want, perWrite, counter.Queries())
		}

		ch, ended := follow(t, hub, w, coretest.Staff)
		for i := range 3 {
			write(int64(50 + i))
		}
		for i := range 3 {
			select {
			case c := <-ch:
				if got := c.After.MaxAutoReassignAttempts; got != int64(50+i) {
					t.Fatalf("change %d: %d, want %d (a change from before the subscription?)", i, got, 50+i)
				}
			case err := <-ended:
				t.Fatalf("the subscription ended: %v", err)
			case <-time.After(wait):
				t.Fatalf("change %d never arrived", i)
			}
		}
	})
}
