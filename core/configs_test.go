package core_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/core/coretest"
	"github.com/callcfg/callcfg/db/dbtest"
)

func TestPatchValidation(t *testing.T) {
	dbtest.EachDB(t, func(t *testing.T, bdb *bun.DB) {
		w := coretest.Build(t, bdb)
		ctx := context.Background()
		staff := w.Actor(t, coretest.Staff)
		cases := []struct {
			name   string
			patch  core.Patch
			fields core.FieldErrors
		}{
			{"below zero", core.Patch{MaxAutoReassignAttempts: core.Some[int64](-1)},
				core.FieldErrors{core.FieldMaxAutoReassignAttempts: {core.MsgMinValue}}},
			{"above int32", core.Patch{AssignmentExpirationDays: core.Some[int64](core.MaxInt + 1)},
				core.FieldErrors{core.FieldAssignmentExpirationDays: {core.MsgMaxValue}}},
			{"nulls", core.Patch{AutoReassignOnDecline: core.Null[bool](), SendReminderBeforeExpiryDays: core.Null[int64]()},
				core.FieldErrors{core.FieldAutoReassignOnDecline: {core.MsgNull}, core.FieldSendReminderBeforeExpiryDays: {core.MsgNull}}},
			{"decode errors reported with range errors", core.Patch{
				MaxAutoReassignAttempts:  core.Some[int64](-5),
				AssignmentExpirationDays: core.Some[int64](0),
				DecodeErrors:             core.FieldErrors{core.FieldAssignmentExpirationDays: {core.MsgInvalidInteger}},
			}, core.FieldErrors{
				core.FieldMaxAutoReassignAttempts:  {core.MsgMinValue},
				core.FieldAssignmentExpirationDays: {core.MsgInvalidInteger},
			}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				before, _ := w.Svc.GetConfig(ctx, staff, w.Config)
				_, err := w.Svc.UpdateConfig(ctx, staff, w.Config, c.patch, core.Precondition{})
				e := core.AsError(err)
				if e.Kind != core.KindInvalid {
					t.Fatalf("got %v", err)
				}
				assertFields(t, e.Fields, c.fields)
				after, _ := w.Svc.GetConfig(ctx, staff, w.Config)
				if after.Settings != before.Settings || !after.Modified.Equal(before.Modified) {
					t.Fatalf("a refused update changed the row: %+v -> %+v", before, after)
				}
			})
		}
		t.Run("bounds are accepted", func(t *testing.T) {
			cfg, err := w.Svc.UpdateConfig(ctx, staff, w.Config, core.Patch{
				MaxAutoReassignAttempts: core.Some[int64](0), AssignmentExpirationDays: core.Some[int64](core.MaxInt),
			}, core.Precondition{})
			if err != nil || cfg.MaxAutoReassignAttempts != 0 || cfg.AssignmentExpirationDays != core.MaxInt {
				t.Fatalf("%+v %v", cfg, err)
			}
		})
	})
}

func TestUpdateTouchesModifiedAndHonoursPrecondition(t *testing.T) {
	dbtest.EachDB(t, func(t *testing.T, bdb *bun.DB) {
		w := coretest.Build(t, bdb)
		ctx := context.Background()
		staff := w.Actor(t, coretest.Staff)
		before, _ := w.Svc.GetConfig(ctx, staff, w.Config)
		time.Sleep(time.Millisecond)
		noop, err := w.Svc.UpdateConfig(ctx, staff, w.Config, core.Patch{}, core.Precondition{})
		if err != nil || !noop.Modified.After(before.Modified) || noop.Settings != before.Settings || !noop.Created.Equal(before.Created) {
			t.Fatalf("empty update: %+v %v", noop, err)
		}
		stale := before.Modified
		_, err = w.Svc.UpdateConfig(ctx, staff, w.Config, core.Patch{MaxAutoReassignAttempts: core.Some[int64](1)}, core.Precondition{Modified: &stale})
		if core.KindOf(err) != core.KindConflict {
			t.Fatalf("stale update: %v", err)
		}
		fresh := noop.Modified
		upd, err := w.Svc.UpdateConfig(ctx, staff, w.Config, core.Patch{MaxAutoReassignAttempts: core.Some[int64](1)}, core.Precondition{Modified: &fresh})
		if err != nil || upd.MaxAutoReassignAttempts != 1 {
			t.Fatalf("fresh update: %+v %v", upd, err)
		}
		if err := w.Svc.DeleteConfig(ctx, staff, w.Config, core.Precondition{Modified: &fresh}); core.KindOf(err) != core.KindConflict {
			t.Fatalf("stale delete: %v", err)
		}
		got, err := w.Svc.GetConfig(ctx, staff, w.Config)
		if err != nil || got.Modified != upd.Modified {
			t.Fatalf("read back: %+v %v (want modified %v)", got, err, upd.Modified)
		}
		// modified is a version: back-to-back writes never share one.
		last := got.Modified
		for i := range 20 {
			u, err := w.Svc.UpdateConfig(ctx, staff, w.Config, core.Patch{}, core.Precondition{Modified: &last})
			if err != nil || !u.Modified.After(last) {
				t.Fatalf("write %d: modified %v after %v (%v)", i, u.Modified, last, err)
			}
			last = u.Modified
		}
	})
}

// Concurrency is part of correctness: racing creates for one call give one
// winner and "already exists" for the rest; racing updates of different
// fields keep every change.
func TestConcurrentWrites(t *testing.T) {
	dbtest.EachDB(t, func(t *testing.T, bdb *bun.DB) {
		w := coretest.Build(t, bdb)
		ctx := context.Background()
		staff := w.Actor(t, coretest.Staff)

		var wg sync.WaitGroup
		errs := make([]error, 20)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = w.Svc.CreateConfig(ctx, staff, core.Some(w.Bare), core.Patch{})
			}()
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			if err == nil {
				wins++
				continue
			}
			if e := core.AsError(err); e.Kind != core.KindInvalid || e.Fields[core.FieldCall][0] != core.MsgCallHasConfig {
				t.Errorf("loser got %v", err)
			}
		}
		if wins != 1 {
			t.Fatalf("%d creates won, want 1", wins)
		}

		// 50 updates: each sets one of four fields to a value unique to it;
		// afterwards every field holds the value of one of its own writers,
		// and the last writer of each field (by modified) is what is stored.
		patches := make([]core.Patch, 50)
		for i := range patches {
			v := int64(100 + i)
			switch i % 4 {
			case 0:
				patches[i].MaxAutoReassignAttempts = core.Some(v)
			case 1:
				patches[i].AssignmentExpirationDays = core.Some(v)
			case 2:
				patches[i].SendReminderBeforeExpiryDays = core.Some(v)
			case 3:
				patches[i].AutoReassignOnDecline = core.Some(true)
			}
		}
		results := make([]*core.Config, len(patches))
		for i := range patches {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var err error
				results[i], err = w.Svc.UpdateConfig(ctx, staff, w.Config, patches[i], core.Precondition{})
				if err != nil {
					t.Errorf("update %d: %v", i, err)
				}
			}()
		}
		wg.Wait()
		got, _ := w.Svc.GetConfig(ctx, staff, w.Config)
		if got.MaxAutoReassignAttempts < 100 || got.AssignmentExpirationDays < 100 || got.SendReminderBeforeExpiryDays < 100 || !got.AutoReassignOnDecline {
			t.Fatalf("a field lost its update: %+v", got.Settings)
		}
	})
}

func TestSetConfigForCallCreatesThenUpdates(t *testing.T) {
	dbtest.EachDB(t, func(t *testing.T, bdb *bun.DB) {
		w := coretest.Build(t, bdb)
		ctx := context.Background()
		m := w.Actor(t, coretest.Manager)
		cfg, created, err := w.Svc.SetConfigForCall(ctx, m, w.Bare, core.Patch{AssignmentExpirationDays: core.Some[int64](14)})
		if err != nil || !created || cfg.AssignmentExpirationDays != 14 || cfg.MaxAutoReassignAttempts != core.Defaults.MaxAutoReassignAttempts {
			t.Fatalf("first set: %+v %v %v", cfg, created, err)
		}
		again, created, err := w.Svc.SetConfigForCall(ctx, m, w.Bare, core.Patch{MaxAutoReassignAttempts: core.Some[int64](1)})
		if err != nil || created || again.UUID != cfg.UUID || again.AssignmentExpirationDays != 14 || again.MaxAutoReassignAttempts != 1 {
			t.Fatalf("second set: %+v %v %v", again, created, err)
		}
		if again.CallName != coretest.UnconfiguredName || again.CallUUID != w.Bare {
			t.Fatalf("call fields: %+v", again)
		}
	})
}

// Walking a connection forwards and backwards visits every row once, in
// every order, with ties on the sort key broken by id.
func TestConnectionWalksEveryRowOnce(t *testing.T) {
	dbtest.EachDB(t, func(t *testing.T, bdb *bun.DB) {
		w := coretest.Build(t, bdb)
		ctx := context.Background()
		staff := w.Actor(t, coretest.Staff)
		for i := range 23 {
			c, err := w.Svc.CreateCall(ctx, core.NewCall{Name: fmt.Sprintf("Call %02d", i%5), OrgUUID: w.OrgUUID, State: core.CallStateActive})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Svc.CreateConfig(ctx, staff, core.Some(c.UUID), core.Patch{AutoReassignOnDecline: core.Some(i%2 == 0)}); err != nil {
				t.Fatal(err)
			}
		}
		yes := true
		filters := map[string]core.ConfigFilter{
			"all":           {},
			"active":        {CallState: core.CallStateActive},
			"auto reassign": {AutoReassign: &yes},
		}
		orders := map[string][]core.OrderBy{
			"default":        nil,
			"created asc":    {{Field: core.OrderCreated}},
			"call name desc": {{Field: core.OrderCallName, Desc: true}},
			"name, modified": {{Field: core.OrderCallName}, {Field: core.OrderModified, Desc: true}},
		}
		for fname, f := range filters {
			total, err := w.Svc.CountConfigs(ctx, staff, f)
			if err != nil {
				t.Fatal(err)
			}
			for oname, o := range orders {
				t.Run(fname+"/"+oname, func(t *testing.T) {
					fwd := walk(t, w.Svc, staff, f, o, false)
					bwd := walk(t, w.Svc, staff, f, o, true)
					if int64(len(fwd)) != total || len(bwd) != len(fwd) {
						t.Fatalf("forward %d, backward %d, total %d", len(fwd), len(bwd), total)
					}
					seen := map[uuid.UUID]bool{}
					for i := range fwd {
						if seen[fwd[i]] {
							t.Fatalf("duplicate %v", fwd[i])
						}
						seen[fwd[i]] = true
						if fwd[i] != bwd[i] {
							t.Fatalf("walking backwards gives another order than forwards, at %d", i)
						}
					}
				})
			}
		}
		t.Run("cursor of another order is refused", func(t *testing.T) {
			c, _ := w.Svc.ConfigsConnection(ctx, staff, core.ConfigFilter{}, nil, core.PageArgs{First: ptr(1)})
			_, err := w.Svc.ConfigsConnection(ctx, staff, core.ConfigFilter{}, []core.OrderBy{{Field: core.OrderCallName}}, core.PageArgs{First: ptr(1), After: ptr(c.Cursor(0))})
			if e := core.AsError(err); e.Kind != core.KindInvalid || e.Fields["after"][0] != core.MsgInvalidCursor {
				t.Fatalf("got %v", err)
			}
			garbage := "not-a-cursor"
			_, err = w.Svc.ConfigsConnection(ctx, staff, core.ConfigFilter{}, nil, core.PageArgs{First: ptr(1), After: &garbage})
			if core.KindOf(err) != core.KindInvalid {
				t.Fatalf("garbage cursor: %v", err)
			}
		})
		t.Run("page size bounds", func(t *testing.T) {
			for _, n := range []int{-1, 301} {
				_, err := w.Svc.ConfigsConnection(ctx, staff, core.ConfigFilter{}, nil, core.PageArgs{First: ptr(n)})
				if core.KindOf(err) != core.KindInvalid {
					t.Errorf("first %d: %v", n, err)
				}
			}
		})
	})
}

func walk(t *testing.T, svc *core.Service, a core.Actor, f core.ConfigFilter, o []core.OrderBy, backward bool) []uuid.UUID {
	t.Helper()
	var out []uuid.UUID
	var cursor *string
	for range 100 {
		args := core.PageArgs{First: ptr(4), After: cursor}
		if backward {
			args = core.PageArgs{Last: ptr(4), Before: cursor}
		}
		c, err := svc.ConfigsConnection(context.Background(), a, f, o, args)
		if err != nil {
			t.Fatal(err)
		}
		page := make([]uuid.UUID, len(c.Edges))
		for i, e := range c.Edges {
			page[i] = e.Node.UUID
		}
		if backward {
			out = append(page, out...)
			if !c.HasPreviousPage {
				return out
			}
			cursor = ptr(c.Cursor(0))
		} else {
			out = append(out, page...)
			if !c.HasNextPage {
				return out
			}
			cursor = ptr(c.Cursor(len(c.Edges) - 1))
		}
	}
	t.Fatal("walk did not end")
	return nil
}

func ptr[T any](v T) *T { return &v }

// Past the prepared-statement cap, list shapes still work, sent as text:
// every order of distinct fields (78 with directions) under every
// combination of filters (8), 624 shapes.
func TestManyListShapes(t *testing.T) {
	dbtest.EachDB(t, func(t *testing.T, bdb *bun.DB) {
		w := coretest.Build(t, bdb)
		staff := w.Actor(t, coretest.Staff)
		fields := []core.OrderField{core.OrderCreated, core.OrderModified, core.OrderCallName}
		var orders [][]core.OrderBy
		var extend func(prefix []core.OrderBy)
		extend = func(prefix []core.OrderBy) {
			if len(prefix) > 0 {
				orders = append(orders, prefix)
			}
		next:
			for _, f := range fields {
				for _, o := range prefix {
					if o.Field == f {
						continue next
					}
				}
				for _, desc := range []bool{false, true} {
					extend(append(slices.Clone(prefix), core.OrderBy{Field: f, Desc: desc}))
				}
			}
		}
		extend(nil)
		active, no := core.CallStateActive, false
		n := 0
		for _, order := range orders {
			for filters := range 8 {
				var f core.ConfigFilter
				if filters&1 != 0 {
					f.CallUUID = &w.Call
				}
				if filters&2 != 0 {
					f.CallState = active
				}
				if filters&4 != 0 {
					f.AutoReassign = &no
				}
				c, err := w.Svc.ConfigsConnection(context.Background(), staff, f, order, core.PageArgs{First: ptr(1)})
				if err != nil || len(c.Edges) != 1 || (filters == 0 && !c.HasNextPage) {
					t.Fatalf("shape %d (%v, %+v): %+v %v", n, order, f, c, err)
				}
				n++
			}
		}
		if n != 624 {
			t.Fatalf("%d shapes", n)
		}
	})
}

// A request whose client went away is no server bug: it is not reported as
// an internal error.
func TestCanceledRequestIsNotInternal(t *testing.T) {
	dbtest.EachDB(t, func(t *testing.T, bdb *bun.DB) {
		w := coretest.Build(t, bdb)
		staff := w.Actor(t, coretest.Staff)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := w.Svc.GetConfig(ctx, staff, w.Config)
		if e := core.AsError(err); e.Kind != core.KindUnavailable {
			t.Fatalf("got %v (%v)", e.Kind, err)
		}
	})
}
