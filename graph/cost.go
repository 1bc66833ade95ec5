package graph

import (
	"context"
	"math"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

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
// operation's complexity.
var complexityFields = map[string]bool{
	"Query.callAssignmentConfigurations": true,
	"Query.calls":                        true,
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
}

// connectionTypes are the types whose totalCount runs a count. Connections
// are fields of Query only (TestConnectionsAreRootFields keeps it so), so a
// totalCount is never repeated per item of an enclosing list, and its cost
// is added once per selection.
var connectionTypes = map[string]bool{
	"CallAssignmentConfigurationConnection": true,
	"CallConnection":                        true,
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
	if cost <= c.max {
		// Counts are bounded by the parser's token limit, and cost by max
		// here, so the sum cannot overflow.
		cost += f.counts * TotalCountCost
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

// countSelections is how many counts op runs: the distinct response keys of
// totalCount under each distinct root field of a connection type, which is
// what execution resolves once fields of the same response key are merged.
func countSelections(op *ast.OperationDefinition) int {
	n := 0
	for _, fields := range collect(op.SelectionSet) {
		if fields[0].Definition == nil || !connectionTypes[fields[0].Definition.Type.Name()] {
			continue
		}
		var sets []ast.SelectionSet
		for _, f := range fields {
			sets = append(sets, f.SelectionSet)
		}
		for _, sub := range collect(sets...) {
			if sub[0].Name == "totalCount" {
				n++
			}
		}
	}
	return n
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
