package rest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/google/uuid"

	"github.com/callcfg/callcfg/core"
	ct "github.com/callcfg/callcfg/core/coretest"
	"github.com/callcfg/callcfg/rest"
)

const schemaPath = "/api/schema/"

// The operations the document must describe: the upstream operation ids,
// and drf-spectacular's own schema view.
var wantOperations = []string{
	"api_auth_password_create",
	"call_assignment_configurations_count",
	"call_assignment_configurations_create",
	"call_assignment_configurations_destroy",
	"call_assignment_configurations_list",
	"call_assignment_configurations_partial_update",
	"call_assignment_configurations_retrieve",
	"call_assignment_configurations_update",
	"proposal_protected_calls_list",
	"proposal_protected_calls_retrieve",
	"schema_retrieve",
}

var (
	docOnce  sync.Once
	docBytes []byte
	docErr   error
)

// loadDocument parses and validates the document.
func loadDocument(t testing.TB, data []byte) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("validate: %v", err)
	}
	return doc
}

// formats are the document's meanings of the formats kin-openapi does not
// check by default (the patterns say which uuid spelling goes where).
var formats = []openapi3.SchemaValidationOption{
	openapi3.WithStringFormatValidator("uuid", openapi3.NewCallbackValidator(func(s string) error {
		_, err := uuid.Parse(s)
		return err
	})),
	openapi3.WithStringFormatValidator("uri", openapi3.NewCallbackValidator(func(s string) error {
		u, err := url.Parse(s)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return fmt.Errorf("not an absolute URL: %q", s)
		}
		return nil
	})),
}

func documentFile(t testing.TB) []byte {
	t.Helper()
	docOnce.Do(func() { docBytes, docErr = os.ReadFile("openapi.json") })
	if docErr != nil {
		t.Fatal(docErr)
	}
	return docBytes
}

func operationIDs(doc *openapi3.T) []string {
	var ids []string
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			ids = append(ids, op.OperationID)
		}
	}
	slices.Sort(ids)
	return ids
}

// objectKeys lists the keys of a JSON object in their order.
func objectKeys(t testing.TB, raw []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", raw)
	}
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func TestOpenAPIDocument(t *testing.T) {
	t.Parallel()
	data := documentFile(t)
	doc := loadDocument(t, data)
	if !strings.HasPrefix(doc.OpenAPI, "3.0.") {
		t.Errorf("openapi %q", doc.OpenAPI)
	}
	if got := operationIDs(doc); !slices.Equal(got, wantOperations) {
		t.Errorf("operation ids:\n got %v\nwant %v", got, wantOperations)
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != "/" {
		t.Errorf("servers must be relative: %+v", doc.Servers)
	}

	// Property order is lost by the loader; read it from the text.
	var raw struct {
		Components struct {
			Schemas map[string]struct {
				Properties json.RawMessage `json:"properties"`
				Required   []string        `json:"required"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	configFields := []string{"uuid", "call", "call_uuid", "call_name", "auto_reassign_on_decline", "max_auto_reassign_attempts",
		"assignment_expiration_days", "send_reminder_before_expiry_days", "created", "modified"}
	callFields := []string{"uuid", "url", "name", "description", "state", "created", "modified"}
	for name, want := range map[string][]string{"CallAssignmentConfiguration": configFields, "Call": callFields} {
		s := raw.Components.Schemas[name]
		if got := objectKeys(t, s.Properties); !slices.Equal(got, want) {
			t.Errorf("%s properties %v, want %v", name, got, want)
		}
		if !slices.Equal(s.Required, want) {
			t.Errorf("%s required %v, want %v", name, s.Required, want)
		}
	}
	settings := configFields[4:8]
	for _, name := range []string{"CallAssignmentConfigurationRequest", "PatchedCallAssignmentConfigurationRequest"} {
		got := objectKeys(t, raw.Components.Schemas[name].Properties)
		if name == "CallAssignmentConfigurationRequest" {
			if len(got) == 0 || got[0] != "call" {
				t.Errorf("%s has no call first: %v", name, got)
			} else {
				got = got[1:]
			}
		}
		if !slices.Equal(got, settings) {
			t.Errorf("%s properties %v", name, got)
		}
		if req := raw.Components.Schemas[name].Required; len(req) != 0 {
			t.Errorf("%s requires %v: every setting is optional", name, req)
		}
	}

	// The seed's field descriptions, word for word, wherever a setting appears.
	seed := map[string]string{
		"auto_reassign_on_decline":         "Automatically assign next-best reviewer when someone declines. If False, manager must manually approve reassignments.",
		"max_auto_reassign_attempts":       "Maximum automatic reassignment attempts before requiring manual intervention.",
		"assignment_expiration_days":       "Days until assignment invitation expires if not responded to.",
		"send_reminder_before_expiry_days": "Days before expiry to send reminder notification.",
	}
	schemas := doc.Components.Schemas
	for _, name := range []string{"CallAssignmentConfiguration", "CallAssignmentConfigurationRequest", "PatchedCallAssignmentConfigurationRequest"} {
		for field, want := range seed {
			if got := schemas[name].Value.Properties[field].Value.Description; got != want {
				t.Errorf("%s.%s description %q", name, field, got)
			}
		}
	}
	formats := map[string]string{"uuid": "uuid", "call": "uri", "call_uuid": "uuid", "created": "date-time", "modified": "date-time"}
	for field, want := range formats {
		if got := schemas["CallAssignmentConfiguration"].Value.Properties[field].Value.Format; got != want {
			t.Errorf("%s format %q, want %q", field, got, want)
		}
	}

	// call is required on create and nowhere else.
	create := doc.Paths.Find("/api/call-assignment-configurations/").Post.RequestBody.Value.Content.Get("application/json").Schema.Value
	if len(create.AllOf) != 2 || create.AllOf[0].Ref != "#/components/schemas/CallAssignmentConfigurationRequest" || !slices.Equal(create.AllOf[1].Value.Required, []string{"call"}) {
		t.Errorf("create body: %+v", create)
	}
	for method, want := range map[string]string{"PUT": "CallAssignmentConfigurationRequest", "PATCH": "PatchedCallAssignmentConfigurationRequest"} {
		op := doc.Paths.Find("/api/call-assignment-configurations/{uuid}/").GetOperation(method)
		for _, media := range []string{"application/json", "application/x-www-form-urlencoded"} {
			if got := op.RequestBody.Value.Content.Get(media).Schema.Ref; got != "#/components/schemas/"+want {
				t.Errorf("%s %s body %q", method, media, got)
			}
		}
	}

	sec := doc.Components.SecuritySchemes["tokenAuth"].Value
	if sec.Type != "apiKey" || sec.In != "header" || sec.Name != "Authorization" || !strings.Contains(sec.Description, "Token <key>") {
		t.Errorf("security scheme %+v", sec)
	}
	if len(doc.Security) != 1 || doc.Security[0]["tokenAuth"] == nil {
		t.Errorf("security %+v", doc.Security)
	}
}

// TestOpenAPIServed: the route, its negotiation and its validators. It
// touches no database: the document is public and static.
func TestOpenAPIServed(t *testing.T) {
	t.Parallel()
	file := documentFile(t)
	srv := httptest.NewServer(rest.New(&core.Service{}, rest.Options{}))
	defer srv.Close()
	do := func(r req) response { return doURL(t, srv.URL, nil, r) }

	res := do(req{method: "GET", path: schemaPath})
	res.check(t, "GET anonymous", 200, string(file))
	if ct := res.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	etag := res.header.Get("ETag")
	if !strings.HasPrefix(etag, `"`) || !strings.HasSuffix(etag, `-json"`) {
		t.Errorf("ETag %q", etag)
	}
	vnd := "application/vnd.oai.openapi+json"
	rows := []struct {
		name        string
		req         req
		status      int
		contentType string
	}{
		{"HEAD", req{method: "HEAD", path: schemaPath}, 200, "application/json"},
		{"?format=json", req{method: "GET", path: schemaPath + "?format=json"}, 200, "application/json"},
		{"?format=openapi-json", req{method: "GET", path: schemaPath + "?format=openapi-json"}, 200, vnd},
		{"Accept: the OpenAPI type", req{method: "GET", path: schemaPath, header: map[string]string{"Accept": vnd}}, 200, vnd},
		{"Accept: a specific type beats a wildcard", req{method: "GET", path: schemaPath, header: map[string]string{"Accept": "*/*, " + vnd}}, 200, vnd},
		{"Accept: application/*", req{method: "GET", path: schemaPath, header: map[string]string{"Accept": "application/*"}}, 200, "application/json"},
		{"Accept: YAML only", req{method: "GET", path: schemaPath, header: map[string]string{"Accept": "application/yaml"}}, 406, "application/json"},
		{"?format=yaml", req{method: "GET", path: schemaPath + "?format=yaml"}, 404, "application/json"},
		{"no trailing slash", req{method: "GET", path: "/api/schema"}, 301, "text/html; charset=utf-8"},
		{"POST", req{method: "POST", path: schemaPath, body: "{}"}, 405, "application/json"},
		{"OPTIONS", req{method: "OPTIONS", path: schemaPath}, 200, "application/json"},
		{"a malformed Authorization is still a 401", req{method: "GET", path: schemaPath, token: "Token "}, 401, "application/json"},
	}
	for _, r := range rows {
		res := do(r.req)
		if res.status != r.status || res.header.Get("Content-Type") != r.contentType {
			t.Errorf("%s: %d %q %.80s", r.name, res.status, res.header.Get("Content-Type"), res.body)
		}
		if r.status == 200 && r.req.method == "GET" && res.body != string(file) {
			t.Errorf("%s: another body", r.name)
		}
		if r.status == 200 && r.req.method != "OPTIONS" && res.header.Get("ETag") == "" {
			t.Errorf("%s: no ETag", r.name)
		}
	}
	if got := do(req{method: "GET", path: schemaPath + "?format=openapi-json"}).header.Get("ETag"); got == etag {
		t.Errorf("two representations, one strong ETag %s", got)
	}
	res = do(req{method: "GET", path: schemaPath, header: map[string]string{"If-None-Match": etag}})
	if res.status != 304 || res.body != "" || res.header.Get("ETag") != etag {
		t.Errorf("If-None-Match: %d %q %q", res.status, res.header.Get("ETag"), res.body)
	}

	// Behind a public URL with a path prefix the server URL carries it, and
	// the document still validates.
	pub, _ := url.Parse("https://api.example.org/callcfg/")
	prefixed := httptest.NewServer(rest.New(&core.Service{}, rest.Options{PublicURL: pub}))
	defer prefixed.Close()
	res = doURL(t, prefixed.URL, nil, req{method: "GET", path: schemaPath})
	doc := loadDocument(t, []byte(res.body))
	if len(doc.Servers) != 1 || doc.Servers[0].URL != "/callcfg" {
		t.Errorf("servers behind a prefix: %+v", doc.Servers)
	}
}

// currentETag in a header of an oasCase stands for the ETag the
// configuration of the path has when the request is made.
const currentETag = "<current ETag>"

// oasCase is one real request of an operation; invalid marks a request
// that breaks the document on purpose (to provoke an error response), so
// only the response is held to it.
type oasCase struct {
	name    string
	req     req
	status  int
	invalid bool
}

type oasChecker struct {
	t      *testing.T
	e      *env
	router routers.Router
	opts   *openapi3filter.Options
	seen   map[string]bool
}

func newOASChecker(t *testing.T, e *env) *oasChecker {
	doc := loadDocument(t, documentFile(t))
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	opts := &openapi3filter.Options{
		IncludeResponseStatus:   true, // a status the document does not list is a failure
		MultiError:              true,
		SchemaValidationOptions: formats,
		AuthenticationFunc: func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
			if in.SecuritySchemeName != "tokenAuth" {
				return fmt.Errorf("unknown scheme %s", in.SecuritySchemeName)
			}
			keyword, key, _ := strings.Cut(in.RequestValidationInput.Request.Header.Get("Authorization"), " ")
			if !strings.EqualFold(keyword, "token") || key == "" {
				return errors.New("no Token credentials")
			}
			return nil
		},
	}
	return &oasChecker{t: t, e: e, router: router, opts: opts, seen: map[string]bool{}}
}

// request rebuilds the request doURL sends, for the validator.
func (c *oasChecker) request(r req) *http.Request {
	hr, err := http.NewRequest(r.method, c.e.srv.URL+r.path, strings.NewReader(r.body))
	if err != nil {
		c.t.Fatal(err)
	}
	if r.body != "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	switch {
	case strings.Contains(r.token, " "):
		hr.Header.Set("Authorization", r.token)
	case r.token != "" && r.token != ct.Anonymous:
		hr.Header.Set("Authorization", "Token "+c.e.w.Tokens[r.token])
	}
	for k, v := range r.header {
		if v == "" {
			hr.Header.Del(k)
		} else {
			hr.Header.Set(k, v)
		}
	}
	return hr
}

// run performs the request over HTTP and holds both sides to the document.
func (c *oasChecker) run(oc oasCase) response {
	t := c.t
	t.Helper()
	for k, v := range oc.req.header {
		if strings.Contains(v, currentETag) {
			seg := strings.Split(strings.TrimSuffix(oc.req.path, "/"), "/")
			id := uuid.MustParse(seg[len(seg)-1])
			h := maps.Clone(oc.req.header)
			h[k] = strings.Replace(v, currentETag, wantETag(c.e.config(t, id)), 1)
			oc.req.header = h
		}
	}
	res := c.e.do(t, oc.req)
	if res.status != oc.status {
		t.Errorf("%s: status %d, want %d: %s", oc.name, res.status, oc.status, res.body)
	}
	hr := c.request(oc.req)
	route, params, err := c.router.FindRoute(hr)
	if err != nil {
		t.Errorf("%s: no operation for %s %s: %v", oc.name, oc.req.method, oc.req.path, err)
		return res
	}
	c.seen[route.Operation.OperationID] = true
	ctx := context.Background()
	in := &openapi3filter.RequestValidationInput{Request: hr, PathParams: params, Route: route, Options: c.opts}
	err = openapi3filter.ValidateRequest(ctx, in)
	switch {
	case oc.invalid && err == nil:
		t.Errorf("%s: the document accepts a request meant to break it", oc.name)
	case !oc.invalid && err != nil:
		t.Errorf("%s: request does not match the document: %v", oc.name, err)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.status, Header: res.header, Options: c.opts}
	out.SetBodyBytes([]byte(res.body))
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		t.Errorf("%s: %d response does not match the document: %v\n%s", oc.name, res.status, err, res.body)
	}
	if res.body != "" && oc.req.method != "HEAD" {
		c.noUndocumentedKeys(oc.name, route.Operation, res)
	}
	return res
}

// noUndocumentedKeys: kin-openapi lets an object carry properties its
// schema does not name; a client generated from the document would drop
// them, so every key sent must be documented.
func (c *oasChecker) noUndocumentedKeys(name string, op *openapi3.Operation, res response) {
	ref := op.Responses.Status(res.status)
	if ref == nil || ref.Value == nil {
		return
	}
	mt := ref.Value.Content.Get(res.header.Get("Content-Type"))
	if mt == nil || mt.Schema == nil {
		return
	}
	var v any
	if err := json.Unmarshal([]byte(res.body), &v); err != nil {
		c.t.Errorf("%s: %v", name, err)
		return
	}
	var walk func(s *openapi3.Schema, v any)
	walk = func(s *openapi3.Schema, v any) {
		switch v := v.(type) {
		case []any:
			if s.Items != nil {
				for _, item := range v {
					walk(s.Items.Value, item)
				}
			}
		case map[string]any:
			if s.AdditionalProperties.Has != nil || s.AdditionalProperties.Schema != nil || len(s.Properties) == 0 {
				return
			}
			for k := range v {
				if _, ok := s.Properties[k]; !ok {
					c.t.Errorf("%s: key %q is not in the document", name, k)
				}
			}
		}
	}
	walk(mt.Schema.Value, v)
}

// TestOpenAPIOperations performs every operation of the document over HTTP,
// successes and errors, on both databases, and validates each request and
// response against the document.
func TestOpenAPIOperations(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, e *env) {
		c := newOASChecker(t, e)
		base := e.srv.URL
		form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}

		// Lists, before anything changes.
		for _, oc := range []oasCase{
			{name: "schema, anonymous", req: req{method: "GET", path: schemaPath}, status: 200},
			{name: "schema, logged in", req: req{method: "GET", path: schemaPath + "?format=openapi-json", token: ct.Reviewer}, status: 200},
			{name: "schema, revalidated", req: req{method: "GET", path: schemaPath, header: map[string]string{"If-None-Match": e.do(t, req{method: "GET", path: schemaPath}).header.Get("ETag")}}, status: 304},
			{name: "login", req: req{method: "POST", path: "/api-auth/password/", body: `{"username": "manager", "password": "` + ct.DefaultPassword + `"}`}, status: 200},
			{name: "login with a form", req: req{method: "POST", path: "/api-auth/password/", body: "username=staff&password=" + url.QueryEscape(ct.DefaultPassword), header: form}, status: 200},
			{name: "list", req: req{method: "GET", path: listPath, token: ct.Staff}, status: 200},
			{name: "list, second page", req: req{method: "GET", path: listPath + "?page=2&page_size=1", token: ct.Staff}, status: 200},
			{name: "list by call", req: req{method: "GET", path: listPath + "?call_uuid=" + e.w.Call.String(), token: ct.Manager}, status: 200},
			{name: "count", req: req{method: "HEAD", path: listPath, token: ct.Reviewer}, status: 200},
			{name: "count by call", req: req{method: "HEAD", path: listPath + "?call_uuid=" + hexID(e.w.Other), token: ct.Staff}, status: 200},
			{name: "calls", req: req{method: "GET", path: "/api/proposal-protected-calls/?page_size=2", token: ct.Support}, status: 200},
			{name: "call", req: req{method: "GET", path: callPath(e.w.Call), token: ct.Manager}, status: 200},
		} {
			c.run(oc)
		}

		// One configuration through its life.
		res := c.run(oasCase{name: "create", req: req{method: "POST", path: listPath, token: ct.Manager,
			body: `{"call": "` + base + callPath(e.w.Bare) + `", "max_auto_reassign_attempts": 5}`}, status: 201})
		made := e.configOf(t, e.w.Bare)
		if made == nil {
			t.Fatalf("create: nothing made: %s", res.body)
		}
		path := configPath(made.UUID)
		stale := wantETag(made)
		for _, oc := range []oasCase{
			{name: "retrieve", req: req{method: "GET", path: path, token: ct.Manager}, status: 200},
			{name: "retrieve by dashed uuid", req: req{method: "GET", path: listPath + made.UUID.String() + "/", token: ct.Staff}, status: 200},
			{name: "retrieve, not modified", req: req{method: "GET", path: path, token: ct.Manager, header: map[string]string{"If-None-Match": currentETag}}, status: 304},
			{name: "update", req: req{method: "PUT", path: path, token: ct.Manager, body: `{"auto_reassign_on_decline": true, "assignment_expiration_days": 10}`}, status: 200},
			{name: "update with a form and If-Match", req: req{method: "PUT", path: path, token: ct.Manager, body: "auto_reassign_on_decline=true&send_reminder_before_expiry_days=1",
				header: map[string]string{"Content-Type": form["Content-Type"], "If-Match": currentETag}}, status: 200},
			{name: "partial update", req: req{method: "PATCH", path: path, token: ct.Staff, body: `{"max_auto_reassign_attempts": 0}`}, status: 200},
			{name: "partial update with If-Match", req: req{method: "PATCH", path: path, token: ct.Staff, body: `{"send_reminder_before_expiry_days": 3}`, header: map[string]string{"If-Match": currentETag}}, status: 200},
			{name: "partial update with a form", req: req{method: "PATCH", path: path, token: ct.Manager, body: "max_auto_reassign_attempts=2", header: form}, status: 200},

			// Errors.
			{name: "400: the call has a configuration", req: req{method: "POST", path: listPath, token: ct.Manager, body: `{"call": "` + base + callPath(e.w.Call) + `"}`}, status: 400},
			{name: "400: no call", req: req{method: "POST", path: listPath, token: ct.Manager, body: `{}`}, status: 400, invalid: true},
			{name: "400: out of range", req: req{method: "PATCH", path: path, token: ct.Manager, body: `{"max_auto_reassign_attempts": -1}`}, status: 400, invalid: true},
			{name: "400: malformed call_uuid", req: req{method: "GET", path: listPath + "?call_uuid=nope", token: ct.Manager}, status: 400, invalid: true},
			{name: "400: wrong password", req: req{method: "POST", path: "/api-auth/password/", body: `{"username": "manager", "password": "nope"}`}, status: 400},
			{name: "401: anonymous list", req: req{method: "GET", path: listPath}, status: 401, invalid: true},
			{name: "401: anonymous count", req: req{method: "HEAD", path: listPath}, status: 401, invalid: true},
			{name: "401: anonymous write", req: req{method: "PATCH", path: path, body: `{}`}, status: 401, invalid: true},
			{name: "401: invalid key", req: req{method: "GET", path: path, token: "Token nope"}, status: 401},
			{name: "401: invalid key on the schema", req: req{method: "GET", path: schemaPath, token: "Token nope"}, status: 401},
			{name: "401: invalid key on login", req: req{method: "POST", path: "/api-auth/password/", token: "Token nope", body: `{"username": "manager", "password": "x"}`}, status: 401},
			{name: "403: a reviewer writes", req: req{method: "PATCH", path: configPath(e.w.Config), token: ct.Reviewer, body: `{}`}, status: 403},
			{name: "403: support creates", req: req{method: "POST", path: listPath, token: ct.Support, body: `{"call": "` + base + callPath(e.w.Bare) + `"}`}, status: 403},
			{name: "403: a reviewer deletes", req: req{method: "DELETE", path: configPath(e.w.Config), token: ct.Reviewer}, status: 403},
			{name: "404: retrieve a missing uuid", req: req{method: "GET", path: configPath(uuid.New()), token: ct.Staff}, status: 404},
			{name: "404: retrieve what one cannot see", req: req{method: "GET", path: path, token: ct.Outsider}, status: 404},
			{name: "404: update a missing uuid", req: req{method: "PUT", path: configPath(uuid.New()), token: ct.Staff, body: `{}`}, status: 404},
			{name: "404: destroy a missing uuid", req: req{method: "DELETE", path: configPath(uuid.New()), token: ct.Staff}, status: 404},
			{name: "404: a page past the end", req: req{method: "GET", path: listPath + "?page=99", token: ct.Staff}, status: 404},
			{name: "404: count past the end", req: req{method: "HEAD", path: listPath + "?page=99", token: ct.Staff}, status: 404},
			{name: "404: calls past the end", req: req{method: "GET", path: "/api/proposal-protected-calls/?page=99", token: ct.Staff}, status: 404},
			{name: "404: a call one cannot see", req: req{method: "GET", path: callPath(e.w.Other), token: ct.Manager}, status: 404},
			{name: "404: schema in YAML", req: req{method: "GET", path: schemaPath + "?format=yaml"}, status: 404, invalid: true},
			{name: "406: schema for a YAML-only client", req: req{method: "GET", path: schemaPath, header: map[string]string{"Accept": "application/yaml"}}, status: 406},
			{name: "412: a stale If-Match", req: req{method: "PATCH", path: path, token: ct.Manager, body: `{}`, header: map[string]string{"If-Match": stale}}, status: 412},
			{name: "412: a stale If-Match on PUT", req: req{method: "PUT", path: path, token: ct.Manager, body: `{}`, header: map[string]string{"If-Match": stale}}, status: 412},
			{name: "412: a weak If-Match on DELETE", req: req{method: "DELETE", path: path, token: ct.Manager, header: map[string]string{"If-Match": "W/" + currentETag}}, status: 412},
			{name: "413: a body over the limit", req: req{method: "PATCH", path: path, token: ct.Manager, body: `{"pad": "` + strings.Repeat("x", 1<<20) + `"}`}, status: 413},
			{name: "415: text", req: req{method: "PATCH", path: path, token: ct.Manager, body: `x`, header: map[string]string{"Content-Type": "text/plain"}}, status: 415, invalid: true},
			{name: "415: text on create", req: req{method: "POST", path: listPath, token: ct.Manager, body: `x`, header: map[string]string{"Content-Type": "text/plain"}}, status: 415, invalid: true},
			{name: "415: text on login", req: req{method: "POST", path: "/api-auth/password/", body: `x`, header: map[string]string{"Content-Type": "text/plain"}}, status: 415, invalid: true},

			{name: "destroy with If-Match", req: req{method: "DELETE", path: path, token: ct.Manager, header: map[string]string{"If-Match": currentETag}}, status: 204},
		} {
			c.run(oc)
		}
		c.run(oasCase{name: "destroy", req: req{method: "DELETE", path: configPath(e.w.Config), token: ct.Manager}, status: 204})

		if got := slices.Sorted(maps.Keys(c.seen)); !slices.Equal(got, wantOperations) {
			t.Errorf("operations exercised:\n got %v\nwant %v", got, wantOperations)
		}
	})
}

// TestOpenAPIValidatorHasTeeth: the checks above would pass vacuously if
// the validator ignored what it is meant to check; here it must refuse
// responses that break the document.
func TestOpenAPIValidatorHasTeeth(t *testing.T) {
	t.Parallel()
	doc := loadDocument(t, documentFile(t))
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	good := `{"uuid":"3f2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f","call":"https://h/api/proposal-protected-calls/9a1b2c3d4e5f40718293a4b5c6d7e8f9/",` +
		`"call_uuid":"9a1b2c3d4e5f40718293a4b5c6d7e8f9","call_name":"HPC","auto_reassign_on_decline":false,"max_auto_reassign_attempts":3,` +
		`"assignment_expiration_days":7,"send_reminder_before_expiry_days":2,"created":"2026-03-10T12:00:00.123456+00:00","modified":"2026-03-10T12:00:00.123456+00:00"}`
	etag := `"3f2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f-1"`
	cases := []struct {
		name   string
		status int
		body   string
		header http.Header
		ok     bool
	}{
		{"the contract's example", 200, good, http.Header{"Etag": {etag}}, true},
		{"no ETag", 200, good, http.Header{}, false},
		{"a dashed uuid", 200, strings.Replace(good, `"3f2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f"`, `"3f2c9d0e-4b8a-4c1f-9e2d-7a6b5c4d3e2f"`, 1), http.Header{"Etag": {etag}}, false},
		{"a relative call", 200, strings.Replace(good, `https://h/api`, `/api`, 1), http.Header{"Etag": {etag}}, false},
		{"a bad time", 200, strings.Replace(good, `2026-03-10T12:00:00.123456+00:00"}`, `yesterday"}`, 1), http.Header{"Etag": {etag}}, false},
		{"a missing field", 200, strings.Replace(good, `"call_name":"HPC",`, ``, 1), http.Header{"Etag": {etag}}, false},
		{"a negative setting", 200, strings.Replace(good, `"max_auto_reassign_attempts":3`, `"max_auto_reassign_attempts":-3`, 1), http.Header{"Etag": {etag}}, false},
		{"an undocumented status", 418, `{"detail":"x"}`, http.Header{}, false},
		{"a 404 without detail", 404, `{"message":"x"}`, http.Header{}, false},
	}
	for _, tc := range cases {
		hr := httptest.NewRequest("GET", "/api/call-assignment-configurations/3f2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f/", nil)
		route, params, err := router.FindRoute(hr)
		if err != nil {
			t.Fatal(err)
		}
		opts := &openapi3filter.Options{IncludeResponseStatus: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, SchemaValidationOptions: formats}
		tc.header.Set("Content-Type", "application/json")
		out := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: hr, PathParams: params, Route: route, Options: opts},
			Status:                 tc.status, Header: tc.header, Options: opts,
		}
		out.SetBodyBytes([]byte(tc.body))
		err = openapi3filter.ValidateResponse(context.Background(), out)
		if (err == nil) != tc.ok {
			t.Errorf("%s: valid = %v, want %v (%v)", tc.name, err == nil, tc.ok, err)
		}
	}
}
