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
				done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--demo", "--database-url", url}, strings.NewReader(""), &out, &errb)
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
					"--graphql-operation-names", "Known, Other2"}, c.flags...)
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
