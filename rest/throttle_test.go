package rest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/core/coretest"
	"github.com/callcfg/callcfg/db/dbtest"
	"github.com/callcfg/callcfg/server/servertest"
)

// throttled is a world whose Service has a login policy and a per-key rate
// limit of the test's choosing, on a clock the test moves, with bcrypt
// comparisons counted.
type throttled struct {
	*env
	clock *coretest.Clock
	cmp   *coretest.Comparer
}

// eachThrottled runs fn on both databases; policy changes
// core.DefaultLoginPolicy, and perSecond > 0 turns the per-key limit on.
func eachThrottled(t *testing.T, policy func(*core.LoginPolicy), perSecond float64, burst int, fn func(t *testing.T, e *throttled)) {
	t.Helper()
	dbtest.EachDB(t, func(t *testing.T, bdb *bun.DB) {
		clock, cmp := coretest.NewClock(), &coretest.Comparer{}
		p := core.DefaultLoginPolicy()
		p.Compare = cmp.Compare
		if policy != nil {
			policy(&p)
		}
		w := coretest.Build(t, bdb, core.WithClock(clock.Now), core.WithLoginPolicy(p), core.WithRateLimit(perSecond, burst))
		s := servertest.Serving(t, w, bdb)
		fn(t, &throttled{env: &env{t: t, w: w, bdb: bdb, srv: s.Srv, s: s}, clock: clock, cmp: cmp})
	})
}

const (
	loginPath      = "/api-auth/password/"
	badCredentials = `{"non_field_errors":["Unable to log in with provided credentials."]}`
)

func (e *throttled) login(t *testing.T, from, username, password string) response {
	t.Helper()
	return e.do(t, req{method: "POST", path: loginPath, from: from,
		body: fmt.Sprintf(`{"username": %q, "password": %q}`, username, password)})
}

// throttledBody is DRF's text for a wait of n seconds.
func throttledBody(n int) string {
	unit := "seconds"
	if n == 1 {
		unit = "second"
	}
	return detail(fmt.Sprintf("Request was throttled. Expected available in %d %s.", n, unit))
}

// checkThrottled wants a 429 with DRF's body and a Retry-After of n.
func (res response) checkThrottled(t *testing.T, what string, n int) {
	t.Helper()
	res.check(t, what, http.StatusTooManyRequests, throttledBody(n))
	if got := res.header.Get("Retry-After"); got != strconv.Itoa(n) {
		t.Errorf("%s: Retry-After %q, want %d", what, got, n)
	}
}

func keyOf(t *testing.T, res response) string {
	t.Helper()
	var tok struct{ Token string }
	if res.status != http.StatusOK || json.Unmarshal([]byte(res.body), &tok) != nil || tok.Token == "" {
		t.Fatalf("login: %d %s", res.status, res.body)
	}
	return tok.Token
}

func (e *throttled) countRows(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := e.bdb.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestLoginLocksUsername: failures for one username from ever new
// addresses lock it, for a time that doubles up to the cap; while locked
// even the right password is refused, and no password is checked; the lock
// looks the same for a username nobody has; a success starts the count
// again.
func TestLoginLocksUsername(t *testing.T) {
	t.Parallel()
	policy := func(p *core.LoginPolicy) {
		p.FreeFailures, p.LockBase, p.LockMax = 3, 10*time.Second, 25*time.Second
	}
	eachThrottled(t, policy, 0, 0, func(t *testing.T, e *throttled) {
		for i, name := range []string{coretest.Manager, "ghost"} {
			addr := 0
			from := func() string { addr++; return fmt.Sprintf("127.0.%d.%d", 10+i, addr) }
			for n := range 4 { // three free failures; the fourth locks
				e.login(t, from(), name, "wrong").check(t, fmt.Sprintf("%s: failure %d", name, n+1), 400, badCredentials)
			}
			calls := e.cmp.Calls()
			e.login(t, from(), name, "wrong").checkThrottled(t, name+": locked", 10)
			e.login(t, from(), name, coretest.DefaultPassword).checkThrottled(t, name+": right password while locked", 10)
			e.clock.Advance(4 * time.Second)
			e.login(t, from(), name, coretest.DefaultPassword).checkThrottled(t, name+": later", 6)
			if got := e.cmp.Calls(); got != calls {
				t.Errorf("%s: %d password checks while locked", name, got-calls)
			}

			e.clock.Advance(6 * time.Second)
			e.login(t, from(), name, "wrong").check(t, name+": a failure after the lock", 400, badCredentials)
			e.login(t, from(), name, coretest.DefaultPassword).checkThrottled(t, name+": locked twice as long", 20)
			e.clock.Advance(20 * time.Second)
			e.login(t, from(), name, "wrong").check(t, name+": another failure", 400, badCredentials)
			e.login(t, from(), name, "wrong").checkThrottled(t, name+": the lock reaches its cap", 25)
			e.clock.Advance(25 * time.Second)

			if name != coretest.Manager {
				e.login(t, from(), name, coretest.DefaultPassword).check(t, name+": after the lock", 400, badCredentials)
				continue
			}
			key := keyOf(t, e.login(t, from(), name, coretest.DefaultPassword))
			e.do(t, req{method: "GET", path: configPath(e.w.Config), token: "Token " + key}).check(t, "the key of the login after the lock", 200, "*")
			for n := range 3 {
				e.login(t, from(), name, "wrong").check(t, fmt.Sprintf("free again: failure %d", n+1), 400, badCredentials)
			}
			keyOf(t, e.login(t, from(), name, coretest.DefaultPassword))
		}
	})
}

// TestLoginThrottlesClient: one address over its rate is refused before any
// password is checked, whatever X-Forwarded-For says, while other addresses
// log in; the bucket refills with time.
func TestLoginThrottlesClient(t *testing.T) {
	t.Parallel()
	policy := func(p *core.LoginPolicy) { p.ClientRate, p.ClientBurst = 1.0/60, 3 }
	eachThrottled(t, policy, 0, 0, func(t *testing.T, e *throttled) {
		const addr = "127.0.1.1"
		for n := range 3 {
			e.login(t, addr, fmt.Sprintf("ghost%d", n), "wrong").check(t, "within the burst", 400, badCredentials)
		}
		calls := e.cmp.Calls()
		e.login(t, addr, coretest.Manager, coretest.DefaultPassword).checkThrottled(t, "over the rate", 60)
		e.do(t, req{method: "POST", path: loginPath, from: addr, header: map[string]string{"X-Forwarded-For": "127.0.9.9"},
			body: `{"username": "manager", "password": "` + coretest.DefaultPassword + `"}`}).checkThrottled(t, "X-Forwarded-For is not trusted", 60)
		newOASChecker(t, e.env).run(oasCase{name: "429 as documented", status: 429,
			req: req{method: "POST", path: loginPath, from: addr, body: `{"username": "manager", "password": "x"}`}})
		if got := e.cmp.Calls(); got != calls {
			t.Errorf("%d password checks for a throttled address", got-calls)
		}
		keyOf(t, e.login(t, "127.0.1.2", coretest.Manager, coretest.DefaultPassword))

		e.clock.Advance(30 * time.Second)
		e.login(t, addr, coretest.Manager, coretest.DefaultPassword).checkThrottled(t, "half way", 30)
		e.clock.Advance(30 * time.Second)
		keyOf(t, e.login(t, addr, coretest.Manager, coretest.DefaultPassword))
		e.login(t, addr, coretest.Manager, coretest.DefaultPassword).checkThrottled(t, "the one refill spent", 60)
	})
}

// TestLoginBcryptSlots: logins never check more passwords at once than
// there are slots, and one that cannot get a slot in time is throttled
// without checking anything or counting a failure.
func TestLoginBcryptSlots(t *testing.T) {
	t.Parallel()
	t.Run("bound", func(t *testing.T) {
		t.Parallel()
		policy := func(p *core.LoginPolicy) { p.BcryptSlots, p.ClientRate = 2, 0 }
		eachThrottled(t, policy, 0, 0, func(t *testing.T, e *throttled) {
			const n = 8
			var wg sync.WaitGroup
			statuses := make([]int, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					// Half log in, half name users nobody has (the dummy hash).
					name, password := coretest.Manager, coretest.DefaultPassword
					if i%2 == 1 {
						name, password = fmt.Sprintf("ghost%d", i), "wrong"
					}
					statuses[i] = e.login(t, "127.0.2.1", name, password).status
				}()
			}
			wg.Wait()
			checked := 0
			for i, s := range statuses {
				switch s {
				case 200, 400:
					checked++
				case 429: // waited too long for a slot on a busy machine
				default:
					t.Errorf("login %d: %d", i, s)
				}
			}
			if most := e.cmp.Most(); most > 2 || int(e.cmp.Calls()) != checked || checked == 0 {
				t.Errorf("%d comparisons for %d answered logins, at most %d at once; want at most 2", e.cmp.Calls(), checked, most)
			}
		})
	})
	t.Run("full", func(t *testing.T) {
		t.Parallel()
		policy := func(p *core.LoginPolicy) { p.BcryptSlots, p.BcryptWait = 1, 20*time.Millisecond }
		eachThrottled(t, policy, 0, 0, func(t *testing.T, e *throttled) {
			e.cmp.Entered, e.cmp.Hold = make(chan struct{}, 16), make(chan struct{})
			first := make(chan response, 1)
			go func() { first <- e.login(t, "127.0.3.1", coretest.Manager, coretest.DefaultPassword) }()
			<-e.cmp.Entered // the only slot is taken
			e.login(t, "127.0.3.2", coretest.Staff, coretest.DefaultPassword).checkThrottled(t, "no slot", 1)
			e.login(t, "127.0.3.2", "ghost", "wrong").checkThrottled(t, "no slot for an unknown user either", 1)
			if got := e.cmp.Calls(); got != 1 {
				t.Errorf("%d comparisons, want the first login's only", got)
			}
			close(e.cmp.Hold)
			keyOf(t, <-first)
			if n := e.countRows(t, "SELECT count(*) FROM login_failures"); n != 0 {
				t.Errorf("logins refused for want of a slot counted %d failures", n)
			}
		})
	})
}

// TestLoginKeys: a key from a login lives --login-token-ttl, a user keeps
// --max-login-keys of them (the oldest revoked by a new login), and keys
// made with the CLI are neither counted nor touched.
func TestLoginKeys(t *testing.T) {
	t.Parallel()
	policy := func(p *core.LoginPolicy) { p.TokenTTL, p.MaxKeys = time.Hour, 2 }
	eachThrottled(t, policy, 0, 0, func(t *testing.T, e *throttled) {
		works := func(what, key string, status int, body string) {
			t.Helper()
			e.do(t, req{method: "GET", path: configPath(e.w.Config), token: "Token " + key}).check(t, what, status, body)
		}
		invalid := detail(core.MsgInvalidToken)
		cli := e.w.Tokens[coretest.Manager]
		keys := make([]string, 3)
		for i := range keys {
			keys[i] = keyOf(t, e.login(t, "127.0.4.1", coretest.Manager, coretest.DefaultPassword))
		}
		works("the oldest of three login keys", keys[0], 401, invalid)
		works("the second", keys[1], 200, "*")
		works("the newest", keys[2], 200, "*")
		works("the CLI key", cli, 200, "*")
		live := "SELECT count(*) FROM api_tokens AS t JOIN users AS u ON u.id = t.user_id WHERE u.username = ? AND t.via_login = ? AND t.revoked IS NULL"
		if n := e.countRows(t, live, coretest.Manager, true); n != 2 {
			t.Errorf("%d live login keys, want 2", n)
		}
		if n := e.countRows(t, live, coretest.Manager, false); n != 1 {
			t.Errorf("%d live CLI keys, want 1", n)
		}

		e.clock.Advance(time.Hour - time.Microsecond)
		works("a login key just before its end", keys[2], 200, "*")
		e.clock.Advance(time.Microsecond)
		works("an expired login key", keys[1], 401, invalid)
		works("another", keys[2], 401, invalid)
		works("the CLI key, which has no lifetime", cli, 200, "*")
		fresh := keyOf(t, e.login(t, "127.0.4.1", coretest.Manager, coretest.DefaultPassword))
		works("a new login key beside expired ones", fresh, 200, "*")
	})
}

// TestRefusedLoginChangesNothing: a refused login adds no key, and a
// throttled one does not even count as a failure.
func TestRefusedLoginChangesNothing(t *testing.T) {
	t.Parallel()
	policy := func(p *core.LoginPolicy) {
		p.FreeFailures, p.ClientRate, p.ClientBurst = 0, 1.0/60, 3
	}
	eachThrottled(t, policy, 0, 0, func(t *testing.T, e *throttled) {
		tokens := func() int { return e.countRows(t, "SELECT count(*) FROM api_tokens") }
		failures := func() int {
			return e.countRows(t, "SELECT coalesce(sum(failures), 0) FROM login_failures")
		}
		before := tokens()
		e.login(t, "127.0.5.1", coretest.Manager, "wrong").check(t, "wrong password", 400, badCredentials)
		e.login(t, "127.0.5.2", coretest.Manager, coretest.DefaultPassword).checkThrottled(t, "locked", 1)
		e.login(t, "127.0.5.3", coretest.Staff, "").check(t, "no password", 400, `{"password":["This field may not be blank."]}`)
		for n := range 3 {
			e.login(t, "127.0.5.4", fmt.Sprintf("ghost%d", n), "wrong").check(t, "unknown user", 400, badCredentials)
		}
		e.login(t, "127.0.5.4", coretest.Staff, coretest.DefaultPassword).checkThrottled(t, "address over its rate", 60)
		if got := tokens(); got != before {
			t.Errorf("%d keys after refused logins, want %d", got, before)
		}
		if got := failures(); got != 4 {
			t.Errorf("%d failures counted, want 4 (the wrong passwords only)", got)
		}
	})
}

// TestRateLimitPerKey: off by default; on, a key past its burst is
// throttled while another key is not, until its bucket refills.
func TestRateLimitPerKey(t *testing.T) {
	t.Parallel()
	t.Run("off by default", func(t *testing.T) {
		t.Parallel()
		eachWorld(t, func(t *testing.T, e *env) {
			for i := range 60 {
				if res := e.do(t, req{method: "GET", path: configPath(e.w.Config), token: coretest.Manager}); res.status != 200 {
					t.Fatalf("request %d: %d %s", i+1, res.status, res.body)
				}
			}
		})
	})
	t.Run("on", func(t *testing.T) {
		t.Parallel()
		eachThrottled(t, nil, 1.0/60, 3, func(t *testing.T, e *throttled) {
			get := req{method: "GET", path: configPath(e.w.Config), token: coretest.Manager}
			for range 3 {
				e.do(t, get).check(t, "within the burst", 200, "*")
			}
			e.do(t, get).checkThrottled(t, "past the burst", 60)
			oas := newOASChecker(t, e.env)
			oas.run(oasCase{name: "429 as documented", req: get, status: 429})
			oas.run(oasCase{name: "429 on a count, without a body", req: req{method: "HEAD", path: listPath, token: coretest.Manager}, status: 429})
			e.do(t, req{method: "PATCH", path: configPath(e.w.Config), token: coretest.Manager, body: "{}"}).checkThrottled(t, "a write too", 60)
			e.do(t, req{method: "GET", path: configPath(e.w.Config), token: coretest.Staff}).check(t, "another key", 200, "*")
			e.do(t, req{method: "GET", path: configPath(e.w.Config), token: "Token nope"}).check(t, "an invalid key is still invalid", 401, detail(core.MsgInvalidToken))
			e.clock.Advance(time.Minute)
			e.do(t, get).check(t, "a minute later", 200, "*")
			e.do(t, get).checkThrottled(t, "and again", 60)
		})
	})
}
