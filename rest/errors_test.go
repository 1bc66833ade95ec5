package rest_test

import (
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/core/coretest"
	"github.com/callcfg/callcfg/db/dbtest"
	"github.com/callcfg/callcfg/ops/opstest"
	"github.com/callcfg/callcfg/rest"
	"github.com/callcfg/callcfg/server"
)

func captureLog() (*slog.Logger, *opstest.Buffer) {
	buf := &opstest.Buffer{}
	return slog.New(slog.NewTextHandler(buf, nil)), buf
}

const serverError = `{"detail":"A server error occurred."}`

// TestServerErrors: a failure inside is a JSON 500 that shows nothing of
// its cause, which goes to the log instead.
func TestServerErrors(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, e *env) {
		logger, logs := captureLog()
		srv := newServer(t, e, func(c *server.Config) { c.Logger = logger })
		_ = e.bdb.Close()
		for _, r := range []req{
			{method: "GET", path: listPath, token: coretest.Staff},
			{method: "GET", path: configPath(e.w.Config), token: coretest.Staff},
			{method: "PATCH", path: configPath(e.w.Config), token: coretest.Staff, body: `{"max_auto_reassign_attempts": 1}`},
			{method: "POST", path: "/api-auth/password/", body: `{"username": "staff", "password": "x"}`},
		} {
			r.serverError = true
			doURL(t, srv.URL, e.w.Tokens, r).check(t, r.method+" "+r.path+" on a closed database", 500, serverError)
		}
		if out := logs.String(); !strings.Contains(out, "database is closed") || !strings.Contains(out, "rest: server error") {
			t.Errorf("the cause is not logged:\n%s", out)
		}
	})
}

// TestPanic: a panic below a handler is a logged 500, not a dropped connection.
func TestPanic(t *testing.T) {
	t.Parallel()
	logger, logs := captureLog()
	// A service without a database panics on its first query.
	srv := httptest.NewServer(rest.New(&core.Service{}, rest.Options{Logger: logger}))
	defer srv.Close()
	doURL(t, srv.URL, nil, req{method: "GET", path: listPath, token: "Token abc", serverError: true}).check(t, "panic", 500, serverError)
	if out := logs.String(); !strings.Contains(out, "panic") || !strings.Contains(out, "goroutine") {
		t.Errorf("the panic is not logged with its stack:\n%s", out)
	}
}

// TestDatabaseUnavailable: with PostgreSQL cut away, requests get a JSON
// 503 telling the client to retry, and recover when it is back. (SQLite is
// a file in the process: it cannot become unreachable.)
func TestDatabaseUnavailable(t *testing.T) {
	t.Parallel()
	proxy, url := dbtest.NewProxy(t, dbtest.NewURL(t, "postgres"))
	var bdb *bun.DB = dbtest.Open(t, url)
	w := coretest.Build(t, bdb)
	logger, logs := captureLog()
	srv := httptest.NewServer(rest.New(w.Svc, rest.Options{Logger: logger}))
	defer srv.Close()
	r := req{method: "GET", path: configPath(w.Config), token: coretest.Manager}
	doURL(t, srv.URL, w.Tokens, r).check(t, "before", 200, "*")
	proxy.Set(dbtest.Refuse)
	for range 3 {
		doURL(t, srv.URL, w.Tokens, r).check(t, "cut", 503, `{"detail":"`+core.MsgUnavailable+`"}`)
	}
	proxy.Set(dbtest.Pass)
	doURL(t, srv.URL, w.Tokens, r).check(t, "after", 200, "*")
	if !strings.Contains(logs.String(), "database unavailable") {
		t.Errorf("the outage is not logged:\n%s", logs.String())
	}
}
