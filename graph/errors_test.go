package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
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

// TestListFieldErrorsPerItem: when the configurations of a page of calls
// cannot be read, each call's field fails on its own path, at the field's
// place in the query, and the rest of the page is still answered.
func TestListFieldErrorsPerItem(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		e.seed(3)
		e.do(coretest.Staff, `{ me { username } }`, nil).ok(t)
		if _, err := e.bdb.ExecContext(context.Background(), "ALTER TABLE call_assignment_configurations RENAME TO gone"); err != nil {
			t.Fatal(err)
		}
		r := e.do(coretest.Staff, `{ calls(first: 3) { nodes { uuid assignmentConfiguration { uuid } } } }`, nil)
		var located struct {
			Errors []struct {
				Path       []any            `json:"path"`
				Locations  []map[string]int `json:"locations"`
				Extensions map[string]any   `json:"extensions"`
			} `json:"errors"`
		}
		if err := json.Unmarshal([]byte(r.Raw), &located); err != nil {
			t.Fatal(err)
		}
		paths := map[string]bool{}
		for _, e := range located.Errors {
			paths[fmt.Sprint(e.Path)] = true
			if len(e.Locations) != 1 || e.Locations[0]["line"] != 1 || e.Locations[0]["column"] != 34 || e.Extensions["code"] != "INTERNAL_SERVER_ERROR" {
				t.Errorf("error %+v, want an internal error located at 1:34", e)
			}
		}
		for i := range 3 {
			if p := fmt.Sprint([]any{"calls", "nodes", float64(i), "assignmentConfiguration"}); !paths[p] || r.str(fmt.Sprintf("calls.nodes.%d.uuid", i)) == "" {
				t.Errorf("item %d: no error on its path, or no uuid: %s", i, r.Raw)
			}
		}
		if len(located.Errors) != 3 {
			t.Errorf("%d errors, want one per call: %s", len(located.Errors), r.Raw)
		}
	})
}
