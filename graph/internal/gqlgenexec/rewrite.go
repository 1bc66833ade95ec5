package main

import (
	"errors"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
)

// runtimePkg is the package the rewritten executor calls.
const runtimePkg = "github.com/callcfg/callcfg/graph/internal/inplace"

// edit replaces src[start:end] by text.
type edit struct {
	start, end int
	text       string
}

// rewrite edits gqlgen's generated executor (src) in a few places, found
// with go/ast and changed as text, so that everything else stays byte for
// byte what gqlgen wrote:
//
//  1. Every list marshaller's
//     graphql.MarshalSliceConcurrently(ctx, len(v), limit, omit, f)
//     becomes
//     inplace.MarshalSlice(ctx, inplacePolicy.InPlace(sel, batchOK), len(v), limit, omit, f)
//     which is the same call when the policy says the selection may block.
//     batchOK is false for a list of lists, whose inner lists each run
//     their own batch calls.
//
//  2. An object marshaller's field set is an inplace.FieldSet, which writes
//     the same JSON as gqlgen's without allocating per field.
//
//  3. An object marshaller that never hands its deferred group to a field
//     (it has no field resolved concurrently, the only ones @defer
//     applies to) gets an empty group instead of graphql.NewDeferredGroup,
//     which computes the object's path and allocates a field set and a
//     map for every object even when nothing is deferred; one that does
//     gets inplace.DeferredGroup(ctx, fields), which builds the group only
//     when one of the fields collected is deferred.
//
//  4. Leaves are resolved without a field context of their own when no
//     field middleware runs (see rewriteLeaves).
//
// A MarshalSliceConcurrently in any shape other than the one checked is an
// error: the template changed, and the rewrite must be looked at again.
// The other edits apply to the exact shapes they check, and leave
// anything else as gqlgen wrote it.
func rewrite(src []byte) ([]byte, error) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "generated.go", src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	off := func(p token.Pos) int { return fset.Position(p).Offset }
	var edits []edit
	var errs []error
	// runtime counts the edits that call the runtime package.
	runtime := 0
	for _, decl := range file.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Body == nil {
			continue
		}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			switch {
			case isCall(call, "graphql", "MarshalSliceConcurrently"):
				e, err := rewriteSlice(fn, call, off)
				if err != nil {
					errs = append(errs, fmt.Errorf("%s: %s: %w", fset.Position(call.Pos()), fn.Name.Name, err))
					return false
				}
				edits = append(edits, e)
				runtime++
			case isCall(call, "graphql", "NewFieldSet"):
				if e, ok := rewriteFieldSet(fn, call, off); ok {
					edits = append(edits, e)
					runtime++
				}
			case isCall(call, "graphql", "NewDeferredGroup"):
				e, calls := rewriteDeferred(fn, call, off)
				if e.text != "" {
					edits = append(edits, e)
				}
				if calls {
					runtime++
				}
			}
			return true
		})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	leaves, err := rewriteLeaves(src, file, off)
	if err != nil {
		return nil, err
	}
	if len(leaves) > 0 {
		edits = append(edits, leaves...)
		runtime++
	}
	if runtime > 0 {
		e, err := addImport(file, off)
		if err != nil {
			return nil, err
		}
		edits = append(edits, e)
	}
	return format.Source(apply(src, edits))
}

// rewriteSlice checks that call is the template's
// graphql.MarshalSliceConcurrently(ctx, len(v), limit, omit, func(ctx context.Context, i int) graphql.Marshaler {…})
// inside a list marshaller with parameters sel (the elements' selection)
// and v (the list).
func rewriteSlice(fn *ast.FuncDecl, call *ast.CallExpr, off func(token.Pos) int) (edit, error) {
	if len(call.Args) != 5 {
		return edit{}, fmt.Errorf("MarshalSliceConcurrently with %d arguments, want 5", len(call.Args))
	}
	if !isIdent(call.Args[0], "ctx") {
		return edit{}, errors.New("MarshalSliceConcurrently's first argument is not ctx")
	}
	if l, ok := call.Args[1].(*ast.CallExpr); !ok || !isIdent(l.Fun, "len") || len(l.Args) != 1 || !isIdent(l.Args[0], "v") {
		return edit{}, errors.New("MarshalSliceConcurrently's length is not len(v)")
	}
	if lit, ok := call.Args[4].(*ast.FuncLit); !ok || len(lit.Type.Params.List) != 2 {
		return edit{}, errors.New("MarshalSliceConcurrently's element function is not a func(ctx, i) literal")
	}
	if t := param(fn, "sel"); t == nil || !isSelector(t, "ast", "SelectionSet") {
		return edit{}, errors.New("the list marshaller has no parameter sel ast.SelectionSet")
	}
	list, ok := param(fn, "v").(*ast.ArrayType)
	if !ok || list.Len != nil {
		return edit{}, errors.New("the list marshaller's parameter v is not a slice")
	}
	batchOK := !isSlice(list.Elt)
	return edit{
		start: off(call.Fun.Pos()),
		end:   off(call.Args[0].End()),
		text:  "inplace.MarshalSlice(ctx, inplacePolicy.InPlace(sel, " + strconv.FormatBool(batchOK) + ")",
	}, nil
}

// rewriteDeferred replaces `deferred := graphql.NewDeferredGroup(ctx)`. When
// the function uses deferred only to process it (len(deferred.Defers),
// ec.ProcessDeferredGroup(deferred)), nothing can ever be deferred to it,
// since a field defers only through ResolveConcurrently(…, &deferred, …):
// it becomes an empty group. Otherwise, when the function has collected
// its fields (fields := …) before, the group is built only if one of them
// is deferred. runtime reports whether the edit calls the runtime package.
func rewriteDeferred(fn *ast.FuncDecl, call *ast.CallExpr, off func(token.Pos) int) (e edit, runtime bool) {
	if len(call.Args) != 1 || !isIdent(call.Args[0], "ctx") {
		return edit{}, false
	}
	var defined, handedOn bool
	safe := true
	var stack []ast.Node
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		if id, ok := n.(*ast.Ident); ok && id.Name == "deferred" {
			switch parent := stack[len(stack)-1].(type) {
			case *ast.AssignStmt:
				if parent.Tok == token.DEFINE && len(parent.Lhs) == 1 && parent.Lhs[0] == id &&
					len(parent.Rhs) == 1 && parent.Rhs[0] == call {
					defined = true
				} else {
					safe = false
				}
			case *ast.SelectorExpr:
				// deferred.Defers, only as len's argument.
				grand, ok := stack[len(stack)-2].(*ast.CallExpr)
				if parent.X != id || parent.Sel.Name != "Defers" || !ok || !isIdent(grand.Fun, "len") {
					safe = false
				}
			case *ast.CallExpr:
				if !isMethodCall(parent, "ProcessDeferredGroup") || len(parent.Args) != 1 || parent.Args[0] != id {
					safe = false
				}
			case *ast.UnaryExpr:
				// &deferred, handed to ResolveConcurrently.
				grand, ok := stack[len(stack)-2].(*ast.CallExpr)
				if parent.Op != token.AND || !ok || !isMethodCall(grand, "ResolveConcurrently") {
					safe = false
				}
				handedOn = true
			default:
				safe = false
			}
		}
		stack = append(stack, n)
		return true
	})
	switch {
	case !defined || !safe:
		return edit{}, false
	case !handedOn:
		return edit{start: off(call.Pos()), end: off(call.End()), text: "graphql.DeferredGroup{}"}, false
	case collectsFieldsBefore(fn, call):
		return edit{start: off(call.Pos()), end: off(call.End()), text: "inplace.DeferredGroup(ctx, fields)"}, true
	}
	return edit{}, false
}

// collectsFieldsBefore reports whether a statement of fn's body before the
// one holding call defines fields := graphql.CollectFields(…).
func collectsFieldsBefore(fn *ast.FuncDecl, call *ast.CallExpr) bool {
	for _, stmt := range fn.Body.List {
		if stmt.Pos() <= call.Pos() && call.End() <= stmt.End() {
			return false
		}
		a, ok := stmt.(*ast.AssignStmt)
		if !ok || a.Tok != token.DEFINE || len(a.Lhs) != 1 || !isIdent(a.Lhs[0], "fields") || len(a.Rhs) != 1 {
			continue
		}
		if c, ok := a.Rhs[0].(*ast.CallExpr); ok && isCall(c, "graphql", "CollectFields") {
			return true
		}
	}
	return false
}

// rewriteFieldSet replaces an object marshaller's
// `out := graphql.NewFieldSet(fields)` by inplace.NewFieldSet, which embeds
// gqlgen's and writes the same JSON without allocating, when out is used
// only through its fields and methods, and returned.
func rewriteFieldSet(fn *ast.FuncDecl, call *ast.CallExpr, off func(token.Pos) int) (edit, bool) {
	if len(call.Args) != 1 || !isIdent(call.Args[0], "fields") {
		return edit{}, false
	}
	var defined, returned bool
	safe := true
	var stack []ast.Node
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		if id, ok := n.(*ast.Ident); ok && id.Name == "out" {
			switch parent := stack[len(stack)-1].(type) {
			case *ast.AssignStmt:
				if parent.Tok == token.DEFINE && len(parent.Lhs) == 1 && parent.Lhs[0] == id &&
					len(parent.Rhs) == 1 && parent.Rhs[0] == call {
					defined = true
				} else {
					safe = false
				}
			case *ast.SelectorExpr:
				safe = safe && parent.X == id
			case *ast.ReturnStmt:
				returned = returned || len(parent.Results) == 1
			default:
				safe = false
			}
		}
		stack = append(stack, n)
		return true
	})
	if !defined || !safe || !returned {
		return edit{}, false
	}
	return edit{start: off(call.Fun.Pos()), end: off(call.Fun.End()), text: "inplace.NewFieldSet"}, true
}

// addImport adds the runtime package to the file's import block.
func addImport(file *ast.File, off func(token.Pos) int) (edit, error) {
	for _, imp := range file.Imports {
		if path, _ := strconv.Unquote(imp.Path.Value); path == runtimePkg {
			return edit{}, errors.New("the generated file already imports " + runtimePkg)
		}
	}
	for _, imp := range file.Imports {
		// Beside gqlgen's own import, in its group: gofmt then sorts it in.
		if path, _ := strconv.Unquote(imp.Path.Value); path == "github.com/99designs/gqlgen/graphql" && imp.Name == nil {
			at := off(imp.End())
			return edit{start: at, end: at, text: "\n\t" + strconv.Quote(runtimePkg)}, nil
		}
	}
	return edit{}, errors.New("the generated file does not import github.com/99designs/gqlgen/graphql")
}

func apply(src []byte, edits []edit) []byte {
	slices.SortFunc(edits, func(a, b edit) int { return a.start - b.start })
	out := make([]byte, 0, len(src)+len(edits)*64)
	last := 0
	for _, e := range edits {
		out = append(out, src[last:e.start]...)
		out = append(out, e.text...)
		last = e.end
	}
	return append(out, src[last:]...)
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

func isSelector(e ast.Expr, pkg, name string) bool {
	sel, ok := e.(*ast.SelectorExpr)
	return ok && isIdent(sel.X, pkg) && sel.Sel.Name == name
}

func isCall(call *ast.CallExpr, pkg, name string) bool { return isSelector(call.Fun, pkg, name) }

func isMethodCall(call *ast.CallExpr, name string) bool {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == name
}

func isSlice(e ast.Expr) bool {
	if star, ok := e.(*ast.StarExpr); ok {
		e = star.X
	}
	a, ok := e.(*ast.ArrayType)
	return ok && a.Len == nil
}

// param is the type of fn's parameter name, or nil.
func param(fn *ast.FuncDecl, name string) ast.Expr {
	for _, f := range fn.Type.Params.List {
		for _, n := range f.Names {
			if n.Name == name {
				return f.Type
			}
		}
	}
	return nil
}
