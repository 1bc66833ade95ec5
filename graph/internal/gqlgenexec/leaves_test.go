package main

import (
	"go/parser"
	"go/token"
	"strings"
	"testing"
)

// fieldFunc is the shape field.gotpl renders for a field of T bound to
// value (obj.F or obj.F()), with directive middleware mw (nil without).
func fieldFunc(name, value, mw, marshal, vType string) string {
	return `
func (ec *executionContext) ` + name + `(ctx context.Context, field graphql.CollectedField, obj *T) (ret graphql.Marshaler) {
	return graphql.ResolveField(
		ctx,
		ec.OperationContext,
		field,
		func(ctx context.Context, field graphql.CollectedField) (*graphql.FieldContext, error) {
			return ec.fieldContext` + name + `(ctx, field)
		},
		func(ctx context.Context) (any, error) {
			return ` + value + `, nil
		},
		` + mw + `,
		func(ctx context.Context, selections ast.SelectionSet, v ` + vType + `) graphql.Marshaler {
			return ec.` + marshal + `(ctx, selections, v)
		},
		true,
		true,
	)
}
func (ec *executionContext) fieldContext` + name + `(_ context.Context, field graphql.CollectedField) (fc *graphql.FieldContext, err error) {
	return graphql.NewScalarFieldContext("T", field, false, false, "X")
}
`
}

// marshallers are type.gotpl's shapes: two of values that cannot be nil,
// then a pointer's, a cast's and a context marshaller's.
const marshallers = `
func (ec *executionContext) marshalNString2string(ctx context.Context, sel ast.SelectionSet, v string) graphql.Marshaler {
	_ = sel
	res := graphql.MarshalString(v)
	if res == graphql.Null {
		graphql.AddInvalidNullFromMarshaler(ctx, "String!")
	}
	return res
}

func (ec *executionContext) marshalNEnum2Enum(ctx context.Context, sel ast.SelectionSet, v Enum) graphql.Marshaler {
	return v
}

func (ec *executionContext) marshalOString2ᚖstring(ctx context.Context, sel ast.SelectionSet, v *string) graphql.Marshaler {
	if v == nil {
		return graphql.Null
	}
	_ = sel
	_ = ctx
	res := graphql.MarshalString(*v)
	return res
}

func (ec *executionContext) marshalNString2Named(ctx context.Context, sel ast.SelectionSet, v Named) graphql.Marshaler {
	_ = sel
	res := graphql.MarshalString(string(v))
	if res == graphql.Null {
		graphql.AddInvalidNullFromMarshaler(ctx, "String!")
	}
	return res
}

func (ec *executionContext) marshalNString2Link(ctx context.Context, sel ast.SelectionSet, v Link) graphql.Marshaler {
	return graphql.WrapContextMarshaler(ctx, v)
}
`

func objectOf(fields ...string) string {
	var cases strings.Builder
	for _, f := range fields {
		cases.WriteString(`
		case "` + f + `":
			out.Values[i] = ec._T_` + f + `(ctx, field, obj)
			if out.Values[i] == graphql.Null {
				atomic.AddUint32(&out.Invalids, 1)
			}`)
	}
	return `
func (ec *executionContext) _T(ctx context.Context, sel ast.SelectionSet, obj *T) graphql.Marshaler {
	fields := graphql.CollectFields(ec.OperationContext, sel, nil)
	out := graphql.NewFieldSet(fields)
	for i, field := range fields {
		switch field.Name {` + cases.String() + `
		}
	}
	return out
}
`
}

func TestRewriteLeaves(t *testing.T) {
	src := header + marshallers +
		fieldFunc("_T_name", "obj.Name", "nil", "marshalNString2string", "string") +
		fieldFunc("_T_id", "obj.GlobalID()", "nil", "marshalNString2string", "string") +
		fieldFunc("_T_state", "obj.State()", "nil", "marshalNEnum2Enum", "Enum") +
		// Not leaves of the shortcut's shape:
		fieldFunc("_T_nick", "obj.Nick", "nil", "marshalOString2ᚖstring", "*string") +
		fieldFunc("_T_named", "obj.Named", "nil", "marshalNString2Named", "Named") +
		fieldFunc("_T_url", "obj.URL()", "nil", "marshalNString2Link", "Link") +
		fieldFunc("_T_guarded", "obj.Name", "func(ctx context.Context, next graphql.Resolver) graphql.Resolver { return next }", "marshalNString2string", "string") +
		fieldFunc("_T_loaded", "ec.resolvers.T().Loaded(ctx, obj)", "nil", "marshalNString2string", "string") +
		fieldFunc("_T_arg", "obj.Greet(fc.Args[\"x\"].(string))", "nil", "marshalNString2string", "string") +
		objectOf("name", "id", "state", "nick", "named", "url", "guarded", "loaded", "arg")
	out, err := rewrite([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	got := string(out)
	if _, err := parser.ParseFile(token.NewFileSet(), "", out, 0); err != nil {
		t.Fatalf("does not parse: %v\n%s", err, got)
	}
	for field, fast := range map[string]string{
		"name":  "graphql.MarshalString(obj.Name)",
		"id":    "graphql.MarshalString(obj.GlobalID())",
		"state": "obj.State()",
	} {
		if !strings.Contains(got, "out.Values[i] = ec.leaf_T_"+field+"(ctx, field, obj)") {
			t.Errorf("%s: the object does not call leaf_T_%s", field, field)
		}
		fn := got[strings.Index(got, "func (ec *executionContext) leaf_T_"+field+"("):]
		fn = fn[:strings.Index(fn, "\n}\n")]
		for _, want := range []string{
			"if !inplace.Plain(ec.OperationContext) {\n\t\treturn ec._T_" + field + "(ctx, field, obj)",
			"ret = ec._T_" + field + "(ctx, field, obj)", // on a panic
			"if ret = " + fast + "; ret == nil || ret == graphql.Null {\n\t\treturn ec._T_" + field + "(ctx, field, obj)",
		} {
			if !strings.Contains(fn, want) {
				t.Errorf("%s: missing %q in\n%s", field, want, fn)
			}
		}
	}
	for _, field := range []string{"nick", "named", "url", "guarded", "loaded", "arg"} {
		if strings.Contains(got, "leaf_T_"+field) {
			t.Errorf("%s has a shortcut", field)
		}
		if !strings.Contains(got, "out.Values[i] = ec._T_"+field+"(ctx, field, obj)") {
			t.Errorf("%s: the object no longer calls gqlgen's field function", field)
		}
	}
}

func TestRewriteLeavesRefusesItsOwnNames(t *testing.T) {
	src := header + `
func (ec *executionContext) leaf_T_x() {}
`
	if _, err := rewrite([]byte(src)); err == nil || !strings.Contains(err.Error(), "named like the rewrite's") {
		t.Errorf("error %v", err)
	}
}
