package graph_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql/introspection"

	"github.com/callcfg/callcfg/core/coretest"
	"github.com/callcfg/callcfg/db/dbtest"
	"github.com/callcfg/callcfg/graph"
	"github.com/callcfg/callcfg/server"
)

// aliases repeats a selection under n aliases.
func aliases(n int, sel string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "a%d: %s\n", i, sel)
	}
	return b.String()
}

// A count reads every visible row, so totalCount costs what it costs: many
// of them are refused before anything runs, on either connection, as root
// fields or as aliases inside one connection; the counts a page needs pass.
func TestTotalCountCost(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		e.seed(3)
		counter := dbtest.CountQueries(e.bdb)
		// The token's first use records last_used: not part of what follows.
		e.do(coretest.Staff, `{ me { username } }`, nil).ok(t)

		refused := []struct{ name, query string }{
			{"450 root aliases of configurations", "{ " + aliases(450, "callAssignmentConfigurations(first: 0) { totalCount }") + " }"},
			{"450 root aliases of calls", "{ " + aliases(450, "calls(first: 0) { totalCount }") + " }"},
			{"450 aliases in one connection", "{ callAssignmentConfigurations(first: 0) { " + aliases(450, "totalCount") + " } }"},
			{"25 counts through a fragment", "{ calls(first: 0) { ...C } } fragment C on CallConnection { " + aliases(25, "totalCount") + " }"},
		}
		for _, c := range refused {
			t.Run(c.name, func(t *testing.T) {
				counter.Reset()
				r := e.do(coretest.Staff, c.query, nil)
				r.failsWith(t, graph.CodeComplexityLimit)
				if r.get("") != nil {
					t.Fatalf("data of a refused operation: %s", r.Raw)
				}
				if n := counter.Count(); n != 0 {
					t.Fatalf("a refused operation ran %d statements:\n%s", n, counter.Queries())
				}
			})
		}

		passed := []struct {
			name, query string
			counts      int
		}{
			{"20 root counts", "{ " + aliases(20, "calls(first: 0) { totalCount }") + " }", 20},
			{"24 counts in one connection", "{ calls(first: 0) { " + aliases(24, "totalCount") + " } }", 24},
			// One response key is resolved once, however often selected.
			{"the same count repeated", "{ calls(first: 0) { " + strings.Repeat("totalCount ", 30) + " } }", 1},
			{"a full page with its count", `{ callAssignmentConfigurations(first: 300) { totalCount nodes { ` + configFields +
				` call { ` + callFields + ` assignmentConfiguration { ` + configFields + ` } } } edges { cursor node { ` + configFields + ` } } } }`, 1},
		}
		for _, c := range passed {
			t.Run(c.name, func(t *testing.T) {
				counter.Reset()
				e.do(coretest.Staff, c.query, nil).ok(t)
				// Each count is one statement; authentication and the page
				// are one more each.
				if n := counter.Count(); n < int64(c.counts) || n > int64(c.counts)+2 {
					t.Fatalf("%d counts cost %d statements:\n%s", c.counts, n, counter.Queries())
				}
			})
		}
	})
}

// Root fields are capped per operation (aliases and fragments counted,
// introspection and __typename too), before anything runs; GraphiQL's
// introspection query, one root field, passes.
func TestRootFieldLimit(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		counter := dbtest.CountQueries(e.bdb)
		e.do(coretest.Staff, `{ me { username } }`, nil).ok(t)
		cases := []struct {
			name, actor, query string
			ok                 bool
		}{
			{"20 lookups", coretest.Staff, "{ " + aliases(20, "me { username }") + " }", true},
			{"21 lookups", coretest.Staff, "{ " + aliases(21, "me { username }") + " }", false},
			{"21 mutations", coretest.Staff, "mutation { " + aliases(21, `deleteCallAssignmentConfiguration(input: {uuid: "`+hex(e.w.Config)+`"}) { clientMutationId }`) + " }", false},
			{"20 __typename", coretest.Anonymous, "{ " + aliases(20, "__typename") + " }", true},
			{"21 __typename", coretest.Anonymous, "{ " + aliases(21, "__typename") + " }", false},
			{"21 introspection fields", coretest.Anonymous, "{ " + aliases(21, "__schema { queryType { name } }") + " }", false},
			{"fragments expanded", coretest.Staff, "{ ...A ...B } fragment A on Query { " + aliases(11, "me { uuid }") +
				" } fragment B on Query { " + strings.ReplaceAll(aliases(10, "me { uuid }"), "a", "b") + " }", false},
			// A response key is one root field, however often it is selected.
			{"repeated keys", coretest.Staff, "{ " + strings.Repeat("me { username } ", 30) + " }", true},
			{"GraphiQL's introspection query", coretest.Anonymous, introspection.Query, true},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				counter.Reset()
				r := e.do(c.actor, c.query, nil)
				if c.ok {
					r.ok(t)
					return
				}
				err := r.failsWith(t, graph.CodeRootFieldLimit)
				if !strings.Contains(err.Message, "which exceeds the limit of 20") {
					t.Fatalf("message: %s", err.Message)
				}
				if n := counter.Count(); n != 0 {
					t.Fatalf("a refused operation ran %d statements:\n%s", n, counter.Queries())
				}
			})
		}
		// The configuration the refused mutations named is still there.
		if r := e.do(coretest.Staff, `{ callAssignmentConfiguration(uuid: "`+hex(e.w.Config)+`") { uuid } }`, nil).ok(t); r.str("callAssignmentConfiguration.uuid") != hex(e.w.Config) {
			t.Fatalf("a refused mutation ran: %s", r.Raw)
		}
	})
}

// The limit is the operator's: --graphql-root-fields.
func TestRootFieldLimitConfigured(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		e.do(coretest.Anonymous, "{ "+aliases(3, "__typename")+" }", nil).ok(t)
		e.do(coretest.Anonymous, "{ "+aliases(4, "__typename")+" }", nil).failsWith(t, graph.CodeRootFieldLimit)
	}, func(c *server.Config) { c.GraphQLLimits.RootFields = 3 })
}

// fragmentLadder is a document whose fragments each spread the next one
// twice: n levels of text, 2^n fields once expanded.
func fragmentLadder(n int, leaf string) string {
	var b strings.Builder
	b.WriteString("{ ...F0 }")
	for i := range n {
		fmt.Fprintf(&b, " fragment F%d on Query { ...F%d ...F%d }", i, i+1, i+1)
	}
	fmt.Fprintf(&b, " fragment F%d on Query { %s }", n, leaf)
	return b.String()
}

// Fragments that spread each other twice, level after level, are refused
// from their text: walking them spread by spread, as gqlgen's complexity
// calculation does, took 2^n steps (24 levels, a 1 KB anonymous request,
// two seconds of CPU; 60 levels would never end). Shallow ladders within
// the limits still run.
func TestFragmentLadder(t *testing.T) {
	h := httptest.NewServer(graph.New(nil, graph.Options{Logger: quietLog()}))
	defer h.Close()
	post := func(query string) *response {
		e := &env{t: t, srv: h}
		return e.post(coretest.Anonymous, map[string]any{"query": query})
	}
	for _, n := range []int{24, 60, 300} {
		t.Run(fmt.Sprintf("%d levels", n), func(t *testing.T) {
			err := post(fragmentLadder(n, "__typename")).failsWith(t, graph.CodeComplexityLimit)
			if !strings.Contains(err.Message, "or more, which exceeds the limit of 25000") {
				t.Fatalf("message: %s", err.Message)
			}
		})
	}
	t.Run("within the limits", func(t *testing.T) {
		r := post(fragmentLadder(10, "__typename")).ok(t)
		if r.str("__typename") != "Query" {
			t.Fatalf("%s", r.Raw)
		}
	})
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
