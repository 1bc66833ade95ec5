// Package servertest runs the whole service for tests of either face and
// of both together: coretest's world on a fresh database of each kind,
// served over real HTTP by server.New, with plain helpers to call both
// faces as any of the world's actors. What is particular to one face (its
// response shapes, its assertions) stays in that face's tests.
package servertest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/callcfg/callcfg/core/coretest"
	"github.com/callcfg/callcfg/db/dbtest"
	"github.com/callcfg/callcfg/feed"
	"github.com/callcfg/callcfg/ops"
	"github.com/callcfg/callcfg/server"
)

// Env is one world on one database, served by one server.
type Env struct {
	W   *coretest.World
	DB  *bun.DB
	Srv *httptest.Server
	// URL is the database's (through PgBouncer for that kind).
	URL string
	// Feed is the live feed's hub when ServeFeed made one.
	Feed *feed.Hub
	// ListenURL, when set, is where ServeFeed's hub listens for
	// notifications; otherwise the direct URL of URL.
	ListenURL string
}

// New builds the world on the database at dbURL and serves it with the
// default settings changed by configure.
func New(t testing.TB, dbURL string, configure ...func(*server.Config)) *Env {
	t.Helper()
	bdb := dbtest.Open(t, dbURL)
	e := Serving(t, coretest.Build(t, bdb), bdb, configure...)
	e.URL = dbURL
	return e
}

// Serving serves a world already built on bdb (with core options of its
// own, say).
func Serving(t testing.TB, w *coretest.World, bdb *bun.DB, configure ...func(*server.Config)) *Env {
	e := &Env{W: w, DB: bdb}
	e.Srv = e.Serve(t, configure...)
	return e
}

// Each runs fn once per database kind, each with a fresh Env.
func Each(t *testing.T, fn func(t *testing.T, e *Env), configure ...func(*server.Config)) {
	t.Helper()
	dbtest.Each(t, func(t *testing.T, url string) {
		fn(t, New(t, url, configure...))
	})
}

// Serve serves e's world once more, with other settings; the server stops
// when the test ends.
func (e *Env) Serve(t testing.TB, configure ...func(*server.Config)) *httptest.Server {
	cfg := server.DefaultConfig()
	for _, f := range configure {
		f(&cfg)
	}
	srv := httptest.NewServer(server.New(e.W.Svc, cfg))
	t.Cleanup(srv.Close)
	return srv
}

// Token is the API key of the world's actor ("" for the anonymous one).
func (e *Env) Token(actor string) string {
	if actor == coretest.Anonymous {
		return ""
	}
	return e.W.Tokens[actor]
}

// Call sends method path (body, when not nil, as JSON) as actor and
// decodes a JSON answer; a transport failure fails the test.
func (e *Env) Call(t testing.TB, actor, method, path string, body any) (*http.Response, any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.Srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok := e.Token(actor); tok != "" {
		req.Header.Set("Authorization", "Token "+tok)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var v any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatalf("%s %s: not JSON (%d): %s", method, path, res.StatusCode, raw)
		}
	}
	return res, v
}

// GraphQL posts a query with its variables as actor and returns the
// decoded answer.
func (e *Env) GraphQL(t testing.TB, actor, query string, vars map[string]any) (*http.Response, any) {
	t.Helper()
	body := map[string]any{"query": query}
	if vars != nil {
		body["variables"] = vars
	}
	return e.Call(t, actor, http.MethodPost, "/graphql", body)
}

// Dig reads decoded JSON by a dotted path; numbers index lists. A step
// that is not there gives nil.
func Dig(v any, path string) any {
	if path == "" {
		return v
	}
	for _, step := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[step]
		case []any:
			i, err := strconv.Atoi(step)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// ServeFeed serves e's world once more with a live feed: a hub woken as
// serve wakes it (LISTEN over the direct URL on PostgreSQL, this process's
// writes on SQLite). The hub closes before the server when the test ends,
// so that no stream holds the server's Close.
func (e *Env) ServeFeed(t testing.TB, opts feed.Options, configure ...func(*server.Config)) *httptest.Server {
	t.Helper()
	obs := ops.NewObserver(slog.Default(), e.DB)
	opts.Metrics = obs
	hub := feed.New(e.W.Svc, opts)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); hub.Run(ctx) }()
	go func() {
		defer wg.Done()
		listen := e.ListenURL
		if listen == "" {
			listen = dbtest.DirectURL(e.URL)
		}
		e.W.Svc.WatchFeed(ctx, listen, time.Second, slog.Default(), hub.Wake)
	}()
	srv := e.Serve(t, append(configure, func(c *server.Config) {
		c.Feed, c.Observer = hub, obs
	})...)
	t.Cleanup(func() {
		hub.Close()
		cancel()
		wg.Wait()
	})
	e.Feed = hub
	return srv
}
