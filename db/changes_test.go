package db_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/callcfg/callcfg/db"
	"github.com/callcfg/callcfg/db/dbtest"
)

// insertChange writes a change in idb, as the writes do, and returns its
// position.
func insertChange(t *testing.T, idb bun.IDB) db.ChangePosition {
	t.Helper()
	var p db.ChangePosition
	err := idb.QueryRowContext(context.Background(), `INSERT INTO call_assignment_configuration_changes
  (uuid, txn, kind, at, configuration_uuid, call_uuid, via, after_auto_reassign_on_decline, after_max_auto_reassign_attempts,
   after_assignment_expiration_days, after_send_reminder_before_expiry_days)
  VALUES (?, pg_current_xact_id()::text::bigint, 'created', now(), ?, ?, 'cli', false, 3, 7, 2) RETURNING txn, id`,
		uuid.New(), uuid.New(), uuid.New()).Scan(&p.Txn, &p.ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func positions(rows []db.ChangeRow) []db.ChangePosition {
	out := make([]db.ChangePosition, len(rows))
	for i, r := range rows {
		out[i] = r.ChangePosition
	}
	return out
}

func samePositions(a, b []db.ChangePosition) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A change that commits after a later one (by id, or by transaction) was
// written is not read until it is final, and then sorts where it belongs:
// a reader resuming from a position taken meanwhile sees it exactly once,
// before the later one. Reading by id alone would skip it.
func TestLateCommitIsNeverSkipped(t *testing.T) {
	for _, kind := range dbtest.PostgresKinds() {
		t.Run(kind, func(t *testing.T) {
			cases := []struct {
				name string
				// early runs in the transaction held open, before the other
				// transaction commits its change; late runs in it after.
				early, late bool
			}{
				{"the held transaction has the lower id", true, false},
				{"the held transaction has the lower transaction id and the higher id", false, true},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
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
					var heldPos db.ChangePosition
					if c.early {
						heldPos = insertChange(t, held)
					} else if _, err := held.ExecContext(ctx, "SELECT pg_current_xact_id()"); err != nil {
						t.Fatal(err)
					}
					other := insertChange(t, bdb)
					if c.late {
						heldPos = insertChange(t, held)
					}
					if heldPos.Txn >= other.Txn || (c.early && heldPos.ID >= other.ID) || (c.late && heldPos.ID <= other.ID) {
						t.Fatalf("setup: held %+v, other %+v", heldPos, other)
					}

					// While the held transaction runs, the feed ends before it,
					// whatever committed after it began.
					feed := db.Page{Order: []db.Order{{Column: db.OrderChangeTxn}, {Column: db.OrderChangeID}}, Limit: 100}
					all := db.Scope{All: true, Manages: true}
					rows, err := store.ListChanges(ctx, all, db.ChangeFilter{}, feed)
					if err != nil {
						t.Fatal(err)
					}
					if !samePositions(positions(rows), []db.ChangePosition{before}) {
						t.Fatalf("feed while a change is in flight: %+v", positions(rows))
					}
					after, err := store.ChangesAfter(ctx, before, 100)
					if err != nil || len(after) != 0 {
						t.Fatalf("changes after the last final one while one is in flight: %+v %v", positions(after), err)
					}
					end, err := store.LastChangePosition(ctx)
					if err != nil || end != before {
						t.Fatalf("end of the feed %+v %v, want %+v", end, err, before)
					}

					if err := held.Commit(); err != nil {
						t.Fatal(err)
					}
					dbtest.SettleChanges(t, bdb)
					want := []db.ChangePosition{heldPos, other}
					after, err = store.ChangesAfter(ctx, end, 100)
					if err != nil || !samePositions(positions(after), want) {
						t.Fatalf("resumed after %+v: %+v %v, want %+v", end, positions(after), err, want)
					}
					feed.Seek = []any{end.Txn, end.ID}
					rows, err = store.ListChanges(ctx, all, db.ChangeFilter{}, feed)
					if err != nil || !samePositions(positions(rows), want) {
						t.Fatalf("feed resumed after %+v: %+v %v, want %+v", end, positions(rows), err, want)
					}
				})
			}
		})
	}
}

// A transaction that fails leaves no change behind, and the feed goes on
// past it.
func TestAbortedChangeIsNeverRead(t *testing.T) {
	for _, kind := range dbtest.PostgresKinds() {
		t.Run(kind, func(t *testing.T) {
			bdb := dbtest.Open(t, dbtest.NewURL(t, kind))
			store := db.NewStore(bdb)
			ctx := context.Background()
			tx, err := bdb.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			insertChange(t, tx)
			later := insertChange(t, bdb)
			if err := tx.Rollback(); err != nil {
				t.Fatal(err)
			}
			dbtest.SettleChanges(t, bdb)
			rows, err := store.ChangesAfter(ctx, db.ChangePosition{}, 100)
			if err != nil || !samePositions(positions(rows), []db.ChangePosition{later}) {
				t.Fatalf("feed: %+v %v", positions(rows), err)
			}
		})
	}
}

// A rollback destroys the change record too, so a database holding only
// changes wants the same confirmation as one holding calls.
func TestChangeRecordIsData(t *testing.T) {
	dbtest.EachDB(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		if full, err := db.HasData(ctx, bdb); err != nil || full {
			t.Fatalf("an empty database has data: %v %v", full, err)
		}
		txn := 0
		if db.IsPostgres(bdb) {
			txn = 1
		}
		if _, err := bdb.ExecContext(ctx, `INSERT INTO call_assignment_configuration_changes
  (uuid, txn, kind, at, configuration_uuid, call_uuid, via, after_auto_reassign_on_decline, after_max_auto_reassign_attempts,
   after_assignment_expiration_days, after_send_reminder_before_expiry_days)
  VALUES (?, ?, 'created', ?, ?, ?, 'cli', false, 3, 7, 2)`, uuid.New(), txn, db.Now(), uuid.New(), uuid.New()); err != nil {
			t.Fatal(err)
		}
		if full, err := db.HasData(ctx, bdb); err != nil || !full {
			t.Fatalf("a database with a change has no data: %v %v", full, err)
		}
	})
}
