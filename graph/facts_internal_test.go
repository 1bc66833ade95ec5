package graph

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// TestFactsPerDocument: an operation's facts are measured once per
// document the parsed-query cache holds, its complexity too unless a
// variable reaches a complexity function; anything else is measured on
// every request.
func TestFactsPerDocument(t *testing.T) {
	schema := NewExecutableSchema(Config{Resolvers: &Resolver{}}).Schema()
	cache := newQueryCache(1<<20, 16<<10)
	facts := docFacts{cache: cache}
	ctx := context.Background()
	operation := func(query string, cached bool) (*graphql.OperationContext, *ast.OperationDefinition) {
		doc, errs := gqlparser.LoadQuery(schema, query)
		if errs != nil {
			t.Fatal(errs)
		}
		if cached {
			cache.Add(ctx, query, doc)
			cache.entries.CleanUp()
		}
		return &graphql.OperationContext{RawQuery: query, Doc: doc}, doc.Operations[0]
	}
	tests := []struct {
		name         string
		query        string
		cached       bool
		calculations int
		depth, roots int
		counts       int
	}{
		{"no variables", `query A { a: calls { totalCount nodes { uuid } } me { uuid } }`, true, 1, 3, 2, 1},
		{"a variable no complexity function reads", `query B($u: UUID!) { call(uuid: $u) { uuid } callAssignmentConfigurations { totalCount } }`, true, 1, 2, 2, 1},
		{"a page size in a variable", `query C($n: Int) { calls(first: $n) { nodes { uuid } } }`, true, 3, 3, 1, 0},
		{"a variable deep in a page's argument", `query D($u: UUID) { callAssignmentConfigurations(filter: {callUuid: $u}) { nodes { uuid } } }`, true, 3, 3, 1, 0},
		{"through a fragment", `query E($n: Int) { ...F } fragment F on Query { calls(last: $n) { totalCount } }`, true, 3, 2, 1, 1},
		{"a variable of a field whose type is an interface", `query G($id: ID!) { node(id: $id) { id } }`, true, 1, 2, 1, 0},
		{"not cached", `query H { me { uuid } }`, false, 3, 2, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			oc, op := operation(tt.query, tt.cached)
			calculations := 0
			for range 3 {
				f := facts.of(oc, op)
				if f.depth != tt.depth || f.roots != tt.roots || f.counts != tt.counts {
					t.Errorf("facts %+v", f)
				}
				if got := facts.cost(ctx, oc, op, func(context.Context) int { calculations++; return 42 }); got != 42 {
					t.Errorf("cost %d", got)
				}
			}
			if calculations != tt.calculations {
				t.Errorf("complexity calculated %d times, want %d", calculations, tt.calculations)
			}
		})
	}
	// Another document of the same text is measured anew: facts belong to
	// the very document the cache holds.
	oc, op := operation(tests[0].query, false)
	calculations := 0
	facts.cost(ctx, oc, op, func(context.Context) int { calculations++; return 0 })
	if calculations != 1 {
		t.Errorf("a document the cache does not hold reused another's cost")
	}
}

// TestComplexityFieldsAreThoseWithFunctions: complexityFields names every
// field setComplexity gives a function, so that a variable reaching one
// is never mistaken for one that cannot change the complexity.
func TestComplexityFieldsAreThoseWithFunctions(t *testing.T) {
	var cfg Config
	setComplexity(&cfg)
	set := map[string]bool{}
	types := reflect.ValueOf(cfg.Complexity)
	for i := range types.NumField() {
		fields := types.Field(i)
		for j := range fields.NumField() {
			if f := fields.Field(j); f.Kind() == reflect.Func && !f.IsNil() {
				name := fields.Type().Field(j).Name
				set[types.Type().Field(i).Name+"."+strings.ToLower(name[:1])+name[1:]] = true
			}
		}
	}
	if !reflect.DeepEqual(set, complexityFields) {
		t.Errorf("complexity functions %v, complexityFields %v", set, complexityFields)
	}
}
