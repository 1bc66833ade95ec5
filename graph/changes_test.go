package graph_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/core/coretest"
	"github.com/callcfg/callcfg/db/dbtest"
	"github.com/callcfg/callcfg/graph"
)

const changeFields = `id uuid kind at configurationUuid callUuid actor { uuid username } via requestId
	before { autoReassignOnDecline maxAutoReassignAttempts assignmentExpirationDays sendReminderBeforeExpiryDays }
	after { autoReassignOnDecline maxAutoReassignAttempts assignmentExpirationDays sendReminderBeforeExpiryDays }
	changedFields cursor call { uuid name viewerCanManage }`

const feedQuery = `query($first: Int, $after: String, $last: Int, $before: String, $filter: CallAssignmentConfigurationChangeFilter) {
	callAssignmentConfigurationChanges(first: $first, after: $after, last: $last, before: $before, filter: $filter) {
		totalCount
		edges { cursor node { ` + changeFields + ` } }
		pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`

// settle waits until the changes written so far are in the feed.
func (e *env) settle() { dbtest.SettleChanges(e.t, e.bdb) }

// A change through GraphQL is in the feed with everything it says, its
// cursor is its edge's, its global id finds it again, and its call comes
// with it.
func TestChangeFeedShowsAChange(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		r := e.do(coretest.Manager, `mutation($u: UUID!) { updateCallAssignmentConfiguration(input: {uuid: $u, maxAutoReassignAttempts: 8, autoReassignOnDecline: true}) {
			callAssignmentConfiguration { modified } } }`, map[string]any{"u": hex(e.w.Config)}).ok(t)
		e.settle()
		feed := e.do(coretest.Manager, feedQuery, map[string]any{"last": 1}).ok(t)
		c := "callAssignmentConfigurationChanges."
		edge := feed.get(c + "edges.0")
		n := func(path string) any { return dig(edge, "node."+path) }
		checks := []struct {
			name string
			got  any
			want any
		}{
			{"kind", n("kind"), "UPDATED"},
			{"via", n("via"), "GRAPHQL"},
			{"at", n("at"), r.str("updateCallAssignmentConfiguration.callAssignmentConfiguration.modified")},
			{"configuration", n("configurationUuid"), hex(e.w.Config)},
			{"call uuid", n("callUuid"), hex(e.w.Call)},
			{"call", n("call.name"), coretest.ManagedCallName},
			{"the viewer's standing on the call", n("call.viewerCanManage"), true},
			{"actor", n("actor.username"), coretest.Manager},
			{"request id", n("requestId"), r.Header.Get("X-Request-Id")},
			{"before", n("before.maxAutoReassignAttempts"), 3.0},
			{"after", n("after.maxAutoReassignAttempts"), 8.0},
			{"after, unchanged", n("after.assignmentExpirationDays"), 7.0},
			{"cursor", n("cursor"), dig(edge, "cursor")},
			{"total", feed.get(c + "totalCount"), 2.0},
		}
		for _, ch := range checks {
			if ch.got != ch.want {
				t.Errorf("%s: %v, want %v", ch.name, ch.got, ch.want)
			}
		}
		if got := n("changedFields").([]any); !slices.Equal(got, []any{"autoReassignOnDecline", "maxAutoReassignAttempts"}) {
			t.Errorf("changedFields %v", got)
		}
		byID := e.do(coretest.Manager, `query($id: ID!) { node(id: $id) { id ... on CallAssignmentConfigurationChange { uuid kind } } }`,
			map[string]any{"id": n("id")}).ok(t)
		if byID.str("node.uuid") != n("uuid") || byID.str("node.id") != n("id") {
			t.Errorf("node(id:): %s", byID.Raw)
		}
		hidden := e.do(coretest.Outsider, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": n("id")}).ok(t)
		if hidden.get("node") != nil {
			t.Errorf("an outsider found the change: %s", hidden.Raw)
		}
		first := e.do(coretest.Staff, feedQuery, map[string]any{"first": 1}).ok(t)
		if dig(first.get(c+"edges.0"), "node.kind") != "CREATED" || dig(first.get(c+"edges.0"), "node.before") != nil ||
			len(dig(first.get(c+"edges.0"), "node.changedFields").([]any)) != 4 {
			t.Errorf("a creation: %s", first.Raw)
		}
	})
}

// The feed pages like the other connections, oldest first: forwards and
// backwards give the same list, `last: 10` is the latest ten, and the
// cursors of the feed resume a configuration's history too.
func TestChangeFeedPaging(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		e.seed(12) // 12 creates and 3 updates, with the world's 2 creates
		e.settle()
		walk := func(size int, backward bool) []string {
			var out []string
			var cursor any
			for {
				vars := map[string]any{"first": size, "after": cursor}
				if backward {
					vars = map[string]any{"last": size, "before": cursor}
				}
				r := e.do(coretest.Staff, feedQuery, vars).ok(t)
				c := "callAssignmentConfigurationChanges."
				var page []string
				for _, edge := range r.list(c + "edges") {
					page = append(page, dig(edge, "node.uuid").(string))
				}
				if backward {
					out = append(page, out...)
					if r.get(c+"pageInfo.hasPreviousPage") != true {
						return out
					}
					cursor = r.str(c + "pageInfo.startCursor")
				} else {
					out = append(out, page...)
					if r.get(c+"pageInfo.hasNextPage") != true {
						return out
					}
					cursor = r.str(c + "pageInfo.endCursor")
				}
			}
		}
		all := walk(300, false)
		if len(all) != 17 {
			t.Fatalf("%d changes, want 17", len(all))
		}
		for _, c := range []struct {
			size     int
			backward bool
		}{{1, false}, {4, false}, {5, true}, {16, true}} {
			if got := walk(c.size, c.backward); !slices.Equal(got, all) {
				t.Errorf("pages of %d (backward %v) give %v, want %v", c.size, c.backward, got, all)
			}
		}
		r := e.do(coretest.Staff, feedQuery, map[string]any{"last": 10}).ok(t)
		var latest []string
		for _, edge := range r.list("callAssignmentConfigurationChanges.edges") {
			latest = append(latest, dig(edge, "node.uuid").(string))
		}
		if !slices.Equal(latest, all[7:]) {
			t.Errorf("last 10: %v, want %v", latest, all[7:])
		}
	})
}

// A configuration's history and a call's are parts of the feed, with the
// same cursors; a call's keeps the changes of a configuration it no longer
// has.
func TestHistories(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		staff := e.w.Actor(t, coretest.Staff)
		for i := range 3 {
			if _, err := e.w.Svc.UpdateConfig(ctx, staff, e.w.Config, core.Patch{MaxAutoReassignAttempts: core.Some(int64(i))}, core.Precondition{}); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.w.Svc.DeleteConfig(ctx, staff, e.w.Config, core.Precondition{}); err != nil {
			t.Fatal(err)
		}
		cfg, err := e.w.Svc.CreateConfig(ctx, staff, core.Some(e.w.Call), core.Patch{})
		if err != nil {
			t.Fatal(err)
		}
		e.settle()
		feed := e.do(coretest.Staff, feedQuery, map[string]any{"first": 300, "filter": map[string]any{"callUuid": hex(e.w.Call)}}).ok(t)
		var ofCall []string
		var cursors []string
		for _, edge := range feed.list("callAssignmentConfigurationChanges.edges") {
			ofCall = append(ofCall, dig(edge, "node.uuid").(string))
			cursors = append(cursors, dig(edge, "cursor").(string))
		}
		if len(ofCall) != 6 { // created, 3 updates, deleted, created
			t.Fatalf("%d changes of the call", len(ofCall))
		}
		uuids := func(r *response, path string) []string {
			var out []string
			for _, n := range r.list(path) {
				out = append(out, dig(n, "uuid").(string))
			}
			return out
		}
		cases := []struct {
			name, query, path string
			vars              map[string]any
			want              []string
		}{
			{"a call's, deleted configuration included",
				`query($c: UUID!) { call(uuid: $c) { assignmentConfigurationHistory(first: 10) { totalCount nodes { uuid } } } }`,
				"call.assignmentConfigurationHistory.nodes", map[string]any{"c": hex(e.w.Call)}, ofCall},
			{"a call's, after a cursor of the feed",
				`query($c: UUID!, $a: String) { call(uuid: $c) { assignmentConfigurationHistory(first: 2, after: $a) { nodes { uuid } } } }`,
				"call.assignmentConfigurationHistory.nodes", map[string]any{"c": hex(e.w.Call), "a": cursors[1]}, ofCall[2:4]},
			{"the new configuration's",
				`query($u: UUID!) { callAssignmentConfiguration(uuid: $u) { history { nodes { uuid } } } }`,
				"callAssignmentConfiguration.history.nodes", map[string]any{"u": hex(cfg.UUID)}, ofCall[5:]},
			{"the new configuration's, through its call",
				`query($c: UUID!) { call(uuid: $c) { assignmentConfiguration { history(last: 5) { nodes { uuid } } } } }`,
				"call.assignmentConfiguration.history.nodes", map[string]any{"c": hex(e.w.Call)}, ofCall[5:]},
			{"on a page of configurations",
				`{ callAssignmentConfigurations(first: 5, filter: {callState: ACTIVE}) { nodes { history(last: 3) { nodes { uuid } } } } }`,
				"callAssignmentConfigurations.nodes.0.history.nodes", nil, ofCall[5:]},
			{"on a page of calls",
				`{ calls(first: 5, filter: {state: ACTIVE}) { nodes { assignmentConfigurationHistory(last: 3) { nodes { uuid } } } } }`,
				"calls.nodes.0.assignmentConfigurationHistory.nodes", nil, ofCall[3:]},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := e.do(coretest.Staff, c.query, c.vars).ok(t)
				if got := uuids(r, c.path); !slices.Equal(got, c.want) {
					t.Fatalf("got %v, want %v\n%s", got, c.want, r.Raw)
				}
			})
		}
		r := e.do(coretest.Staff, `query($c: UUID!) { call(uuid: $c) { assignmentConfigurationHistory { totalCount } } }`, map[string]any{"c": hex(e.w.Call)}).ok(t)
		if r.get("call.assignmentConfigurationHistory.totalCount") != 6.0 {
			t.Errorf("totalCount: %s", r.Raw)
		}
	})
}

// A page of changes with their calls, and a page of configurations with
// their histories, cost a constant number of statements: 100 items what 10
// do.
func TestChangesNoNPlusOne(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		e.seed(110)
		e.settle()
		counter := dbtest.CountQueries(e.bdb)
		e.do(coretest.Staff, `{ me { username } }`, nil).ok(t)
		cases := []struct {
			name, query, list string
			sizes             [2]int
			max               int64
		}{
			{"changes with their calls", `query($n: Int) { callAssignmentConfigurationChanges(first: $n) { totalCount
				nodes { uuid kind after { maxAutoReassignAttempts } call { uuid name state url viewerCanManage
					assignmentConfiguration { uuid } effectiveAssignmentSettings { isDefault } } } } }`,
				"callAssignmentConfigurationChanges.nodes", [2]int{10, 100}, 4},
			{"configurations with their histories", `query($n: Int) { callAssignmentConfigurations(first: $n) {
				nodes { uuid history(first: 3) { nodes { uuid kind call { name } } pageInfo { hasNextPage } }
					call { assignmentConfigurationHistory(last: 2) { nodes { uuid } } } } } }`,
				"callAssignmentConfigurations.nodes", [2]int{10, 100}, 4},
			// Counts are priced per item, so fewer of them fit in one query.
			{"calls with their histories and counts", `query($n: Int) { calls(first: $n) {
				nodes { uuid assignmentConfigurationHistory(first: 2) { totalCount edges { cursor node { uuid } } } } } }`,
				"calls.nodes", [2]int{5, 20}, 4},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				counts := map[int]int64{}
				for _, n := range c.sizes {
					counter.Reset()
					r := e.do(coretest.Staff, c.query, map[string]any{"n": n}).ok(t)
					counts[n] = counter.Count()
					if got := len(r.list(c.list)); got != n {
						t.Fatalf("page of %d, want %d", got, n)
					}
					if counts[n] > c.max {
						t.Errorf("a page of %d costs %d statements, more than %d:\n%s", n, counts[n], c.max, counter.Queries())
					}
				}
				if a, b := counts[c.sizes[0]], counts[c.sizes[1]]; a != b {
					t.Errorf("%d items cost %d statements, %d cost %d: not constant\n%s", c.sizes[0], a, c.sizes[1], b, counter.Queries())
				}
			})
		}
	})
}

// Bad arguments of the feed are input errors naming the argument.
func TestChangeFeedRefusesBadInput(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		cases := []struct {
			name  string
			vars  map[string]any
			field string
		}{
			{"a cursor of another list", map[string]any{"first": 1, "after": "WyJjZmcuaWQiLDFd"}, "after"},
			{"a cursor too long", map[string]any{"first": 1, "after": strings.Repeat("A", 3000)}, "after"},
			{"a page too large", map[string]any{"first": 301}, "first"},
			{"a kind twice", map[string]any{"filter": map[string]any{"kinds": []string{"CREATED", "CREATED"}}}, "kinds"},
			{"until before since", map[string]any{"filter": map[string]any{"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}}, "until"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				err := e.do(coretest.Staff, feedQuery, c.vars).failsWith(t, "BAD_USER_INPUT")
				fields, _ := err.Extensions["fields"].(map[string]any)
				if _, ok := fields[c.field]; !ok {
					t.Fatalf("fields %v, want %s", err.Extensions["fields"], c.field)
				}
			})
		}
		t.Run("a history's bad cursor", func(t *testing.T) {
			r := e.do(coretest.Staff, `query($u: UUID!) { callAssignmentConfiguration(uuid: $u) { history(after: "nope") { nodes { uuid } } } }`,
				map[string]any{"u": hex(e.w.Config)})
			r.failsWith(t, "BAD_USER_INPUT")
		})
	})
}

// Only what the viewer may see is in the feed and the histories.
func TestChangeFeedVisibility(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		if err := e.w.Svc.DeleteCall(context.Background(), e.w.Other); err != nil {
			t.Fatal(err)
		}
		e.settle()
		cases := []struct {
			actor string
			total float64
		}{
			{coretest.Staff, 3}, {coretest.Support, 3}, {coretest.Manager, 1}, {coretest.Reviewer, 1}, {coretest.Outsider, 0},
		}
		for _, c := range cases {
			t.Run(c.actor, func(t *testing.T) {
				r := e.do(c.actor, feedQuery, map[string]any{"first": 10}).ok(t)
				edges := r.list("callAssignmentConfigurationChanges.edges")
				if r.get("callAssignmentConfigurationChanges.totalCount") != c.total || float64(len(edges)) != c.total {
					t.Fatalf("%d changes, total %v; want %v", len(edges), r.get("callAssignmentConfigurationChanges.totalCount"), c.total)
				}
				for _, edge := range edges {
					if dig(edge, "node.callUuid") == hex(e.w.Other) && dig(edge, "node.call") != nil {
						t.Errorf("a deleted call came with its change: %v", edge)
					}
				}
			})
		}
		e.do(coretest.Anonymous, feedQuery, nil).failsWith(t, "UNAUTHENTICATED")
	})
}

// A count runs once per item of the page it is nested in, and is priced
// so; a history without a count costs what its page does.
func TestNestedTotalCountIsPricedPerItem(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		e.seed(30)
		counter := dbtest.CountQueries(e.bdb)
		e.do(coretest.Staff, `{ me { username } }`, nil).ok(t)
		cases := []struct {
			name, query string
			ok          bool
		}{
			{"20 histories counted", `{ callAssignmentConfigurations(first: 20) { nodes { history(first: 0) { totalCount } } } }`, true},
			{"25 histories counted", `{ callAssignmentConfigurations(first: 25) { nodes { history(first: 0) { totalCount } } } }`, false},
			{"25 calls' histories counted", `{ calls(first: 25) { nodes { assignmentConfigurationHistory(first: 0) { totalCount } } } }`, false},
			{"through a fragment", `{ calls(last: 25) { ...C } } fragment C on CallConnection { edges { node { assignmentConfigurationHistory { totalCount } } } }`, false},
			{"nested twice", `{ callAssignmentConfigurationChanges(first: 5) { nodes { call { assignmentConfigurationHistory(first: 5) { nodes {
				call { assignmentConfigurationHistory(first: 1) { totalCount } } } } } } } }`, false},
			{"histories without counts", `{ callAssignmentConfigurations(first: 100) { nodes { history(first: 5) { nodes { uuid kind } } } } }`, true},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				counter.Reset()
				r := e.do(coretest.Staff, c.query, nil)
				if c.ok {
					r.ok(t)
					return
				}
				r.failsWith(t, graph.CodeComplexityLimit)
				if n := counter.Count(); n != 0 {
					t.Fatalf("a refused operation ran %d statements", n)
				}
			})
		}
	})
}
