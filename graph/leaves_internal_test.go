package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/99designs/gqlgen/graphql"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/core/coretest"
	"github.com/callcfg/callcfg/db/dbtest"
)

// TestLeavesAsResolved: leaves marshalled without a field context (the
// executor's leaf_ functions) answer what gqlgen's own path answers, byte
// for byte: a handler with field middleware, which takes gqlgen's path for
// every field, answers the same to every query.
func TestLeavesAsResolved(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		w := coretest.Build(t, dbtest.Open(t, url))
		ctx := context.Background()
		staff := w.Actor(t, coretest.Staff)
		for i := range 5 {
			c, err := w.Svc.CreateCall(ctx, core.NewCall{Name: fmt.Sprintf("Leaf call %d", i), OrgUUID: w.OrgUUID, State: core.CallStateActive, Description: "x\"y\n"})
			if err != nil {
				t.Fatal(err)
			}
			if i%2 == 0 {
				if _, err := w.Svc.CreateConfig(ctx, staff, core.Some(c.UUID), core.Patch{MaxAutoReassignAttempts: core.Some(int64(i))}); err != nil {
					t.Fatal(err)
				}
			}
		}
		opts := Options{Introspection: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
		plain := newHandler(w.Svc, opts)
		intercepted := newHandler(w.Svc, opts)
		var mu sync.Mutex
		seen := map[string]bool{}
		intercepted.srv.AroundFields(func(ctx context.Context, next graphql.Resolver) (any, error) {
			mu.Lock()
			seen[graphql.GetFieldContext(ctx).Field.Name] = true
			mu.Unlock()
			return next(ctx)
		})
		configID := ""
		queries := []struct{ name, query string }{
			{"a page as the README's", `{ callAssignmentConfigurations(first: 50, orderBy: [{field: CALL_NAME, direction: ASC}]) {
				totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
				edges { cursor node { id uuid } }
				nodes { id uuid autoReassignOnDecline maxAutoReassignAttempts assignmentExpirationDays sendReminderBeforeExpiryDays
					created modified viewerCanManage __typename
					call { id uuid name description state url created modified viewerCanManage
						assignmentConfiguration { uuid call { name } } effectiveAssignmentSettings { maxAutoReassignAttempts isDefault } } } } }`},
			{"calls with fragments and aliases", `{ calls(first: 10) { nodes { ...C k: uuid } edges { cursor } } } fragment C on Call { name s: state
				effectiveAssignmentSettings { autoReassignOnDecline maxAutoReassignAttempts assignmentExpirationDays sendReminderBeforeExpiryDays isDefault } }`},
			{"the viewer", `{ me { uuid username email isStaff isSupport } }`},
			{"a node", `query($id: ID!) { node(id: $id) { id __typename ... on CallAssignmentConfiguration { uuid created } } }`},
			{"an input error", `mutation { updateCallAssignmentConfiguration(input: {uuid: "00000000000000000000000000000000", maxAutoReassignAttempts: -1}) { callAssignmentConfiguration { uuid } } }`},
			{"introspection", `{ __schema { types { kind name description fields(includeDeprecated: true) { name isDeprecated args { name } type { kind name ofType { kind name } } }
				enumValues(includeDeprecated: true) { name isDeprecated } inputFields { name } } directives { name isRepeatable locations } } }`},
		}
		for _, q := range queries {
			t.Run(q.name, func(t *testing.T) {
				answer := func(h *handler) string {
					body, _ := json.Marshal(map[string]any{"query": q.query, "variables": map[string]any{"id": configID}})
					r := httptest.NewRequest("POST", "/graphql", strings.NewReader(string(body)))
					r.Header.Set("Content-Type", "application/json")
					r.Header.Set("Authorization", "Token "+w.Tokens[coretest.Staff])
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, r)
					return rec.Body.String()
				}
				want, got := answer(intercepted), answer(plain)
				if failed := strings.Contains(got, `"errors"`); failed != (q.name == "an input error") {
					t.Errorf("errors: %v: %s", failed, got)
				}
				if got != want {
					t.Errorf("with the shortcuts:\n%s\nthrough gqlgen's path:\n%s", got, want)
				}
				if configID == "" {
					var r struct {
						Data struct {
							C struct{ Nodes []struct{ ID string } } `json:"callAssignmentConfigurations"`
						}
					}
					_ = json.Unmarshal([]byte(got), &r)
					if len(r.Data.C.Nodes) > 0 {
						configID = r.Data.C.Nodes[0].ID
					}
				}
			})
		}
		for _, f := range []string{"uuid", "created", "name", "state", "cursor", "isDefault", "kind"} {
			if !seen[f] {
				t.Errorf("the middleware never saw %s: the comparison is not with gqlgen's path", f)
			}
		}
		if configID == "" {
			t.Error("no configuration to look up by id")
		}
	})
}
