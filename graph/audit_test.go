package graph_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestGraphQLOverHTTPAudits ports, one row per audit, every audit of the
// GraphQL over HTTP working group's suite (the npm package graphql-http
// 1.23.1, its serverAudits): each MUST and SHOULD, and the MAYs this server
// chooses to do. The rows keep the suite's ids and texts, so a failure
// names the very audit; scripts/graphql-http-audit.sh runs the suite
// itself with Node against a running server.
func TestGraphQLOverHTTPAudits(t *testing.T) {
	// 13 MUST, 23 SHOULD and 25 MAY audits: a row lost is a failure too.
	if n := len(serverAudits()); n != 61 {
		t.Fatalf("%d audits, want the suite's 61", n)
	}
	eachDB(t, func(t *testing.T, e *env) {
		for _, a := range serverAudits() {
			t.Run(a.id+" "+a.text, func(t *testing.T) {
				req := a.req(e.srv.URL + "/graphql")
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				for _, check := range a.checks {
					if msg := check(res, body); msg != "" {
						t.Errorf("%s (got %d %s: %s)", msg, res.StatusCode, res.Header.Get("Content-Type"), body)
					}
				}
			})
		}
	})
}

type auditCheck func(res *http.Response, body []byte) string

type serverAudit struct {
	id, text string
	req      func(url string) *http.Request
	checks   []auditCheck
}

const (
	acceptJSON     = "application/json"
	acceptResponse = "application/graphql-response+json"
)

// post is the suite's POST: a content type, an Accept (none when empty)
// and a body (none when nil).
func post(contentType, accept string, body any) func(string) *http.Request {
	return func(u string) *http.Request {
		var rd io.Reader
		switch b := body.(type) {
		case nil:
		case string:
			rd = strings.NewReader(b)
		default:
			raw, _ := json.Marshal(b)
			rd = bytes.NewReader(raw)
		}
		req, _ := http.NewRequest(http.MethodPost, u, rd)
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		return req
	}
}

func postJSON(accept string, body any) func(string) *http.Request {
	return post("application/json", accept, body)
}

func get(accept string, params map[string]string) func(string) *http.Request {
	return func(u string) *http.Request {
		q := url.Values{}
		for k, v := range params {
			q.Set(k, v)
		}
		req, _ := http.NewRequest(http.MethodGet, u+"?"+q.Encode(), nil)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		return req
	}
}

func status(code int) auditCheck {
	return func(res *http.Response, _ []byte) string {
		if res.StatusCode != code {
			return "Response status code is not " + http.StatusText(code)
		}
		return ""
	}
}

func statusBetween(lo, hi int) auditCheck {
	return func(res *http.Response, _ []byte) string {
		if res.StatusCode < lo || res.StatusCode > hi {
			return "Response status is not in range"
		}
		return ""
	}
}

func contentType(part string) auditCheck {
	return func(res *http.Response, _ []byte) string {
		if !strings.Contains(res.Header.Get("Content-Type"), part) {
			return "Response header content-type does not contain " + part
		}
		return ""
	}
}

// result checks the body as a GraphQL response: which entries it has.
func result(entry string, present bool) auditCheck {
	return func(_ *http.Response, body []byte) string {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(body, &m); err != nil {
			return "Response body is not valid JSON"
		}
		if _, ok := m[entry]; ok != present {
			if present {
				return "Response body execution result does not have a property " + entry
			}
			return "Response body execution result has a property " + entry
		}
		return ""
	}
}

func utf8Body(_ *http.Response, body []byte) string {
	if !utf8.Valid(body) {
		return "Response body is not UTF-8 encoded"
	}
	return ""
}

var (
	hasErrors = result("errors", true)
	noErrors  = result("errors", false)
	noData    = result("data", false)
)

func serverAudits() []serverAudit {
	typename := map[string]any{"query": "{ __typename }"}
	typeQuery := map[string]any{"query": "query Type($name: String!) { __type(name: $name) { name } }", "variables": map[string]any{"name": "sometype"}}
	getTypeQuery := map[string]string{"query": "query Type($name: String!) { __type(name: $name) { name } }", "variables": `{"name":"sometype"}`}
	unknownField := map[string]any{"query": "{ 8f31403dfe404bccbb0e835f2629c6a7 }"}
	coercion := map[string]any{"query": "query CoerceFailure($id: ID!){ __typename }", "variables": map[string]any{"id": nil}}
	invalid := []struct {
		name  string
		value any
	}{{"object", map[string]any{"obj": "ect"}}, {"number", 0}, {"boolean", false}, {"array", []any{"array"}}}
	invalidMap := []struct {
		name  string
		value any
	}{{"string", "string"}, {"number", 0}, {"boolean", false}, {"array", []any{"array"}}}
	digits := "0123"

	audits := []serverAudit{
		{"22EB", "SHOULD accept application/graphql-response+json and match the content-type",
			postJSON(acceptResponse, typename), []auditCheck{status(200), contentType(acceptResponse)}},
		{"4655", "MUST accept application/json and match the content-type",
			postJSON(acceptJSON, typename), []auditCheck{status(200), contentType(acceptJSON)}},
		{"47DE", "SHOULD accept */* and use application/json for the content-type",
			postJSON("*/*", typename), []auditCheck{status(200), contentType(acceptJSON)}},
		{"80D8", "SHOULD assume application/json content-type when accept is missing",
			postJSON("", typename), []auditCheck{status(200), contentType(acceptJSON)}},
		{"82A3", "MUST use utf-8 encoding when responding",
			postJSON("", typename), []auditCheck{status(200), utf8Body}},
		{"BF61", "MUST accept utf-8 encoded request",
			post("application/json; charset=utf-8", "", map[string]any{"query": `{ __type(name: "Run🏃Swim🏊") { name } }`}), []auditCheck{status(200)}},
		{"78D5", "MUST assume utf-8 in request if encoding is unspecified",
			postJSON("", typename), []auditCheck{status(200)}},
		{"2C94", "MUST accept POST requests",
			postJSON("", typename), []auditCheck{status(200)}},
		{"5A70", "MAY accept application/x-www-form-urlencoded formatted GET requests",
			get("", map[string]string{"query": "{ __typename }"}), []auditCheck{status(200)}},
		{"9C48", "MAY NOT allow executing mutations on GET requests",
			get(acceptResponse, map[string]string{"query": "mutation { __typename }"}), []auditCheck{statusBetween(400, 499)}},
		{"9ABE", "SHOULD respond with 4xx status code if content-type is not supplied on POST requests",
			post("", "", typename), []auditCheck{statusBetween(400, 499)}},
		{"03D4", "MUST accept application/json POST requests",
			postJSON("", typename), []auditCheck{status(200)}},
		{"A5BF", "MAY use 400 status code when request body is missing on POST",
			postJSON("", nil), []auditCheck{status(400)}},
		{"423L", "MAY use 400 status code on missing {query} parameter",
			postJSON(acceptResponse, map[string]any{"notquery": "{ __typename }"}), []auditCheck{status(400)}},
	}
	for i, v := range invalid {
		audits = append(audits, serverAudit{"LKJ" + digits[i:i+1], "MAY use 400 status code on " + v.name + " {query} parameter",
			postJSON("", map[string]any{"query": v.value}), []auditCheck{status(400)}})
	}
	audits = append(audits,
		serverAudit{"34A2", "SHOULD allow string {query} parameter when accepting application/graphql-response+json",
			postJSON(acceptResponse, typename), []auditCheck{status(200)}},
		serverAudit{"13EE", "MUST allow string {query} parameter when accepting application/json",
			postJSON(acceptJSON, typename), []auditCheck{status(200), noErrors}},
	)
	for i, v := range invalid {
		audits = append(audits, serverAudit{"6C0" + digits[i:i+1], "MAY use 400 status code on " + v.name + " {operationName} parameter",
			postJSON("", map[string]any{"operationName": v.value, "query": "{ __typename }"}), []auditCheck{status(400)}})
	}
	named := map[string]any{"operationName": "Query", "query": "query Query { __typename }"}
	audits = append(audits,
		serverAudit{"8161", "SHOULD allow string {operationName} parameter when accepting application/graphql-response+json",
			postJSON(acceptResponse, named), []auditCheck{status(200)}},
		serverAudit{"B8B3", "MUST allow string {operationName} parameter when accepting application/json",
			postJSON(acceptJSON, named), []auditCheck{status(200), noErrors}},
	)
	for i, param := range []string{"variables", "operationName", "extensions"} {
		body := map[string]any{"query": "{ __typename }", param: nil}
		audits = append(audits,
			serverAudit{"94B" + digits[i:i+1], "SHOULD allow null {" + param + "} parameter when accepting application/graphql-response+json",
				postJSON(acceptResponse, body), []auditCheck{status(200), noErrors}},
			serverAudit{"022" + digits[i:i+1], "MUST allow null {" + param + "} parameter when accepting application/json",
				postJSON(acceptJSON, body), []auditCheck{status(200), noErrors}},
		)
	}
	for i, v := range invalidMap {
		audits = append(audits, serverAudit{"476" + digits[i:i+1], "MAY use 400 status code on " + v.name + " {variables} parameter",
			postJSON("", map[string]any{"query": "{ __typename }", "variables": v.value}), []auditCheck{status(400)}})
	}
	audits = append(audits,
		serverAudit{"2EA1", "SHOULD allow map {variables} parameter when accepting application/graphql-response+json",
			postJSON(acceptResponse, typeQuery), []auditCheck{status(200)}},
		serverAudit{"28B9", "MUST allow map {variables} parameter when accepting application/json",
			postJSON(acceptJSON, typeQuery), []auditCheck{status(200), noErrors}},
		serverAudit{"D6D5", "MAY allow URL-encoded JSON string {variables} parameter in GETs when accepting application/graphql-response+json",
			get(acceptResponse, getTypeQuery), []auditCheck{status(200), noErrors}},
		serverAudit{"6A70", "MAY allow URL-encoded JSON string {variables} parameter in GETs when accepting application/json",
			get(acceptJSON, getTypeQuery), []auditCheck{status(200), noErrors}},
	)
	for i, v := range invalidMap {
		audits = append(audits, serverAudit{"58B" + digits[i:i+1], "MAY use 400 status code on " + v.name + " {extensions} parameter",
			postJSON("", map[string]any{"query": "{ __typename }", "extensions": v.value}), []auditCheck{status(400)}})
	}
	withExtensions := map[string]any{"query": "{ __typename }", "extensions": map[string]any{"some": "value"}}
	notJSON := `{ "not a JSON`
	typo := map[string]any{"qeury": "{ __typename }"}
	parseFailure := map[string]any{"query": "{"}
	audits = append(audits,
		serverAudit{"428F", "SHOULD allow map {extensions} parameter when accepting application/graphql-response+json",
			postJSON(acceptResponse, withExtensions), []auditCheck{status(200)}},
		serverAudit{"1B7A", "MUST allow map {extensions} parameter when accepting application/json",
			postJSON(acceptJSON, withExtensions), []auditCheck{status(200), noErrors}},
		serverAudit{"B6DC", "MAY use 2xx, 4xx, or 5xx status codes on JSON parsing failure when accepting application/json",
			postJSON(acceptJSON, notJSON), []auditCheck{statusBetween(200, 599)}},
		serverAudit{"BCF8", "SHOULD use 400 status code on JSON parsing failure when accepting application/json",
			postJSON(acceptJSON, notJSON), []auditCheck{status(400)}},
		serverAudit{"B7N8", "SHOULD use 400 status code on JSON parsing failure when accepting application/graphql-response+json",
			postJSON(acceptResponse, notJSON), []auditCheck{status(400)}},
		serverAudit{"8764", "MAY use 4xx or 5xx status codes if parameters are invalid",
			postJSON("", typo), []auditCheck{statusBetween(400, 599)}},
		serverAudit{"3E3A", "MAY use 400 status code if parameters are invalid",
			postJSON("", typo), []auditCheck{status(400)}},
		serverAudit{"572B", "SHOULD use 200 status code on document parsing failure when accepting application/json",
			postJSON(acceptJSON, parseFailure), []auditCheck{status(200)}},
		serverAudit{"FDE2", "SHOULD use 200 status code on document validation failure when accepting application/json",
			postJSON(acceptJSON, unknownField), []auditCheck{status(200)}},
		serverAudit{"7B9B", "SHOULD use a status code of 200 on variable coercion failure when accepting application/json",
			postJSON(acceptJSON, coercion), []auditCheck{status(200)}},
		serverAudit{"865D", "SHOULD use 4xx or 5xx status codes on document parsing failure when accepting application/graphql-response+json",
			postJSON(acceptResponse, parseFailure), []auditCheck{statusBetween(400, 599)}},
		serverAudit{"556A", "SHOULD use 400 status code on document parsing failure when accepting application/graphql-response+json",
			postJSON(acceptResponse, parseFailure), []auditCheck{status(400)}},
		serverAudit{"D586", "SHOULD not contain the data entry on document parsing failure when accepting application/graphql-response+json",
			postJSON(acceptResponse, parseFailure), []auditCheck{noData}},
		serverAudit{"51FE", "SHOULD use 4xx or 5xx status codes on document validation failure when accepting application/graphql-response+json",
			postJSON(acceptResponse, unknownField), []auditCheck{statusBetween(400, 599)}},
		serverAudit{"74FF", "SHOULD use 400 status code on document validation failure when accepting application/graphql-response+json",
			postJSON(acceptResponse, unknownField), []auditCheck{status(400)}},
		serverAudit{"5E5B", "SHOULD not contain the data entry on document validation failure when accepting application/graphql-response+json",
			postJSON(acceptResponse, unknownField), []auditCheck{noData}},
		serverAudit{"86EE", "SHOULD use a status code of 400 on variable coercion failure when accepting application/graphql-response+json",
			postJSON(acceptResponse, coercion), []auditCheck{status(400)}},
	)
	return audits
}
