package rest

import (
	"testing"

	"github.com/callcfg/callcfg/rest/internal/pyjson"
)

// A repeated field's last value is the one a serializer sees, as in a dict
// (JSON) or a QueryDict (form).
func TestInputLastMemberWins(t *testing.T) {
	_, members, err := pyjson.Decode([]byte(`{"a": 1, "b": 2, "a": "x"}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		in   *input
		want pyjson.Value
	}{
		{"JSON", &input{members: members}, pyjson.Value{Kind: pyjson.String, Text: "x"}},
		{"form", formInput([]byte("a=1&b=2&a=x")), pyjson.Value{Kind: pyjson.String, Text: "x"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if v, ok := c.in.get("a"); !ok || v != c.want {
				t.Errorf("get(a) = %+v %v, want %+v", v, ok, c.want)
			}
			if _, ok := c.in.get("c"); ok {
				t.Error("get(c) finds a field that was not sent")
			}
		})
	}
}
