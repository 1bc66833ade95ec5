package core_test

import (
	"context"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/core/coretest"
	"github.com/callcfg/callcfg/db/dbtest"
)

func TestAuthenticateHeader(t *testing.T) {
	dbtest.EachDB(t, func(t *testing.T, bdb *bun.DB) {
		w := coretest.Build(t, bdb)
		ctx := context.Background()
		key := w.Tokens[coretest.Manager]
		expiring, err := w.Svc.CreateToken(ctx, coretest.Reviewer, time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
		revoked, _ := w.Svc.CreateToken(ctx, coretest.Outsider, 0)
		if n, err := w.Svc.RevokeTokens(ctx, coretest.Outsider); err != nil || n != 2 {
			t.Fatalf("revoke: %d %v", n, err)
		}
		cases := []struct {
			header   string
			user     string // "" = anonymous
			errorMsg string
		}{
			{"", "", ""},
			{"Basic dXNlcjpwYXNz", "", ""},
			{"Token " + key, coretest.Manager, ""},
			{"token " + key, coretest.Manager, ""},
			{"TOKEN " + key, coretest.Manager, ""},
			{"Bearer " + key, coretest.Manager, ""},
			{"Token", "", "Invalid token header. No credentials provided."},
			{"Token a b", "", "Invalid token header. Token string should not contain spaces."},
			{"Token 0000000000000000000000000000000000000000", "", core.MsgInvalidToken},
			{"Token " + expiring, "", core.MsgInvalidToken},
			{"Token " + revoked, "", core.MsgInvalidToken},
		}
		for _, c := range cases {
			a, err := w.Svc.AuthenticateHeader(ctx, c.header)
			if c.errorMsg != "" {
				if e := core.AsError(err); e.Kind != core.KindUnauthenticated || e.Message != c.errorMsg {
					t.Errorf("%q: got %v, want %q", c.header, err, c.errorMsg)
				}
				continue
			}
			if err != nil {
				t.Errorf("%q: %v", c.header, err)
				continue
			}
			got := ""
			if a.User != nil {
				got = a.User.Username
			}
			if got != c.user {
				t.Errorf("%q: user %q, want %q", c.header, got, c.user)
			}
		}
	})
}

func TestLogin(t *testing.T) {
	dbtest.EachDB(t, func(t *testing.T, bdb *bun.DB) {
		w := coretest.Build(t, bdb)
		ctx := context.Background()
		key, err := w.Svc.Login(ctx, core.Credentials{Username: coretest.Manager, Password: coretest.DefaultPassword})
		if err != nil {
			t.Fatal(err)
		}
		a, err := w.Svc.Authenticate(ctx, key)
		if err != nil || a.User.Username != coretest.Manager {
			t.Fatalf("issued key: %v %v", a, err)
		}
		for _, c := range [][2]string{
			{coretest.Manager, "wrong"},
			{"nobody", coretest.DefaultPassword},
			{coretest.Reviewer, coretest.DefaultPassword}, // key-only user
		} {
			_, err := w.Svc.Login(ctx, core.Credentials{Username: c[0], Password: c[1]})
			if e := core.AsError(err); e.Kind != core.KindInvalid || e.Fields[core.NonFieldErrors][0] != core.MsgBadCredentials {
				t.Errorf("%v: %v", c, err)
			}
		}
		_, err = w.Svc.Login(ctx, core.Credentials{})
		assertFields(t, core.AsError(err).Fields, core.FieldErrors{"username": {core.MsgRequired}, "password": {core.MsgRequired}})
	})
}
