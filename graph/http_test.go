package graph_test

import (
	"crypto/sha256"
	enchex "encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/callcfg/callcfg/core/coretest"
	"github.com/callcfg/callcfg/graph"
	"github.com/callcfg/callcfg/server"
)

// TestTransportsAndLimits: GET for queries only, OPTIONS, APQ, and each
// limit refusing with a clear error.
func TestTransportsAndLimits(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		staff := coretest.Staff
		t.Run("GET answers a query", func(t *testing.T) {
			r := e.getQuery(staff, url.Values{"query": {`query($u: UUID!) { callAssignmentConfiguration(uuid: $u) { uuid } }`},
				"variables": {fmt.Sprintf(`{"u": %q}`, hex32s(e.w.Config.String()))}}).ok(t)
			if r.str("callAssignmentConfiguration.uuid") != hex32s(e.w.Config.String()) {
				t.Fatalf("GET: %s", r.Raw)
			}
		})
		t.Run("GET refuses a mutation", func(t *testing.T) {
			r := e.getQuery(staff, url.Values{"query": {fmt.Sprintf(`mutation { updateCallAssignmentConfiguration(input: {uuid: %q, maxAutoReassignAttempts: 42}) { clientMutationId } }`, hex32s(e.w.Config.String()))}})
			// The GraphQL over HTTP spec: 405, and the error has a code.
			if err := r.failsWith(t, graph.CodeMethodNotAllowed); r.Status != http.StatusMethodNotAllowed ||
				r.Header.Get("Allow") != "POST" || err.Message != "A mutation cannot be sent over GET: use POST." {
				t.Fatalf("GET mutation: %d %v %s", r.Status, r.Header, r.Raw)
			}
			check := e.do(staff, `query($u: UUID!) { callAssignmentConfiguration(uuid: $u) { maxAutoReassignAttempts } }`,
				map[string]any{"u": e.w.Config.String()}).ok(t)
			if check.get("callAssignmentConfiguration.maxAutoReassignAttempts") == 42.0 {
				t.Fatal("a mutation over GET changed data")
			}
		})
		t.Run("OPTIONS", func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodOptions, e.srv.URL+"/graphql", nil)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if allow := res.Header.Get("Allow"); res.StatusCode != http.StatusOK || !strings.Contains(allow, "POST") || !strings.Contains(allow, "GET") {
				t.Fatalf("OPTIONS: %d, Allow %q", res.StatusCode, allow)
			}
		})
		t.Run("automatic persisted queries", func(t *testing.T) {
			q := `{ me { username } }`
			sum := sha256.Sum256([]byte(q))
			ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": enchex.EncodeToString(sum[:])}}
			// Unknown hash: the client is asked for the query.
			r := e.post(staff, map[string]any{"extensions": ext})
			r.failsWith(t, "PERSISTED_QUERY_NOT_FOUND")
			// Hash and query: answered and remembered.
			e.post(staff, map[string]any{"query": q, "extensions": ext}).ok(t)
			// Hash alone now, over POST and GET.
			if r := e.post(staff, map[string]any{"extensions": ext}).ok(t); r.str("me.username") != "staff" {
				t.Fatalf("APQ: %s", r.Raw)
			}
			extJSON := fmt.Sprintf(`{"persistedQuery":{"version":1,"sha256Hash":%q}}`, enchex.EncodeToString(sum[:]))
			if r := e.getQuery(staff, url.Values{"extensions": {extJSON}}).ok(t); r.str("me.username") != "staff" {
				t.Fatalf("APQ over GET: %s", r.Raw)
			}
			// A query that does not match its hash is refused.
			r = e.post(staff, map[string]any{"query": `{ me { email } }`, "extensions": ext})
			if len(r.Errors) == 0 {
				t.Fatalf("mismatched APQ hash accepted: %s", r.Raw)
			}
		})
		t.Run("complexity", func(t *testing.T) {
			page := func(n int) string {
				return fmt.Sprintf(`callAssignmentConfigurations(first: %d) { nodes { %s call { %s
					assignmentConfiguration { %s } } } edges { cursor node { %s } } }`, n, configFields, callFields, configFields, configFields)
			}
			// Two full pages of 300 with their calls: too much at once.
			r := e.do(staff, "{ a: "+page(300)+" b: "+page(300)+" }", nil)
			err := r.failsWith(t, "COMPLEXITY_LIMIT_EXCEEDED")
			if !strings.Contains(err.Message, "exceeds the limit of 25000") {
				t.Fatalf("complexity message: %s", r.Raw)
			}
			// The same selections on pages of 20 are fine: the page size
			// is what counts; one full page of 300 is fine too.
			e.do(staff, "{ a: "+page(20)+" b: "+page(20)+" }", nil).ok(t)
			e.do(staff, "{ a: "+page(300)+" }", nil).ok(t)
		})
		t.Run("depth", func(t *testing.T) {
			r := e.do(staff, `{ callAssignmentConfigurations { nodes { call { assignmentConfiguration { call { assignmentConfiguration {
				call { assignmentConfiguration { call { assignmentConfiguration { uuid } } } } } } } } } } }`, nil)
			err := r.failsWith(t, graph.CodeDepthLimit)
			if !strings.Contains(err.Message, "depth 11, which exceeds the limit of 10") {
				t.Fatalf("depth message: %s", r.Raw)
			}
			// Fragments count too.
			r = e.do(staff, `{ callAssignmentConfigurations { nodes { ...C } } }
				fragment C on CallAssignmentConfiguration { call { assignmentConfiguration { call { assignmentConfiguration { call {
					assignmentConfiguration { call { assignmentConfiguration { uuid } } } } } } } } }`, nil)
			r.failsWith(t, graph.CodeDepthLimit)
		})
		t.Run("parser tokens", func(t *testing.T) {
			q := "{ me { " + strings.Repeat("username ", 6000) + "} }"
			r := e.do(staff, q, nil)
			err := r.failsWith(t, "GRAPHQL_PARSE_FAILED")
			if !strings.Contains(err.Message, "token limit") {
				t.Fatalf("token message: %s", r.Raw)
			}
		})
		t.Run("request size", func(t *testing.T) {
			// GraphQL has a limit of its own (64 KiB by default), smaller
			// than REST's (1 MiB), for POST bodies and GET parameters alike.
			pad := func(n int) string { return "{ me { username } }" + strings.Repeat(" ", n) }
			cases := []struct {
				name string
				send func() *response
				ok   bool
				msg  string
			}{
				{"POST under the limit", func() *response { return e.do(staff, pad(60<<10), nil) }, true, ""},
				{"POST over the limit", func() *response { return e.do(staff, pad(64<<10), nil) },
					false, "Request too large: the body exceeds the limit of 65536 bytes."},
				{"GET under the limit", func() *response { return e.getQuery(staff, url.Values{"query": {pad(60 << 10)}}) }, true, ""},
				{"GET query over the limit", func() *response { return e.getQuery(staff, url.Values{"query": {pad(64 << 10)}}) },
					false, "Request too large: the query string's parameters exceed the limit of 65536 bytes."},
				{"GET variables over the limit", func() *response {
					return e.getQuery(staff, url.Values{"query": {"{ me { username } }"}, "variables": {`{"x": "` + strings.Repeat("x", 64<<10) + `"}`}})
				}, false, "Request too large: the query string's parameters exceed the limit of 65536 bytes."},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					r := c.send()
					if c.ok {
						r.ok(t)
						return
					}
					if err := r.failsWith(t, graph.CodeRequestTooLarge); r.Status != http.StatusRequestEntityTooLarge || err.Message != c.msg {
						t.Fatalf("%d %s", r.Status, r.Raw)
					}
				})
			}
			// REST keeps its own limit: a body of 100 KiB is fine there.
			body := `{"max_auto_reassign_attempts": 4` + strings.Repeat(" ", 100<<10) + `}`
			req, _ := http.NewRequest(http.MethodPatch, e.srv.URL+"/api/call-assignment-configurations/"+hex(e.w.Config)+"/", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Token "+e.token(staff))
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusOK || res.Request.ContentLength <= 100<<10 {
				t.Fatalf("REST with a %d-byte body: %d", res.Request.ContentLength, res.StatusCode)
			}
		})
		t.Run("introspection answered anonymously", func(t *testing.T) {
			r := e.do(coretest.Anonymous, `{ __schema { queryType { name } } __type(name: "Call") { fields { name } } }`, nil).ok(t)
			if r.str("__schema.queryType.name") != "Query" {
				t.Fatalf("introspection: %s", r.Raw)
			}
			// Even with the playground's placeholder header, which is no token.
			req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/graphql", strings.NewReader(`{"query":"{ __typename __schema { types { name } } }"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Token <paste your key here>")
			e.send(req).ok(t)
		})
		t.Run("suggestions", func(t *testing.T) {
			r := e.do(staff, `{ me { usernam } }`, nil)
			if err := r.failsWith(t, "GRAPHQL_VALIDATION_FAILED"); !strings.Contains(err.Message, "Did you mean") {
				t.Fatalf("suggestion missing: %s", r.Raw)
			}
		})
		t.Run("playground", func(t *testing.T) {
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			res, err := client.Get(e.srv.URL + "/")
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/graphiql" {
				t.Fatalf("/: %d %q", res.StatusCode, res.Header.Get("Location"))
			}
			res, err = http.Get(e.srv.URL + "/graphiql")
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
				t.Fatalf("/graphiql: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
			}
		})
	})
}

// TestLocked: introspection, suggestions and the playground switched off,
// and small limits from the server's configuration.
func TestLocked(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		r := e.do(coretest.Anonymous, `{ __schema { queryType { name } } }`, nil)
		if err := r.failsWith(t, graph.CodeIntrospectionDisabled); r.get("__schema") != nil || err.Message != "Introspection is disabled on this server." {
			t.Fatalf("introspection answered: %s", r.Raw)
		}
		r = e.do(coretest.Staff, `{ me { usernam } }`, nil)
		if err := r.failsWith(t, "GRAPHQL_VALIDATION_FAILED"); strings.Contains(err.Message, "Did you mean") {
			t.Fatalf("suggestion given: %s", r.Raw)
		}
		e.do(coretest.Staff, `{ callAssignmentConfigurations(first: 5) { nodes { uuid } } }`, nil).failsWith(t, "COMPLEXITY_LIMIT_EXCEEDED")
		e.do(coretest.Staff, `{ me { username } }`, nil).ok(t)
		e.do(coretest.Staff, `{ callAssignmentConfigurations(first: 1) { nodes { call { name } } } }`, nil).failsWith(t, graph.CodeDepthLimit)
		if r := e.do(coretest.Staff, `{ me { username email isStaff isSupport uuid }                                                    }`, nil); r.Status != http.StatusRequestEntityTooLarge {
			t.Fatalf("body limit: %d %s", r.Status, r.Raw)
		}
		// Links come from the configured public URL, not the request.
		r = e.getQuery(coretest.Staff, url.Values{"query": {`{ call(uuid: "` + hex(e.w.Call) + `") { url } }`}}).ok(t)
		if want := "https://calls.example.org/base/api/proposal-protected-calls/" + hex(e.w.Call) + "/"; r.str("call.url") != want {
			t.Fatalf("url %q, want %q", r.str("call.url"), want)
		}
		for _, path := range []string{"/", "/graphiql"} {
			res, err := http.Get(e.srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusNotFound {
				t.Fatalf("%s with the playground off: %d", path, res.StatusCode)
			}
		}
	}, func(c *server.Config) {
		c.Introspection, c.Suggestions, c.Playground = false, false, false
		c.GraphQLMaxBodyBytes = 100
		c.PublicURL, _ = url.Parse("https://calls.example.org/base/")
		c.GraphQLLimits = graph.Limits{Complexity: 10, Depth: 2}
	})
}

func hex32s(s string) string { return strings.ReplaceAll(s, "-", "") }

// A body that is not a GraphQL request gets a coded error that does not
// echo the body back.
func TestUndecodableBody(t *testing.T) {
	h := graph.New(nil, graph.Options{})
	for _, body := range []string{
		`{"query":"{ me { username } }","variables":[]}`,
		`{"query":"{ me { username } }","variables":5}`,
		`{"query":"{ me { username } }","extensions":"x"}`,
		`{"query": 5}`,
		`{"query":`,
		`[]`,
	} {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/graphql", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(rec, r)
		if rec.Code != 400 || !strings.Contains(rec.Body.String(), `"code":"BAD_REQUEST"`) || strings.Contains(rec.Body.String(), body) {
			t.Errorf("%s: %d %s", body, rec.Code, rec.Body.String())
		}
	}
}
