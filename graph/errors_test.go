package graph_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/callcfg/callcfg/core/coretest"
	"github.com/callcfg/callcfg/db/dbtest"
	"github.com/callcfg/callcfg/ops/opstest"
	"github.com/callcfg/callcfg/server"
)

// TestInternalErrorsAreHidden: a database failure reaches the client as a
// generic INTERNAL_SERVER_ERROR (the driver's text goes to the log only),
// and an unreachable database as UNAVAILABLE.
func TestInternalErrorsAreHidden(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		var proxy *dbtest.Proxy
		if strings.HasPrefix(url, "postgres") {
			proxy, url = dbtest.NewProxy(t, url)
		}
		logs := &opstest.Buffer{}
		e := newEnv(t, url, func(c *server.Config) {
			c.Logger = slog.New(slog.NewTextHandler(logs, nil))
		})
		e.do(coretest.Staff, `{ me { username } }`, nil).ok(t)
		if _, err := e.bdb.ExecContext(context.Background(), "DROP TABLE call_assignment_configurations"); err != nil {
			t.Fatal(err)
		}
		r := e.do(coretest.Staff, `{ callAssignmentConfigurations { nodes { uuid } } me { username } }`, nil)
		err := r.failsWith(t, "INTERNAL_SERVER_ERROR")
		if err.Message != "A server error occurred." || r.str("me.username") != "" {
			t.Fatalf("internal error: %s", r.Raw)
		}
		if !strings.Contains(logs.String(), "call_assignment_configurations") {
			t.Fatalf("the cause was not logged: %s", logs.String())
		}
		if proxy != nil {
			proxy.Set(dbtest.Refuse)
			// A pooled connection cut under the server and a refused new
			// one are both a database gone: UNAVAILABLE, never INTERNAL.
			for range 3 {
				r := e.do(coretest.Staff, `{ calls { nodes { uuid } } }`, nil)
				if err := r.failsWith(t, "UNAVAILABLE"); err.Message == "" {
					t.Fatalf("database cut: %s", r.Raw)
				}
			}
		}
	})
}
