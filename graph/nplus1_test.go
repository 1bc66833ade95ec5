package graph_test

import (
	"testing"

	"github.com/callcfg/callcfg/core/coretest"
	"github.com/callcfg/callcfg/db/dbtest"
)

// maxStatements is what one page of configurations with their calls may
// cost, whatever its size: authentication, the page, the calls, the count.
const maxStatements = 4

// TestNoNPlusOne counts the SQL statements of a page of configurations
// with the nested call and the call's configuration and effective
// settings: 100 items cost what 10 cost, and no more than a constant.
func TestNoNPlusOne(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		e.seed(110)
		counter := dbtest.CountQueries(e.bdb)
		const q = `query($n: Int) { callAssignmentConfigurations(first: $n) { totalCount
			nodes { uuid maxAutoReassignAttempts call { uuid name state url
				assignmentConfiguration { uuid maxAutoReassignAttempts call { name } }
				effectiveAssignmentSettings { maxAutoReassignAttempts isDefault } } } } }`
		// The token's first use records last_used, once a minute: not part
		// of what a page costs.
		e.do(coretest.Staff, `{ me { username } }`, nil).ok(t)
		counts := map[int]int64{}
		for _, n := range []int{10, 100} {
			counter.Reset()
			r := e.do(coretest.Staff, q, map[string]any{"n": n}).ok(t)
			counts[n] = counter.Count()
			if got := len(r.list("callAssignmentConfigurations.nodes")); got != n {
				t.Fatalf("page of %d, want %d", got, n)
			}
			if counts[n] > maxStatements {
				t.Errorf("a page of %d costs %d statements, more than %d:\n%s", n, counts[n], maxStatements, counter.Queries())
			}
		}
		t.Logf("SQL statements: 10 items %d, 100 items %d", counts[10], counts[100])
		if counts[10] != counts[100] {
			t.Errorf("10 items cost %d statements, 100 cost %d: not constant", counts[10], counts[100])
		}

		// The other way round: a page of calls with their configurations.
		const calls = `query($n: Int) { calls(first: $n) { nodes { uuid
			assignmentConfiguration { uuid call { name } } effectiveAssignmentSettings { isDefault } } } }`
		for _, n := range []int{10, 100} {
			counter.Reset()
			r := e.do(coretest.Staff, calls, map[string]any{"n": n}).ok(t)
			counts[n] = counter.Count()
			if got := len(r.list("calls.nodes")); got != n {
				t.Fatalf("page of %d calls, want %d", got, n)
			}
		}
		t.Logf("SQL statements for calls: 10 items %d, 100 items %d", counts[10], counts[100])
		if counts[10] != counts[100] || counts[100] > maxStatements-1 {
			t.Errorf("pages of calls cost %d (10) and %d (100) statements:\n%s", counts[10], counts[100], counter.Queries())
		}
	})
}
