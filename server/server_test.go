package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/core/coretest"
	"github.com/callcfg/callcfg/db"
	"github.com/callcfg/callcfg/db/dbtest"
	"github.com/callcfg/callcfg/ops"
	"github.com/callcfg/callcfg/ops/opstest"
	"github.com/callcfg/callcfg/server"
)

type reply struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, method, url, token, body string) reply {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Token "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, string(b)}
}

func hex32(id uuid.UUID) string { return strings.ReplaceAll(id.String(), "-", "") }

func gql(query string) string {
	b, _ := json.Marshal(map[string]string{"query": query})
	return string(b)
}

// The operator's endpoints, the request id and the metrics, through the
// whole handler: REST requests are labelled by their route's template, and
// every log line of a request, a server error's included, carries its id.
func TestOperationsEndpoints(t *testing.T) {
	dbtest.EachDB(t, func(t *testing.T, bdb *bun.DB) {
		w := coretest.Build(t, bdb)
		var logs opstest.Buffer
		cfg := server.DefaultConfig()
		cfg.PublicMetrics = true
		cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		cfg.Observer = ops.NewObserver(cfg.Logger, bdb)
		if err := cfg.Observer.SetOperationNames([]string{"Mine"}); err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(server.New(w.Svc, cfg))
		defer srv.Close()
		staff := w.Tokens[coretest.Staff]

		for _, c := range []struct{ path, want string }{
			{"/healthz", `"ok"`},
			{"/readyz", `"ready"`},
		} {
			if r := do(t, "GET", srv.URL+c.path, "", ""); r.status != 200 || !strings.Contains(r.body, c.want) {
				t.Errorf("%s: %d %s", c.path, r.status, r.body)
			}
		}
		rest := do(t, "GET", srv.URL+"/api/call-assignment-configurations/", staff, "")
		do(t, "GET", srv.URL+"/api/call-assignment-configurations/"+hex32(w.Config)+"/", staff, "")
		graph := do(t, "POST", srv.URL+"/graphql", staff, `{"operationName":"Mine","query":"query Mine { me { username } }"}`)
		bad := do(t, "POST", srv.URL+"/graphql", staff, gql(`{ callAssignmentConfiguration(uuid: "`+hex32(uuid.New())+`") { uuid } nope }`))
		for _, r := range []reply{rest, graph, bad} {
			if len(r.header.Get("X-Request-Id")) < 16 {
				t.Errorf("no request id: %v", r.header)
			}
		}
		m := do(t, "GET", srv.URL+"/metrics", "", "").body
		for _, want := range []string{
			`callcfg_http_requests_total{code="200",method="GET",route="/api/call-assignment-configurations/"} 1`,
			`callcfg_http_requests_total{code="200",method="GET",route="/api/call-assignment-configurations/{uuid}/"} 1`,
			`callcfg_http_requests_total{code="200",method="POST",route="/graphql"}`,
			`callcfg_graphql_operations_total{operation="Mine",outcome="ok",type="query"} 1`,
			`callcfg_graphql_operations_total{operation="anonymous",outcome="GRAPHQL_VALIDATION_FAILED",type="unknown"}`,
			`callcfg_db_statements_total`,
			`go_sql_open_connections{db_name="callcfg"}`,
		} {
			if !strings.Contains(m, want) {
				t.Errorf("metrics lack %s", want)
			}
		}

		// A server error (the database handle closed under the server): its
		// log line and the access line both name the request.
		bdb.Close()
		failed := do(t, "GET", srv.URL+"/api/call-assignment-configurations/"+hex32(w.Config)+"/", staff, "")
		id := failed.header.Get("X-Request-Id")
		if failed.status != 500 || id == "" {
			t.Fatalf("with the database closed: %d %s", failed.status, failed.body)
		}
		var lines []string
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.Contains(line, "request_id="+id) {
				lines = append(lines, line)
			}
		}
		if len(lines) != 2 || !strings.Contains(lines[0], "server error") || !strings.Contains(lines[1], "msg=request") {
			t.Fatalf("log lines of request %s: %q\nall: %s", id, lines, logs.String())
		}
	})
}

// /metrics is served on the public handler only when the operator asks;
// otherwise only on the admin listener (serve's --admin-addr), which serves
// the observer's MetricsHandler.
func TestPublicMetrics(t *testing.T) {
	dbtest.EachDB(t, func(t *testing.T, bdb *bun.DB) {
		w := coretest.Build(t, bdb)
		for _, c := range []struct {
			name   string
			public bool
			status int
		}{
			{"off by default", false, http.StatusNotFound},
			{"--public-metrics", true, http.StatusOK},
		} {
			t.Run(c.name, func(t *testing.T) {
				cfg := server.DefaultConfig()
				cfg.Logger = quietLogger()
				cfg.PublicMetrics = c.public
				cfg.Observer = ops.NewObserver(cfg.Logger, bdb)
				srv := httptest.NewServer(server.New(w.Svc, cfg))
				defer srv.Close()
				do(t, "GET", srv.URL+"/healthz", "", "")
				r := do(t, "GET", srv.URL+"/metrics", "", "")
				if r.status != c.status || (c.status == http.StatusOK) != strings.Contains(r.body, "callcfg_http_requests_total") {
					t.Fatalf("public /metrics: %d %.200s", r.status, r.body)
				}
				admin := httptest.NewServer(cfg.Observer.MetricsHandler())
				defer admin.Close()
				if m := do(t, "GET", admin.URL, "", "").body; !strings.Contains(m, `callcfg_http_requests_total{code="200",method="GET",route="GET /healthz"} 1`) {
					t.Fatalf("admin metrics: %.300s", m)
				}
			})
		}
	})
}

// Nothing a client sends becomes a label: operation names the operator did
// not list count as "other" however many and however long, and invented
// HTTP methods as "OTHER".
func TestMetricLabelsBounded(t *testing.T) {
	dbtest.EachDB(t, func(t *testing.T, bdb *bun.DB) {
		w := coretest.Build(t, bdb)
		cfg := server.DefaultConfig()
		cfg.Logger = quietLogger()
		cfg.Observer = ops.NewObserver(cfg.Logger, bdb)
		if err := cfg.Observer.SetOperationNames([]string{"Settings", "Mine"}); err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(server.New(w.Svc, cfg))
		defer srv.Close()
		staff := w.Tokens[coretest.Staff]

		const invented = 300
		for i := range invented {
			name := fmt.Sprintf("Op%04d_%s", i, strings.Repeat("x", 4000))
			body, _ := json.Marshal(map[string]string{"query": "query " + name + " { __typename }", "operationName": name})
			if i%2 == 1 { // the name in the document only
				body, _ = json.Marshal(map[string]string{"query": "query " + name + " { __typename }"})
			}
			if r := do(t, "POST", srv.URL+"/graphql", "", string(body)); r.status != 200 || !strings.Contains(r.body, `"__typename":"Query"`) {
				t.Fatalf("operation %d: %d %.200s", i, r.status, r.body)
			}
		}
		do(t, "POST", srv.URL+"/graphql", staff, `{"query":"query Mine { me { username } }"}`)
		do(t, "POST", srv.URL+"/graphql", "", `{"query":"{ __typename }"}`)
		for i := range 50 {
			do(t, fmt.Sprintf("BREW%02d", i), srv.URL+"/graphql", "", "")
			do(t, fmt.Sprintf("BREW%02d", i), srv.URL+"/api/call-assignment-configurations/", staff, "")
		}
		do(t, "DELETE", srv.URL+"/graphql", "", "")

		metrics := httptest.NewServer(cfg.Observer.MetricsHandler())
		defer metrics.Close()
		byOp := series(do(t, "GET", metrics.URL, "", "").body, "callcfg_graphql_operations_total", "operation")
		if want := map[string]float64{"other": invented, "Mine": 1, "anonymous": 1}; !equalCounts(byOp, want) {
			t.Errorf("%d operation labels: %.300s, want %v", len(byOp), fmt.Sprint(byOp), want)
		}
		methods := series(do(t, "GET", metrics.URL, "", "").body, "callcfg_http_requests_total", "method")
		if want := map[string]float64{"POST": invented + 2, "OTHER": 100, "DELETE": 1}; !equalCounts(methods, want) {
			t.Errorf("%d method labels: %.300s, want %v", len(methods), fmt.Sprint(methods), want)
		}
	})
}

// series sums the samples of one metric by the value of one label.
func series(metrics, name, label string) map[string]float64 {
	out := map[string]float64{}
	re := regexp.MustCompile(`^` + name + `\{.*\b` + label + `="([^"]*)".*\} (\S+)$`)
	for _, line := range strings.Split(metrics, "\n") {
		if m := re.FindStringSubmatch(line); m != nil {
			v, _ := strconv.ParseFloat(m[2], 64)
			out[m[1]] += v
		}
	}
	return out
}

func equalCounts(got, want map[string]float64) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

// While PostgreSQL is unreachable requests fail fast and clearly, /readyz
// says so, /healthz does not, and the service recovers by itself.
func TestDatabaseOutage(t *testing.T) {
	url := dbtest.NewURL(t, "postgres")
	w := coretest.Build(t, dbtest.Open(t, url))
	proxy, proxied := dbtest.NewProxy(t, url)
	ctx := context.Background()
	bdb, err := db.Open(ctx, proxied, db.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	cfg := server.DefaultConfig()
	cfg.RequestTimeout = time.Second
	srv := httptest.NewServer(server.New(core.New(bdb), cfg))
	defer srv.Close()
	staff := w.Tokens[coretest.Staff]
	detail := srv.URL + "/api/call-assignment-configurations/" + hex32(w.Config) + "/"
	query := gql(`{ callAssignmentConfiguration(uuid: "` + hex32(w.Config) + `") { uuid } }`)

	if r := do(t, "GET", detail, staff, ""); r.status != 200 {
		t.Fatalf("before: %d %s", r.status, r.body)
	}
	for _, mode := range []struct {
		name string
		mode int32
	}{{"refused", dbtest.Refuse}, {"black hole", dbtest.Blackhole}} {
		t.Run(mode.name, func(t *testing.T) {
			proxy.Set(mode.mode)
			start := time.Now()
			r := do(t, "GET", detail, staff, "")
			if r.status != 503 || !strings.Contains(r.body, `"detail"`) || strings.Contains(r.body, "dial") {
				t.Errorf("REST: %d %s", r.status, r.body)
			}
			g := do(t, "POST", srv.URL+"/graphql", staff, query)
			if !strings.Contains(g.body, `"UNAVAILABLE"`) {
				t.Errorf("GraphQL: %d %s", g.status, g.body)
			}
			if elapsed := time.Since(start); elapsed > 5*time.Second {
				t.Errorf("two requests took %v; each should fail within about a second", elapsed)
			}
			if r := do(t, "GET", srv.URL+"/readyz", "", ""); r.status != 503 {
				t.Errorf("readyz: %d %s", r.status, r.body)
			}
			if r := do(t, "GET", srv.URL+"/healthz", "", ""); r.status != 200 {
				t.Errorf("healthz: %d", r.status)
			}
			proxy.Set(dbtest.Pass)
			recovered := false
			for range 20 {
				if r := do(t, "GET", detail, staff, ""); r.status == 200 {
					recovered = true
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if !recovered {
				t.Fatal("the service did not recover after the database came back")
			}
			if r := do(t, "GET", srv.URL+"/readyz", "", ""); r.status != 200 {
				t.Errorf("readyz after recovery: %d %s", r.status, r.body)
			}
		})
	}
}

// Two replicas on one database: they migrate together without racing, each
// sees the other's writes at once, and interleaved updates lose nothing;
// directly and through PgBouncer (where they migrate over the direct URL).
func TestTwoReplicas(t *testing.T) {
	for _, kind := range dbtest.PostgresKinds() {
		t.Run(kind, func(t *testing.T) { testTwoReplicas(t, dbtest.NewURL(t, kind)) })
	}
}

func testTwoReplicas(t *testing.T, url string) {
	w := coretest.Build(t, dbtest.Open(t, url))
	ctx := context.Background()
	if _, err := db.Rollback(ctx, dbtest.Open(t, dbtest.DirectURL(url))); err != nil {
		t.Fatal(err)
	}
	// The rollback dropped the world; the replicas migrate afresh, together.
	replicas := make([]*httptest.Server, 2)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bdb := dbtest.Open(t, url)
			if _, errs[i] = db.Migrate(ctx, dbtest.Open(t, dbtest.DirectURL(url))); errs[i] == nil {
				replicas[i] = httptest.NewServer(server.New(core.New(bdb), server.DefaultConfig()))
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d migrate: %v", i, err)
		}
		defer replicas[i].Close()
	}
	w = coretest.Build(t, dbtest.Open(t, url))
	staff := w.Tokens[coretest.Staff]
	a, b := replicas[0].URL, replicas[1].URL
	path := "/api/call-assignment-configurations/" + hex32(w.Config) + "/"

	// Read-your-neighbour's-write, alternating replicas.
	for i := range 6 {
		writer, reader := a, b
		if i%2 == 1 {
			writer, reader = b, a
		}
		body := fmt.Sprintf(`{"max_auto_reassign_attempts": %d}`, 10+i)
		if r := do(t, "PATCH", writer+path, staff, body); r.status != 200 {
			t.Fatalf("patch: %d %s", r.status, r.body)
		}
		if r := do(t, "GET", reader+path, staff, ""); !strings.Contains(r.body, fmt.Sprintf(`"max_auto_reassign_attempts":%d`, 10+i)) {
			t.Fatalf("replica does not see the other's write: %s", r.body)
		}
		q := gql(`{ callAssignmentConfiguration(uuid: "` + hex32(w.Config) + `") { maxAutoReassignAttempts } }`)
		if r := do(t, "POST", reader+"/graphql", staff, q); !strings.Contains(r.body, fmt.Sprintf(`"maxAutoReassignAttempts":%d`, 10+i)) {
			t.Fatalf("GraphQL on the other replica: %s", r.body)
		}
	}

	// Concurrent updates of different fields through both replicas.
	fields := []string{"max_auto_reassign_attempts", "assignment_expiration_days", "send_reminder_before_expiry_days"}
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			target := []string{a, b}[i%2]
			body := fmt.Sprintf(`{"%s": %d}`, fields[i%3], 1000+i%3)
			if r := do(t, "PATCH", target+path, staff, body); r.status != 200 {
				t.Errorf("concurrent patch: %d %s", r.status, r.body)
			}
		}()
	}
	wg.Wait()
	final := do(t, "GET", a+path, staff, "").body
	for i, f := range fields {
		if !strings.Contains(final, fmt.Sprintf(`"%s":%d`, f, 1000+i)) {
			t.Errorf("lost update of %s: %s", f, final)
		}
	}
	// Creating the same configuration through both replicas at once: one wins.
	var statuses [2]int
	for i, target := range []string{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = do(t, "POST", target+"/api/call-assignment-configurations/", staff, `{"call": "`+hex32(w.Bare)+`"}`).status
		}()
	}
	wg.Wait()
	if !(statuses == [2]int{201, 400} || statuses == [2]int{400, 201}) {
		t.Fatalf("racing creates through two replicas: %v", statuses)
	}
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
