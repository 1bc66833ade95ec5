package db_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/callcfg/callcfg/db"
	"github.com/callcfg/callcfg/db/dbtest"
)

// A statement with more bind parameters than the protocol counts is
// refused before anything is sent, and the handle keeps working.
func TestStatementWithTooManyParametersIsRefused(t *testing.T) {
	dbtest.EachDB(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		ids := make([]int64, db.MaxParameters+1)
		for i := range ids {
			ids[i] = int64(i + 1)
		}
		counter := dbtest.CountQueries(bdb)
		store := db.NewStore(bdb)
		_, err := store.CallsByIDs(ctx, ids, db.Scope{All: true, Manages: true})
		if !errors.Is(err, db.ErrTooManyParameters) {
			t.Fatalf("want ErrTooManyParameters, got %v", err)
		}
		if n := counter.Count(); n != 0 {
			t.Fatalf("the refused statement was sent (%d statements)", n)
		}
		// Exactly the limit still goes through.
		rows, err := store.CallsByIDs(ctx, ids[:db.MaxParameters], db.Scope{All: true, Manages: true})
		if err != nil || len(rows) != 0 {
			t.Fatalf("%d parameters: %v (%d rows)", db.MaxParameters, err, len(rows))
		}
	})
}

// A prepared statement that times out while its answer is on the way must
// not leave the rest of that answer on a pooled connection: the next
// statement to take the connection would read it as its own. pgdriver
// closes connections after such errors on its simple path only; db's
// connector does it on the prepared path too.
func TestTimedOutPreparedStatementDoesNotPoisonThePool(t *testing.T) {
	url := dbtest.NewURL(t, "postgres")
	bdb, err := db.Open(context.Background(), url, db.Options{MaxOpenConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	st, err := bdb.DB.PrepareContext(context.Background(), "SELECT pg_sleep($1::float8)::text || 'slept'")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for round := range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		var s string
		err := st.QueryRowContext(ctx, 0.5).Scan(&s)
		cancel()
		if err == nil {
			t.Fatalf("round %d: the sleep was not interrupted", round)
		}
		// One connection in the pool: this statement gets the same one, or
		// a fresh one if the broken one was dropped.
		var n int
		var label string
		err = bdb.DB.QueryRowContext(context.Background(), "SELECT 42, 'mine'").Scan(&n, &label)
		if err != nil || n != 42 || label != "mine" {
			t.Fatalf("round %d: the next statement read %d %q, %v", round, n, label, err)
		}
		var got string
		if err := st.QueryRowContext(context.Background(), 0).Scan(&got); err != nil || !strings.HasSuffix(got, "slept") {
			t.Fatalf("round %d: the prepared statement afterwards: %q %v", round, got, err)
		}
	}
}
