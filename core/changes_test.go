package core_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/core/coretest"
	"github.com/callcfg/callcfg/db/dbtest"
)

var allFields = []string{core.FieldAutoReassignOnDecline, core.FieldMaxAutoReassignAttempts,
	core.FieldAssignmentExpirationDays, core.FieldSendReminderBeforeExpiryDays}

// wantChange is what one write must have recorded.
type wantChange struct {
	kind          string
	config        uuid.UUID
	call          uuid.UUID
	actor         string // "" for none
	via           string
	requestID     string // "" for none
	before, after *core.Settings
	changed       []string
	at            time.Time // zero: not checked
}

func checkChange(t *testing.T, w *coretest.World, got *core.Change, want wantChange) {
	t.Helper()
	if got.Kind != want.kind || got.ConfigurationUUID != want.config || got.CallUUID != want.call || got.Via != want.via {
		t.Errorf("change %s %s of %s (call %s) via %s; want %s of %s (call %s) via %s",
			got.UUID, got.Kind, got.ConfigurationUUID, got.CallUUID, got.Via, want.kind, want.config, want.call, want.via)
	}
	switch {
	case want.actor == "" && got.Actor != nil:
		t.Errorf("actor %+v, want none", got.Actor)
	case want.actor != "" && (got.Actor == nil || got.Actor.Username != want.actor || got.Actor.UUID != w.Actor(t, want.actor).User.UUID):
		t.Errorf("actor %+v, want %s", got.Actor, want.actor)
	}
	if (got.RequestID == nil) != (want.requestID == "") || (got.RequestID != nil && *got.RequestID != want.requestID) {
		t.Errorf("request id %v, want %q", got.RequestID, want.requestID)
	}
	if !sameSettings(got.Before, want.before) || !sameSettings(got.After, want.after) {
		t.Errorf("before %+v after %+v; want %+v, %+v", got.Before, got.After, want.before, want.after)
	}
	if !slices.Equal(got.ChangedFields, want.changed) {
		t.Errorf("changed fields %v, want %v", got.ChangedFields, want.changed)
	}
	if !want.at.IsZero() && !got.At.Equal(want.at) {
		t.Errorf("at %s, want %s", got.At, want.at)
	}
	if got.Cursor != core.ChangeCursor(got.Position) {
		t.Errorf("cursor %q is not the position's", got.Cursor)
	}
}

func sameSettings(a, b *core.Settings) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

// Every write of the core records exactly one change, with what it did;
// the core's callers say where they come from (the faces' own tests check
// that they do), and without an origin a write is the CLI's.
func TestEveryWriteRecordsOneChange(t *testing.T) {
	dbtest.EachDB(t, func(t *testing.T, bdb *bun.DB) {
		w := coretest.Build(t, bdb)
		svc, staff := w.Svc, w.Actor(t, coretest.Staff)
		manager := w.Actor(t, coretest.Manager)
		gql := core.WithOrigin(context.Background(), core.Origin{Via: core.ViaGraphQL, RequestID: "req-1"})
		rest := core.WithOrigin(context.Background(), core.Origin{Via: core.ViaREST, RequestID: "req-2"})
		cli := core.WithOrigin(context.Background(), core.Origin{Via: core.ViaCLI})
		defaults := core.Defaults
		otherSettings := core.Settings{AutoReassignOnDecline: true, MaxAutoReassignAttempts: 5, AssignmentExpirationDays: 7, SendReminderBeforeExpiryDays: 2}
		current, _ := svc.GetConfig(context.Background(), staff, w.Config)
		var bareCfg uuid.UUID

		cases := []struct {
			name  string
			write func(t *testing.T) (want wantChange)
		}{
			{"create", func(t *testing.T) wantChange {
				cfg, err := svc.CreateConfig(gql, manager, core.Some(w.Bare), core.Patch{MaxAutoReassignAttempts: core.Some[int64](9)})
				if err != nil {
					t.Fatal(err)
				}
				bareCfg = cfg.UUID
				after := defaults
				after.MaxAutoReassignAttempts = 9
				return wantChange{kind: core.ChangeCreated, config: cfg.UUID, call: w.Bare, actor: coretest.Manager, via: core.ViaGraphQL,
					requestID: "req-1", after: &after, changed: allFields, at: cfg.Modified}
			}},
			{"update in one statement", func(t *testing.T) wantChange {
				cfg, err := svc.UpdateConfig(rest, manager, w.Config, core.Patch{MaxAutoReassignAttempts: core.Some[int64](4),
					AutoReassignOnDecline: core.Some(false)}, core.Precondition{Modified: &current.Modified})
				if err != nil {
					t.Fatal(err)
				}
				after := current.Settings
				after.MaxAutoReassignAttempts = 4
				before := current.Settings
				current = cfg
				return wantChange{kind: core.ChangeUpdated, config: w.Config, call: w.Call, actor: coretest.Manager, via: core.ViaREST,
					requestID: "req-2", before: &before, after: &after, changed: []string{core.FieldMaxAutoReassignAttempts}, at: cfg.Modified}
			}},
			{"update that changes no value", func(t *testing.T) wantChange {
				cfg, err := svc.UpdateConfig(rest, staff, w.Config, core.Patch{MaxAutoReassignAttempts: core.Some[int64](4)}, core.Precondition{})
				if err != nil {
					t.Fatal(err)
				}
				same := current.Settings
				current = cfg
				return wantChange{kind: core.ChangeUpdated, config: w.Config, call: w.Call, actor: coretest.Staff, via: core.ViaREST,
					requestID: "req-2", before: &same, after: &same, changed: []string{}, at: cfg.Modified}
			}},
			{"set for a call with a configuration (update by id)", func(t *testing.T) wantChange {
				cfg, created, err := svc.SetConfigForCall(gql, manager, w.Call, core.Patch{SendReminderBeforeExpiryDays: core.Some[int64](1)})
				if err != nil || created {
					t.Fatal(created, err)
				}
				before, after := current.Settings, current.Settings
				after.SendReminderBeforeExpiryDays = 1
				current = cfg
				return wantChange{kind: core.ChangeUpdated, config: w.Config, call: w.Call, actor: coretest.Manager, via: core.ViaGraphQL,
					requestID: "req-1", before: &before, after: &after, changed: []string{core.FieldSendReminderBeforeExpiryDays}, at: cfg.Modified}
			}},
			{"delete", func(t *testing.T) wantChange {
				if err := svc.DeleteConfig(rest, staff, w.Config, core.Precondition{Modified: &current.Modified}); err != nil {
					t.Fatal(err)
				}
				before := current.Settings
				return wantChange{kind: core.ChangeDeleted, config: w.Config, call: w.Call, actor: coretest.Staff, via: core.ViaREST,
					requestID: "req-2", before: &before, changed: allFields}
			}},
			{"set for a call without one (create)", func(t *testing.T) wantChange {
				cfg, created, err := svc.SetConfigForCall(gql, staff, w.Call, core.Patch{})
				if err != nil || !created {
					t.Fatal(created, err)
				}
				return wantChange{kind: core.ChangeCreated, config: cfg.UUID, call: w.Call, actor: coretest.Staff, via: core.ViaGraphQL,
					requestID: "req-1", after: &defaults, changed: allFields, at: cfg.Modified}
			}},
			{"call delete (CLI) deletes its configuration", func(t *testing.T) wantChange {
				if err := svc.DeleteCall(cli, w.Other); err != nil {
					t.Fatal(err)
				}
				return wantChange{kind: core.ChangeDeleted, config: w.OtherCf, call: w.Other, via: core.ViaCLI,
					before: &otherSettings, changed: allFields}
			}},
			{"a write without an origin is the CLI's", func(t *testing.T) wantChange {
				cfg, err := svc.UpdateConfig(context.Background(), staff, bareCfg, core.Patch{}, core.Precondition{})
				if err != nil {
					t.Fatal(err)
				}
				return wantChange{kind: core.ChangeUpdated, config: bareCfg, call: w.Bare, actor: coretest.Staff, via: core.ViaCLI,
					before: &cfg.Settings, after: &cfg.Settings, changed: []string{}, at: cfg.Modified}
			}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				before := w.Feed(t, coretest.Staff)
				want := c.write(t)
				after := w.Feed(t, coretest.Staff)
				if len(after) != len(before)+1 {
					t.Fatalf("%d changes before, %d after", len(before), len(after))
				}
				if !sameUUIDs(after[:len(before)], before) {
					t.Fatal("the feed changed before its end")
				}
				got := after[len(after)-1]
				checkChange(t, w, got, want)
				if !got.At.After(before[len(before)-1].At) && got.ConfigurationUUID == before[len(before)-1].ConfigurationUUID {
					t.Errorf("at %s is not after the configuration's previous change", got.At)
				}
			})
		}
		t.Run("deleting a call without a configuration records nothing", func(t *testing.T) {
			n := len(w.Feed(t, coretest.Staff))
			c, err := svc.CreateCall(cli, core.NewCall{Name: "Empty", OrgUUID: w.OrgUUID})
			if err != nil {
				t.Fatal(err)
			}
			if err := svc.DeleteCall(cli, c.UUID); err != nil {
				t.Fatal(err)
			}
			if got := len(w.Feed(t, coretest.Staff)); got != n {
				t.Fatalf("%d changes, want %d", got, n)
			}
		})
	})
}

func sameUUIDs(a, b []*core.Change) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].UUID != b[i].UUID {
			return false
		}
	}
	return true
}

// An import records one CREATED change per configuration, in its own
// transaction: a failed import records none.
func TestImportRecordsItsChanges(t *testing.T) {
	dbtest.EachDB(t, func(t *testing.T, bdb *bun.DB) {
		w := coretest.Build(t, bdb)
		cli := core.WithOrigin(context.Background(), core.Origin{Via: core.ViaCLI})
		org := uuid.New()
		line := func(call, cfg uuid.UUID, attempts int) string {
			c := "null"
			if cfg != uuid.Nil {
				c = fmt.Sprintf(`{"uuid":"%s","max_auto_reassign_attempts":%d,"assignment_expiration_days":7,"send_reminder_before_expiry_days":2,"modified":"2020-01-01T00:00:00Z"}`, cfg, attempts)
			}
			return fmt.Sprintf(`{"call":{"uuid":"%s","name":"Imported","state":"active","organisation":{"uuid":"%s","name":"Org"}},"configuration":%s}`, call, org, c)
		}
		n := len(w.Feed(t, coretest.Staff))
		calls, cfgs := []uuid.UUID{uuid.New(), uuid.New(), uuid.New()}, []uuid.UUID{uuid.New(), uuid.Nil, uuid.New()}
		var in strings.Builder
		for i := range calls {
			in.WriteString(line(calls[i], cfgs[i], i) + "\n")
		}
		start := time.Now()
		if _, err := w.Svc.Import(cli, strings.NewReader(in.String())); err != nil {
			t.Fatal(err)
		}
		feed := w.Feed(t, coretest.Staff)
		if len(feed) != n+2 {
			t.Fatalf("%d changes, want %d", len(feed), n+2)
		}
		for i, ch := range feed[n:] {
			k := []int{0, 2}[i]
			want := core.Settings{MaxAutoReassignAttempts: int64(k), AssignmentExpirationDays: 7, SendReminderBeforeExpiryDays: 2}
			checkChange(t, w, ch, wantChange{kind: core.ChangeCreated, config: cfgs[k], call: calls[k], via: core.ViaCLI, after: &want, changed: allFields})
			if ch.At.Before(start.Add(-time.Second)) {
				t.Errorf("at %s: an import's change is dated when it happened, not by the line's modified", ch.At)
			}
		}
		t.Run("a failed import records nothing", func(t *testing.T) {
			// The first line is new, the second collides with a call already imported.
			bad := line(uuid.New(), uuid.New(), 1) + "\n" + line(calls[0], uuid.New(), 1) + "\n"
			if _, err := w.Svc.Import(cli, strings.NewReader(bad)); core.KindOf(err) != core.KindInvalid {
				t.Fatalf("import: %v", err)
			}
			if got := len(w.Feed(t, coretest.Staff)); got != n+2 {
				t.Fatalf("%d changes, want %d", got, n+2)
			}
		})
	})
}

// A refused or failed write records nothing.
func TestRefusedWritesRecordNoChange(t *testing.T) {
	dbtest.EachDB(t, func(t *testing.T, bdb *bun.DB) {
		w := coretest.Build(t, bdb)
		ctx := context.Background()
		svc := w.Svc
		stale := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
		cases := []struct {
			name  string
			write func() error
			kind  core.Kind
		}{
			{"update by a reviewer (403)", func() error {
				_, err := svc.UpdateConfig(ctx, w.Actor(t, coretest.Reviewer), w.Config, core.Patch{MaxAutoReassignAttempts: core.Some[int64](1)}, core.Precondition{})
				return err
			}, core.KindForbidden},
			{"update by an outsider (404)", func() error {
				_, err := svc.UpdateConfig(ctx, w.Actor(t, coretest.Outsider), w.Config, core.Patch{}, core.Precondition{})
				return err
			}, core.KindNotFound},
			{"update with a bad value (400)", func() error {
				_, err := svc.UpdateConfig(ctx, w.Actor(t, coretest.Staff), w.Config, core.Patch{MaxAutoReassignAttempts: core.Some[int64](-1)}, core.Precondition{})
				return err
			}, core.KindInvalid},
			{"update with a stale precondition (412)", func() error {
				_, err := svc.UpdateConfig(ctx, w.Actor(t, coretest.Manager), w.Config, core.Patch{}, core.Precondition{Modified: &stale})
				return err
			}, core.KindConflict},
			{"delete with a stale precondition (412)", func() error {
				return svc.DeleteConfig(ctx, w.Actor(t, coretest.Staff), w.Config, core.Precondition{Modified: &stale})
			}, core.KindConflict},
			{"delete by support (403)", func() error {
				return svc.DeleteConfig(ctx, w.Actor(t, coretest.Support), w.Config, core.Precondition{})
			}, core.KindForbidden},
			{"create on a call that has one (unique)", func() error {
				_, err := svc.CreateConfig(ctx, w.Actor(t, coretest.Staff), core.Some(w.Call), core.Patch{})
				return err
			}, core.KindInvalid},
			{"create on an unknown call", func() error {
				_, err := svc.CreateConfig(ctx, w.Actor(t, coretest.Staff), core.Some(uuid.New()), core.Patch{})
				return err
			}, core.KindInvalid},
			{"deleting an unknown call", func() error { return svc.DeleteCall(ctx, uuid.New()) }, core.KindNotFound},
		}
		n := len(w.Feed(t, coretest.Staff))
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if err := c.write(); core.KindOf(err) != c.kind {
					t.Fatalf("got %v, want %v", err, c.kind)
				}
				if got := len(w.Feed(t, coretest.Staff)); got != n {
					t.Fatalf("%d changes, want %d", got, n)
				}
			})
		}
		t.Run("racing creates record one change", func(t *testing.T) {
			var wg sync.WaitGroup
			errs := make([]error, 8)
			for i := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[i] = svc.CreateConfig(ctx, w.Actor(t, coretest.Staff), core.Some(w.Bare), core.Patch{})
				}()
			}
			wg.Wait()
			won := 0
			for _, err := range errs {
				switch {
				case err == nil:
					won++
				case core.KindOf(err) != core.KindInvalid:
					t.Fatalf("create: %v", err)
				}
			}
			feed := w.Feed(t, coretest.Staff)
			if won != 1 || len(feed) != n+1 || feed[n].Kind != core.ChangeCreated || feed[n].CallUUID != w.Bare {
				t.Fatalf("%d creates won, %d changes (want 1 and %d)", won, len(feed), n+1)
			}
		})
	})
}

// Whoever may see a call sees its changes; staff and support see every
// change, those of deleted calls too, and nobody else sees those.
func TestChangeVisibility(t *testing.T) {
	dbtest.EachDB(t, func(t *testing.T, bdb *bun.DB) {
		w := coretest.Build(t, bdb)
		ctx := context.Background()
		// Call's configuration and Other's were created; Other is deleted.
		if err := w.Svc.DeleteCall(ctx, w.Other); err != nil {
			t.Fatal(err)
		}
		staffFeed := w.Feed(t, coretest.Staff)
		if len(staffFeed) != 3 {
			t.Fatalf("staff sees %d changes, want 3", len(staffFeed))
		}
		ofCall := staffFeed[0]
		if ofCall.CallUUID != w.Call {
			ofCall = staffFeed[1]
		}
		deleted := staffFeed[2]
		cases := []struct {
			actor    string
			sees     int
			deleted  bool // sees the changes of the deleted call
			outcome  core.Kind
			managesC bool
		}{
			{coretest.Staff, 3, true, 0, true},
			{coretest.Support, 3, true, 0, false},
			{coretest.Manager, 1, false, 0, true},
			{coretest.Reviewer, 1, false, 0, false},
			{coretest.PanelMember, 1, false, 0, false},
			{coretest.OrganizerRole, 1, false, 0, true},
			{coretest.OrganizerNoRole, 0, false, 0, false},
			{coretest.Outsider, 0, false, 0, false},
			{coretest.Anonymous, 0, false, core.KindUnauthenticated, false},
		}
		for _, c := range cases {
			t.Run(c.actor, func(t *testing.T) {
				a := w.Actor(t, c.actor)
				if c.outcome != 0 {
					_, err := w.Svc.ChangesConnection(ctx, a, core.ChangeFilter{}, core.PageArgs{})
					if core.KindOf(err) != c.outcome {
						t.Fatalf("feed: %v", err)
					}
					return
				}
				feed := w.FeedOf(t, a, core.ChangeFilter{})
				if len(feed) != c.sees {
					t.Fatalf("sees %d changes, want %d", len(feed), c.sees)
				}
				n, err := w.Svc.CountChanges(ctx, a, core.ChangeFilter{})
				if err != nil || n != int64(c.sees) {
					t.Fatalf("count %d %v, want %d", n, err, c.sees)
				}
				for _, ch := range feed {
					if ch.CallUUID == w.Call && (ch.Call() == nil || ch.Call().ViewerCanManage != c.managesC) {
						t.Errorf("the change's call: %+v", ch.Call())
					}
					if ch.CallUUID == w.Other && ch.Call() != nil {
						t.Errorf("a deleted call came with its change: %+v", ch.Call())
					}
				}
				_, err = w.Svc.GetChange(ctx, a, deleted.UUID)
				if (err == nil) != c.deleted {
					t.Errorf("get the deleted call's change: %v", err)
				}
				_, err = w.Svc.GetChange(ctx, a, ofCall.UUID)
				if (err == nil) != (c.sees > 0) {
					t.Errorf("get the change of Call: %v", err)
				}
				after, err := w.Svc.VisibleChangesAfter(ctx, a, core.ChangeFilter{}, core.ChangePosition{}, 10)
				if err != nil || len(after) != c.sees {
					t.Errorf("changes after the start: %d %v, want %d", len(after), err, c.sees)
				}
				hist, err := w.Svc.Histories(ctx, a, core.HistoryOfCall, []uuid.UUID{w.Call, w.Other}, core.PageArgs{})
				if err != nil {
					t.Fatal(err)
				}
				if got := len(hist[w.Call].Edges) + len(hist[w.Other].Edges); got != c.sees {
					t.Errorf("histories hold %d changes, want %d", got, c.sees)
				}
			})
		}
	})
}

// A history is the part of the feed about one configuration or call: a
// batch reads a page of each in one go, with the feed's cursors, and a
// call's history keeps the changes of configurations it no longer has.
func TestHistories(t *testing.T) {
	dbtest.EachDB(t, func(t *testing.T, bdb *bun.DB) {
		w := coretest.Build(t, bdb)
		ctx := context.Background()
		staff := w.Actor(t, coretest.Staff)
		for i := range 5 {
			if _, err := w.Svc.UpdateConfig(ctx, staff, w.Config, core.Patch{MaxAutoReassignAttempts: core.Some(int64(10 + i))}, core.Precondition{}); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Svc.DeleteConfig(ctx, staff, w.Config, core.Precondition{}); err != nil {
			t.Fatal(err)
		}
		newCfg, err := w.Svc.CreateConfig(ctx, staff, core.Some(w.Call), core.Patch{})
		if err != nil {
			t.Fatal(err)
		}
		feed := w.Feed(t, coretest.Staff)
		var ofCall []*core.Change
		for _, ch := range feed {
			if ch.CallUUID == w.Call {
				ofCall = append(ofCall, ch)
			}
		}
		if len(ofCall) != 8 { // created, 5 updates, deleted, created
			t.Fatalf("%d changes of the call, want 8", len(ofCall))
		}
		two, three := 2, 3
		cases := []struct {
			name string
			of   core.HistoryOf
			key  uuid.UUID
			args core.PageArgs
			want []*core.Change
			next bool
			prev bool
		}{
			{"a configuration's, first 3", core.HistoryOfConfiguration, w.Config, core.PageArgs{First: &three}, ofCall[:3], true, false},
			{"a configuration's, after the feed's cursor", core.HistoryOfConfiguration, w.Config, core.PageArgs{First: &three, After: &ofCall[4].Cursor}, ofCall[5:7], false, true},
			{"a configuration's, last 2", core.HistoryOfConfiguration, w.Config, core.PageArgs{Last: &two}, ofCall[5:7], false, true},
			{"a configuration's, last 2 before", core.HistoryOfConfiguration, w.Config, core.PageArgs{Last: &two, Before: &ofCall[5].Cursor}, ofCall[3:5], true, true},
			{"the new configuration's", core.HistoryOfConfiguration, newCfg.UUID, core.PageArgs{}, ofCall[7:], false, false},
			{"the call's, deleted configuration included", core.HistoryOfCall, w.Call, core.PageArgs{}, ofCall, false, false},
			{"the call's, last 3", core.HistoryOfCall, w.Call, core.PageArgs{Last: &three}, ofCall[5:], false, true},
			{"a call without changes", core.HistoryOfCall, w.Bare, core.PageArgs{}, nil, false, false},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				// Other keys ride along in the same batch.
				keys := []uuid.UUID{w.OtherCf, c.key, w.Other, uuid.New()}
				hist, err := w.Svc.Histories(ctx, staff, c.of, keys, c.args)
				if err != nil {
					t.Fatal(err)
				}
				conn := hist[c.key]
				var got []*core.Change
				for i, e := range conn.Edges {
					got = append(got, e.Node)
					if conn.Cursor(i) != e.Node.Cursor {
						t.Errorf("edge cursor %q, node cursor %q", conn.Cursor(i), e.Node.Cursor)
					}
				}
				if !sameUUIDs(got, c.want) || conn.HasNextPage != c.next || conn.HasPreviousPage != c.prev {
					t.Fatalf("got %d changes (next %v, prev %v), want %d (%v, %v)", len(got), conn.HasNextPage, conn.HasPreviousPage, len(c.want), c.next, c.prev)
				}
			})
		}
		counts, err := w.Svc.CountHistories(ctx, staff, core.HistoryOfCall, []uuid.UUID{w.Call, w.Other, w.Bare})
		if err != nil || counts[w.Call] != 8 || counts[w.Other] != 1 || counts[w.Bare] != 0 {
			t.Fatalf("counts %v %v", counts, err)
		}
	})
}

// Filters narrow the feed, and bad ones are refused with the field at fault.
func TestChangeFilters(t *testing.T) {
	dbtest.EachDB(t, func(t *testing.T, bdb *bun.DB) {
		w := coretest.Build(t, bdb)
		ctx := context.Background()
		staff := w.Actor(t, coretest.Staff)
		mid := time.Now().UTC()
		time.Sleep(2 * time.Millisecond)
		if _, err := w.Svc.UpdateConfig(ctx, staff, w.Config, core.Patch{}, core.Precondition{}); err != nil {
			t.Fatal(err)
		}
		if err := w.Svc.DeleteConfig(ctx, staff, w.OtherCf, core.Precondition{}); err != nil {
			t.Fatal(err)
		}
		feed := w.Feed(t, coretest.Staff) // created, created, updated, deleted
		if len(feed) != 4 {
			t.Fatalf("%d changes", len(feed))
		}
		cases := []struct {
			name string
			f    core.ChangeFilter
			want []*core.Change
		}{
			{"call", core.ChangeFilter{CallUUID: &w.Other}, []*core.Change{feed[1], feed[3]}},
			{"configuration", core.ChangeFilter{ConfigurationUUID: &w.Config}, []*core.Change{feed[0], feed[2]}},
			{"kinds", core.ChangeFilter{Kinds: []string{core.ChangeUpdated, core.ChangeDeleted}}, feed[2:]},
			{"no kinds", core.ChangeFilter{Kinds: []string{}}, feed},
			{"since", core.ChangeFilter{Since: &mid}, feed[2:]},
			{"until", core.ChangeFilter{Until: &mid}, feed[:2]},
			{"since the last change's time, inclusive", core.ChangeFilter{Since: &feed[3].At}, feed[3:]},
			{"until the last change's time, exclusive", core.ChangeFilter{Until: &feed[3].At, Since: &mid}, feed[2:3]},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				got := w.FeedOf(t, staff, c.f)
				if !sameUUIDs(got, c.want) {
					t.Fatalf("got %d changes, want %d", len(got), len(c.want))
				}
				if n, err := w.Svc.CountChanges(ctx, staff, c.f); err != nil || n != int64(len(c.want)) {
					t.Fatalf("count %d %v", n, err)
				}
			})
		}
		early := mid.Add(-time.Hour)
		refused := []struct {
			name   string
			f      core.ChangeFilter
			fields core.FieldErrors
		}{
			{"too many kinds", core.ChangeFilter{Kinds: []string{"created", "created", "updated", "deleted"}},
				core.FieldErrors{core.FieldKinds: {"Ensure this field has no more than 3 elements."}}},
			{"a kind twice", core.ChangeFilter{Kinds: []string{"created", "created"}},
				core.FieldErrors{core.FieldKinds: {"Each kind may appear only once."}}},
			{"an unknown kind", core.ChangeFilter{Kinds: []string{"renamed"}},
				core.FieldErrors{core.FieldKinds: {`"renamed" is not a valid choice.`}}},
			{"until before since", core.ChangeFilter{Since: &mid, Until: &early},
				core.FieldErrors{core.FieldUntil: {"Ensure this value is not before since."}}},
		}
		for _, c := range refused {
			t.Run(c.name, func(t *testing.T) {
				_, err := w.Svc.ChangesConnection(ctx, staff, c.f, core.PageArgs{})
				e := core.AsError(err)
				if e.Kind != core.KindInvalid {
					t.Fatalf("got %v", err)
				}
				assertFields(t, e.Fields, c.fields)
			})
		}
	})
}

// Cursors are opaque, bounded and checked: the feed's own decode to their
// position, anything else is an input error on the argument.
func TestChangeCursors(t *testing.T) {
	p := core.ChangePosition{Txn: 1 << 40, ID: 12345}
	got, err := core.ParseChangeCursor(core.ChangeCursor(p), "after")
	if err != nil || got != p {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	bad := []struct{ name, cursor string }{
		{"empty", ""},
		{"not base64", "!!!"},
		{"another list's cursor", "WyJjZmcuY3JlYXRlZCBkZXNjLGNmZy5pZCIsIjIwMjYtMDEtMDFUMDA6MDA6MDBaIiwxXQ"},
		{"a negative position", core.ChangeCursor(core.ChangePosition{Txn: -1, ID: 3})},
		{"too long", strings.Repeat("A", core.MaxCursorLength+1)},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := core.ParseChangeCursor(c.cursor, "after")
			e := core.AsError(err)
			if e.Kind != core.KindInvalid || len(e.Fields["after"]) != 1 {
				t.Fatalf("got %v", err)
			}
		})
	}
}

// A follower of the feed starts at its end and is given what comes after,
// as far as it may see.
func TestFollowingTheFeed(t *testing.T) {
	dbtest.EachDB(t, func(t *testing.T, bdb *bun.DB) {
		w := coretest.Build(t, bdb)
		ctx := context.Background()
		dbtest.SettleChanges(t, bdb)
		end, err := w.Svc.FeedEnd(ctx)
		if err != nil || end == (core.ChangePosition{}) {
			t.Fatalf("end %+v %v", end, err)
		}
		staff := w.Actor(t, coretest.Staff)
		for _, cfg := range []uuid.UUID{w.Config, w.OtherCf, w.Config} {
			if _, err := w.Svc.UpdateConfig(ctx, staff, cfg, core.Patch{}, core.Precondition{}); err != nil {
				t.Fatal(err)
			}
		}
		dbtest.SettleChanges(t, bdb)
		cases := []struct {
			actor  string
			filter core.ChangeFilter
			want   []uuid.UUID
		}{
			{coretest.Staff, core.ChangeFilter{}, []uuid.UUID{w.Config, w.OtherCf, w.Config}},
			{coretest.Staff, core.ChangeFilter{CallUUID: &w.Other}, []uuid.UUID{w.OtherCf}},
			{coretest.Reviewer, core.ChangeFilter{}, []uuid.UUID{w.Config, w.Config}},
			{coretest.Outsider, core.ChangeFilter{}, nil},
		}
		for _, c := range cases {
			t.Run(c.actor, func(t *testing.T) {
				var got []uuid.UUID
				pos := end
				for {
					// One at a time, as a follower catching up in small steps.
					page, err := w.Svc.VisibleChangesAfter(ctx, w.Actor(t, c.actor), c.filter, pos, 1)
					if err != nil {
						t.Fatal(err)
					}
					if len(page) == 0 {
						break
					}
					got = append(got, page[0].ConfigurationUUID)
					pos = page[0].Position
				}
				if !slices.Equal(got, c.want) {
					t.Fatalf("got %v, want %v", got, c.want)
				}
			})
		}
	})
}

// Writers racing on the same configurations while a reader follows the
// feed by cursor: the reader gets every change exactly once, each
// configuration's in the order they were made (each change's before is the
// previous one's after), and a read of the whole feed afterwards gives the
// same sequence.
func TestFeedUnderConcurrentWriters(t *testing.T) {
	const writers, perWriter = 4, 250
	dbtest.EachDB(t, func(t *testing.T, bdb *bun.DB) {
		w := coretest.Build(t, bdb)
		ctx := context.Background()
		staff := w.Actor(t, coretest.Staff)
		configs := []uuid.UUID{w.Config, w.OtherCf}
		dbtest.SettleChanges(t, bdb)
		start, err := w.Svc.FeedEnd(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		done := make(chan struct{})
		errs := make(chan error, writers)
		for wr := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range perWriter {
					v := int64(wr*perWriter + i + 1000)
					if _, err := w.Svc.UpdateConfig(ctx, staff, configs[(wr+i)%2], core.Patch{MaxAutoReassignAttempts: core.Some(v)}, core.Precondition{}); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		go func() { wg.Wait(); close(done) }()

		var seen []*core.Change
		cursor := core.ChangeCursor(start)
		read := func() int {
			fifty := 50
			conn, err := w.Svc.ChangesConnection(ctx, staff, core.ChangeFilter{}, core.PageArgs{First: &fifty, After: &cursor})
			if err != nil {
				t.Fatal(err)
			}
			for i, e := range conn.Edges {
				seen = append(seen, e.Node)
				cursor = conn.Cursor(i)
			}
			return len(conn.Edges)
		}
		for writing := true; writing; {
			select {
			case <-done:
				writing = false
			case err := <-errs:
				t.Fatal(err)
			default:
				if read() == 0 {
					time.Sleep(time.Millisecond)
				}
			}
		}
		select {
		case err := <-errs:
			t.Fatal(err)
		default:
		}
		dbtest.SettleChanges(t, bdb)
		for read() > 0 {
		}
		if len(seen) != writers*perWriter {
			t.Fatalf("the reader got %d changes, want %d", len(seen), writers*perWriter)
		}
		once := map[uuid.UUID]bool{}
		last := map[uuid.UUID]*core.Change{}
		for _, ch := range seen {
			if once[ch.UUID] {
				t.Fatalf("change %s read twice", ch.UUID)
			}
			once[ch.UUID] = true
			if prev := last[ch.ConfigurationUUID]; prev != nil {
				if *ch.Before != *prev.After || !ch.At.After(prev.At) {
					for _, c := range seen {
						if c.ConfigurationUUID == ch.ConfigurationUUID {
							t.Logf("%+v %d -> %d %s", c.Position, c.Before.MaxAutoReassignAttempts, c.After.MaxAutoReassignAttempts, c.At)
						}
					}
					t.Fatalf("configuration %s out of order: %+v (at %s) after %+v (at %s)", ch.ConfigurationUUID, ch.Before, ch.At, prev.After, prev.At)
				}
			}
			last[ch.ConfigurationUUID] = ch
		}
		var all []*core.Change
		for _, ch := range w.Feed(t, coretest.Staff) {
			if ch.Position.Txn > start.Txn || (ch.Position.Txn == start.Txn && ch.Position.ID > start.ID) {
				all = append(all, ch)
			}
		}
		if !sameUUIDs(all, seen) {
			t.Fatal("the whole feed read afterwards differs from what the follower read")
		}
		for _, cfg := range configs {
			now, _ := w.Svc.GetConfig(ctx, staff, cfg)
			if *last[cfg].After != now.Settings {
				t.Errorf("the last change of %s says %+v, the configuration is %+v", cfg, last[cfg].After, now.Settings)
			}
		}
	})
}

// `changes export` writes every change as JSON lines, oldest first, in
// flat batches; --since narrows it.
func TestExportChanges(t *testing.T) {
	dbtest.EachDB(t, func(t *testing.T, bdb *bun.DB) {
		w := coretest.Build(t, bdb)
		ctx := context.Background()
		staff := w.Actor(t, coretest.Staff)
		for range 1100 { // more than one batch
			if _, err := w.Svc.UpdateConfig(ctx, staff, w.Config, core.Patch{}, core.Precondition{}); err != nil {
				t.Fatal(err)
			}
		}
		feed := w.Feed(t, coretest.Staff)
		var out bytes.Buffer
		n, err := w.Svc.ExportChanges(ctx, &out, nil)
		if err != nil || n != len(feed) || n != 1102 {
			t.Fatalf("exported %d (feed %d): %v", n, len(feed), err)
		}
		lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
		for i, l := range lines {
			if !strings.Contains(l, `"uuid":"`+feed[i].UUID.String()+`"`) || !strings.Contains(l, `"cursor":"`+feed[i].Cursor+`"`) {
				t.Fatalf("line %d is not change %d of the feed: %s", i, i, l)
			}
		}
		if want := `"kind":"CREATED"`; !strings.Contains(lines[0], want) || !strings.Contains(lines[0], `"before":null`) ||
			!strings.Contains(lines[0], `"changed_fields":["auto_reassign_on_decline","max_auto_reassign_attempts","assignment_expiration_days","send_reminder_before_expiry_days"]`) {
			t.Errorf("first line: %s", lines[0])
		}
		if !strings.Contains(lines[2], `"kind":"UPDATED"`) || !strings.Contains(lines[2], `"changed_fields":[]`) ||
			!strings.Contains(lines[2], `"actor":{"uuid":"`+staff.User.UUID.String()+`","username":"staff"}`) || !strings.Contains(lines[2], `"via":"CLI"`) {
			t.Errorf("an update's line: %s", lines[2])
		}
		out.Reset()
		n, err = w.Svc.ExportChanges(ctx, &out, &feed[1000].At)
		if err != nil || n != 102 {
			t.Fatalf("since: %d %v", n, err)
		}
	})
}

// What a change keeps of its origin is bounded: a request id longer than
// the server gives or accepts is not recorded, and anything but the two
// faces is the CLI, which has no request id.
func TestChangeOriginIsBounded(t *testing.T) {
	dbtest.EachDB(t, func(t *testing.T, bdb *bun.DB) {
		w := coretest.Build(t, bdb)
		staff := w.Actor(t, coretest.Staff)
		cases := []struct {
			name   string
			origin core.Origin
			via    string
			id     *string
		}{
			{"64 characters", core.Origin{Via: core.ViaREST, RequestID: strings.Repeat("a", 64)}, core.ViaREST, ptrTo(strings.Repeat("a", 64))},
			{"65 characters", core.Origin{Via: core.ViaREST, RequestID: strings.Repeat("a", 65)}, core.ViaREST, nil},
			{"an unknown face", core.Origin{Via: "soap", RequestID: "x"}, core.ViaCLI, nil},
			{"the CLI", core.Origin{Via: core.ViaCLI, RequestID: "x"}, core.ViaCLI, nil},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				ctx := core.WithOrigin(context.Background(), c.origin)
				if _, err := w.Svc.UpdateConfig(ctx, staff, w.Config, core.Patch{}, core.Precondition{}); err != nil {
					t.Fatal(err)
				}
				feed := w.Feed(t, coretest.Staff)
				ch := feed[len(feed)-1]
				if ch.Via != c.via || (ch.RequestID == nil) != (c.id == nil) || (c.id != nil && *ch.RequestID != *c.id) {
					t.Fatalf("via %s, request id %v", ch.Via, ch.RequestID)
				}
			})
		}
	})
}

func ptrTo[T any](v T) *T { return &v }
