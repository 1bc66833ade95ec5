package graph

import (
	"context"
	"math"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/graph/model"
)

// Codes of extensions.code of operations refused before execution.
const (
	CodeComplexityLimit = "COMPLEXITY_LIMIT_EXCEEDED"
	CodeRootFieldLimit  = "ROOT_FIELD_LIMIT_EXCEEDED"
)

// TotalCountCost is what one totalCount adds to an operation's complexity.
// A count reads every row the viewer may see under the filter (all 10,000
// configurations of the bench data for a staff user), not one page of
// them; it is priced like a 100-item page of configurations with a dozen
// fields and their calls (1 + 100 × about 10). So at the default limit an
// operation asks for at most 24 counts, and with a 300-item page beside
// them only a handful; the aliases of `first: 0 { totalCount }` that were
// 2 points each are no longer a cheap way to run hundreds.
const TotalCountCost = 1000

// complexityFields are the fields with a complexity function of their own
// (setComplexity): only through their arguments can variables change an
// operation's complexity, or how often a nested totalCount runs.
var complexityFields = map[string]bool{
	"Query.callAssignmentConfigurations":       true,
	"Query.calls":                              true,
	"Query.callAssignmentConfigurationChanges": true,
	"CallAssignmentConfiguration.history":      true,
	"Call.assignmentConfigurationHistory":      true,
}

// setComplexity makes each of complexityFields cost its page size times
// its children.
func setComplexity(cfg *Config) {
	cfg.Complexity.Query.CallAssignmentConfigurations = func(child int, first *int, _ *string, last *int, _ *string,
		_ *model.CallAssignmentConfigurationFilter, _ []*model.CallAssignmentConfigurationOrder,
	) int {
		return pageComplexity(child, first, last)
	}
	cfg.Complexity.Query.Calls = func(child int, first *int, _ *string, last *int, _ *string, _ *model.CallFilter, _ []*model.CallOrder) int {
		return pageComplexity(child, first, last)
	}
	changeComplexity(&cfg.Complexity)
}

// connectionTypes are the types whose totalCount runs a count. A
// connection nested in the items of another (a configuration's history)
// runs its count once per item, and countSelections prices it so.
var connectionTypes = map[string]bool{
	"CallAssignmentConfigurationConnection":       true,
	"CallConnection":                              true,
	"CallAssignmentConfigurationChangeConnection": true,
}

// complexityLimit refuses operations whose complexity exceeds max. It
// replaces gqlgen's FixedComplexityLimit, whose calculation it keeps
// (complexity.Calculate with the schema's complexity functions: a
// connection costs its page size times its children) and adds what
// gqlgen's functions cannot express: a connection's complexity function
// sees only the sum of its children and multiplies all of it by the page
// size, so a real cost given to totalCount there would be paid once per
// item of the page, and `first: 300 { totalCount }` refused.
type complexityLimit struct {
	max   int
	es    graphql.ExecutableSchema
	facts docFacts
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = &complexityLimit{}

func (*complexityLimit) ExtensionName() string { return "ComplexityLimit" }

func (c *complexityLimit) Validate(es graphql.ExecutableSchema) error {
	c.es = es
	return nil
}

func (c *complexityLimit) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	op := oc.Doc.Operations.ForName(oc.OperationName)
	if op == nil {
		return nil
	}
	// gqlgen's calculation walks every fragment spread anew, so fragments
	// that spread each other twice, level after level, take it 2^n steps:
	// 24 levels, a 1 KB request, cost two seconds of CPU. Every field it
	// visits adds at least 1, so an operation whose fields, fragments
	// expanded, outnumber the limit is refused without that walk.
	f := c.facts.of(oc, op)
	if n := f.expanded; n > c.max {
		err := gqlerror.Errorf("operation has complexity %d or more, which exceeds the limit of %d", n, c.max)
		errcode.Set(err, CodeComplexityLimit)
		return err
	}
	cost := c.facts.cost(ctx, oc, op, func(ctx context.Context) int {
		return complexity.Calculate(ctx, c.es, op, oc.Variables)
	})
	counts := f.counts
	if !f.costStatic {
		// A variable sets the page size a nested count runs once per item of.
		counts = countSelections(op, oc.Variables)
	}
	if cost <= c.max {
		// Counts saturate at MaxInt32, and cost is at most max here, so
		// the sum cannot overflow.
		cost += counts * TotalCountCost
	}
	if cost > c.max {
		err := gqlerror.Errorf("operation has complexity %d, which exceeds the limit of %d", cost, c.max)
		errcode.Set(err, CodeComplexityLimit)
		return err
	}
	return nil
}

// expandedFields counts the fields of set as gqlgen's complexity walk
// visits them: fragments expanded, __schema's subtree skipped. Each
// fragment is counted once and remembered in memo, so the count costs what
// the text does, however often fragments spread each other; the sum
// saturates instead of overflowing.
func expandedFields(set ast.SelectionSet, memo map[string]int) int {
	n := 0
	add := func(m int) {
		n = min(n+m, math.MaxInt32)
	}
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Definition != nil && s.Definition.Type.Name() == "__Schema" {
				continue
			}
			add(1 + expandedFields(s.SelectionSet, memo))
		case *ast.InlineFragment:
			add(expandedFields(s.SelectionSet, memo))
		case *ast.FragmentSpread:
			if s.Definition == nil {
				continue
			}
			m, ok := memo[s.Name]
			if !ok {
				m = expandedFields(s.Definition.SelectionSet, memo)
				memo[s.Name] = m
			}
			add(m)
		}
	}
	return n
}

// rootFieldLimit refuses operations with more than max root fields, before
// anything runs: each root field is resolved on its own (a lookup, a page,
// a mutation), so their number bounds the work of one request in a way the
// complexity limit, which lets many cheap fields through, does not.
type rootFieldLimit struct {
	max   int
	facts docFacts
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = rootFieldLimit{}

func (rootFieldLimit) ExtensionName() string                   { return "RootFieldLimit" }
func (rootFieldLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (l rootFieldLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	op := oc.Doc.Operations.ForName(oc.OperationName)
	if op == nil {
		return nil
	}
	if n := l.facts.of(oc, op).roots; n > l.max {
		err := gqlerror.Errorf("operation has %d root fields, which exceeds the limit of %d", n, l.max)
		errcode.Set(err, CodeRootFieldLimit)
		return err
	}
	return nil
}

// countSelections is how many counts op runs: the distinct response keys
// of totalCount under each distinct field of a connection type, which is
// what execution resolves once fields of the same response key are merged,
// each counted as often as it runs: once at the root, once per item a page
// may hold when nested in the items of a connection (its first or last,
// else 20), and so on down.
func countSelections(op *ast.OperationDefinition, vars map[string]any) int {
	return countsIn(collect(op.SelectionSet), vars, 1)
}

func countsIn(fields map[string][]*ast.Field, vars map[string]any, times int) int {
	n := 0
	add := func(m int) { n = min(n+m, math.MaxInt32) }
	for _, group := range fields {
		f := group[0]
		if f.Definition == nil {
			continue
		}
		var sets []ast.SelectionSet
		for _, g := range group {
			if len(g.SelectionSet) > 0 {
				sets = append(sets, g.SelectionSet)
			}
		}
		if len(sets) == 0 {
			continue
		}
		sub := collect(sets...)
		inner := times
		if connectionTypes[f.Definition.Type.Name()] {
			for _, subs := range sub {
				if subs[0].Name == "totalCount" {
					add(times)
				}
			}
			inner = min(times*pageItems(f, vars), math.MaxInt32)
		}
		add(countsIn(sub, vars, inner))
	}
	return n
}

// pageItems is how many items a connection field may hold, as
// pageComplexity reads its arguments.
func pageItems(f *ast.Field, vars map[string]any) int {
	args := f.ArgumentMap(vars)
	n := 0
	if p := intArg(args["first"]); p != nil {
		n = *p
	} else if p := intArg(args["last"]); p != nil {
		n = *p
	} else {
		return core.DefaultPageSize
	}
	return max(1, min(n, core.MaxPageSize+1))
}

// collect groups the fields of selection sets by response key (alias or
// name), fragments expanded, as execution merges them. Each fragment is
// walked once per call, so fragments spread many times, or spreading each
// other, cost no more than their text; @skip and @include are not
// evaluated, which can only count a field too many.
func collect(sets ...ast.SelectionSet) map[string][]*ast.Field {
	out := map[string][]*ast.Field{}
	seen := map[string]bool{}
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				key := s.Alias
				if key == "" {
					key = s.Name
				}
				out[key] = append(out[key], s)
			case *ast.InlineFragment:
				walk(s.SelectionSet)
			case *ast.FragmentSpread:
				if s.Definition != nil && !seen[s.Name] {
					seen[s.Name] = true
					walk(s.Definition.SelectionSet)
				}
			}
		}
	}
	for _, set := range sets {
		walk(set)
	}
	return out
}
