// Package inplace marshals the elements of a GraphQL list one after the
// other on the caller's goroutine when nothing selected under them can
// block, instead of in a goroutine each as gqlgen's
// graphql.MarshalSliceConcurrently does. A goroutine per element pays for
// itself only when elements wait (a database call, a loader gathering keys)
// and can wait together; for elements whose fields are plain Go fields and
// methods it costs more than the work it spreads: the goroutine, the stack
// it grows while it marshals, and the scheduling.
//
// What may block comes from the schema's bindings, computed when the
// executor is generated (graph/internal/gqlgenexec writes the Policy); what
// is selected comes from the query, and is read once per list.
package inplace

import (
	"context"
	"fmt"
	"io"
	"reflect"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// Kind says how a field may block.
type Kind uint8

const (
	// Blocking: resolved by code that may wait (a resolver, a method that
	// takes a context, a directive): the elements of a list must resolve it
	// side by side, so that waits overlap and loaders see every key at once.
	Blocking Kind = iota + 1
	// Batch: a gqlgen batch resolver. On an element of a list it runs once
	// for all of the list's elements, the first element's call waiting for
	// it and the others reading its result, so it does not need the
	// elements side by side. Anywhere deeper it runs once per parent, and
	// is Blocking.
	Batch
)

// Policy lists, per object, interface and union type of the schema, the
// fields that may block; a field it does not list is a plain Go field or a
// method without a context, resolved inline. A type it does not list at all
// is unknown, and everything about it may block: a Policy generated for
// another schema errs on the side of goroutines.
type Policy map[string]map[string]Kind

// InPlace reports whether the elements of a list whose element selection
// is sel may be marshalled one after the other: whether no field selected
// under them, fragments included, may block. batchOK is false for a list
// of lists, whose inner lists each run their own batch calls. Directives
// (@skip, @include) are not evaluated, which can only find a field too
// many and keep a list concurrent that need not be.
func (p Policy) InPlace(sel ast.SelectionSet, batchOK bool) bool {
	return p.walk(sel, batchOK, 0)
}

func (p Policy) walk(sel ast.SelectionSet, batchOK bool, depth int) bool {
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if s.Name == "__typename" {
				continue
			}
			if s.ObjectDefinition == nil {
				return false
			}
			fields, known := p[s.ObjectDefinition.Name]
			if !known {
				return false
			}
			switch fields[s.Name] {
			case Blocking:
				return false
			case Batch:
				if !batchOK || depth > 0 {
					return false
				}
			}
			if !p.walk(s.SelectionSet, batchOK, depth+1) {
				return false
			}
		case *ast.InlineFragment:
			if !p.walk(s.SelectionSet, batchOK, depth) {
				return false
			}
		case *ast.FragmentSpread:
			// Validation has refused cycles of fragments; one that is
			// spread many times is walked each time, which costs what
			// marshalling its fields does anyway.
			if s.Definition == nil || !p.walk(s.Definition.SelectionSet, batchOK, depth) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// MarshalSlice is graphql.MarshalSliceConcurrently when inPlace is false.
// When it is true it marshals the elements in order on the caller's
// goroutine, each under a field context of its own index, as gqlgen's
// does, and, unless omitPanicHandler, turns an element's panic into an
// error on that element's path and a null in its place, as gqlgen's does.
func MarshalSlice(ctx context.Context, inPlace bool, length int, workerLimit int64, omitPanicHandler bool,
	marshalElement func(ctx context.Context, i int) graphql.Marshaler,
) graphql.Array {
	if !inPlace {
		return graphql.MarshalSliceConcurrently(ctx, length, workerLimit, omitPanicHandler, marshalElement)
	}
	ret := make(graphql.Array, length)
	for i := range length {
		childCtx := graphql.WithFieldContext(ctx, &graphql.FieldContext{Index: &i})
		if omitPanicHandler {
			ret[i] = marshalElement(childCtx, i)
			continue
		}
		ret[i] = marshalRecovering(childCtx, i, marshalElement)
	}
	return ret
}

func marshalRecovering(ctx context.Context, i int, marshalElement func(ctx context.Context, i int) graphql.Marshaler) (m graphql.Marshaler) {
	defer func() {
		if r := recover(); r != nil {
			graphql.AddError(ctx, graphql.Recover(ctx, r))
			m = graphql.Null
		}
	}()
	return marshalElement(ctx, i)
}

// DeferredGroup is graphql.NewDeferredGroup(ctx) when one of an object's
// collected fields is deferred, and an empty group otherwise. Only a
// deferred field touches the group (FieldSet.ResolveConcurrently adds it
// there), and an empty group is never processed; gqlgen's builds one for
// every object, with the object's path, a field set and a map.
func DeferredGroup(ctx context.Context, fields []graphql.CollectedField) graphql.DeferredGroup {
	for i := range fields {
		if fields[i].IsDeferred() {
			return graphql.NewDeferredGroup(ctx)
		}
	}
	return graphql.DeferredGroup{}
}

// Plain reports whether oc resolves fields without field middleware: no
// extension intercepts fields (AroundFields, a FieldInterceptor), so its
// ResolverMiddleware is the executor's own pass-through. Only then may a
// field be resolved without it (the executor's leaf_ functions): what
// middleware would see of a field, its context included, does not exist
// for those.
func Plain(oc *graphql.OperationContext) bool {
	return oc != nil && oc.ResolverMiddleware != nil &&
		reflect.ValueOf(oc.ResolverMiddleware).Pointer() == passThrough()
}

// passThrough is the code of the field middleware of an executor without
// extensions: the same function literal (of processExtensions) in every
// executor; any interceptor wraps it in another.
var passThrough = sync.OnceValue(func() uintptr {
	s := gqlparser.MustLoadSchema(&ast.Source{Input: "type Query { a: Int }"})
	oc, errs := executor.New(stubSchema{s}).CreateOperationContext(graphql.StartOperationTrace(context.Background()), &graphql.RawParams{Query: "{ a }"})
	if errs != nil || oc.ResolverMiddleware == nil {
		panic(fmt.Sprintf("inplace: no operation context of a bare executor: %v", errs))
	}
	return reflect.ValueOf(oc.ResolverMiddleware).Pointer()
})

// stubSchema is the least graphql.ExecutableSchema an executor accepts.
type stubSchema struct{ s *ast.Schema }

func (e stubSchema) Schema() *ast.Schema { return e.s }

func (stubSchema) Complexity(context.Context, string, string, int, map[string]any) (int, bool) {
	return 0, false
}

func (stubSchema) Exec(context.Context) graphql.ResponseHandler {
	return func(context.Context) *graphql.Response { return nil }
}

// FieldSet is graphql.FieldSet with a MarshalGQL that writes the same JSON
// without allocating: gqlgen's allocates a map of the aliases written and,
// handing each field out by address, every field.
type FieldSet struct {
	*graphql.FieldSet
	fields []graphql.CollectedField
}

// NewFieldSet is graphql.NewFieldSet.
func NewFieldSet(fields []graphql.CollectedField) *FieldSet {
	return &FieldSet{FieldSet: graphql.NewFieldSet(fields), fields: fields}
}

// MarshalGQL writes the fields as a JSON object in order, each response key
// once (the first), as gqlgen's does.
func (m *FieldSet) MarshalGQL(w io.Writer) {
	// Execution merges the fields of one key, so keys repeat only where
	// gqlgen's own guard would apply. Few fields are checked by a scan;
	// many, which a query may alias, by a map, as gqlgen does.
	var seen map[string]struct{}
	if len(m.fields) > maxScan {
		seen = make(map[string]struct{}, len(m.fields))
	}
	_, _ = io.WriteString(w, "{")
	for i := range m.fields {
		alias := m.fields[i].Alias
		if seen != nil {
			if _, dup := seen[alias]; dup {
				continue
			}
			seen[alias] = struct{}{}
		} else if m.repeats(i) {
			continue
		}
		if i > 0 {
			_, _ = io.WriteString(w, ",")
		}
		writeKey(w, alias)
		m.Values[i].MarshalGQL(w)
	}
	_, _ = io.WriteString(w, "}")
}

// maxScan is the most fields whose keys are checked for repeats by a scan.
const maxScan = 16

// repeats reports whether a field before i has i's response key.
func (m *FieldSet) repeats(i int) bool {
	for j := range i {
		if m.fields[j].Alias == m.fields[i].Alias {
			return true
		}
	}
	return false
}

// writeKey writes a response key and its colon. A key is a GraphQL name,
// which JSON need not escape; anything else is escaped as gqlgen does.
func writeKey(w io.Writer, key string) {
	for i := 0; i < len(key); i++ {
		if c := key[i]; c < 0x20 || c == '\\' || c == '"' {
			graphql.MarshalString(key).MarshalGQL(w)
			_, _ = io.WriteString(w, ":")
			return
		}
	}
	_, _ = io.WriteString(w, `"`)
	_, _ = io.WriteString(w, key)
	_, _ = io.WriteString(w, `":`)
}
