package graph_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/callcfg/callcfg/core/coretest"
	"github.com/callcfg/callcfg/db/dbtest"
)

// forgedCursor is a cursor as this server makes them (base64 of a JSON
// list: the order's signature, then the row's keys), with as many keys as
// the attacker likes.
func forgedCursor(signature string, keys int) string {
	parts := []any{signature}
	for range keys {
		parts = append(parts, "Call 5000")
	}
	b, _ := json.Marshal(parts)
	return base64.RawURLEncoding.EncodeToString(b)
}

func repeatOrder(field string, n int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = map[string]any{"field": field}
	}
	return out
}

// TestOrderAndCursorAbuse is the regression test of the outage of issue 9:
// a user with no roles sent orderBy with 300 entries and a hand-made
// cursor of as many keys, and the keyset condition grew to ~45,000 bind
// parameters, which broke pooled PostgreSQL connections for every client.
// Such orders and cursors are refused as input errors before any data
// statement, and the server keeps serving everyone.
func TestOrderAndCursorAbuse(t *testing.T) {
	const configs = `query($o: [CallAssignmentConfigurationOrder!], $a: String) {
		callAssignmentConfigurations(first: 5, orderBy: $o, after: $a) { nodes { uuid } } }`
	const calls = `query($o: [CallOrder!], $a: String) { calls(first: 5, orderBy: $o, after: $a) { nodes { uuid } } }`
	longSignature := strings.Repeat("c.name,", 300) + "cfg.id"
	eachDB(t, func(t *testing.T, e *env) {
		counter := dbtest.CountQueries(e.bdb)
		e.do(coretest.Outsider, `{ me { username } }`, nil).ok(t) // notes the key's first use

		cases := []struct {
			name, query string
			vars        map[string]any
			field       string
		}{
			{"300 order entries with a cursor of 300 keys", configs,
				map[string]any{"o": repeatOrder("CALL_NAME", 300), "a": forgedCursor(longSignature, 301)}, "orderBy"},
			{"3,000 order entries", configs, map[string]any{"o": repeatOrder("CREATED", 3000)}, "orderBy"},
			{"a field twice", configs, map[string]any{"o": []map[string]any{
				{"field": "CALL_NAME"}, {"field": "CALL_NAME", "direction": "DESC"}}}, "orderBy"},
			{"more entries than fields", configs, map[string]any{"o": []map[string]any{
				{"field": "CALL_NAME"}, {"field": "CREATED"}, {"field": "MODIFIED"}, {"field": "CREATED"}}}, "orderBy"},
			{"a cursor with more keys than its order", configs,
				map[string]any{"o": repeatOrder("CALL_NAME", 1), "a": forgedCursor("c.name,cfg.id", 300)}, "after"},
			{"a cursor longer than any this server makes", configs,
				map[string]any{"a": strings.Repeat("A", 10_000)}, "after"},
			{"calls: 300 order entries", calls,
				map[string]any{"o": repeatOrder("NAME", 300), "a": forgedCursor(strings.Repeat("c.name,", 300)+"c.id", 301)}, "orderBy"},
			{"calls: a field twice", calls, map[string]any{"o": []map[string]any{{"field": "NAME"}, {"field": "NAME"}}}, "orderBy"},
			{"calls: a cursor with more keys than its order", calls,
				map[string]any{"o": repeatOrder("NAME", 1), "a": forgedCursor("c.name,c.id", 300)}, "after"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				counter.Reset()
				err := e.do(coretest.Outsider, tc.query, tc.vars).failsWith(t, "BAD_USER_INPUT")
				if _, ok := err.Extensions["fields"].(map[string]any)[tc.field]; !ok {
					t.Fatalf("want an error on %s, got %+v", tc.field, err)
				}
				// Authentication is all that ran: no data statement.
				if n := counter.Count(); n > 1 {
					t.Fatalf("a refused request ran %d statements:\n%s", n, counter.Queries())
				}
			})
		}

		t.Run("every field once in any order passes", func(t *testing.T) {
			r := e.do(coretest.Staff, configs, map[string]any{"o": []map[string]any{
				{"field": "MODIFIED", "direction": "DESC"}, {"field": "CALL_NAME"}, {"field": "CREATED"}}}).ok(t)
			if len(r.list("callAssignmentConfigurations.nodes")) != 2 {
				t.Fatalf("page: %s", r.Raw)
			}
		})

		t.Run("the server keeps serving everyone afterwards", func(t *testing.T) {
			for range 20 {
				e.do(coretest.Outsider, configs, map[string]any{"o": repeatOrder("CALL_NAME", 300), "a": forgedCursor(longSignature, 301)})
				r := e.do(coretest.Staff, configs, nil).ok(t)
				if len(r.list("callAssignmentConfigurations.nodes")) != 2 {
					t.Fatalf("page: %s", r.Raw)
				}
			}
			res, err := http.Get(e.srv.URL + "/readyz")
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Fatalf("/readyz: %d", res.StatusCode)
			}
		})
	})
}
