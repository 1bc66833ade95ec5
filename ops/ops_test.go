package ops_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callcfg/callcfg/db"
	"github.com/callcfg/callcfg/db/dbtest"
	"github.com/callcfg/callcfg/ops"
)

func TestMiddlewareIDsLogsAndCounts(t *testing.T) {
	var logs bytes.Buffer
	o := ops.NewObserver(slog.New(slog.NewJSONHandler(&logs, nil)), nil)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /things/{id}", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, ops.RequestID(r.Context()))
	})
	mux.HandleFunc("/self-routed/", func(w http.ResponseWriter, r *http.Request) {
		ops.SetRoute(r, "self-routed-detail")
		w.WriteHeader(http.StatusTeapot)
	})
	mux.Handle("GET /metrics", o.MetricsHandler())
	srv := httptest.NewServer(o.Middleware(mux))
	defer srv.Close()

	cases := []struct {
		name, path, sentID string
		keepID             bool
	}{
		{"generated id", "/things/1", "", false},
		{"caller's id kept", "/things/2", "lb-abc.123_X", true},
		{"unsafe id replaced", "/things/3", "bad id\twith spaces", false},
		{"too long id replaced", "/things/4", strings.Repeat("a", 65), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", srv.URL+c.path, nil)
			if c.sentID != "" {
				req.Header.Set(ops.RequestIDHeader, c.sentID)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			got := resp.Header.Get(ops.RequestIDHeader)
			if got == "" || string(body) != got {
				t.Fatalf("header %q, handler saw %q", got, body)
			}
			if (got == c.sentID) != c.keepID {
				t.Fatalf("id %q for sent %q", got, c.sentID)
			}
			if !strings.Contains(logs.String(), `"request_id":"`+got+`"`) {
				t.Fatalf("no log line with the id: %s", logs.String())
			}
		})
	}
	resp, _ := http.Get(srv.URL + "/self-routed/x")
	resp.Body.Close()
	for _, m := range []string{"PROPFIND", "BREW", strings.Repeat("X", 1000)} {
		req, _ := http.NewRequest(m, srv.URL+"/things/5", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`callcfg_http_requests_total{code="200",method="GET",route="GET /things/{id}"} 4`,
		`callcfg_http_requests_total{code="418",method="GET",route="self-routed-detail"} 1`,
		`callcfg_http_requests_total{code="405",method="OTHER",route="unmatched"} 3`,
		`callcfg_http_request_duration_seconds_bucket{method="GET",route="GET /things/{id}",le="+Inf"} 4`,
		`go_goroutines`,
	} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestCORS(t *testing.T) {
	h := ops.CORS(ops.ParseOrigins("https://app.example.org/, https://admin.example.org"), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
	}))
	cases := []struct {
		name, method, origin, reqMethod string
		status                          int
		allow                           string
	}{
		{"listed origin", "POST", "https://app.example.org", "", 200, "https://app.example.org"},
		{"preflight", "OPTIONS", "https://admin.example.org", "POST", 204, "https://admin.example.org"},
		{"other origin", "POST", "https://evil.example", "", 200, ""},
		{"no origin", "GET", "", "", 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest(c.method, "/graphql", nil)
			if c.origin != "" {
				req.Header.Set("Origin", c.origin)
			}
			if c.reqMethod != "" {
				req.Header.Set("Access-Control-Request-Method", c.reqMethod)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != c.status || rec.Header().Get("Access-Control-Allow-Origin") != c.allow {
				t.Fatalf("status %d, allow %q", rec.Code, rec.Header().Get("Access-Control-Allow-Origin"))
			}
			if c.status == 204 && !strings.Contains(rec.Header().Get("Access-Control-Allow-Headers"), "Authorization") {
				t.Fatal("preflight does not allow Authorization")
			}
		})
	}
}

func TestReadyz(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		bdb := dbtest.Open(t, url)
		var draining atomic.Bool
		h := ops.Readyz(bdb, 2*time.Second, draining.Load)
		get := func() int {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
			return rec.Code
		}
		if got := get(); got != 200 {
			t.Fatalf("migrated: %d", got)
		}
		draining.Store(true)
		if got := get(); got != 503 {
			t.Fatalf("draining: %d", got)
		}
		draining.Store(false)
		if _, err := db.Rollback(context.Background(), dbtest.Open(t, dbtest.DirectURL(url))); err != nil {
			t.Fatal(err)
		}
		if got := get(); got != 503 {
			t.Fatalf("rolled back: %d", got)
		}
	})
}

func TestAllowedHosts(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	cases := []struct {
		name, allowed, host, path string
		want                      int
	}{
		{"none set allows any", "", "evil.example", "/api/", 204},
		{"exact host", "api.example.org", "api.example.org", "/api/", 204},
		{"exact host with a port", "api.example.org", "api.example.org:8443", "/graphql", 204},
		{"case does not matter", "API.example.org", "api.EXAMPLE.org", "/api/", 204},
		{"another host", "api.example.org", "evil.example", "/api/", 400},
		{"a suffix is not a subdomain", "api.example.org", "xapi.example.org", "/api/", 400},
		{"leading dot: the domain", ".example.org", "example.org", "/api/", 204},
		{"leading dot: a subdomain", ".example.org", "a.b.example.org", "/api/", 204},
		{"leading dot: not a lookalike", ".example.org", "badexample.org", "/api/", 400},
		{"star", "*", "anything", "/api/", 204},
		{"one of several", "a.example, b.example", "b.example", "/api/", 204},
		{"IPv6 literal", "[::1]", "[::1]:8080", "/api/", 204},
		{"probes answer any host", "api.example.org", "10.0.0.7:8080", "/readyz", 204},
		{"healthz too", "api.example.org", "10.0.0.7:8080", "/healthz", 204},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", c.path, nil)
			req.Host = c.host
			rec := httptest.NewRecorder()
			ops.AllowedHosts(ops.ParseHosts(c.allowed), ok).ServeHTTP(rec, req)
			if rec.Code != c.want {
				t.Fatalf("Host %q with %q: %d, want %d", c.host, c.allowed, rec.Code, c.want)
			}
			if c.want == 400 && !strings.Contains(rec.Body.String(), `"detail"`) {
				t.Fatalf("body: %s", rec.Body.String())
			}
		})
	}
}

// The operator's list of operation names is checked whole: a bad entry
// refuses the list, and a refused list leaves the names in use.
func TestOperationNames(t *testing.T) {
	many := make([]string, ops.MaxOperationNames+1)
	for i := range many {
		many[i] = fmt.Sprintf("Op%d", i)
	}
	cases := []struct {
		name, list string
		want       []string
		err        string
	}{
		{"empty", "", nil, ""},
		{"trimmed, empty entries skipped", " Settings, Save ,,_private2", []string{"Settings", "Save", "_private2"}, ""},
		{"64 characters", strings.Repeat("a", 64), []string{strings.Repeat("a", 64)}, ""},
		{"65 characters", strings.Repeat("a", 65), nil, "longer than 64 characters"},
		{"leading digit", "Settings,2fast", nil, `"2fast" is not a GraphQL operation name`},
		{"punctuation", "get-settings", nil, "is not a GraphQL operation name"},
		{"reserved other", "other", nil, "reserved"},
		{"reserved anonymous", "anonymous", nil, "reserved"},
		{"too many", strings.Join(many, ","), nil, "201 GraphQL operation names: at most 200"},
		{"as many as allowed", strings.Join(many[:ops.MaxOperationNames], ","), many[:ops.MaxOperationNames], ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ops.ParseOperationNames(c.list)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one with %q", err, c.err)
				}
				return
			}
			if err != nil || !slices.Equal(got, c.want) {
				t.Fatalf("%q: %v %v", c.list, got, err)
			}
		})
	}

	o := ops.NewObserver(slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err := o.SetOperationNames([]string{"Settings"}); err != nil {
		t.Fatal(err)
	}
	if err := o.SetOperationNames([]string{"Save", "bad name"}); err == nil {
		t.Fatal("a list with a bad name was accepted")
	}
	for _, name := range []string{"Settings", "Save", "Unlisted", ""} {
		o.ObserveGraphQL(name, "query", "ok")
	}
	rec := httptest.NewRecorder()
	o.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{
		`callcfg_graphql_operations_total{operation="Settings",outcome="ok",type="query"} 1`,
		`callcfg_graphql_operations_total{operation="other",outcome="ok",type="query"} 2`,
		`callcfg_graphql_operations_total{operation="anonymous",outcome="ok",type="query"} 1`,
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
