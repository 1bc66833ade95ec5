package graph_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/core/coretest"
	"github.com/callcfg/callcfg/db/dbtest"
	"github.com/callcfg/callcfg/server/servertest"
)

// TestRateLimited: with the per-key limit on, a key past its burst gets
// RATE_LIMITED with retryAfter, counting its REST and GraphQL requests
// alike, while another key is served; off (the default), many quick
// requests are all served.
func TestRateLimited(t *testing.T) {
	const query = `{ callAssignmentConfigurations(first: 1) { totalCount } }`
	t.Run("on", func(t *testing.T) {
		dbtest.Each(t, func(t *testing.T, url string) {
			clock := coretest.NewClock()
			bdb := dbtest.Open(t, url)
			w := coretest.Build(t, bdb, core.WithClock(clock.Now), core.WithRateLimit(1.0/60, 3))
			s := servertest.Serving(t, w, bdb)
			e := &env{t: t, w: w, bdb: bdb, srv: s.Srv, s: s}

			if res, _ := e.rest(t, coretest.Manager, http.MethodGet, "/api/call-assignment-configurations/", nil); res.StatusCode != http.StatusOK {
				t.Fatalf("REST within the burst: %d", res.StatusCode)
			}
			for range 2 {
				e.do(coretest.Manager, query, nil).ok(t)
			}
			r := e.do(coretest.Manager, query, nil)
			ge := r.failsWith(t, "RATE_LIMITED")
			if ge.Message != "Request was throttled. Expected available in 60 seconds." || ge.Extensions["retryAfter"] != 60.0 {
				t.Errorf("past the burst: %s", r.Raw)
			}
			if r.get("callAssignmentConfigurations") != nil {
				t.Errorf("a throttled request got data: %s", r.Raw)
			}
			if res, _ := e.rest(t, coretest.Manager, http.MethodGet, "/api/call-assignment-configurations/", nil); res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != "60" {
				t.Errorf("REST past the burst: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
			}
			e.do(coretest.Staff, query, nil).ok(t)
			clock.Advance(time.Minute)
			e.do(coretest.Manager, query, nil).ok(t)
			e.do(coretest.Manager, query, nil).failsWith(t, "RATE_LIMITED")
		})
	})
	t.Run("off by default", func(t *testing.T) {
		eachDB(t, func(t *testing.T, e *env) {
			for range 60 {
				e.do(coretest.Manager, query, nil).ok(t)
			}
		})
	})
}
