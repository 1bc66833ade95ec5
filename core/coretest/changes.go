package coretest

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/db/dbtest"
)

// Stored is a configuration as the database holds it.
type Stored struct {
	Call              uuid.UUID
	Settings          core.Settings
	Created, Modified time.Time
}

func (a Stored) same(b Stored) bool {
	return a.Call == b.Call && a.Settings == b.Settings && a.Created.Equal(b.Created) && a.Modified.Equal(b.Modified)
}

// Snapshot reads every configuration as staff, straight from the core.
func (w *World) Snapshot(t testing.TB) map[uuid.UUID]Stored {
	t.Helper()
	items, _, err := w.Svc.ListConfigsPage(context.Background(), w.Actor(t, Staff), core.ConfigFilter{}, 0, core.MaxPageSize)
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	out := make(map[uuid.UUID]Stored, len(items))
	for _, c := range items {
		out[c.UUID] = Stored{Call: c.CallUUID, Settings: c.Settings, Created: c.Created, Modified: c.Modified}
	}
	return out
}

// CheckChange holds a write, through either face, to what it may do: a
// refused one changes nothing; a successful one changes at most the
// settings and modified of one configuration, or adds one to a call that
// had none. It returns the added one, if any.
func CheckChange(t testing.TB, failed bool, before, after map[uuid.UUID]Stored) (added uuid.UUID) {
	t.Helper()
	changed := 0
	for id, b := range before {
		a, ok := after[id]
		switch {
		case !ok:
			t.Fatalf("configuration %s disappeared", id)
		case a.same(b):
			continue
		case failed:
			t.Fatalf("a refused write changed %s:\n before %+v\n  after %+v", id, b, a)
		case a.Call != b.Call || !a.Created.Equal(b.Created) || a.Modified.Before(b.Modified):
			t.Fatalf("a write changed more than the settings of %s:\n before %+v\n  after %+v", id, b, a)
		}
		changed++
	}
	for id, a := range after {
		if _, ok := before[id]; ok {
			continue
		}
		if failed || added != uuid.Nil {
			t.Fatalf("configuration %s appeared (write failed: %v)", id, failed)
		}
		for _, b := range before {
			if b.Call == a.Call {
				t.Fatalf("a second configuration %s for call %s", id, a.Call)
			}
		}
		added = id
		changed++
	}
	if changed > 1 {
		t.Fatalf("one write changed %d configurations", changed)
	}
	return added
}

// Feed reads the whole change feed as the named actor, oldest first, once
// every change committed so far is final.
func (w *World) Feed(t testing.TB, actor string) []*core.Change {
	t.Helper()
	return w.FeedOf(t, w.Actor(t, actor), core.ChangeFilter{})
}

// FeedOf reads the whole change feed as a under f, page by page.
func (w *World) FeedOf(t testing.TB, a core.Actor, f core.ChangeFilter) []*core.Change {
	t.Helper()
	dbtest.SettleChanges(t, w.Svc.DB())
	var out []*core.Change
	first := core.MaxPageSize
	args := core.PageArgs{First: &first}
	for {
		conn, err := w.Svc.ChangesConnection(context.Background(), a, f, args)
		if err != nil {
			t.Fatalf("feed: %v", err)
		}
		for _, e := range conn.Edges {
			out = append(out, e.Node)
		}
		if !conn.HasNextPage {
			return out
		}
		end := conn.Cursor(len(conn.Edges) - 1)
		args.After = &end
	}
}
