package graph

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// The response writer skips json.Marshal for speed; what it writes must be
// what json.Marshal writes.
func TestAppendResponseIsJSONMarshal(t *testing.T) {
	yes := true
	cases := []struct {
		name string
		resp graphql.Response
	}{
		{"data only", graphql.Response{Data: json.RawMessage(`{"a":[1,2,{"b":"c"}]}`)}},
		{"null data", graphql.Response{}},
		{"errors beside data", graphql.Response{
			Errors: gqlerror.List{{Message: "Not found.", Path: ast.Path{ast.PathName("call")}, Extensions: map[string]any{"code": "NOT_FOUND"}}},
			Data:   json.RawMessage(`{"call":null}`),
		}},
		{"deferred part", graphql.Response{Data: json.RawMessage(`{}`), Label: "l", Path: ast.Path{ast.PathName("a"), ast.PathIndex(1)}, HasNext: &yes}},
		{"extensions", graphql.Response{Data: json.RawMessage(`{"x":1}`), Extensions: map[string]any{"cost": 3}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want, err := json.Marshal(&c.resp)
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := appendResponse(&got, &c.resp); err != nil {
				t.Fatal(err)
			}
			if got.String() != string(want) {
				t.Errorf("got  %s\nwant %s", got.String(), want)
			}
		})
	}
}
