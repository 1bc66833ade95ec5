package db_test

import (
	"context"
	"io/fs"
	"path"
	"sync"
	"testing"

	"github.com/callcfg/callcfg/db"
	"github.com/callcfg/callcfg/db/dbtest"
)

// The two dialects' folders must hold the same migrations, or the
// databases would drift apart.
func TestMigrationFoldersMatch(t *testing.T) {
	names := func(dir string) map[string]bool {
		out := map[string]bool{}
		entries, err := fs.ReadDir(db.MigrationFiles, path.Join("migrations", dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			out[e.Name()] = true
		}
		return out
	}
	pg, lite := names("postgres"), names("sqlite")
	if len(pg) == 0 {
		t.Fatal("no migrations")
	}
	for n := range pg {
		if !lite[n] {
			t.Errorf("%s has no sqlite twin", n)
		}
	}
	for n := range lite {
		if !pg[n] {
			t.Errorf("%s has no postgres twin", n)
		}
	}
}

// Migrations take a direct connection (their lock belongs to a session),
// also where requests go through PgBouncer.
func TestMigrateDownAndUp(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		bdb := dbtest.Open(t, dbtest.DirectURL(url))
		ctx := context.Background()
		if n, err := db.Pending(ctx, bdb); err != nil || n != 0 {
			t.Fatalf("pending after migrate: %d %v", n, err)
		}
		undone, err := db.Rollback(ctx, bdb)
		if err != nil || len(undone) == 0 {
			t.Fatalf("rollback: %v %v", undone, err)
		}
		if n, _ := db.Pending(ctx, bdb); n != len(undone) {
			t.Fatalf("pending after rollback: %d", n)
		}
		if _, err := db.Migrate(ctx, bdb); err != nil {
			t.Fatal(err)
		}
		if n, _ := db.Pending(ctx, bdb); n != 0 {
			t.Fatalf("pending after re-migrate: %d", n)
		}
	})
}

// Replicas start together: their migrations must queue, not collide. They
// migrate over the direct URL, also where their requests go through
// PgBouncer (over which the session's lock would not hold).
func TestConcurrentMigrateOnFreshDatabase(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			url := dbtest.DirectURL(dbtest.NewURL(t, kind))
			first := dbtest.Open(t, url)
			undone, err := db.Rollback(context.Background(), first)
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			errs := make([]error, 4)
			applied := make([][]string, 4)
			for i := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					h := dbtest.Open(t, url)
					applied[i], errs[i] = db.Migrate(context.Background(), h)
				}()
			}
			wg.Wait()
			total := 0
			for i, err := range errs {
				if err != nil {
					t.Fatalf("replica %d: %v", i, err)
				}
				total += len(applied[i])
			}
			if n, _ := db.Pending(context.Background(), first); n != 0 || total != len(undone) {
				t.Fatalf("pending %d, %d migrations applied in all (want each of the %d once)", n, total, len(undone))
			}
		})
	}
}

func TestOpenErrorsAreOneLine(t *testing.T) {
	cases := []string{
		"mysql://x",
		"nonsense",
		"postgres://postgres@127.0.0.1:1/none?sslmode=disable",
		"sqlite://",
	}
	for _, u := range cases {
		_, err := db.Open(context.Background(), u, db.Options{Timeout: 2e9})
		if err == nil {
			t.Errorf("%s: no error", u)
			continue
		}
		for _, c := range err.Error() {
			if c == '\n' {
				t.Errorf("%s: multi-line error %q", u, err)
			}
		}
	}
}
