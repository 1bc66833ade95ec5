package main

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"

	"github.com/callcfg/callcfg/db"
	"github.com/callcfg/callcfg/db/dbtest"
)

// migrate down destroys every table it rolls back: on a database with data
// it wants --yes, and without it changes nothing.
func TestMigrateDownWantsConfirmation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		callcfg(t, url, "", "org", "create", "--name", "Council").must(t)
		r := callcfg(t, url, "", "migrate", "down")
		if r.code != 2 || !strings.Contains(r.stderr, "--yes") {
			t.Fatalf("down without --yes: %+v", r)
		}
		if st := callcfg(t, url, "", "migrate", "status").must(t); strings.Contains(st, "pending") {
			t.Fatalf("a refused rollback rolled back: %q", st)
		}
		if out := callcfg(t, url, "", "migrate", "down", "--yes").must(t); !strings.Contains(out, "rolled back") {
			t.Fatalf("down --yes: %q", out)
		}
		// Empty now: no confirmation needed to go down again (nothing to do)
		// or back up.
		callcfg(t, url, "", "migrate", "up").must(t)
		callcfg(t, url, "", "migrate", "down").must(t)
	})
}

// A database that cannot be written (a read-only SQLite file) says so at
// once, in its own words, instead of waiting 30 s for a lock that no other
// process holds.
func TestMigrateOnReadOnlyDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ro.db")
	callcfg(t, "sqlite://"+path, "", "migrate", "up").must(t)
	sqldb, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	bdb := bun.NewDB(sqldb, sqlitedialect.New())
	defer bdb.Close()
	_, err = db.Rollback(context.Background(), bdb)
	if err == nil || !strings.Contains(err.Error(), "readonly") || strings.Contains(err.Error(), "locked by another") {
		t.Fatalf("rollback on a read-only file: %v", err)
	}
	t.Logf("rollback on a read-only file: %v", err)
}
