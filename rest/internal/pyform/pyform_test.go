package pyform

import (
	"math"
	"strings"
	"testing"

	"github.com/callcfg/callcfg/rest/internal/pyjson"
)

// The tables below were produced by CPython 3.13 (int(), DRF's
// IntegerField expression, urllib.parse, uuid), the upstream service's
// runtime, so these tests pin this package to what Python does.

func TestCoerceIntStrings(t *testing.T) {
	cases := []struct {
		in  string
		n   int64
		ok  bool
		msg string
	}{
		{"5", 5, true, ""},
		{" 5 ", 5, true, ""},
		{"+5", 5, true, ""},
		{"-5", -5, true, ""},
		{"05", 5, true, ""},
		{"5_000", 5000, true, ""},
		{"5__0", 0, false, ""},
		{"_5", 0, false, ""},
		{"5_", 0, false, ""},
		{"5.0", 5, true, ""},
		{"5.", 5, true, ""},
		{"5.000  ", 5, true, ""},
		{"5.5", 0, false, ""},
		{"5.0.0", 0, false, ""},
		{"5..0", 0, false, ""},
		{"x", 0, false, ""},
		{"", 0, false, ""},
		{" ", 0, false, ""},
		{"1e3", 0, false, ""},
		{"\u0665", 5, true, ""},
		{"\u0661\u0662", 12, true, ""},
		{"\U0001d7d3", 5, true, ""},
		{"\u00a05\u3000", 5, true, ""},
		{"\u001c5", 0, false, ""},
		{"5\u001c", 0, false, ""},
		{"5.0\u001c", 5, true, ""},
		{"5.0\n", 5, true, ""},
		{"- 5", 0, false, ""},
		{"0x10", 0, false, ""},
		{"99999999999999999999999", 9223372036854775807, true, ""},
		{"-99999999999999999999999", -9223372036854775808, true, ""},
		{"2147483648", 2147483648, true, ""},
		{"\u0663.\u0660", 0, false, ""},
		{"5 .0", 5, true, ""},
		{"5\t", 5, true, ""},
		{"\u20005", 5, true, ""},
		{"5 5", 0, false, ""},
		{"True", 0, false, ""},
		{"None", 0, false, ""},
		{"\u0665\u0665", 55, true, ""},
		{strings.Repeat("1", 1001), 0, false, "String value too large."},
	}
	for _, c := range cases {
		n, ok, msg := CoerceInt(pyjson.Value{Kind: pyjson.String, Text: c.in})
		if n != c.n || ok != c.ok || msg != c.msg {
			t.Errorf("%q: got %d %v %q, want %d %v %q", c.in, n, ok, msg, c.n, c.ok, c.msg)
		}
	}
}

func TestCoerceIntFloats(t *testing.T) {
	cases := []struct {
		f    float64
		repr string
		n    int64
		ok   bool
	}{
		{5.0, "5.0", 5, true},
		{5.5, "5.5", 0, false},
		{-0.0, "-0.0", 0, true},
		{1000000000000000.0, "1000000000000000.0", 1000000000000000, true},
		{9999999999999998.0, "9999999999999998.0", 9999999999999998, true},
		{1e+16, "1e+16", 0, false},
		{1.5e+16, "1.5e+16", 0, false},
		{-3.0, "-3.0", -3, true},
		{1e+300, "1e+300", 0, false},
		{math.Inf(1), "inf", 0, false},
		{0.1, "0.1", 0, false},
		{1e-07, "1e-07", 0, false},
		{123.0, "123.0", 123, true},
		{2147483648.0, "2147483648.0", 2147483648, true},
	}
	for _, c := range cases {
		n, ok, _ := CoerceInt(pyjson.Value{Kind: pyjson.Float, Float: c.f})
		if n != c.n || ok != c.ok {
			t.Errorf("%v: got %d %v, want %d %v", c.f, n, ok, c.n, c.ok)
		}
	}
	for _, v := range []pyjson.Value{{Kind: pyjson.Bool, Bool: true}, {Kind: pyjson.Array}, {Kind: pyjson.Object}, {Kind: pyjson.Null}} {
		if _, ok, _ := CoerceInt(v); ok {
			t.Errorf("%v must not be an integer", v)
		}
	}
}

func TestFloatRepr(t *testing.T) {
	for _, c := range []struct {
		f    float64
		repr string
	}{
		{5.0, "5.0"},
		{5.5, "5.5"},
		{1e+16, "1e+16"},
		{1.5e-07, "1.5e-07"},
		{0.0001, "0.0001"},
		{1e-05, "1e-05"},
		{123456789.125, "123456789.125"},
		{1e+22, "1e+22"},
		{-2.5, "-2.5"},
		{9999999999999998.0, "9999999999999998.0"},
		{0.1, "0.1"},
	} {
		if got := floatRepr(c.f); got != c.repr {
			t.Errorf("repr(%v) = %q, want %q", c.f, got, c.repr)
		}
	}
	if got := floatRepr(math.Inf(-1)); got != "-inf" {
		t.Errorf("repr(-inf) = %q", got)
	}
}

func TestCoerceBool(t *testing.T) {
	for _, s := range []string{"t", "T", "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "1"} {
		if b, ok := CoerceBool(pyjson.Value{Kind: pyjson.String, Text: s}); !ok || !b {
			t.Errorf("%q must be true", s)
		}
	}
	for _, s := range []string{"f", "F", "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "0"} {
		if b, ok := CoerceBool(pyjson.Value{Kind: pyjson.String, Text: s}); !ok || b {
			t.Errorf("%q must be false", s)
		}
	}
	for _, s := range []string{"", "yEs", "2", " true", "null", "None", "tRUE"} {
		if _, ok := CoerceBool(pyjson.Value{Kind: pyjson.String, Text: s}); ok {
			t.Errorf("%q must be invalid", s)
		}
	}
	for _, c := range []struct {
		v  pyjson.Value
		b  bool
		ok bool
	}{
		{pyjson.Value{Kind: pyjson.Bool, Bool: true}, true, true},
		{pyjson.Value{Kind: pyjson.Bool}, false, true},
		{pyjson.Value{Kind: pyjson.Int, Text: "1"}, true, true},
		{pyjson.Value{Kind: pyjson.Int, Text: "0"}, false, true},
		{pyjson.Value{Kind: pyjson.Int, Text: "-0"}, false, true},
		{pyjson.Value{Kind: pyjson.Int, Text: "2"}, false, false},
		{pyjson.Value{Kind: pyjson.Float, Float: 1}, true, true},
		{pyjson.Value{Kind: pyjson.Float, Float: 0}, false, true},
		{pyjson.Value{Kind: pyjson.Float, Float: 0.5}, false, false},
		{pyjson.Value{Kind: pyjson.Array}, false, false},
		{pyjson.Value{Kind: pyjson.Object}, false, false},
	} {
		if b, ok := CoerceBool(c.v); b != c.b || ok != c.ok {
			t.Errorf("%+v: got %v %v", c.v, b, ok)
		}
	}
}

func TestQueryReencoding(t *testing.T) {
	for _, c := range []struct{ query, replaced, removed string }{
		{"", "page=7", ""},
		{"page=2", "page=7", ""},
		{"page_size=5&page=2", "page=7&page_size=5", "page_size=5"},
		{"b=2&a=1&page=3", "a=1&b=2&page=7", "a=1&b=2"},
		{"a=1&a=2&a=0&page=2", "a=1&a=2&a=0&page=7", "a=1&a=2&a=0"},
		{"q=hello+world&page=2", "page=7&q=hello+world", "q=hello+world"},
		{"q=%zz&page=2", "page=7&q=%25zz", "q=%25zz"},
		{"q=%ff&page=2", "page=7&q=%EF%BF%BD", "q=%EF%BF%BD"},
		{"q=caf%C3%A9&x=%E2%82", "page=7&q=caf%C3%A9&x=%EF%BF%BD", "q=caf%C3%A9&x=%EF%BF%BD"},
		{"&&a&b=&page=", "a=&b=&page=7", "a=&b="},
		{"z=%2B%26%3D&page=1", "page=7&z=%2B%26%3D", "z=%2B%26%3D"},
		{"a;b=1&page=2", "a%3Bb=1&page=7", "a%3Bb=1"},
		{"name=%7E_-.*!&page=2", "name=~_-.%2A%21&page=7", "name=~_-.%2A%21"},
		{"page=2&page=3", "page=7", ""},
		{"B=1&a=2&_=3&A=4", "A=4&B=1&_=3&a=2&page=7", "A=4&B=1&_=3&a=2"},
	} {
		q := ParseQuery(c.query)
		if got := q.ReplaceParam("page", "7"); got != c.replaced {
			t.Errorf("replace in %q: got %q want %q", c.query, got, c.replaced)
		}
		if got := q.RemoveParam("page"); got != c.removed {
			t.Errorf("remove from %q: got %q want %q", c.query, got, c.removed)
		}
	}
}

func TestParseUUID(t *testing.T) {
	for _, c := range []struct{ in, hex string }{
		{"3f2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f", "3f2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f"},
		{"3F2C9D0E-4B8A-4C1F-9E2D-7A6B5C4D3E2F", "3f2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f"},
		{"{3f2c9d0e-4b8a-4c1f-9e2d-7a6b5c4d3e2f}", "3f2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f"},
		{"urn:uuid:3f2c9d0e-4b8a-4c1f-9e2d-7a6b5c4d3e2f", "3f2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f"},
		{"3f2c9d0e4b8a4c1f9e2d7a6b5c4d3e2", ""},
		{"3f2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f0", ""},
		{"3f-2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f", "3f2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f"},
		{"zf2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f", ""},
		{"", ""},
		{"not-a-uuid", ""},
		{"{{3f2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f}}", "3f2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f"},
	} {
		id, ok := ParseUUID(c.in)
		got := ""
		if ok {
			got = strings.ReplaceAll(id.String(), "-", "")
		}
		if got != c.hex {
			t.Errorf("%q: got %q want %q", c.in, got, c.hex)
		}
	}
}

func TestCoerceString(t *testing.T) {
	for _, c := range []struct {
		name   string
		v      pyjson.Value
		trim   bool
		s, msg string
	}{
		{"string kept as sent", pyjson.Value{Kind: pyjson.String, Text: " alice "}, false, " alice ", ""},
		{"string trimmed", pyjson.Value{Kind: pyjson.String, Text: "\u3000alice\x1c\n"}, true, "alice", ""},
		{"integer literal", pyjson.Value{Kind: pyjson.Int, Text: "-12345678901234567890123"}, true, "-12345678901234567890123", ""},
		{"float as repr", pyjson.Value{Kind: pyjson.Float, Float: 1e16, Text: "1e16"}, true, "1e+16", ""},
		{"integral float as repr", pyjson.Value{Kind: pyjson.Float, Float: 5, Text: "5.00"}, true, "5.0", ""},
		{"blank after trimming", pyjson.Value{Kind: pyjson.String, Text: " \t "}, true, "", "This field may not be blank."},
		{"spaces kept without trimming", pyjson.Value{Kind: pyjson.String, Text: " "}, false, " ", ""},
		{"empty", pyjson.Value{Kind: pyjson.String}, false, "", "This field may not be blank."},
		{"NUL character", pyjson.Value{Kind: pyjson.String, Text: "a\x00b"}, false, "", "Null characters are not allowed."},
		{"boolean", pyjson.Value{Kind: pyjson.Bool, Bool: true}, true, "", "Not a valid string."},
		{"list", pyjson.Value{Kind: pyjson.Array}, true, "", "Not a valid string."},
		{"dict", pyjson.Value{Kind: pyjson.Object}, true, "", "Not a valid string."},
	} {
		t.Run(c.name, func(t *testing.T) {
			if s, msg := CoerceString(c.v, c.trim); s != c.s || msg != c.msg {
				t.Errorf("got %q %q, want %q %q", s, msg, c.s, c.msg)
			}
		})
	}
}

func TestParseForm(t *testing.T) {
	for _, c := range []struct {
		name, body string
		want       Query
	}{
		{"UTF-8", "a=caf\xc3\xa9&b=%C3%A9", Query{{"a", "café"}, {"b", "é"}}},
		{"Latin-1 when the body is not UTF-8", "a=caf\xe9&b=%E9", Query{{"a", "café"}, {"b", "\uFFFD"}}},
		{"plus as space, blank values kept", "a+b=c+d&e=&f", Query{{"a b", "c d"}, {"e", ""}, {"f", ""}}},
		{"empty", "", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := ParseForm([]byte(c.body))
			if len(got) != len(c.want) {
				t.Fatalf("got %q, want %q", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Errorf("got %q, want %q", got, c.want)
				}
			}
		})
	}
}

func TestQueryGetIsTheLastValue(t *testing.T) {
	q := ParseQuery("page=1&format=json&page=2&page_size=")
	for _, c := range []struct {
		name, value string
		ok          bool
	}{{"page", "2", true}, {"format", "json", true}, {"page_size", "", true}, {"call_uuid", "", false}} {
		if v, ok := q.Get(c.name); v != c.value || ok != c.ok {
			t.Errorf("Get(%q) = %q %v, want %q %v", c.name, v, ok, c.value, c.ok)
		}
	}
}

func TestURLPathAndUnquote(t *testing.T) {
	for _, c := range []struct{ url, path string }{
		{"http://example.org/api/proposal-protected-calls/x/", "/api/proposal-protected-calls/x/"},
		{"https://u:p@example.org:8443/base/api/c/%7Bx%7D/;p?q=1#f", "/base/api/c/%7Bx%7D/"},
		{"http:/api/c/x/", "/api/c/x/"},
		{"https:\t//x/api/proposal-\n%70rotected/", "/api/proposal-%70rotected/"},
		{"http://host", ""},
		{"http://host?x=/a/", ""},
		{"https://h/a;b/c;d?e#f", "/a;b/c"},
	} {
		if got := URLPath(c.url); got != c.path {
			t.Errorf("URLPath(%q) = %q, want %q", c.url, got, c.path)
		}
	}
	for _, c := range []struct{ in, out string }{
		{"%7Bx%7D", "{x}"}, {"%zz", "%zz"}, {"%e2%82", "\uFFFD"}, {"a+b", "a+b"}, {"%2", "%2"}, {"caf%C3%A9", "café"},
	} {
		if got := Unquote(c.in); got != c.out {
			t.Errorf("Unquote(%q) = %q, want %q", c.in, got, c.out)
		}
	}
}
