package rest_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/core/coretest"
	"github.com/callcfg/callcfg/server"
	"github.com/callcfg/callcfg/server/servertest"
)

// env is one world (coretest's actors, calls and configurations) on one
// database, served over real HTTP by the whole server handler.
type env struct {
	t   *testing.T
	w   *coretest.World
	bdb *bun.DB
	srv *httptest.Server
	s   *servertest.Env
}

// eachWorld runs fn on every database kind, each with a fresh world.
func eachWorld(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	servertest.Each(t, func(t *testing.T, s *servertest.Env) {
		fn(t, &env{t: t, w: s.W, bdb: s.DB, srv: s.Srv, s: s})
	})
}

// newServer serves e's world with other settings.
func newServer(t *testing.T, e *env, configure func(*server.Config)) *httptest.Server {
	t.Helper()
	return e.s.Serve(t, configure)
}

var client = &http.Client{
	// Redirects are part of the contract under test.
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       30 * time.Second,
}

var fromClients sync.Map // address → *http.Client

// clientFrom is a client whose connections come from ip, so that one test
// can be several clients to the per-address limits: Linux routes all of
// 127.0.0.0/8 to the loopback interface.
func clientFrom(ip string) *http.Client {
	if c, ok := fromClients.Load(ip); ok {
		return c.(*http.Client)
	}
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	c := &http.Client{
		CheckRedirect: client.CheckRedirect,
		Timeout:       client.Timeout,
		Transport:     &http.Transport{DialContext: d.DialContext},
	}
	actual, _ := fromClients.LoadOrStore(ip, c)
	return actual.(*http.Client)
}

type response struct {
	status int
	header http.Header
	body   string
}

// req describes a request; token is an actor name of coretest (or a raw
// Authorization value when it contains a space).
type req struct {
	method, path, token, body string
	header                    map[string]string
	chunked                   bool   // send the body without a Content-Length
	from                      string // the loopback address to connect from (127.x.y.z), when not the usual
	serverError               bool   // a 500 is what the test provokes
}

// leaks are texts that would betray SQL, the driver or a stack trace.
var leaks = []string{"SELECT", "INSERT", "UPDATE ", "pq:", "pgdriver", "sqlite", "SQLSTATE", "goroutine", "panic", ".go:", "constraint"}

func (e *env) do(t testing.TB, r req) response {
	t.Helper()
	return doURL(t, e.srv.URL, e.w.Tokens, r)
}

func doURL(t testing.TB, base string, tokens map[string]string, r req) response {
	t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
		if r.chunked {
			body = struct{ io.Reader }{body}
		}
	}
	// Errors, not Fatal: concurrent tests call this from other goroutines.
	hr, err := http.NewRequest(r.method, base+r.path, body)
	if err != nil {
		t.Errorf("%s %s: %v", r.method, r.path, err)
		return response{}
	}
	if r.body != "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	switch {
	case strings.Contains(r.token, " "):
		hr.Header.Set("Authorization", r.token)
	case r.token != "" && r.token != coretest.Anonymous:
		hr.Header.Set("Authorization", "Token "+tokens[r.token])
	}
	for k, v := range r.header {
		if v == "" {
			hr.Header.Del(k)
		} else {
			hr.Header.Set(k, v)
		}
	}
	c := client
	if r.from != "" {
		c = clientFrom(r.from)
	}
	res, err := c.Do(hr)
	if err != nil {
		t.Errorf("%s %s: %v", r.method, r.path, err)
		return response{}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Errorf("%s %s: read the body: %v", r.method, r.path, err)
	}
	out := response{status: res.StatusCode, header: res.Header, body: string(b)}
	for _, l := range leaks {
		if strings.Contains(out.body, l) {
			t.Errorf("%s %s: body leaks %q: %s", r.method, r.path, l, out.body)
		}
	}
	if out.status >= 400 && !strings.HasPrefix(out.body, "{") && r.method != http.MethodHead {
		t.Errorf("%s %s: error body is not a JSON object: %q", r.method, r.path, out.body)
	}
	if out.status == http.StatusInternalServerError && !r.serverError {
		t.Errorf("%s %s: 500: %s", r.method, r.path, out.body)
	}
	return out
}

// check compares a response with the expected status and body; a body
// "*" means any.
func (res response) check(t testing.TB, what string, status int, body string) {
	t.Helper()
	if res.status != status || (body != "*" && res.body != body) {
		t.Errorf("%s:\n got %d %s\nwant %d %s", what, res.status, res.body, status, body)
	}
}

func hexID(id uuid.UUID) string { return strings.ReplaceAll(id.String(), "-", "") }

func detail(msg string) string { return `{"detail":` + strconv.Quote(msg) + `}` }

func configPath(id uuid.UUID) string { return "/api/call-assignment-configurations/" + hexID(id) + "/" }
func callPath(id uuid.UUID) string   { return "/api/proposal-protected-calls/" + hexID(id) + "/" }

const listPath = "/api/call-assignment-configurations/"

// wantConfig is the representation the contract describes, built here with
// fmt rather than with the code under test.
func wantConfig(base string, c *core.Config) string {
	return fmt.Sprintf(`{"uuid":"%s","call":"%s/api/proposal-protected-calls/%s/","call_uuid":"%s","call_name":%s,`+
		`"auto_reassign_on_decline":%t,"max_auto_reassign_attempts":%d,"assignment_expiration_days":%d,`+
		`"send_reminder_before_expiry_days":%d,"created":"%s","modified":"%s"}`,
		hexID(c.UUID), base, hexID(c.CallUUID), hexID(c.CallUUID), strconv.Quote(c.CallName),
		c.AutoReassignOnDecline, c.MaxAutoReassignAttempts, c.AssignmentExpirationDays,
		c.SendReminderBeforeExpiryDays, c.Created.Format(wantTime), c.Modified.Format(wantTime))
}

func wantCall(base string, c *core.Call) string {
	return fmt.Sprintf(`{"uuid":"%s","url":"%s/api/proposal-protected-calls/%s/","name":%s,"description":%s,"state":%s,"created":"%s","modified":"%s"}`,
		hexID(c.UUID), base, hexID(c.UUID), strconv.Quote(c.Name), strconv.Quote(c.Description),
		strconv.Quote(c.State), c.Created.Format(wantTime), c.Modified.Format(wantTime))
}

const wantTime = "2006-01-02T15:04:05.000000-07:00"

// config reads a configuration as staff sees it, straight from the core.
func (e *env) config(t testing.TB, id uuid.UUID) *core.Config {
	t.Helper()
	c, err := e.w.Svc.GetConfig(context.Background(), e.w.Actor(t, coretest.Staff), id)
	if err != nil {
		t.Fatalf("get config %s: %v", id, err)
	}
	return c
}

func (e *env) call(t testing.TB, id uuid.UUID) *core.Call {
	t.Helper()
	c, err := e.w.Svc.GetCall(context.Background(), e.w.Actor(t, coretest.Staff), id)
	if err != nil {
		t.Fatalf("get call %s: %v", id, err)
	}
	return c
}

// configOf finds the configuration of a call, or nil.
func (e *env) configOf(t testing.TB, call uuid.UUID) *core.Config {
	t.Helper()
	items, _, err := e.w.Svc.ListConfigsPage(context.Background(), e.w.Actor(t, coretest.Staff), core.ConfigFilter{CallUUID: &call}, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) == 0 {
		return nil
	}
	return items[0]
}

// list returns a JSON array of representations.
func list(items ...string) string { return "[" + strings.Join(items, ",") + "]" }
