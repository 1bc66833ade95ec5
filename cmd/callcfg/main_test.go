package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/db/dbtest"
)

type result struct {
	code           int
	stdout, stderr string
}

func callcfg(t *testing.T, dbURL, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	if dbURL != "" && len(args) > 0 {
		args = append(args, "--database-url", dbURL)
		if direct := dbtest.DirectURL(dbURL); direct != dbURL {
			args = append(args, "--database-direct-url", direct)
		}
	}
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return result{code, strings.TrimSpace(out.String()), strings.TrimSpace(errb.String())}
}

func (r result) must(t *testing.T) string {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	return r.stdout
}

func TestAdminFlows(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		org := callcfg(t, url, "", "org", "create", "--name", "Council").must(t)
		call := callcfg(t, url, "", "call", "create", "--name", "HPC 2026", "--org", org, "--state", "active").must(t)
		callcfg(t, url, "", "user", "create", "--username", "ann", "--email", "ann@example.org").must(t)
		callcfg(t, url, "s3cret\n", "user", "create", "--username", "boss", "--staff", "--password-stdin").must(t)
		key := callcfg(t, url, "", "token", "create", "--username", "ann", "--ttl", "1h").must(t)
		callcfg(t, url, "", "role", "grant", "--username", "ann", "--call", call, "--role", "manager").must(t)
		callcfg(t, url, "", "role", "grant", "--username", "ann", "--org", org, "--role", "call_organizer").must(t)

		svc := core.New(dbtest.Open(t, url))
		ctx := context.Background()
		ann, err := svc.Authenticate(ctx, key)
		if err != nil {
			t.Fatalf("the printed key does not work: %v", err)
		}
		if _, err := svc.Login(ctx, core.Credentials{Username: "boss", Password: "s3cret"}); err != nil {
			t.Fatalf("password from stdin: %v", err)
		}
		callID := mustUUID(t, call)
		cfg, err := svc.CreateConfig(ctx, ann, core.Some(callID), core.Patch{})
		if err != nil {
			t.Fatalf("manager role did not take: %v", err)
		}

		file := filepath.Join(t.TempDir(), "calls.jsonl")
		callcfg(t, url, "", "call", "export", "--file", file).must(t)
		exported, _ := os.ReadFile(file)
		if !strings.Contains(string(exported), `"max_auto_reassign_attempts":3`) {
			t.Fatalf("export: %s", exported)
		}
		other := dbtest.NewURL(t, kindOf(url))
		if n := callcfg(t, other, "", "call", "import", "--file", file).must(t); n != "1" {
			t.Fatalf("import printed %q", n)
		}

		callcfg(t, url, "", "role", "revoke", "--username", "ann", "--call", call, "--role", "manager").must(t)
		if _, err := svc.UpdateConfig(ctx, ann, cfg.UUID, core.Patch{}, core.Precondition{}); core.KindOf(err) != core.KindNotFound {
			t.Fatalf("after revoking the only role on the call: %v, want not found", err)
		}
		if n := callcfg(t, url, "", "token", "revoke", "--username", "ann").must(t); n != "1" {
			t.Fatalf("revoke printed %q", n)
		}
		if _, err := svc.Authenticate(ctx, key); err == nil {
			t.Fatal("revoked key still works")
		}
		callcfg(t, url, "", "call", "delete", "--uuid", call).must(t)
		if r := callcfg(t, url, "", "call", "delete", "--uuid", call); r.code != 1 || !strings.Contains(r.stderr, "No Call matches") {
			t.Fatalf("second delete: %+v", r)
		}
		if st := callcfg(t, url, "", "migrate", "status").must(t); !strings.Contains(st, "applied") {
			t.Fatalf("status: %q", st)
		}
	})
}

func TestBadInvocations(t *testing.T) {
	url := dbtest.NewURL(t, "sqlite")
	org := callcfg(t, url, "", "org", "create", "--name", "Council").must(t)
	cases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no command", nil, 2, `expected one of "serve"`},
		{"unknown command", []string{"frobnicate", "x"}, 2, "unexpected argument frobnicate"},
		{"missing flag", []string{"user", "create"}, 2, "missing flags: --username"},
		{"unknown flag", []string{"org", "create", "--nme", "x"}, 2, "unknown flag --nme"},
		{"bad uuid", []string{"call", "create", "--name", "x", "--org", "nope"}, 2, "is not a uuid"},
		{"bad state", []string{"call", "create", "--name", "x", "--org", org, "--state", "open"}, 1, `state: "open" is not a valid choice.`},
		{"unknown org", []string{"call", "create", "--name", "x", "--org", "6f1c3a52-2f4e-4d6b-9a51-0c7d7d0f0001"}, 1, "organisation: No organisation"},
		{"duplicate user", []string{"user", "create", "--username", "dup"}, 1, "already exists"},
		{"role on the wrong target", []string{"role", "grant", "--username", "dup", "--org", org, "--role", "manager"}, 1, "call_organizer"},
		{"both targets", []string{"role", "grant", "--username", "dup", "--org", org, "--call", org, "--role", "manager"}, 2, "exactly one"},
		{"bad migrate action", []string{"migrate", "sideways"}, 2, `must be one of "up","down","status"`},
		{"negative ttl", []string{"token", "create", "--username", "dup", "--ttl=-1h"}, 2, "negative"},
		{"negative login key lifetime", []string{"serve", "--login-token-ttl", "-1h"}, 2, "--login-token-ttl"},
		{"negative login key cap", []string{"serve", "--max-login-keys", "-1"}, 2, "--max-login-keys"},
		{"negative login rate", []string{"serve", "--login-rate", "-1"}, 2, "--login-rate"},
		{"no login burst", []string{"serve", "--login-burst", "0"}, 2, "--login-burst"},
		{"rate limit not a number", []string{"serve", "--rate-limit", "NaN"}, 2, "--rate-limit"},
		{"no rate burst", []string{"serve", "--rate-burst", "0"}, 2, "--rate-burst"},
		{"missing import file", []string{"call", "import", "--file", "/nonexistent/x.jsonl"}, 1, "no such file"},
	}
	callcfg(t, url, "", "user", "create", "--username", "dup").must(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := callcfg(t, url, "", c.args...)
			if r.code != c.code || !strings.Contains(r.stderr, c.msg) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", r.code, r.stderr, c.code, c.msg)
			}
			if strings.Count(r.stderr, "\n") > 0 && c.code == 1 {
				t.Fatalf("error is not one line: %q", r.stderr)
			}
		})
	}
	t.Run("unreachable database", func(t *testing.T) {
		r := callcfg(t, "postgres://postgres@127.0.0.1:1/x?sslmode=disable", "", "org", "create", "--name", "x")
		if r.code != 1 || !strings.HasPrefix(r.stderr, "callcfg: cannot reach database") || strings.Contains(r.stderr, "\n") {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("unsupported url", func(t *testing.T) {
		r := callcfg(t, "mysql://x", "", "org", "create", "--name", "x")
		if r.code != 1 || !strings.Contains(r.stderr, "unsupported scheme") {
			t.Fatalf("%+v", r)
		}
	})
}

func kindOf(url string) string {
	if strings.HasPrefix(url, "sqlite") {
		return "sqlite"
	}
	return "postgres"
}
