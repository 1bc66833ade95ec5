package core_test

import (
	"context"
	"testing"

	"github.com/uptrace/bun"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/core/coretest"
	"github.com/callcfg/callcfg/db/dbtest"
)

func TestWorldBuilds(t *testing.T) {
	dbtest.EachDB(t, func(t *testing.T, bdb *bun.DB) {
		w := coretest.Build(t, bdb)
		ctx := context.Background()
		cfg, err := w.Svc.GetConfig(ctx, w.Actor(t, coretest.Manager), w.Config)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.CallName != coretest.ManagedCallName || !cfg.ViewerCanManage || cfg.MaxAutoReassignAttempts != 3 {
			t.Fatalf("got %+v", cfg)
		}
		upd, err := w.Svc.UpdateConfig(ctx, w.Actor(t, coretest.Manager), w.Config, core.Patch{MaxAutoReassignAttempts: core.Some[int64](9)}, core.Precondition{})
		if err != nil || upd.MaxAutoReassignAttempts != 9 || !upd.Modified.After(cfg.Modified) {
			t.Fatalf("update: %+v %v", upd, err)
		}
		conn, err := w.Svc.ConfigsConnection(ctx, w.Actor(t, coretest.Staff), core.ConfigFilter{}, []core.OrderBy{{Field: core.OrderCallName}}, core.PageArgs{First: ptr(1)})
		if err != nil || len(conn.Edges) != 1 || !conn.HasNextPage {
			t.Fatalf("conn %+v %v", conn, err)
		}
		conn2, err := w.Svc.ConfigsConnection(ctx, w.Actor(t, coretest.Staff), core.ConfigFilter{}, []core.OrderBy{{Field: core.OrderCallName}}, core.PageArgs{First: ptr(5), After: &conn.Edges[0].Cursor})
		if err != nil || len(conn2.Edges) != 1 || conn2.HasNextPage || conn2.Edges[0].Node.CallName != coretest.OtherCallName {
			t.Fatalf("conn2 %+v %v", conn2, err)
		}
		items, total, err := w.Svc.ListConfigsPage(ctx, w.Actor(t, coretest.Reviewer), core.ConfigFilter{}, 0, 10)
		if err != nil || total != 1 || len(items) != 1 {
			t.Fatalf("list %v %d %v", items, total, err)
		}
	})
}

func ptr[T any](v T) *T { return &v }
