package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// opFacts are what the limits (cost.go, depth.go) measure of an operation.
// All but its complexity are functions of the document alone; so is its
// complexity when no variable reaches a complexity function (costStatic).
// They are measured once per document the parsed-query cache holds, and
// kept in its entry.
type opFacts struct {
	expanded int // fields, fragments expanded (expandedFields)
	counts   int // totalCount selections (countSelections), exact when costStatic
	depth    int // selectionDepth
	roots    int // root response keys (collect)
	// costStatic: no argument of a field with a complexity function is a
	// variable, so the complexity is the same whatever the variables.
	costStatic bool
	cost       int // complexity.Calculate's, when costKnown
	costKnown  bool
}

// factsBytes is what an operation's facts add to a cache entry's weight:
// the struct, its map entry and the operation's name, which the document
// already holds.
const factsBytes = 128

// measure takes the document-only facts of op.
func measure(op *ast.OperationDefinition) *opFacts {
	return &opFacts{
		expanded:   expandedFields(op.SelectionSet, map[string]int{}),
		counts:     countSelections(op, nil),
		depth:      selectionDepth(op.SelectionSet, map[string]int{}),
		roots:      len(collect(op.SelectionSet)),
		costStatic: !variablesReachComplexity(op.SelectionSet, map[string]bool{}),
	}
}

// variablesReachComplexity reports whether a variable is an argument, or
// part of one, of a field with a complexity function (complexityFields),
// or of any field of an interface, whose implementors may have one. Each
// fragment is walked once, its answer kept in memo, so that fragments
// spreading each other cost no more than their text.
func variablesReachComplexity(set ast.SelectionSet, memo map[string]bool) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.ObjectDefinition == nil || s.ObjectDefinition.Kind != ast.Object || complexityFields[s.ObjectDefinition.Name+"."+s.Name] {
				for _, a := range s.Arguments {
					if hasVariable(a.Value) {
						return true
					}
				}
			}
			if variablesReachComplexity(s.SelectionSet, memo) {
				return true
			}
		case *ast.InlineFragment:
			if variablesReachComplexity(s.SelectionSet, memo) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Definition == nil {
				continue
			}
			reach, ok := memo[s.Name]
			if !ok {
				reach = variablesReachComplexity(s.Definition.SelectionSet, memo)
				memo[s.Name] = reach
			}
			if reach {
				return true
			}
		}
	}
	return false
}

func hasVariable(v *ast.Value) bool {
	if v == nil {
		return false
	}
	if v.Kind == ast.Variable {
		return true
	}
	for _, c := range v.Children {
		if hasVariable(c.Value) {
			return true
		}
	}
	return false
}

// docFacts hands the limits the facts of an operation: from the cache
// entry of its document when there is one, measured now otherwise.
type docFacts struct {
	cache *queryCache
}

// of returns the facts of oc's operation op. The facts returned are a
// copy: the entry's own are written under its lock.
func (d docFacts) of(oc *graphql.OperationContext, op *ast.OperationDefinition) opFacts {
	p := d.cache.entry(oc)
	if p == nil {
		return *measure(op)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	f, ok := p.ops[op.Name]
	if !ok {
		f = measure(op)
		if p.ops == nil {
			p.ops = map[string]*opFacts{}
		}
		p.ops[op.Name] = f
	}
	return *f
}

// cost returns calculate's complexity of oc's operation op, which when no
// variable reaches a complexity function is the same every time, and so is
// calculated once per cached document.
func (d docFacts) cost(ctx context.Context, oc *graphql.OperationContext, op *ast.OperationDefinition, calculate func(context.Context) int) int {
	p := d.cache.entry(oc)
	if p == nil {
		return calculate(ctx)
	}
	p.mu.Lock()
	f, ok := p.ops[op.Name]
	if !ok || !f.costStatic {
		p.mu.Unlock()
		return calculate(ctx)
	}
	if f.costKnown {
		defer p.mu.Unlock()
		return f.cost
	}
	p.mu.Unlock()
	// Calculated outside the lock: it may be long, and concurrent requests
	// for the same document each calculating it once is harmless.
	cost := calculate(ctx)
	p.mu.Lock()
	defer p.mu.Unlock()
	if f, ok := p.ops[op.Name]; ok {
		f.cost, f.costKnown = cost, true
	}
	return cost
}
