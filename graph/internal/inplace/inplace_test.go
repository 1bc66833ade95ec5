package inplace_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/callcfg/callcfg/graph/internal/inplace"
)

const schema = `
interface Node { id: ID! }
type Item implements Node { id: ID! name: String! owner: Owner! loaded: String! batched: String! }
type Owner { name: String! loaded: String! batched: String! items: [Item!]! }
union Thing = Item | Owner
type Query { items: [Item!]! nodes: [Node!]! things: [Thing!]! grid: [[Item!]!]! }
`

// policy is what the generator would write for schema: loaded is a
// resolver that may wait, batched a batch resolver.
var policy = inplace.Policy{
	"Node":  nil,
	"Item":  {"loaded": inplace.Blocking, "batched": inplace.Batch},
	"Owner": {"loaded": inplace.Blocking, "batched": inplace.Batch},
	"Thing": nil,
	"Query": {"items": inplace.Blocking, "nodes": inplace.Blocking, "things": inplace.Blocking, "grid": inplace.Blocking},
}

// elementSelection is the selection of the elements of the query's first
// root field, as the generated list marshaller is handed it.
func elementSelection(t *testing.T, query string) ast.SelectionSet {
	t.Helper()
	s := gqlparser.MustLoadSchema(&ast.Source{Input: schema})
	doc, errs := gqlparser.LoadQuery(s, query)
	if errs != nil {
		t.Fatalf("%s: %v", query, errs)
	}
	return doc.Operations[0].SelectionSet[0].(*ast.Field).SelectionSet
}

func TestInPlace(t *testing.T) {
	tests := []struct {
		name    string
		policy  inplace.Policy
		query   string
		batchOK bool
		want    bool
	}{
		{"plain fields", policy, `{ items { id name __typename } }`, true, true},
		{"plain fields of a nested object", policy, `{ items { owner { name } } }`, true, true},
		{"a blocking field", policy, `{ items { name loaded } }`, true, false},
		{"a blocking field of a nested object", policy, `{ items { owner { loaded } } }`, true, false},
		{"a batch field on the element", policy, `{ items { batched } }`, true, true},
		{"a batch field on the element of a list of lists", policy, `{ grid { batched } }`, false, false},
		{"a batch field deeper, resolved per parent", policy, `{ items { owner { batched } } }`, true, false},
		{"a batch field under a nested list", policy, `{ items { owner { items { batched } } } }`, true, false},
		{"a blocking field in a fragment", policy, `{ items { ...F } } fragment F on Item { name loaded }`, true, false},
		{"a fragment of plain fields", policy, `{ items { ...F } } fragment F on Item { name owner { name } }`, true, true},
		{"a batch field in a fragment on the element", policy, `{ items { ...F } } fragment F on Item { batched }`, true, true},
		{"a blocking field in an inline fragment", policy, `{ nodes { id ... on Item { loaded } } }`, true, false},
		{"an interface's plain fields", policy, `{ nodes { id ... on Item { name } } }`, true, true},
		{"a union's members", policy, `{ things { __typename ... on Owner { name } ... on Item { id } } }`, true, true},
		{"a union member's blocking field", policy, `{ things { ... on Owner { loaded } } }`, true, false},
		{"a skipped blocking field still counts", policy, `{ items { loaded @skip(if: true) } }`, true, false},
		{"a type the policy does not know", inplace.Policy{"Node": nil}, `{ items { id } }`, true, false},
		{"an empty policy", inplace.Policy{}, `{ items { name } }`, true, false},
		{"only __typename of an unknown type", inplace.Policy{}, `{ items { __typename } }`, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.policy.InPlace(elementSelection(t, tt.query), tt.batchOK); got != tt.want {
				t.Errorf("InPlace(%s) = %v, want %v", tt.query, got, tt.want)
			}
		})
	}
}

// run marshals n elements with marshal, under a response context and a
// parent field "items", and returns the JSON written and the errors
// reported.
func run(t *testing.T, inPlace bool, n int, omitPanicHandler bool, marshal func(ctx context.Context, i int) graphql.Marshaler) (string, []string) {
	t.Helper()
	ctx := graphql.WithResponseContext(context.Background(), graphql.DefaultErrorPresenter,
		func(ctx context.Context, err any) error { return fmt.Errorf("recovered: %v", err) })
	ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Field: graphql.CollectedField{Field: &ast.Field{Alias: "items"}}})
	var b strings.Builder
	inplace.MarshalSlice(ctx, inPlace, n, 0, omitPanicHandler, marshal).MarshalGQL(&b)
	var errs []string
	for _, e := range graphql.GetErrors(ctx) {
		errs = append(errs, e.Path.String()+": "+e.Message)
	}
	slices.Sort(errs)
	return b.String(), errs
}

// TestMarshalSliceAsGqlgen: in place, the elements see what gqlgen's
// concurrent marshalling shows them (their index, their path, their
// parent), and a panicking element is a null and an error on its path.
func TestMarshalSliceAsGqlgen(t *testing.T) {
	element := func(ctx context.Context, i int) graphql.Marshaler {
		fc := graphql.GetFieldContext(ctx)
		if i == 2 {
			panic("element two")
		}
		if i == 3 {
			graphql.AddError(ctx, errors.New("element three failed"))
			return graphql.Null
		}
		path := graphql.GetPath(ctx).String()
		return graphql.WriterFunc(func(w io.Writer) {
			_, _ = fmt.Fprintf(w, `"%d %s %s"`, *fc.Index, path, fc.Parent.Field.Alias)
		})
	}
	for _, n := range []int{0, 1, 5} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			wantJSON, wantErrs := run(t, false, n, false, element)
			gotJSON, gotErrs := run(t, true, n, false, element)
			if gotJSON != wantJSON {
				t.Errorf("in place %s, concurrently %s", gotJSON, wantJSON)
			}
			if !slices.Equal(gotErrs, wantErrs) {
				t.Errorf("in place errors %q, concurrently %q", gotErrs, wantErrs)
			}
			if n == 5 && !slices.Contains(gotErrs, "items[2]: recovered: element two") {
				t.Errorf("the panic is not reported on its element: %q", gotErrs)
			}
		})
	}
}

// TestMarshalSliceOrder: in place, element i+1 starts after element i has
// returned, in order.
func TestMarshalSliceOrder(t *testing.T) {
	var inFlight atomic.Int32
	var order []int
	run(t, true, 10, true, func(ctx context.Context, i int) graphql.Marshaler {
		if n := inFlight.Add(1); n != 1 {
			t.Errorf("element %d runs beside %d others", i, n-1)
		}
		time.Sleep(time.Millisecond) // room for a sibling to start, were it concurrent
		order = append(order, i)
		inFlight.Add(-1)
		return graphql.Null
	})
	if !slices.Equal(order, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) {
		t.Errorf("order %v", order)
	}
}

// TestMarshalSliceWithoutPanicHandler: with omitPanicHandler, as with
// gqlgen's, a panic is not recovered here.
func TestMarshalSliceWithoutPanicHandler(t *testing.T) {
	defer func() {
		if r := recover(); r != "boom" {
			t.Errorf("recovered %v, want the element's panic", r)
		}
	}()
	run(t, true, 3, true, func(ctx context.Context, i int) graphql.Marshaler {
		if i == 1 {
			panic("boom")
		}
		return graphql.Null
	})
	t.Error("the panic did not reach the caller")
}

func TestDeferredGroup(t *testing.T) {
	ctx := graphql.WithFieldContext(context.Background(), &graphql.FieldContext{Field: graphql.CollectedField{Field: &ast.Field{Alias: "items"}}})
	plain := []graphql.CollectedField{{Field: &ast.Field{Alias: "a"}}, {Field: &ast.Field{Alias: "b"}}}
	if g := inplace.DeferredGroup(ctx, plain); g.FieldSet != nil || g.Defers != nil || g.Path != nil {
		t.Errorf("a group for fields none of which is deferred: %+v", g)
	}
	deferred := append(plain, graphql.CollectedField{Field: &ast.Field{Alias: "c"}, Deferrables: []*graphql.Deferrable{{Label: "later"}}})
	g := inplace.DeferredGroup(ctx, deferred)
	if g.FieldSet == nil || g.Defers == nil || g.Path.String() != "items" || g.Context != ctx {
		t.Errorf("the group of a deferred field is not gqlgen's: %+v", g)
	}
}

// TestPlain: an operation is plain unless something intercepts its fields,
// whatever else the server uses.
func TestPlain(t *testing.T) {
	s := gqlparser.MustLoadSchema(&ast.Source{Input: schema})
	es := &graphql.ExecutableSchemaMock{
		SchemaFunc:     func() *ast.Schema { return s },
		ComplexityFunc: func(context.Context, string, string, int, map[string]any) (int, bool) { return 0, false },
	}
	tests := []struct {
		name string
		use  func(*executor.Executor)
		want bool
	}{
		{"nothing", func(*executor.Executor) {}, true},
		{"operation, root field and response middleware, introspection, APQ", func(e *executor.Executor) {
			e.Use(extension.Introspection{})
			e.Use(extension.AutomaticPersistedQuery{Cache: graphql.MapCache[string]{}})
			e.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler { return next(ctx) })
			e.AroundRootFields(func(ctx context.Context, next graphql.RootResolver) graphql.Marshaler { return next(ctx) })
			e.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response { return next(ctx) })
		}, true},
		{"field middleware", func(e *executor.Executor) {
			e.AroundFields(func(ctx context.Context, next graphql.Resolver) (any, error) { return next(ctx) })
		}, false},
		{"a field interceptor among others", func(e *executor.Executor) {
			e.Use(extension.Introspection{})
			e.Use(fieldCounter{})
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := executor.New(es)
			tt.use(e)
			oc, errs := e.CreateOperationContext(graphql.StartOperationTrace(context.Background()), &graphql.RawParams{Query: "{ items { id } }"})
			if errs != nil {
				t.Fatal(errs)
			}
			if got := inplace.Plain(oc); got != tt.want {
				t.Errorf("Plain = %v, want %v", got, tt.want)
			}
		})
	}
	if inplace.Plain(nil) {
		t.Error("no operation is plain")
	}
}

type fieldCounter struct{}

func (fieldCounter) ExtensionName() string                   { return "fieldCounter" }
func (fieldCounter) Validate(graphql.ExecutableSchema) error { return nil }
func (fieldCounter) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	return next(ctx)
}

// TestFieldSetAsGqlgen: the same JSON as gqlgen's field set.
func TestFieldSetAsGqlgen(t *testing.T) {
	field := func(alias string) graphql.CollectedField {
		return graphql.CollectedField{Field: &ast.Field{Alias: alias, Name: alias}}
	}
	many := func(n int, repeat string) []graphql.CollectedField {
		var fs []graphql.CollectedField
		for i := range n {
			fs = append(fs, field(fmt.Sprintf("f%d", i)))
			if i%5 == 0 {
				fs = append(fs, field(repeat))
			}
		}
		return fs
	}
	tests := map[string][]graphql.CollectedField{
		"none":                nil,
		"one":                 {field("uuid")},
		"several":             {field("uuid"), field("name"), field("__typename")},
		"a repeated key":      {field("a"), field("b"), field("a"), field("c")},
		"the first repeated":  {field("a"), field("a")},
		"many, repeated":      many(40, "r"),
		"a key JSON escapes":  {field(`we"ird`), field("x\ny")},
		"just over the scan":  many(14, "f1"),
		"just under the scan": many(12, "f2"),
	}
	for name, fields := range tests {
		t.Run(name, func(t *testing.T) {
			theirs, ours := graphql.NewFieldSet(fields), inplace.NewFieldSet(fields)
			for i := range fields {
				v := graphql.MarshalString(fmt.Sprint(i))
				theirs.Values[i], ours.Values[i] = v, v
			}
			var want, got strings.Builder
			theirs.MarshalGQL(&want)
			ours.MarshalGQL(&got)
			if got.String() != want.String() {
				t.Errorf("got  %s\nwant %s", got.String(), want.String())
			}
		})
	}
}
