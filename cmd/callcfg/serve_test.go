package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/db/dbtest"
	"github.com/callcfg/callcfg/ops/opstest"
)

// serve --demo on a fresh database prints keys that work, answers on the
// printed address, and exits cleanly when told to stop.
func TestServeDemo(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		for round := range 2 { // the second run finds data and issues fresh keys
			ctx, cancel := context.WithCancel(context.Background())
			var out, errb opstest.Buffer
			done := make(chan int, 1)
			go func() {
				done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--demo", "--drain-delay", "0", "--database-url", url}, strings.NewReader(""), &out, &errb)
			}()
			addr := waitFor(t, &errb, regexp.MustCompile(`listening addr=(\S+)`))
			key := waitFor(t, &out, regexp.MustCompile(`admin\s+([0-9a-f]{40})`))
			if round == 1 && !strings.Contains(out.String(), "nothing seeded") {
				t.Errorf("second run output: %s", out.String())
			}
			resp, err := http.Get("http://" + addr + "/healthz")
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("healthz: %v %v", resp, err)
			}
			resp.Body.Close()
			svc := core.New(dbtest.Open(t, url))
			a, err := svc.Authenticate(context.Background(), key)
			if err != nil || !a.User.IsStaff {
				t.Fatalf("printed admin key: %v", err)
			}
			items, total, err := svc.ListConfigsPage(context.Background(), a, core.ConfigFilter{}, 0, 10)
			if err != nil || total != 1 || !items[0].AutoReassignOnDecline {
				t.Fatalf("demo data: %v %d %v", items, total, err)
			}
			cancel()
			select {
			case code := <-done:
				if code != 0 {
					t.Fatalf("serve exited %d: %s", code, errb.String())
				}
			case <-time.After(10 * time.Second):
				t.Fatal("serve did not stop")
			}
		}
	})
}

func waitFor(t *testing.T, b *opstest.Buffer, re *regexp.Regexp) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(b.String()); m != nil {
			return m[1]
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no %s in %q", re, b.String())
	return ""
}

// On SIGTERM the replica drains: /readyz says 503 at once while the
// listener still answers, so a load balancer stops routing here before
// connections are refused; then the process exits cleanly.
func TestServeDrainsBeforeClosing(t *testing.T) {
	url := dbtest.NewURL(t, "sqlite")
	ctx, cancel := context.WithCancel(context.Background())
	hurry, hurryNow := context.WithCancel(context.Background())
	var out, errb opstest.Buffer
	done := make(chan int, 1)
	go func() {
		done <- runWith(ctx, hurry, []string{"serve", "--addr", "127.0.0.1:0", "--drain-delay", "1h", "--database-url", url}, strings.NewReader(""), &out, &errb)
	}()
	addr := waitFor(t, &errb, regexp.MustCompile(`listening addr=(\S+)`))
	status := func(path string) int {
		t.Helper()
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := status("/readyz"); got != 200 {
		t.Fatalf("readyz before: %d", got)
	}
	cancel() // what SIGTERM does
	waitFor(t, &errb, regexp.MustCompile(`(draining)`))
	if got := status("/readyz"); got != 503 {
		t.Fatalf("readyz while draining: %d", got)
	}
	if got := status("/healthz"); got != 200 {
		t.Fatalf("healthz while draining: %d", got)
	}
	select {
	case code := <-done:
		t.Fatalf("serve exited (%d) before its drain delay", code)
	default:
	}
	hurryNow() // what a second SIGTERM does
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d: %s", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a second signal did not cut the drain short")
	}
}

// The throttling settings reach the core, as flags and as environment
// variables: a key past --rate-burst and a client past LOGIN_BURST get 429,
// and a login key lives --login-token-ttl.
func TestServeThrottles(t *testing.T) {
	t.Setenv("RATE_BURST", "2")
	t.Setenv("LOGIN_BURST", "1")
	dbtest.Each(t, func(t *testing.T, url string) {
		callcfg(t, url, "s3cret\n", "user", "create", "--username", "boss", "--password-stdin").must(t)
		key := callcfg(t, url, "", "token", "create", "--username", "boss").must(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var out, errb opstest.Buffer
		done := make(chan int, 1)
		go func() {
			done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--database-url", url,
				"--rate-limit", "0.001", "--login-rate", "0.001", "--login-token-ttl", "90m", "--drain-delay", "0"}, strings.NewReader(""), &out, &errb)
		}()
		base := "http://" + waitFor(t, &errb, regexp.MustCompile(`listening addr=(\S+)`))
		status := func(method, path, body string) int {
			t.Helper()
			r, _ := http.NewRequest(method, base+path, strings.NewReader(body))
			if method == "GET" {
				r.Header.Set("Authorization", "Token "+key)
			}
			r.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res.StatusCode
		}
		got := []int{status("GET", "/api/proposal-protected-calls/", ""), status("GET", "/api/proposal-protected-calls/", ""),
			status("GET", "/api/proposal-protected-calls/", "")}
		if got[0] != 200 || got[1] != 200 || got[2] != 429 {
			t.Errorf("three requests with RATE_BURST=2: %v", got)
		}
		login := `{"username": "boss", "password": "s3cret"}`
		if a, b := status("POST", "/api-auth/password/", login), status("POST", "/api-auth/password/", login); a != 200 || b != 429 {
			t.Errorf("two logins with LOGIN_BURST=1: %d %d", a, b)
		}
		q := "SELECT expires, created FROM api_tokens WHERE via_login = ?"
		var expires, created time.Time
		if err := dbtest.Open(t, url).QueryRowContext(context.Background(), q, true).Scan(&expires, &created); err != nil {
			t.Fatal(err)
		}
		if lifetime := expires.Sub(created).Minutes(); lifetime != 90 {
			t.Errorf("a login key lives %v minutes, want 90", lifetime)
		}
		cancel()
		if code := <-done; code != 0 {
			t.Fatalf("serve exited %d: %s", code, errb.String())
		}
	})
}

// /metrics is served on the admin listener; on the main one only with
// --public-metrics. Operation names listed by the operator are labels.
func TestServeMetricsListeners(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		for _, c := range []struct {
			name         string
			flags        []string
			publicStatus int
		}{
			{"admin listener only", nil, http.StatusNotFound},
			{"--public-metrics", []string{"--public-metrics"}, http.StatusOK},
		} {
			t.Run(c.name, func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				var out, errb opstest.Buffer
				done := make(chan int, 1)
				args := append([]string{"serve", "--addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--database-url", url,
					"--graphql-operation-names", "Known, Other2", "--drain-delay", "0"}, c.flags...)
				go func() { done <- run(ctx, args, strings.NewReader(""), &out, &errb) }()
				stopped := false
				defer func() { // also when the test fails midway: no server left running
					if !stopped {
						cancel()
						<-done
					}
				}()
				addr := waitFor(t, &errb, regexp.MustCompile(`listening addr=(\S+)`))
				admin := waitFor(t, &errb, regexp.MustCompile(`admin listener \(pprof, metrics\)" addr=(\S+)`))
				for _, name := range []string{"Known", "Unknown"} {
					resp, err := http.Post("http://"+addr+"/graphql", "application/json", strings.NewReader(`{"query":"query `+name+` { __typename }"}`))
					if err != nil {
						t.Fatal(err)
					}
					resp.Body.Close()
				}
				get := func(u string) (int, string) {
					resp, err := http.Get(u)
					if err != nil {
						t.Fatal(err)
					}
					defer resp.Body.Close()
					b, _ := io.ReadAll(resp.Body)
					return resp.StatusCode, string(b)
				}
				status, m := get("http://" + admin + "/metrics")
				for _, want := range []string{
					`callcfg_graphql_operations_total{operation="Known",outcome="ok",type="query"} 1`,
					`callcfg_graphql_operations_total{operation="other",outcome="ok",type="query"} 1`,
				} {
					if status != http.StatusOK || !strings.Contains(m, want) {
						t.Errorf("admin /metrics (%d) lacks %s", status, want)
					}
				}
				if status, _ := get("http://" + addr + "/metrics"); status != c.publicStatus {
					t.Errorf("public /metrics: %d, want %d", status, c.publicStatus)
				}
				cancel()
				stopped = true
				select {
				case code := <-done:
					if code != 0 {
						t.Fatalf("serve exited %d: %s", code, errb.String())
					}
				case <-time.After(10 * time.Second):
					t.Fatal("serve did not stop")
				}
			})
		}
	})
}

// A bad list of operation names stops serve at start-up, before it opens
// the database, with a message that names the setting and the entry.
func TestServeRefusesBadOperationNames(t *testing.T) {
	many := strings.TrimSuffix(strings.Repeat("Op,", 201), ",")
	for _, c := range []struct{ list, want string }{
		{"Settings,get-settings", `--graphql-operation-names: "get-settings" is not a GraphQL operation name`},
		{strings.Repeat("A", 65), "longer than 64 characters"},
		{many, "201 GraphQL operation names: at most 200"},
	} {
		r := callcfg(t, "", "", "serve", "--addr", "127.0.0.1:0", "--database-url", "postgres://nobody@127.0.0.1:1/none", "--graphql-operation-names", c.list)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%.40s: exit %d, %s", c.list, r.code, r.stderr)
		}
	}
	t.Setenv("GRAPHQL_OPERATION_NAMES", "1st")
	if r := callcfg(t, "", "", "serve", "--addr", "127.0.0.1:0", "--database-url", "postgres://nobody@127.0.0.1:1/none"); r.code != 2 || !strings.Contains(r.stderr, `"1st"`) {
		t.Errorf("from the environment: exit %d, %s", r.code, r.stderr)
	}
}
