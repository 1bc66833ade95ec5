package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/callcfg/callcfg/core/coretest"
	"github.com/callcfg/callcfg/db/dbtest"
	"github.com/callcfg/callcfg/server/servertest"
)

// TestOneRoundTrip: on PostgreSQL a request's key is checked in its first
// data statement, so reading or updating one configuration costs one
// statement, through either face (SQLite, in process, looks the key up
// first: two). A key that fails the checks is refused on that path too,
// and a write with it changes nothing.
func TestOneRoundTrip(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			e := servertest.New(t, dbtest.NewURL(t, kind))
			want := int64(1)
			if kind == "sqlite" {
				want = 2 // a read; a write is a transaction of its own
			}
			counter := dbtest.CountQueries(e.DB)
			detail := "/api/call-assignment-configurations/" + hex32(e.W.Config) + "/"
			get := gql(`{ callAssignmentConfiguration(uuid: "` + hex32(e.W.Config) + `") { uuid maxAutoReassignAttempts call { name } } }`)
			update := func(n string) string {
				return gql(`mutation { updateCallAssignmentConfiguration(input: {uuid: "` + hex32(e.W.Config) + `", maxAutoReassignAttempts: ` + n + `}) {
					callAssignmentConfiguration { maxAutoReassignAttempts } } }`)
			}
			key := e.Token(coretest.Manager)
			// The key's first use is noted (last_used, once a minute): not part
			// of what a request costs.
			do(t, "GET", e.Srv.URL+detail, key, "")
			for _, c := range []struct {
				name, method, path, body, want string
			}{
				{"REST read", "GET", detail, "", `"max_auto_reassign_attempts"`},
				{"REST update", "PATCH", detail, `{"max_auto_reassign_attempts": 6}`, `"max_auto_reassign_attempts":6`},
				{"GraphQL read", "POST", "/graphql", get, `"maxAutoReassignAttempts"`},
				{"GraphQL update", "POST", "/graphql", update("7"), `"maxAutoReassignAttempts":7`},
			} {
				t.Run(c.name, func(t *testing.T) {
					counter.Reset()
					r := do(t, c.method, e.Srv.URL+c.path, key, c.body)
					if r.status != 200 || !strings.Contains(r.body, c.want) || strings.Contains(r.body, `"errors"`) {
						t.Fatalf("%d %s", r.status, r.body)
					}
					n := counter.Count()
					t.Logf("%d statements", n)
					if (kind != "sqlite" || c.method == "GET" || c.body == get) && n != want {
						t.Fatalf("%d statements, want %d:\n%s", n, want, counter.Queries())
					}
				})
			}

			ctx := context.Background()
			bad := map[string]string{
				"revoked": `UPDATE api_tokens SET revoked = ? WHERE key_hash = ?`,
				"expired": `UPDATE api_tokens SET expires = ? WHERE key_hash = ?`,
			}
			for name, stmt := range bad {
				t.Run("a "+name+" key", func(t *testing.T) {
					key, err := e.W.Svc.CreateToken(ctx, coretest.Manager, 0)
					if err != nil {
						t.Fatal(err)
					}
					do(t, "GET", e.Srv.URL+detail, key, "") // used once, while good
					if _, err := e.DB.ExecContext(ctx, stmt, time.Now().Add(-time.Second), hashOf(key)); err != nil {
						t.Fatal(err)
					}
					before := do(t, "GET", e.Srv.URL+detail, e.Token(coretest.Staff), "").body
					if r := do(t, "GET", e.Srv.URL+detail, key, ""); r.status != 401 || !strings.Contains(r.body, "Invalid token.") {
						t.Fatalf("REST read: %d %s", r.status, r.body)
					}
					if r := do(t, "PATCH", e.Srv.URL+detail, key, `{"max_auto_reassign_attempts": 99}`); r.status != 401 {
						t.Fatalf("REST update: %d %s", r.status, r.body)
					}
					g := do(t, "POST", e.Srv.URL+"/graphql", key, update("98"))
					if !strings.Contains(g.body, "UNAUTHENTICATED") {
						t.Fatalf("GraphQL update: %s", g.body)
					}
					if after := do(t, "GET", e.Srv.URL+detail, e.Token(coretest.Staff), "").body; after != before {
						t.Fatalf("a refused write changed the configuration:\n%s\n%s", before, after)
					}
				})
			}
			t.Run("an inactive user's key", func(t *testing.T) {
				if _, err := e.DB.ExecContext(ctx, `UPDATE users SET is_active = ? WHERE username = ?`, false, coretest.Reviewer); err != nil {
					t.Fatal(err)
				}
				r := do(t, "GET", e.Srv.URL+detail, e.Token(coretest.Reviewer), "")
				if r.status != http.StatusUnauthorized {
					t.Fatalf("%d %s", r.status, r.body)
				}
			})
		})
	}
}

// hashOf is a key as api_tokens stores it.
func hashOf(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}
