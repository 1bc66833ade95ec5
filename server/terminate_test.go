package server_test

import (
	"context"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/core/coretest"
	"github.com/callcfg/callcfg/db"
	"github.com/callcfg/callcfg/db/dbtest"
	"github.com/callcfg/callcfg/server"
)

// TestConnectionsTerminatedByTheServer is what a PostgreSQL restart or an
// administrator's pg_terminate_backend looks like to the service: every
// pooled connection is closed by the server ("terminating connection due
// to administrator command", SQLSTATE 57P01). That is the database being
// unavailable for a moment, never a bug: no request gets a 500, a read is
// retried once on a fresh connection, and the service goes on by itself.
func TestConnectionsTerminatedByTheServer(t *testing.T) {
	for _, kind := range dbtest.PostgresKinds() {
		t.Run(kind, func(t *testing.T) { testConnectionsTerminated(t, dbtest.NewURL(t, kind)) })
	}
}

func testConnectionsTerminated(t *testing.T, dbURL string) {
	w := coretest.Build(t, dbtest.Open(t, dbURL))
	ctx := context.Background()
	bdb, err := db.Open(ctx, dbURL, db.Options{MaxOpenConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	srv := httptest.NewServer(server.New(core.New(bdb), server.DefaultConfig()))
	defer srv.Close()
	admin := dbtest.Open(t, dbtest.AdminURL())
	u, _ := url.Parse(dbtest.DirectURL(dbURL))
	dbName := strings.TrimPrefix(u.Path, "/")
	terminate := func(t *testing.T) {
		t.Helper()
		if _, err := admin.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE datname = ? AND pid <> pg_backend_pid()`, dbName); err != nil {
			t.Fatal(err)
		}
	}
	staff := w.Tokens[coretest.Staff]
	detail := srv.URL + "/api/call-assignment-configurations/" + hex32(w.Config) + "/"
	query := gql(`{ callAssignmentConfiguration(uuid: "` + hex32(w.Config) + `") { uuid maxAutoReassignAttempts } }`)
	warm := func() {
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() { defer wg.Done(); do(t, "GET", detail, staff, "") }()
		}
		wg.Wait()
	}

	t.Run("a read after every connection was ended is answered", func(t *testing.T) {
		warm()
		terminate(t)
		// Wait until the server has really ended them, so the pool holds
		// only dead connections.
		for range 100 {
			var n int
			if err := admin.QueryRowContext(ctx, "SELECT count(*) FROM pg_stat_activity WHERE datname = ?", dbName).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if r := do(t, "GET", detail, staff, ""); r.status != 200 {
			t.Fatalf("REST read: %d %s", r.status, r.body)
		}
		warm()
		terminate(t)
		time.Sleep(100 * time.Millisecond)
		if r := do(t, "POST", srv.URL+"/graphql", staff, query); r.status != 200 || strings.Contains(r.body, `"errors"`) {
			t.Fatalf("GraphQL read: %d %s", r.status, r.body)
		}
	})

	t.Run("under load no request gets a server error", func(t *testing.T) {
		stop := make(chan struct{})
		var mu sync.Mutex
		statuses := map[string]int{}
		record := func(what string, status int, body string) {
			mu.Lock()
			defer mu.Unlock()
			key := what + " " + string(rune('0'+status/100)) + "xx"
			if strings.Contains(body, "INTERNAL_SERVER_ERROR") {
				key = what + " INTERNAL_SERVER_ERROR"
			}
			if status == 500 || strings.Contains(body, "INTERNAL_SERVER_ERROR") {
				t.Errorf("%s: %d %s", what, status, body)
			}
			statuses[key]++
		}
		var wg sync.WaitGroup
		for i := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := 0; ; n++ {
					select {
					case <-stop:
						return
					default:
					}
					switch (i + n) % 3 {
					case 0:
						r := do(t, "GET", detail, staff, "")
						record("REST GET", r.status, r.body)
					case 1:
						r := do(t, "POST", srv.URL+"/graphql", staff, query)
						record("GraphQL query", r.status, r.body)
					case 2:
						r := do(t, "PATCH", detail, staff, `{"max_auto_reassign_attempts": 4}`)
						record("REST PATCH", r.status, r.body)
					}
				}
			}()
		}
		for range 15 {
			time.Sleep(100 * time.Millisecond)
			terminate(t)
		}
		close(stop)
		wg.Wait()
		t.Logf("answers while connections were being ended: %v", statuses)
		for range 10 {
			if r := do(t, "GET", detail, staff, ""); r.status != 200 {
				t.Fatalf("after the terminations: %d %s", r.status, r.body)
			}
		}
		if r := do(t, "GET", srv.URL+"/readyz", "", ""); r.status != 200 {
			t.Fatalf("readyz: %d %s", r.status, r.body)
		}
	})
}
