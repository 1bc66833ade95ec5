package graph

import (
	"context"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// TestFactsPerDocument: an operation's facts are measured once per
// document the parsed-query cache holds, its complexity too when it has no
// variables; anything else is measured on every request.
func TestFactsPerDocument(t *testing.T) {
	cache := newQueryCache(1<<20, 16<<10)
	facts := docFacts{cache: cache}
	ctx := context.Background()
	operation := func(query string, cached bool) (*graphql.OperationContext, *ast.OperationDefinition) {
		doc, err := parser.ParseQuery(&ast.Source{Input: query})
		if err != nil {
			t.Fatal(err)
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
		expand       int
	}{
		{"cached, no variables", `query A { a: calls { totalCount nodes { uuid call { name } } } me { uuid } }`, true, 1, 4, 2, 8},
		{"cached, with variables", `query B($n: Int) { calls(first: $n) { nodes { uuid } } }`, true, 3, 3, 1, 3},
		{"not cached", `query C { me { uuid } }`, false, 3, 2, 1, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			oc, op := operation(tt.query, tt.cached)
			calculations := 0
			for range 3 {
				f := facts.of(oc, op)
				if f.depth != tt.depth || f.roots != tt.roots || f.expanded != tt.expand {
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
