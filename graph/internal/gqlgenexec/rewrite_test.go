package main

import (
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"
)

// header is the import block of gqlgen's generated file, cut down.
const header = `package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

type executionContext struct{ graphql.ExecutionContextState[any, any, any] }
`

// listMarshaller is the shape type.gotpl renders for a list of objects.
func listMarshaller(name, list, args string) string {
	return `
func (ec *executionContext) ` + name + `(ctx context.Context, sel ast.SelectionSet, v ` + list + `) graphql.Marshaler {
	ret := graphql.MarshalSliceConcurrently(` + args + `, func(ctx context.Context, i int) graphql.Marshaler {
		fc := graphql.GetFieldContext(ctx)
		fc.Result = &v[i]
		return graphql.Null
	})
	return ret
}
`
}

// objectMarshaller is the shape object.gotpl renders; concurrent adds a
// field resolved concurrently, which hands the deferred group on; other
// hands it to some other function.
func objectMarshaller(name string, concurrent bool) string {
	return objectWith(name, map[bool]string{
		false: `out.Values[i] = graphql.Null`,
		true:  `out.ResolveConcurrently(ec.OperationContext, &deferred, i, true, true, func(ctx context.Context) graphql.Marshaler { return graphql.Null })`,
	}[concurrent])
}

func objectWith(name, field string) string {
	return `
func (ec *executionContext) ` + name + `(ctx context.Context, sel ast.SelectionSet, obj *int) graphql.Marshaler {
	fields := graphql.CollectFields(ec.OperationContext, sel, nil)
	out := graphql.NewFieldSet(fields)
	deferred := graphql.NewDeferredGroup(ctx)
	for i := range fields {
		` + field + `
	}
	out.Dispatch(ctx)
	if n := len(deferred.Defers); n > 0 {
		ec.ProcessDeferredGroup(deferred)
	}
	return out
}
`
}

func TestRewrite(t *testing.T) {
	src := header +
		listMarshaller("marshalNItem2ᚕᚖItemᚄ", "[]*int", "ctx, len(v), 0, false") +
		listMarshaller("marshalNItem2ᚕᚕᚖItemᚄᚄ", "[][]*int", "ctx, len(v), 4, true") +
		objectMarshaller("_Plain", false) +
		objectMarshaller("_Concurrent", true) +
		objectWith("_Other", `other(&deferred)`) +
		objectWith("_Escapes", `other(out)`)
	out, err := rewrite([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	got := string(out)
	for _, want := range []string{
		`"github.com/callcfg/callcfg/graph/internal/inplace"`,
		`ret := inplace.MarshalSlice(ctx, inplacePolicy.InPlace(sel, true), len(v), 0, false, func(ctx context.Context, i int) graphql.Marshaler {`,
		// The inner lists of a list of lists run their own batches.
		`ret := inplace.MarshalSlice(ctx, inplacePolicy.InPlace(sel, false), len(v), 4, true, func(ctx context.Context, i int) graphql.Marshaler {`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %s in\n%s", want, got)
		}
	}
	if strings.Contains(got, "MarshalSliceConcurrently") {
		t.Errorf("a MarshalSliceConcurrently is left:\n%s", got)
	}
	plain := got[strings.Index(got, "func (ec *executionContext) _Plain"):strings.Index(got, "func (ec *executionContext) _Concurrent")]
	if !strings.Contains(plain, "deferred := graphql.DeferredGroup{}") {
		t.Errorf("the object without concurrent fields still builds a deferred group:\n%s", plain)
	}
	concurrent := got[strings.Index(got, "func (ec *executionContext) _Concurrent"):strings.Index(got, "func (ec *executionContext) _Other")]
	if !strings.Contains(concurrent, "deferred := inplace.DeferredGroup(ctx, fields)") {
		t.Errorf("the object that may defer does not build its group lazily:\n%s", concurrent)
	}
	// A group handed to anything else is left alone.
	if other := got[strings.Index(got, "func (ec *executionContext) _Other"):]; !strings.Contains(other, "deferred := graphql.NewDeferredGroup(ctx)") {
		t.Errorf("the object that hands its group elsewhere lost it:\n%s", other)
	}
	if _, err := parser.ParseFile(token.NewFileSet(), "", out, 0); err != nil {
		t.Errorf("the rewritten file does not parse: %v", err)
	}
	if n := strings.Count(got, "out := inplace.NewFieldSet(fields)"); n != 3 {
		t.Errorf("%d field sets are the runtime's, want those of the objects that only use and return theirs (3):\n%s", n, got)
	}
	// What is not rewritten is left as gqlgen wrote it.
	if escapes := got[strings.Index(got, "func (ec *executionContext) _Escapes"):]; !strings.Contains(escapes, "out := graphql.NewFieldSet(fields)") {
		t.Errorf("the object whose field set goes elsewhere changed:\n%s", escapes)
	}
}

// TestRewriteRefusesOtherShapes: a template that changed is an error, not
// a guess.
func TestRewriteRefusesOtherShapes(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"six arguments", listMarshaller("m", "[]*int", "ctx, len(v), 0, false, nil"), "with 6 arguments"},
		{"another context", listMarshaller("m", "[]*int", "context.TODO(), len(v), 0, false"), "first argument is not ctx"},
		{"another length", listMarshaller("m", "[]*int", "ctx, 3, 0, false"), "length is not len(v)"},
		{"no selection", strings.Replace(listMarshaller("m", "[]*int", "ctx, len(v), 0, false"), "sel ast.SelectionSet", "s ast.SelectionSet", 1), "no parameter sel"},
		{"not a slice", listMarshaller("m", "[4]*int", "ctx, len(v), 0, false"), "not a slice"},
		{"imported already", strings.Replace(header, `"context"`, `"context"
	_ "github.com/callcfg/callcfg/graph/internal/inplace"`, 1) + listMarshaller("m", "[]*int", "ctx, len(v), 0, false"), "already imports"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := tt.src
			if !strings.HasPrefix(src, "package") {
				src = header + src
			}
			_, err := rewrite([]byte(src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}

// TestRewriteImportsTheRuntimeWhenUsed: the runtime is imported when an
// edit calls it, and only then.
func TestRewriteImportsTheRuntimeWhenUsed(t *testing.T) {
	for src, want := range map[string]bool{
		objectMarshaller("_Plain", false):                      true,
		objectWith("_O", `f(out)`):                             false,
		objectWith("_O", `f(&deferred); f(out)`):               false,
		listMarshaller("m", "[]*int", "ctx, len(v), 0, false"): true,
	} {
		out, err := rewrite([]byte(header + src))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(string(out), `"github.com/callcfg/callcfg/graph/internal/inplace"`); got != want {
			t.Errorf("imports the runtime: %v, want %v:\n%s", got, want, out)
		}
	}
}

// TestExecutorIsRewritten: the executor in the tree is this command's,
// not plain gqlgen's (`go run github.com/99designs/gqlgen` would undo it).
func TestExecutorIsRewritten(t *testing.T) {
	src, err := os.ReadFile("../../generated.go")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(src), "graphql.MarshalSliceConcurrently("); n > 0 {
		t.Errorf("graph/generated.go calls MarshalSliceConcurrently %d times: run go generate ./graph/", n)
	}
	if !strings.Contains(string(src), "inplace.MarshalSlice(") {
		t.Error("graph/generated.go never calls inplace.MarshalSlice: run go generate ./graph/")
	}
}
