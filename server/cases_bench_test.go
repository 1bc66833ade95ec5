package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/core/coretest"
	"github.com/callcfg/callcfg/db/dbtest"
	"github.com/callcfg/callcfg/server"
)

// The cases of bench/README.md, with the very selections and bodies of
// bench/run.sh, run in process: the same handler as `callcfg serve`, no
// network, so that a regression of CPU or allocations per request shows in
// `go test -bench` without the load rig:
//
//	go test -run '^$' -bench Cases -benchmem ./server/
//
// cpu-ns/op is the CPU the whole test process spent per request (the
// server's handler, the database driver, the garbage collector); ns/op
// also holds the time spent waiting for the database.
//
// Each case carries its allocation budget per database: allocations per
// request as measured when the budget was set, which
// TestAllocationBudgets holds every case to (within allocMargin). When a
// change lowers a case's allocations for good, lower its budget; when one
// must raise them, say why in the commit that raises the budget.
const (
	benchFields = `uuid autoReassignOnDecline maxAutoReassignAttempts assignmentExpirationDays sendReminderBeforeExpiryDays created modified call { uuid name }`
	benchList   = `query ListConfigs { callAssignmentConfigurations(first: 20, orderBy: [{field: CREATED, direction: ASC}]) { totalCount nodes { ` + benchFields + ` } } }`
	benchOne    = `query OneConfig($uuid: UUID!) { callAssignmentConfiguration(uuid: $uuid) { ` + benchFields + ` } }`
	benchUpdate = `mutation UpdateConfig($uuid: UUID!, $n: Int!) { updateCallAssignmentConfiguration(input: {uuid: $uuid, maxAutoReassignAttempts: $n}) { callAssignmentConfiguration { uuid maxAutoReassignAttempts modified } } }`
	restConfigs = "/api/call-assignment-configurations/"
)

// benchCase is one request of the load benchmark and what it may allocate.
type benchCase struct {
	name string
	// request builds the case's request; pick chooses a configuration
	// (the one of b and c, or a random one for c_rand).
	request func(pick func() uuid.UUID) *http.Request
	// budget is the allocations per request allowed on each database
	// kind (dbtest.Kinds); pgbouncer is PostgreSQL's simple protocol.
	budget map[string]float64
}

// allocMargin is how far over its budget a case may allocate before
// TestAllocationBudgets fails: room for what runs beside the request (the
// driver's pool, cache maintenance), not for a new allocation per item.
const allocMargin = 0.10

var benchCases = []benchCase{
	{
		// a: 20 configurations + totalCount + call.
		name:    "graphql/a",
		request: func(func() uuid.UUID) *http.Request { return gqlRequest(benchList, nil) },
		budget:  map[string]float64{"postgres": 1180, "pgbouncer": 1180, "sqlite": 1610},
	},
	{
		// b: one configuration + call.
		name: "graphql/b",
		request: func(pick func() uuid.UUID) *http.Request {
			return gqlRequest(benchOne, map[string]any{"uuid": hex32(pick())})
		},
		budget: map[string]float64{"postgres": 280, "pgbouncer": 280, "sqlite": 380},
	},
	{
		// c: update one hot row.
		name: "graphql/c",
		request: func(pick func() uuid.UUID) *http.Request {
			return gqlRequest(benchUpdate, map[string]any{"uuid": hex32(pick()), "n": 5})
		},
		// On SQLite a write and its change record are a transaction of
		// several statements (on PostgreSQL, one).
		budget: map[string]float64{"postgres": 290, "pgbouncer": 300, "sqlite": 610},
	},
	{
		// c_rand: update a random row (the same request as c; the rig
		// draws the uuid at random).
		name: "graphql/c_rand",
		request: func(pick func() uuid.UUID) *http.Request {
			return gqlRequest(benchUpdate, map[string]any{"uuid": hex32(pick()), "n": 5})
		},
		// On SQLite a write and its change record are a transaction of
		// several statements (on PostgreSQL, one).
		budget: map[string]float64{"postgres": 290, "pgbouncer": 300, "sqlite": 610},
	},
	{
		name: "rest/a",
		request: func(func() uuid.UUID) *http.Request {
			return httptest.NewRequest("GET", restConfigs+"?page_size=20", nil)
		},
		budget: map[string]float64{"postgres": 530, "pgbouncer": 530, "sqlite": 940},
	},
	{
		name: "rest/b",
		request: func(pick func() uuid.UUID) *http.Request {
			return httptest.NewRequest("GET", restConfigs+hex32(pick())+"/", nil)
		},
		budget: map[string]float64{"postgres": 140, "pgbouncer": 140, "sqlite": 240},
	},
	{
		name: "rest/c",
		request: func(pick func() uuid.UUID) *http.Request {
			return restPatch(pick())
		},
		budget: map[string]float64{"postgres": 150, "pgbouncer": 155, "sqlite": 470},
	},
	{
		name: "rest/c_rand",
		request: func(pick func() uuid.UUID) *http.Request {
			return restPatch(pick())
		},
		budget: map[string]float64{"postgres": 150, "pgbouncer": 155, "sqlite": 470},
	},
}

func gqlRequest(query string, vars map[string]any) *http.Request {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	r := httptest.NewRequest("POST", "/graphql", strings.NewReader(string(body)))
	r.Header.Set("Content-Type", "application/json")
	return r
}

func restPatch(id uuid.UUID) *http.Request {
	r := httptest.NewRequest("PATCH", restConfigs+hex32(id)+"/", strings.NewReader(`{"max_auto_reassign_attempts": 5}`))
	r.Header.Set("Content-Type", "application/json")
	return r
}

// caseRig is a served world of n calls, each with a configuration, made
// one minute apart like the bench's data, and a staff key.
type caseRig struct {
	h     http.Handler
	token string
	ids   []uuid.UUID
	rng   *rand.Rand
}

func newCaseRig(tb testing.TB, url string, n int) *caseRig {
	w := coretest.Build(tb, dbtest.Open(tb, url))
	ctx := context.Background()
	staff := w.Actor(tb, coretest.Staff)
	rig := &caseRig{token: w.Tokens[coretest.Staff], rng: rand.New(rand.NewPCG(1, 2))}
	for i := range n {
		c, err := w.Svc.CreateCall(ctx, core.NewCall{Name: fmt.Sprintf("Call %d", i), OrgUUID: w.OrgUUID, State: core.CallStateActive})
		if err != nil {
			tb.Fatal(err)
		}
		cfg, err := w.Svc.CreateConfig(ctx, staff, core.Some(c.UUID), core.Patch{})
		if err != nil {
			tb.Fatal(err)
		}
		rig.ids = append(rig.ids, cfg.UUID)
	}
	cfg := server.DefaultConfig()
	cfg.Logger = quietLogger()
	rig.h = server.New(w.Svc, cfg)
	return rig
}

// pick is the configuration of case: the middle one (the bench's #5000
// of 10,000), or for c_rand one at random.
func (rig *caseRig) pick(c benchCase) func() uuid.UUID {
	if strings.HasSuffix(c.name, "_rand") {
		return func() uuid.UUID { return rig.ids[rig.rng.IntN(len(rig.ids))] }
	}
	return func() uuid.UUID { return rig.ids[len(rig.ids)/2] }
}

// serve runs one request of c and fails unless it succeeded as the load
// benchmark checks it: 200, and for GraphQL no errors.
func (rig *caseRig) serve(tb testing.TB, c benchCase, pick func() uuid.UUID) {
	r := c.request(pick)
	r.Header.Set("Authorization", "Token "+rig.token)
	rec := httptest.NewRecorder()
	rig.h.ServeHTTP(rec, r)
	if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), `"errors"`) {
		tb.Fatalf("%s: %d %s", c.name, rec.Code, rec.Body.String())
	}
	_, _ = io.Copy(io.Discard, rec.Body)
}

// BenchmarkCases runs each case on PostgreSQL.
func BenchmarkCases(b *testing.B) {
	rig := newCaseRig(b, dbtest.NewURL(b, "postgres"), 300)
	for _, c := range benchCases {
		b.Run(c.name, func(b *testing.B) {
			pick := rig.pick(c)
			rig.serve(b, c, pick) // the token's first use records last_used
			b.ReportAllocs()
			cpu0 := processCPU()
			for b.Loop() {
				rig.serve(b, c, pick)
			}
			if cpu := processCPU() - cpu0; cpu > 0 {
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
			}
		})
	}
}

// TestAllocationBudgets holds every case to its allocation budget, on
// every database: allocations are counted, not timed, so the test is as
// stable as the code it measures.
func TestAllocationBudgets(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, url string) {
		kind := t.Name()[strings.LastIndex(t.Name(), "/")+1:]
		rig := newCaseRig(t, url, 40)
		for _, c := range benchCases {
			t.Run(c.name, func(t *testing.T) {
				pick := rig.pick(c)
				for range 5 {
					rig.serve(t, c, pick)
				}
				got := testing.AllocsPerRun(50, func() { rig.serve(t, c, pick) })
				budget, ok := c.budget[kind]
				if !ok {
					t.Fatalf("no budget for %s on %s", c.name, kind)
				}
				t.Logf("%s on %s: %.0f allocations per request (budget %.0f)", c.name, kind, got, budget)
				if got > budget*(1+allocMargin) {
					t.Errorf("%s on %s: %.0f allocations per request, over the budget of %.0f by more than %.0f%%",
						c.name, kind, got, budget, allocMargin*100)
				}
			})
		}
	})
}
