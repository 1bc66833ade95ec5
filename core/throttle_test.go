package core_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/core/coretest"
	"github.com/callcfg/callcfg/db/dbtest"
)

// TestLoginFailureRows: the failure table holds a row per username that
// failed lately, known or not, and stays bounded: names longer than any
// account's are never recorded, a count idle for ForgetAfter starts again,
// and stale rows are swept.
func TestLoginFailureRows(t *testing.T) {
	dbtest.EachDB(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		clock := coretest.NewClock()
		p := core.DefaultLoginPolicy()
		p.ClientRate, p.ForgetAfter = 0, 24*time.Hour
		w := coretest.Build(t, bdb, core.WithClock(clock.Now), core.WithLoginPolicy(p))
		fail := func(username string) {
			t.Helper()
			_, err := w.Svc.Login(ctx, core.Credentials{Username: username, Password: "wrong", ClientAddr: "192.0.2.1"})
			if e := core.AsError(err); e.Kind != core.KindInvalid || e.Fields[core.NonFieldErrors][0] != core.MsgBadCredentials {
				t.Fatalf("%.20s…: %v", username, err)
			}
		}
		rows := func() map[string]int {
			t.Helper()
			r, err := bdb.QueryContext(ctx, "SELECT username, failures FROM login_failures")
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			out := map[string]int{}
			for r.Next() {
				var name string
				var n int
				if err := r.Scan(&name, &n); err != nil {
					t.Fatal(err)
				}
				out[name] = n
			}
			return out
		}
		longest := strings.Repeat("é", 150)
		fail(strings.Repeat("x", 151))
		fail(longest)
		fail("ghost")
		fail("ghost")
		fail(coretest.Manager)
		if got := rows(); len(got) != 3 || got[longest] != 1 || got["ghost"] != 2 || got[coretest.Manager] != 1 {
			t.Fatalf("rows: %v", got)
		}
		clock.Advance(12 * time.Hour)
		fail("other")
		clock.Advance(13 * time.Hour)
		fail("ghost")
		// The sweep took the rows last failed 25 hours ago; ghost's count
		// had gone stale and started again.
		if got := rows(); len(got) != 2 || got["ghost"] != 1 || got["other"] != 1 {
			t.Fatalf("rows a day later: %v", got)
		}
	})
}
