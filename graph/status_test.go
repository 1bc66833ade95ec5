package graph_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/callcfg/callcfg/graph"
)

// TestStatusByMediaType: what each kind of failure answers under each
// response media type. A request error (nothing ran) is 200 under
// application/json, so that clients which take any other status for a
// proxy's still read the errors, and 400 without a data entry under
// application/graphql-response+json; a request that is not GraphQL over
// HTTP at all gets its 4xx under both; a field error is 200 with data.
// Every error has extensions.code.
func TestStatusByMediaType(t *testing.T) {
	const gqlResp = "application/graphql-response+json"
	hash := strings.Repeat("ab", 32)
	// 300 items of 100 fields each: 30,000 points, over the 25,000.
	var aliases string
	for i := range 100 {
		aliases += fmt.Sprintf("u%d: uuid ", i)
	}
	type send struct {
		method, contentType, body string
		query                     url.Values
		accept                    string // overrides the media type under test
	}
	postBody := func(body string) send { return send{method: "POST", contentType: "application/json", body: body} }
	cases := []struct {
		name           string
		send           send
		json, response int // status under application/json, graphql-response+json
		code           string
		data           bool // a data entry is expected
	}{
		{"document parsing failure", postBody(`{"query":"{"}`), 200, 400, "GRAPHQL_PARSE_FAILED", false},
		{"document validation failure", postBody(`{"query":"{ nope }"}`), 200, 400, "GRAPHQL_VALIDATION_FAILED", false},
		{"variable coercion failure", postBody(`{"query":"query($u: UUID!) { call(uuid: $u) { name } }","variables":{"u":null}}`),
			200, 400, "GRAPHQL_VALIDATION_FAILED", false},
		{"operation cannot be determined", postBody(`{"query":"query A { __typename }","operationName":"B"}`),
			200, 400, "GRAPHQL_VALIDATION_FAILED", false},
		{"over the complexity limit", postBody(`{"query":"{ callAssignmentConfigurations(first: 300) { nodes { ` + aliases + ` } } }"}`),
			200, 400, "COMPLEXITY_LIMIT_EXCEEDED", false},
		{"APQ: unknown hash", postBody(`{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"` + hash + `"}}}`),
			200, 400, "PERSISTED_QUERY_NOT_FOUND", false},
		{"APQ: query and hash differ", postBody(`{"query":"{ __typename }","extensions":{"persistedQuery":{"version":1,"sha256Hash":"` + hash + `"}}}`),
			200, 400, graph.CodeBadRequest, false},
		{"APQ: unknown version", postBody(`{"query":"{ __typename }","extensions":{"persistedQuery":{"version":2,"sha256Hash":"` + hash + `"}}}`),
			200, 400, graph.CodeBadRequest, false},
		{"a mutation over GET", send{method: "GET", query: url.Values{"query": {"mutation { __typename }"}}},
			405, 405, graph.CodeMethodNotAllowed, false},
		{"a method GraphQL does not use", send{method: "PUT", contentType: "application/json", body: `{"query":"{ __typename }"}`},
			405, 405, graph.CodeMethodNotAllowed, false},
		{"a POST without Content-Type", send{method: "POST", body: `{"query":"{ __typename }"}`},
			415, 415, graph.CodeBadRequest, false},
		{"a form POST", send{method: "POST", contentType: "application/x-www-form-urlencoded", body: "query=%7B__typename%7D"},
			415, 415, graph.CodeBadRequest, false},
		{"a body that is not JSON", postBody(`{"query":`), 400, 400, graph.CodeBadRequest, false},
		{"a body with no query", postBody(`{"qeury":"{ __typename }"}`), 400, 400, graph.CodeBadRequest, false},
		{"GET variables that are not JSON", send{method: "GET", query: url.Values{"query": {"{ __typename }"}, "variables": {"{"}}},
			400, 400, graph.CodeBadRequest, false},
		{"over the size limit", postBody(`{"query":"{ __typename }` + strings.Repeat(" ", 70<<10) + `"}`),
			413, 413, graph.CodeRequestTooLarge, false},
		{"an Accept that admits no JSON", send{method: "POST", contentType: "application/json", body: `{"query":"{ __typename }"}`, accept: "text/html"},
			406, 406, graph.CodeNotAcceptable, false},
		{"a field error: the operation ran", postBody(`{"query":"{ me { username } }"}`), 200, 200, graph.CodeUnauthenticated, true},
	}
	eachDB(t, func(t *testing.T, e *env) {
		for _, media := range []string{"application/json", gqlResp} {
			for _, c := range cases {
				t.Run(media+"/"+c.name, func(t *testing.T) {
					u := e.srv.URL + "/graphql"
					if c.send.query != nil {
						u += "?" + c.send.query.Encode()
					}
					req, _ := http.NewRequest(c.send.method, u, strings.NewReader(c.send.body))
					if c.send.contentType != "" {
						req.Header.Set("Content-Type", c.send.contentType)
					}
					req.Header.Set("Accept", media)
					answered := media
					if c.send.accept != "" {
						req.Header.Set("Accept", c.send.accept)
						answered = "application/json"
					}
					res, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					raw, _ := io.ReadAll(res.Body)
					res.Body.Close()
					want := c.json
					if media == gqlResp {
						want = c.response
					}
					if res.StatusCode != want {
						t.Errorf("status %d, want %d: %s", res.StatusCode, want, raw)
					}
					if ct := res.Header.Get("Content-Type"); ct != answered+"; charset=utf-8" {
						t.Errorf("Content-Type %q, want %s", ct, answered)
					}
					var body map[string]json.RawMessage
					if err := json.Unmarshal(raw, &body); err != nil {
						t.Fatalf("not JSON: %s", raw)
					}
					if _, has := body["data"]; has != c.data {
						t.Errorf("data entry present: %v, want %v: %s", has, c.data, raw)
					}
					var errs []gqlError
					_ = json.Unmarshal(body["errors"], &errs)
					if len(errs) == 0 || errs[0].code() != c.code {
						t.Fatalf("want a %s error first, got %s", c.code, raw)
					}
					for _, ge := range errs {
						if ge.code() == "" {
							t.Errorf("an error without extensions.code: %s", raw)
						}
					}
				})
			}
		}
	})
}
