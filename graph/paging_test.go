package graph_test

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"testing"

	"github.com/callcfg/callcfg/core/coretest"
)

const pageQuery = `query($first: Int, $after: String, $last: Int, $before: String,
	$filter: CallAssignmentConfigurationFilter, $orderBy: [CallAssignmentConfigurationOrder!]) {
	callAssignmentConfigurations(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) {
		totalCount
		edges { cursor node { uuid created modified call { uuid name state } } }
		pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`

// item is what the walk checks of one configuration.
type item struct {
	uuid, created, modified, callName string
}

func (it item) key(field string) string {
	switch field {
	case "CREATED":
		return it.created
	case "MODIFIED":
		return it.modified
	}
	return it.callName
}

// walk reads the whole list page by page, forwards or backwards, and
// returns it in list order with the totalCount of the first page.
func (e *env) walk(t *testing.T, actor string, size int, backward bool, filter map[string]any, orderBy []map[string]any) ([]item, int) {
	t.Helper()
	var items []item
	total := -1
	var cursor any
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("walk does not end")
		}
		vars := map[string]any{"filter": filter, "orderBy": orderBy}
		if backward {
			vars["last"], vars["before"] = size, cursor
		} else {
			vars["first"], vars["after"] = size, cursor
		}
		r := e.do(actor, pageQuery, vars).ok(t)
		c := "callAssignmentConfigurations."
		if total < 0 {
			total = int(r.get(c + "totalCount").(float64))
		}
		var page []item
		for _, edge := range r.list(c + "edges") {
			page = append(page, item{
				uuid: dig(edge, "node.uuid").(string), created: dig(edge, "node.created").(string),
				modified: dig(edge, "node.modified").(string), callName: dig(edge, "node.call.name").(string),
			})
		}
		if len(page) > size {
			t.Fatalf("page of %d, asked for %d", len(page), size)
		}
		// The page's cursors are its first and last edges'; an empty
		// page has none.
		edges := r.list(c + "edges")
		start, end := r.get(c+"pageInfo.startCursor"), r.get(c+"pageInfo.endCursor")
		if n := len(edges); n == 0 && (start != nil || end != nil) ||
			n > 0 && (start != dig(edges[0], "cursor") || end != dig(edges[n-1], "cursor") || start == nil) {
			t.Fatalf("page cursors %v and %v, edges' %v", start, end, edges)
		}
		if backward {
			items = append(page, items...)
			if r.get(c+"pageInfo.hasPreviousPage") != true {
				return items, total
			}
			cursor = r.str(c + "pageInfo.startCursor")
		} else {
			items = append(items, page...)
			if r.get(c+"pageInfo.hasNextPage") != true {
				return items, total
			}
			cursor = r.str(c + "pageInfo.endCursor")
		}
		if len(page) != size {
			t.Fatalf("short page (%d) with more to come", len(page))
		}
	}
}

// TestPagingWalksTheWholeList: forward and backward keyset paging over 47
// configurations, for several orders, filters and actors, yields every item
// the actor may see exactly once, in order, and the same list both ways; and
// the list is the one REST serves.
func TestPagingWalksTheWholeList(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		s := e.seed(45)
		w := e.w
		// The expected list, from what was seeded.
		type meta struct {
			state   string
			auto    bool
			manager bool
		}
		all := map[string]meta{
			hex(w.Config):  {"ACTIVE", false, true},
			hex(w.OtherCf): {"DRAFT", true, false},
		}
		for i, call := range s.calls {
			all[s.config[call]] = meta{s.state[call], i%2 == 0, i%3 == 0}
		}
		one := s.calls[7]
		cases := []struct {
			name    string
			actor   string
			filter  map[string]any
			orderBy []map[string]any
			keep    func(uuid string, m meta) bool
		}{
			{"default order", coretest.Staff, nil, nil, nil},
			{"created asc, active calls", coretest.Staff, map[string]any{"callState": "ACTIVE"},
				[]map[string]any{{"field": "CREATED", "direction": "ASC"}}, func(_ string, m meta) bool { return m.state == "ACTIVE" }},
			{"modified desc, auto-reassigning", coretest.Staff, map[string]any{"autoReassignOnDecline": true},
				[]map[string]any{{"field": "MODIFIED", "direction": "DESC"}}, func(_ string, m meta) bool { return m.auto }},
			{"call name then created desc", coretest.Staff, nil,
				[]map[string]any{{"field": "CALL_NAME"}, {"field": "CREATED", "direction": "DESC"}}, nil},
			{"call name desc, draft and not auto-reassigning", coretest.Staff, map[string]any{"callState": "DRAFT", "autoReassignOnDecline": false},
				[]map[string]any{{"field": "CALL_NAME", "direction": "DESC"}}, func(_ string, m meta) bool { return m.state == "DRAFT" && !m.auto }},
			{"one call", coretest.Staff, map[string]any{"callUuid": one}, nil, func(u string, _ meta) bool { return u == s.config[one] }},
			{"manager, call name", coretest.Manager, nil, []map[string]any{{"field": "CALL_NAME"}}, func(_ string, m meta) bool { return m.manager }},
			{"manager, modified asc", coretest.Manager, nil, []map[string]any{{"field": "MODIFIED", "direction": "ASC"}}, func(_ string, m meta) bool { return m.manager }},
			{"outsider sees nothing", coretest.Outsider, nil, nil, func(string, meta) bool { return false }},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				var want []string
				for u, m := range all {
					if tc.keep == nil || tc.keep(u, m) {
						want = append(want, u)
					}
				}
				sort.Strings(want)
				fwd, total := e.walk(t, tc.actor, 7, false, tc.filter, tc.orderBy)
				bwd, _ := e.walk(t, tc.actor, 7, true, tc.filter, tc.orderBy)
				if total != len(want) {
					t.Fatalf("totalCount %d, want %d", total, len(want))
				}
				if len(fwd) != len(bwd) {
					t.Fatalf("forward %d items, backward %d", len(fwd), len(bwd))
				}
				for i := range fwd {
					if fwd[i].uuid != bwd[i].uuid {
						t.Fatalf("forward and backward differ at %d", i)
					}
				}
				got := make([]string, len(fwd))
				for i, it := range fwd {
					got[i] = it.uuid
				}
				sort.Strings(got)
				if !equal(got, want) {
					t.Fatalf("walked %d items, want %d (duplicates or gaps)", len(got), len(want))
				}
				checkOrder(t, fwd, tc.orderBy)
			})
		}

		t.Run("the same list as REST", func(t *testing.T) {
			for _, actor := range []string{coretest.Staff, coretest.Manager, coretest.Reviewer, coretest.Outsider} {
				restUUIDs, count := e.restConfigs(t, actor, "")
				fwd, total := e.walk(t, actor, 13, false, nil, nil)
				if total != count {
					t.Fatalf("%s: totalCount %d, REST X-Result-Count %d", actor, total, count)
				}
				// REST's order (created desc, then id) is GraphQL's default.
				if len(fwd) != len(restUUIDs) {
					t.Fatalf("%s: GraphQL %d items, REST %d", actor, len(fwd), len(restUUIDs))
				}
				for i := range fwd {
					if fwd[i].uuid != restUUIDs[i] {
						t.Fatalf("%s: item %d differs: %s vs REST %s", actor, i, fwd[i].uuid, restUUIDs[i])
					}
				}
				filtered, count := e.restConfigs(t, actor, "&call_uuid="+one)
				fwd, total = e.walk(t, actor, 5, false, map[string]any{"callUuid": one}, nil)
				if total != count || len(fwd) != len(filtered) || (len(fwd) == 1 && fwd[0].uuid != filtered[0]) {
					t.Fatalf("%s: filtered by call: GraphQL %v (%d), REST %v (%d)", actor, fwd, total, filtered, count)
				}
			}
		})

		t.Run("calls connection walks too", func(t *testing.T) {
			const q = `query($first: Int, $after: String, $last: Int, $before: String) {
				calls(first: $first, after: $after, last: $last, before: $before, orderBy: [{field: NAME}]) {
					totalCount nodes { uuid } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`
			var fwd, bwd []string
			var cursor any
			for {
				r := e.do(coretest.Staff, q, map[string]any{"first": 10, "after": cursor}).ok(t)
				for _, n := range r.list("calls.nodes") {
					fwd = append(fwd, dig(n, "uuid").(string))
				}
				if r.get("calls.pageInfo.hasNextPage") != true {
					break
				}
				cursor = r.str("calls.pageInfo.endCursor")
			}
			cursor = nil
			for {
				r := e.do(coretest.Staff, q, map[string]any{"last": 10, "before": cursor}).ok(t)
				var page []string
				for _, n := range r.list("calls.nodes") {
					page = append(page, dig(n, "uuid").(string))
				}
				bwd = append(page, bwd...)
				if r.get("calls.pageInfo.hasPreviousPage") != true {
					break
				}
				cursor = r.str("calls.pageInfo.startCursor")
			}
			if len(fwd) != 48 || !equal(fwd, bwd) {
				t.Fatalf("calls: forward %d, backward %d, equal %v", len(fwd), len(bwd), equal(fwd, bwd))
			}
			seen := map[string]bool{}
			for _, u := range fwd {
				if seen[u] {
					t.Fatalf("call %s twice", u)
				}
				seen[u] = true
			}
		})
	})
}

// checkOrder verifies the list is sorted by the order's keys (the hidden
// tie-breaker aside).
func checkOrder(t *testing.T, items []item, orderBy []map[string]any) {
	t.Helper()
	if len(orderBy) == 0 {
		orderBy = []map[string]any{{"field": "CREATED", "direction": "DESC"}}
	}
	for i := 1; i < len(items); i++ {
		for _, o := range orderBy {
			field, _ := o["field"].(string)
			a, b := items[i-1].key(field), items[i].key(field)
			if a == b {
				continue
			}
			if (a < b) == (o["direction"] == "DESC") {
				t.Fatalf("items %d and %d out of %s order: %q, %q", i-1, i, field, a, b)
			}
			break
		}
	}
}

// restConfigs lists configurations through REST, the other face, in one
// page, with its X-Result-Count.
func (e *env) restConfigs(t *testing.T, actor, query string) ([]string, int) {
	t.Helper()
	res, body := e.rest(t, actor, http.MethodGet, "/api/call-assignment-configurations/?page_size=300"+query, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("REST list as %s: %d %v", actor, res.StatusCode, body)
	}
	count, err := strconv.Atoi(res.Header.Get("X-Result-Count"))
	if err != nil {
		t.Fatalf("X-Result-Count %q", res.Header.Get("X-Result-Count"))
	}
	var out []string
	for _, o := range body.([]any) {
		out = append(out, fmt.Sprint(dig(o, "uuid")))
	}
	return out, count
}
