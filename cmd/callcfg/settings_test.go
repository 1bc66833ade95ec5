package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/callcfg/callcfg/db/dbtest"
	"github.com/callcfg/callcfg/ops/opstest"
)

// Every setting goes through one parser: a value that is wrong, from a flag
// or from the environment, stops serve before it opens the database, with
// one line that names the setting and exit status 2. (Before, PLAYGROUND=no
// and INTROSPECTION=off were silently ignored and REQUEST_TIMEOUT=10 fell
// back to the default, while the same values as flags were refused.)
func TestBadSettingsAreRefused(t *testing.T) {
	cases := []struct{ env, value, flagValue string }{
		{"PLAYGROUND", "maybe", ""},
		{"INTROSPECTION", "off", ""},
		{"SUGGESTIONS", "2", ""},
		{"PUBLIC_METRICS", "enabled", ""},
		{"REQUEST_TIMEOUT", "10", "10"},
		{"REQUEST_TIMEOUT", "0s", "0s"},
		{"GRAPHQL_COMPLEXITY", "lots", "0"},
		{"GRAPHQL_DEPTH", "-1", "-1"},
		{"GRAPHQL_TOKENS", "1e3", "0"},
		{"GRAPHQL_ROOT_FIELDS", "x", "0"},
		{"GRAPHQL_MAX_BODY_BYTES", "64k", "0"},
		{"GRAPHQL_OPERATION_NAMES", "1st", "1st"},
		{"MAX_BODY_BYTES", "1MB", "-5"},
		{"DB_MAX_CONNS", "many", "-1"},
		{"DB_PREPARED_STATEMENTS", "sometimes", "sometimes"},
		{"LOGIN_TOKEN_TTL", "1d", "-1h"},
		{"MAX_LOGIN_KEYS", "ten", "-1"},
		{"LOGIN_RATE", "fast", "-1"},
		{"LOGIN_BURST", "0", "0"},
		{"RATE_LIMIT", "NaN", "Inf"},
		{"RATE_BURST", "0", "0"},
		{"LOG_FORMAT", "xml", "xml"},
		{"LOG_LEVEL", "verbose", "verbose"},
		{"PUBLIC_URL", "ftp://x", "example.org"},
		{"READ_HEADER_TIMEOUT", "10", "-1s"},
		{"READ_TIMEOUT", "soon", "-1s"},
		{"WRITE_TIMEOUT", "1", "-1s"},
		{"IDLE_TIMEOUT", "2m30", "-1s"},
		{"DRAIN_DELAY", "5", "-5s"},
		{"SHUTDOWN_TIMEOUT", "20", "-1s"},
		{"SUBSCRIPTIONS_PER_CONNECTION", "many", "0"},
		{"SUBSCRIPTION_CONNECTIONS_PER_KEY", "0", "-1"},
		{"SUBSCRIPTION_BUFFER", "1k", "0"},
		{"SUBSCRIPTION_RECHECK", "60", "100ms"},
		{"FEED_POLL", "5", "1ms"},
	}
	for _, c := range cases {
		flag := "--" + strings.ReplaceAll(strings.ToLower(c.env), "_", "-")
		t.Run(c.env+"="+c.value, func(t *testing.T) {
			t.Setenv(c.env, c.value)
			r := callcfg(t, "", "", "serve", "--addr", "127.0.0.1:0", "--database-url", "postgres://nobody@127.0.0.1:1/none")
			if r.code != 2 || !strings.Contains(r.stderr, flag) || !strings.Contains(r.stderr, c.env) || strings.Contains(r.stderr, "\n") {
				t.Fatalf("exit %d, stderr %q; want 2 and one line naming %s and %s", r.code, r.stderr, flag, c.env)
			}
		})
		if c.flagValue == "" {
			continue
		}
		t.Run(flag+"="+c.flagValue, func(t *testing.T) {
			r := callcfg(t, "", "", "serve", "--addr", "127.0.0.1:0", "--database-url", "postgres://nobody@127.0.0.1:1/none", flag+"="+c.flagValue)
			if r.code != 2 || !strings.Contains(r.stderr, flag) || strings.Contains(r.stderr, "\n") {
				t.Fatalf("exit %d, stderr %q; want 2 and one line naming %s", r.code, r.stderr, flag)
			}
		})
	}
	t.Run("a bad database setting of an admin command", func(t *testing.T) {
		t.Setenv("DB_PREPARED_STATEMENTS", "no")
		r := callcfg(t, "", "", "org", "create", "--name", "x")
		if r.code != 2 || !strings.Contains(r.stderr, "DB_PREPARED_STATEMENTS") {
			t.Fatalf("%+v", r)
		}
	})
}

// A word the parser takes is honoured, from the environment as from a flag:
// PLAYGROUND=no switches GraphiQL off (before, it was ignored and GraphiQL
// stayed on), and INTROSPECTION=false switches introspection off.
func TestSettingsFromTheEnvironmentAreHonoured(t *testing.T) {
	t.Setenv("PLAYGROUND", "no")
	t.Setenv("INTROSPECTION", "false")
	url := dbtest.NewURL(t, "sqlite")
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb opstest.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--drain-delay", "0", "--database-url", url}, strings.NewReader(""), &out, &errb)
	}()
	defer func() { cancel(); <-done }()
	base := "http://" + waitFor(t, &errb, regexp.MustCompile(`listening addr=(\S+)`))
	res, err := http.Get(base + "/graphiql")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("GraphiQL with PLAYGROUND=no: %d", res.StatusCode)
	}
	res, err = http.Post(base+"/graphql", "application/json", strings.NewReader(`{"query":"{ __schema { queryType { name } } }"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), "INTROSPECTION_DISABLED") {
		t.Errorf("introspection with INTROSPECTION=false: %s", body)
	}
}
