package main

import (
	"fmt"
	"go/ast"
	"go/token"
	"slices"
	"strings"
)

// leafPrefix names the functions rewriteLeaves adds beside gqlgen's
// field functions (_Type_field): leaf_Type_field.
const leafPrefix = "leaf_"

// leaf is a field function of gqlgen's that resolves a leaf (a scalar or
// an enum) from a Go field or a method without a context, and marshals it
// with a function of the value alone.
type leaf struct {
	name    string // gqlgen's field function, _Type_field
	objType string // the type of its obj parameter, as written
	fast    string // the marshaller of the value: model.MarshalUUID(obj.UUID), obj.State()
}

// rewriteLeaves makes the object marshallers resolve leaves without a
// field context of their own. gqlgen resolves every field through
// graphql.ResolveField, which builds a field context, puts it in a new
// context, and runs the field middleware around two closures, even for a
// field whose value is obj.UUID: most of what a page of plain objects
// costs (allocations per field). For each field function of that shape,
// a leaf_ function is added, and the object marshallers call it instead:
// when the operation has no field middleware (inplace.Plain), it
// marshals the value directly; when the result is null (an error must
// then be reported on the field's path) or anything panics, and whenever
// there is middleware, it calls gqlgen's field function, as before.
//
// The shapes (field function, field context, marshaller) are checked
// exactly; a field function of any other shape is left alone.
func rewriteLeaves(src []byte, file *ast.File, off func(token.Pos) int) ([]edit, error) {
	text := func(n ast.Node) string { return string(src[off(n.Pos()):off(n.End())]) }
	funcs := map[string]*ast.FuncDecl{}
	for _, decl := range file.Decls {
		if fn, ok := decl.(*ast.FuncDecl); ok && fn.Body != nil {
			if strings.HasPrefix(fn.Name.Name, leafPrefix) {
				return nil, fmt.Errorf("%s: gqlgen generated a function named like the rewrite's", fn.Name.Name)
			}
			funcs[fn.Name.Name] = fn
		}
	}
	leaves := map[string]leaf{}
	for name, fn := range funcs {
		if l, ok := leafOf(fn, funcs, text); ok {
			leaves[name] = l
		}
	}
	var edits []edit
	used := map[string]bool{}
	for _, decl := range file.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Body == nil {
			continue
		}
		// out.Values[i] = ec._Type_field(ctx, field, obj), in an object
		// marshaller's switch over its fields.
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			as, ok := n.(*ast.AssignStmt)
			if !ok || as.Tok != token.ASSIGN || len(as.Lhs) != 1 || len(as.Rhs) != 1 || text(as.Lhs[0]) != "out.Values[i]" {
				return true
			}
			call, ok := as.Rhs[0].(*ast.CallExpr)
			if !ok || len(call.Args) != 3 || !isIdent(call.Args[0], "ctx") || !isIdent(call.Args[1], "field") || !isIdent(call.Args[2], "obj") {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || !isIdent(sel.X, "ec") {
				return true
			}
			if _, ok := leaves[sel.Sel.Name]; !ok {
				return true
			}
			used[sel.Sel.Name] = true
			edits = append(edits, edit{start: off(sel.Sel.Pos()), end: off(sel.Sel.End()), text: leafPrefix + sel.Sel.Name[1:]})
			return true
		})
	}
	names := make([]string, 0, len(used))
	for name := range used {
		names = append(names, name)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, name := range names {
		l := leaves[name]
		fmt.Fprintf(&b, `
// %[1]s is %[2]s for an operation without field middleware (see
// rewriteLeaves in graph/internal/gqlgenexec).
func (ec *executionContext) %[1]s(ctx context.Context, field graphql.CollectedField, obj %[3]s) (ret graphql.Marshaler) {
	if !inplace.Plain(ec.OperationContext) {
		return ec.%[2]s(ctx, field, obj)
	}
	defer func() {
		if r := recover(); r != nil {
			ret = ec.%[2]s(ctx, field, obj)
		}
	}()
	if ret = %[4]s; ret == nil || ret == graphql.Null {
		return ec.%[2]s(ctx, field, obj)
	}
	return ret
}
`, leafPrefix+name[1:], name, l.objType, l.fast)
	}
	if b.Len() > 0 {
		end := len(src)
		edits = append(edits, edit{start: end, end: end, text: "\n// region    ***************************** leaves (graph/internal/gqlgenexec) *****************************\n" + b.String() + "\n// endregion ***************************** leaves (graph/internal/gqlgenexec) *****************************\n"})
	}
	return edits, nil
}

// leafOf recognises a field function of gqlgen's that resolves a leaf from
// a Go field or a method without a context:
//
//	func (ec *executionContext) _T_f(ctx context.Context, field graphql.CollectedField, obj *T) (ret graphql.Marshaler) {
//		return graphql.ResolveField(ctx, ec.OperationContext, field,
//			func(ctx context.Context, field graphql.CollectedField) (*graphql.FieldContext, error) {
//				return ec.fieldContext_T_f(ctx, field) // graphql.NewScalarFieldContext(…)
//			},
//			func(ctx context.Context) (any, error) { return obj.F, nil }, // or obj.F()
//			nil, // no directives
//			func(ctx context.Context, selections ast.SelectionSet, v V) graphql.Marshaler {
//				return ec.marshalX(ctx, selections, v)
//			},
//			…, …)
//	}
//
// where marshalX is one of the two shapes of a value that cannot be nil
// (see fastMarshal).
func leafOf(fn *ast.FuncDecl, funcs map[string]*ast.FuncDecl, text func(ast.Node) string) (leaf, bool) {
	if fn.Recv == nil || !strings.HasPrefix(fn.Name.Name, "_") || len(fn.Body.List) != 1 {
		return leaf{}, false
	}
	params := fn.Type.Params.List
	if len(params) != 3 || len(params[0].Names) != 1 || params[0].Names[0].Name != "ctx" ||
		len(params[1].Names) != 1 || params[1].Names[0].Name != "field" || !isSelector(params[1].Type, "graphql", "CollectedField") ||
		len(params[2].Names) != 1 || params[2].Names[0].Name != "obj" {
		return leaf{}, false
	}
	ret, ok := fn.Body.List[0].(*ast.ReturnStmt)
	if !ok || len(ret.Results) != 1 {
		return leaf{}, false
	}
	call, ok := ret.Results[0].(*ast.CallExpr)
	if !ok || !isCall(call, "graphql", "ResolveField") || len(call.Args) != 9 ||
		!isIdent(call.Args[0], "ctx") || text(call.Args[1]) != "ec.OperationContext" || !isIdent(call.Args[2], "field") ||
		!isIdent(call.Args[5], "nil") {
		return leaf{}, false
	}
	// The field context: a scalar's.
	fcName, ok := returnsCall(call.Args[3], "ec")
	if !ok {
		return leaf{}, false
	}
	fc := funcs[fcName]
	if fc == nil || len(fc.Body.List) != 1 {
		return leaf{}, false
	}
	if r, ok := fc.Body.List[0].(*ast.ReturnStmt); !ok || len(r.Results) != 1 || !isCallExpr(r.Results[0], "graphql", "NewScalarFieldContext") {
		return leaf{}, false
	}
	// The value: obj.F or obj.F(), and no error.
	resolver, ok := call.Args[4].(*ast.FuncLit)
	if !ok || len(resolver.Body.List) != 1 {
		return leaf{}, false
	}
	r, ok := resolver.Body.List[0].(*ast.ReturnStmt)
	if !ok || len(r.Results) != 2 || !isIdent(r.Results[1], "nil") || !ofObj(r.Results[0]) {
		return leaf{}, false
	}
	value := text(r.Results[0])
	// The marshaller.
	marshalName, ok := returnsCall(call.Args[6], "ec")
	if !ok {
		return leaf{}, false
	}
	fast, ok := fastMarshal(funcs[marshalName], value, text)
	if !ok {
		return leaf{}, false
	}
	return leaf{name: fn.Name.Name, objType: text(params[2].Type), fast: fast}, true
}

// fastMarshal is what marshal (gqlgen's marshaller of a leaf type) makes of
// value, when it is one of the shapes type.gotpl renders for a value that
// cannot be nil (a nilable one is checked against nil first):
//
//	_ = sel; [_ = ctx;] res := F(v); [if res == graphql.Null { graphql.AddInvalidNullFromMarshaler(ctx, "T!") }]; return res
//	return v // the type is a graphql.Marshaler itself
//
// The first is F(value), the second value.
func fastMarshal(marshal *ast.FuncDecl, value string, text func(ast.Node) string) (string, bool) {
	if marshal == nil {
		return "", false
	}
	params := marshal.Type.Params.List
	if len(params) != 3 || len(params[2].Names) != 1 || params[2].Names[0].Name != "v" {
		return "", false
	}
	stmts := marshal.Body.List
	if len(stmts) == 1 {
		if r, ok := stmts[0].(*ast.ReturnStmt); ok && len(r.Results) == 1 && isIdent(r.Results[0], "v") {
			return value, true
		}
		return "", false
	}
	for len(stmts) > 0 && (text(stmts[0]) == "_ = sel" || text(stmts[0]) == "_ = ctx") {
		stmts = stmts[1:]
	}
	if len(stmts) < 2 {
		return "", false
	}
	def, ok := stmts[0].(*ast.AssignStmt)
	if !ok || def.Tok != token.DEFINE || len(def.Lhs) != 1 || !isIdent(def.Lhs[0], "res") || len(def.Rhs) != 1 {
		return "", false
	}
	call, ok := def.Rhs[0].(*ast.CallExpr)
	if !ok || len(call.Args) != 1 || !isIdent(call.Args[0], "v") {
		return "", false
	}
	if _, ok := call.Fun.(*ast.SelectorExpr); !ok {
		return "", false
	}
	rest := stmts[1:]
	if len(rest) == 2 {
		check, ok := rest[0].(*ast.IfStmt)
		if !ok || text(check.Cond) != "res == graphql.Null" || check.Init != nil || check.Else != nil ||
			len(check.Body.List) != 1 || !isExprCall(check.Body.List[0], "graphql", "AddInvalidNullFromMarshaler") {
			return "", false
		}
		rest = rest[1:]
	}
	if len(rest) != 1 {
		return "", false
	}
	if r, ok := rest[0].(*ast.ReturnStmt); !ok || len(r.Results) != 1 || !isIdent(r.Results[0], "res") {
		return "", false
	}
	return text(call.Fun) + "(" + value + ")", true
}

// returnsCall is the method name when lit is a function literal whose body
// is `return recv.name(…)`.
func returnsCall(e ast.Expr, recv string) (string, bool) {
	lit, ok := e.(*ast.FuncLit)
	if !ok || len(lit.Body.List) != 1 {
		return "", false
	}
	r, ok := lit.Body.List[0].(*ast.ReturnStmt)
	if !ok || len(r.Results) != 1 {
		return "", false
	}
	call, ok := r.Results[0].(*ast.CallExpr)
	if !ok {
		return "", false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || !isIdent(sel.X, recv) {
		return "", false
	}
	return sel.Sel.Name, true
}

// ofObj reports whether e is obj.F or obj.F(): a field of the object, or a
// method of it called with nothing.
func ofObj(e ast.Expr) bool {
	if call, ok := e.(*ast.CallExpr); ok {
		if len(call.Args) != 0 {
			return false
		}
		e = call.Fun
	}
	sel, ok := e.(*ast.SelectorExpr)
	return ok && isIdent(sel.X, "obj")
}

func isCallExpr(e ast.Expr, pkg, name string) bool {
	call, ok := e.(*ast.CallExpr)
	return ok && isCall(call, pkg, name)
}

func isExprCall(s ast.Stmt, pkg, name string) bool {
	es, ok := s.(*ast.ExprStmt)
	return ok && isCallExpr(es.X, pkg, name)
}
