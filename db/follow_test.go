package db_test

import (
	"context"
	"testing"

	"github.com/callcfg/callcfg/db"
	"github.com/callcfg/callcfg/db/dbtest"
)

// A follower reads only final changes, and is told when committed ones wait
// behind an older transaction, whose end nobody notifies: it looks again
// soon instead of at its next notification.
func TestFollowChangesSaysWhatWaitsBehindTheHorizon(t *testing.T) {
	for _, kind := range dbtest.PostgresKinds() {
		t.Run(kind, func(t *testing.T) {
			bdb := dbtest.Open(t, dbtest.NewURL(t, kind))
			store := db.NewStore(bdb)
			ctx := context.Background()
			before := insertChange(t, bdb)
			dbtest.SettleChanges(t, bdb)

			held, err := bdb.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer held.Rollback() //nolint:errcheck
			if _, err := held.ExecContext(ctx, "SELECT pg_current_xact_id()"); err != nil {
				t.Fatal(err)
			}
			other := insertChange(t, bdb)

			rows, pending, err := store.FollowChanges(ctx, before, 100)
			if err != nil || len(rows) != 0 || !pending {
				t.Fatalf("while an older transaction runs: %+v pending %v %v; want none, pending", positions(rows), pending, err)
			}
			if err := held.Commit(); err != nil {
				t.Fatal(err)
			}
			dbtest.SettleChanges(t, bdb)
			rows, pending, err = store.FollowChanges(ctx, before, 100)
			if err != nil || !samePositions(positions(rows), []db.ChangePosition{other}) || pending {
				t.Fatalf("once it ended: %+v pending %v %v; want %+v, nothing pending", positions(rows), pending, err, other)
			}
		})
	}
}
