package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/core/coretest"
	"github.com/callcfg/callcfg/db/dbtest"
	"github.com/callcfg/callcfg/server"
	"github.com/callcfg/callcfg/server/servertest"
)

// env is one server over one fresh database with the coretest world.
type env struct {
	t   *testing.T
	w   *coretest.World
	bdb *bun.DB
	srv *httptest.Server
	s   *servertest.Env
}

func newEnv(t *testing.T, dbURL string, configure ...func(*server.Config)) *env {
	t.Helper()
	s := servertest.New(t, dbURL, configure...)
	return &env{t: t, w: s.W, bdb: s.DB, srv: s.Srv, s: s}
}

// gqlError is one entry of a response's errors.
type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

func (e gqlError) code() string { s, _ := e.Extensions["code"].(string); return s }

type response struct {
	Status int
	Header http.Header
	Raw    string
	Data   any        `json:"data"`
	Errors []gqlError `json:"errors"`
}

// get digs into the data by a dotted path; numbers index lists.
func (r *response) get(path string) any {
	return dig(r.Data, path)
}

func dig(v any, path string) any { return servertest.Dig(v, path) }

func (r *response) str(path string) string {
	s, _ := r.get(path).(string)
	return s
}

func (r *response) list(path string) []any {
	l, _ := r.get(path).([]any)
	return l
}

func (r *response) codes() []string {
	out := make([]string, len(r.Errors))
	for i, e := range r.Errors {
		out[i] = e.code()
	}
	return out
}

// ok fails the test unless the response has no errors.
func (r *response) ok(t *testing.T) *response {
	t.Helper()
	if r.Status != http.StatusOK || len(r.Errors) > 0 {
		t.Fatalf("want success, got %d %s", r.Status, r.Raw)
	}
	return r
}

// failsWith fails the test unless the only error has the code.
func (r *response) failsWith(t *testing.T, code string) gqlError {
	t.Helper()
	if len(r.Errors) != 1 || r.Errors[0].code() != code {
		t.Fatalf("want one %s error, got %d %s", code, r.Status, r.Raw)
	}
	return r.Errors[0]
}

func (e *env) token(actor string) string { return e.s.Token(actor) }

// do posts a GraphQL request as actor (its token; anonymous sends none).
func (e *env) do(actor, query string, vars map[string]any) *response {
	body := map[string]any{"query": query}
	if vars != nil {
		body["variables"] = vars
	}
	return e.post(actor, body)
}

func (e *env) post(actor string, body any) *response {
	b, err := json.Marshal(body)
	if err != nil {
		panic(err)
	}
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/graphql", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if tok := e.token(actor); tok != "" {
		req.Header.Set("Authorization", "Token "+tok)
	}
	return e.send(req)
}

// getQuery sends a GraphQL request over GET.
func (e *env) getQuery(actor string, params url.Values) *response {
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/graphql?"+params.Encode(), nil)
	if tok := e.token(actor); tok != "" {
		req.Header.Set("Authorization", "Token "+tok)
	}
	return e.send(req)
}

// send never stops the test itself (it may run in a subtest of the test
// that made the env): a transport or decoding failure comes back as a
// response with a NOT_JSON error, which ok and failsWith report.
func (e *env) send(req *http.Request) *response {
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return &response{Raw: err.Error(), Errors: []gqlError{{Message: err.Error(), Extensions: map[string]any{"code": "TRANSPORT"}}}}
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := &response{Status: res.StatusCode, Header: res.Header, Raw: string(raw)}
	if err := json.Unmarshal(raw, r); err != nil {
		r.Errors = []gqlError{{Message: "not JSON", Extensions: map[string]any{"code": "NOT_JSON"}}}
	}
	// Whatever a test asks, no error may show SQL or driver text.
	for _, ge := range r.Errors {
		if leak.MatchString(ge.Message) {
			e.t.Errorf("error message leaks internals: %q", ge.Message)
		}
	}
	return r
}

// leak matches what SQL, the drivers and the databases put in their errors.
var leak = regexp.MustCompile(`(?i)\b(select|insert into|delete from|update \w+ set|sql|sqlite|postgres|pgdriver|relation|constraint|syntax error|no such table|duplicate key|SQLSTATE|dial tcp|connection refused)\b`)

// rest calls the REST face as actor and decodes its JSON.
func (e *env) rest(t *testing.T, actor, method, path string, body any) (*http.Response, any) {
	t.Helper()
	return e.s.Call(t, actor, method, path, body)
}

func hex(u fmt.Stringer) string { return strings.ReplaceAll(u.String(), "-", "") }

// eachDB runs fn on both databases with a fresh world.
func eachDB(t *testing.T, fn func(t *testing.T, e *env), configure ...func(*server.Config)) {
	dbtest.Each(t, func(t *testing.T, url string) {
		fn(t, newEnv(t, url, configure...))
	})
}

// seeded describes configurations added to a world by seed.
type seeded struct {
	calls  []string          // call uuids, in creation order
	state  map[string]string // call uuid → GraphQL state
	config map[string]string // call uuid → configuration uuid
}

// seed adds n calls, each with a configuration, to the world's
// organisation: names repeat (ties for CALL_NAME), states and settings
// vary, some configurations are updated afterwards (so modified differs
// from created order), and the manager holds a role on every third call.
func (e *env) seed(n int) *seeded {
	e.t.Helper()
	ctx := context.Background()
	svc, staff := e.w.Svc, e.w.Actor(e.t, coretest.Staff)
	states := []string{core.CallStateDraft, core.CallStateActive, core.CallStateArchived}
	s := &seeded{state: map[string]string{}, config: map[string]string{}}
	for i := range n {
		c, err := svc.CreateCall(ctx, core.NewCall{Name: fmt.Sprintf("Seeded call %02d", i%(n/3+1)), State: states[i%3], OrgUUID: e.w.OrgUUID})
		if err != nil {
			e.t.Fatal(err)
		}
		cfg, err := svc.CreateConfig(ctx, staff, core.Some(c.UUID), core.Patch{
			AutoReassignOnDecline:   core.Some(i%2 == 0),
			MaxAutoReassignAttempts: core.Some(int64(i)),
		})
		if err != nil {
			e.t.Fatal(err)
		}
		if i%3 == 0 {
			if err := svc.GrantRole(ctx, core.Grant{Username: coretest.Manager, CallUUID: &c.UUID, Role: "manager"}); err != nil {
				e.t.Fatal(err)
			}
		}
		s.calls = append(s.calls, hex(c.UUID))
		s.state[hex(c.UUID)] = strings.ToUpper(c.State)
		s.config[hex(c.UUID)] = hex(cfg.UUID)
	}
	for i := 0; i < n; i += 4 {
		cfgUUID, _ := uuid.Parse(s.config[s.calls[i]])
		if _, err := svc.UpdateConfig(ctx, staff, cfgUUID, core.Patch{}, core.Precondition{}); err != nil {
			e.t.Fatal(err)
		}
	}
	return s
}
