package rest

import (
	"math"
	"strings"
	"testing"
)

// The tables below were produced by CPython 3.13 (json, int(), DRF's
// IntegerField expression, urllib.parse, uuid), the upstream service's
// runtime, so these tests pin this package to what Python does.

func TestDecodePyJSONMessages(t *testing.T) {
	cases := []struct{ body, msg string }{
		{"", "Expecting value: line 1 column 1 (char 0)"},
		{" ", "Expecting value: line 1 column 2 (char 1)"},
		{"{", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"},
		{"{\"a\"", "Expecting ':' delimiter: line 1 column 5 (char 4)"},
		{"{\"a\":", "Expecting value: line 1 column 6 (char 5)"},
		{"{\"a\": }", "Expecting value: line 1 column 7 (char 6)"},
		{"{\"a\": 1", "Expecting ',' delimiter: line 1 column 8 (char 7)"},
		{"{\"a\": 1,", "Expecting property name enclosed in double quotes: line 1 column 9 (char 8)"},
		{"{\"a\": 1, }", "Illegal trailing comma before end of object: line 1 column 8 (char 7)"},
		{"{\"a\" 1}", "Expecting ':' delimiter: line 1 column 6 (char 5)"},
		{"{a: 1}", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"},
		{"{'a': 1}", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"},
		{"[1, 2", "Expecting ',' delimiter: line 1 column 6 (char 5)"},
		{"[1, ]", "Illegal trailing comma before end of array: line 1 column 3 (char 2)"},
		{"[1 2]", "Expecting ',' delimiter: line 1 column 4 (char 3)"},
		{"[", "Expecting value: line 1 column 2 (char 1)"},
		{"]", "Expecting value: line 1 column 1 (char 0)"},
		{"}", "Expecting value: line 1 column 1 (char 0)"},
		{"{\"a\": 1}}", "Extra data: line 1 column 9 (char 8)"},
		{"{\"a\": 1} x", "Extra data: line 1 column 10 (char 9)"},
		{"nul", "Expecting value: line 1 column 1 (char 0)"},
		{"null", ""},
		{"tru", "Expecting value: line 1 column 1 (char 0)"},
		{"truex", "Extra data: line 1 column 5 (char 4)"},
		{"{\"a\": NaN}", "Out of range float values are not JSON compliant: 'NaN'"},
		{"{\"a\": Infinity}", "Out of range float values are not JSON compliant: 'Infinity'"},
		{"{\"a\": -Infinity}", "Out of range float values are not JSON compliant: '-Infinity'"},
		{"-", "Expecting value: line 1 column 1 (char 0)"},
		{"-x", "Expecting value: line 1 column 1 (char 0)"},
		{"01", "Extra data: line 1 column 2 (char 1)"},
		{"1.", "Extra data: line 1 column 2 (char 1)"},
		{"1.e5", "Extra data: line 1 column 2 (char 1)"},
		{"1e", "Extra data: line 1 column 2 (char 1)"},
		{"1e+", "Extra data: line 1 column 2 (char 1)"},
		{".5", "Expecting value: line 1 column 1 (char 0)"},
		{"+1", "Expecting value: line 1 column 1 (char 0)"},
		{"{\"a\": \"b", "Unterminated string starting at: line 1 column 7 (char 6)"},
		{"{\"a\": \"b\\", "Unterminated string starting at: line 1 column 7 (char 6)"},
		{"{\"a\": \"\\x\"}", "Invalid \\escape: line 1 column 8 (char 7)"},
		{"{\"a\": \"\\u12\"}", "Invalid \\uXXXX escape: line 1 column 9 (char 8)"},
		{"{\"a\": \"\\u12g4\"}", "Invalid \\uXXXX escape: line 1 column 9 (char 8)"},
		{"{\"a\": \"\\ud800\\uzzzz\"}", "Invalid \\uXXXX escape: line 1 column 15 (char 14)"},
		{"{\"a\": \"x\ny\"}", "Invalid control character at: line 1 column 9 (char 8)"},
		{"{\"a\": \"x\ty\"}", "Invalid control character at: line 1 column 9 (char 8)"},
		{"\n\n  {\"a\": }", "Expecting value: line 3 column 9 (char 10)"},
		{"{\"\xc3\xa9\xc3\xa9\": }", "Expecting value: line 1 column 8 (char 7)"},
		{"\xef\xbb\xbf{}", "Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)"},
		{"\xff", "'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"},
		{"{\"a\": \"\xff\"}", "'utf-8' codec can't decode byte 0xff in position 7: invalid start byte"},
		{"{\"a\": \"\xe2(\xa1\"}", "'utf-8' codec can't decode byte 0xe2 in position 7: invalid continuation byte"},
		{"{\"a\": \"\xf0\x9f(\"}", "'utf-8' codec can't decode bytes in position 7-8: invalid continuation byte"},
		{"{\"a\": 1}\xe2\x82", ""},
		{"{\"a\": \"\xe2\x82", "Unterminated string starting at: line 1 column 7 (char 6)"},
		{"\xed\xa0\x80", "'utf-8' codec can't decode byte 0xed in position 0: invalid continuation byte"},
		{"{\"a\": \"\xe0\x80\"}", "'utf-8' codec can't decode byte 0xe0 in position 7: invalid continuation byte"},
		{"{\"a\": 1}\xe0\x80", "'utf-8' codec can't decode byte 0xe0 in position 8: invalid continuation byte"},
		{"{\"a\": 1}\xc0", "'utf-8' codec can't decode byte 0xc0 in position 8: invalid start byte"},
		{"{\"a\": [1, {\"b\": }]}", "Expecting value: line 1 column 17 (char 16)"},
		{"\"abc\"", ""},
		{"{\"a\": 1}\r\n", ""},
		{"{\"a\"\n:\n\n1 2}", "Expecting ',' delimiter: line 4 column 3 (char 10)"},
		{"\t\t{\"\xe2\x82\xac\xe2\x82\xac\": 1,\n \"b\": x}", "Expecting value: line 2 column 7 (char 18)"},
	}
	cases = append(cases,
		struct{ body, msg string }{strings.Repeat("1", 4301), "Exceeds the limit (4300 digits) for integer string conversion: value has 4301 digits; use sys.set_int_max_str_digits() to increase the limit"},
		struct{ body, msg string }{"-" + strings.Repeat("1", 4301), "Exceeds the limit (4300 digits) for integer string conversion: value has 4301 digits; use sys.set_int_max_str_digits() to increase the limit"},
		struct{ body, msg string }{strings.Repeat("1", 4300), ""},
		struct{ body, msg string }{strings.Repeat("[", 600), "Expecting value: line 1 column 601 (char 600)"},
		struct{ body, msg string }{strings.Repeat("[", 9998) + strings.Repeat("]", 9998), ""},
		struct{ body, msg string }{strings.Repeat("[", 9999) + strings.Repeat("]", 9999), "maximum recursion depth exceeded while decoding a JSON array from a unicode string"},
	)
	for _, c := range cases {
		_, _, msg := decodePyJSON([]byte(c.body))
		if msg != c.msg {
			t.Errorf("%.60q:\n got %q\nwant %q", c.body, msg, c.msg)
		}
	}
}

func TestDecodePyJSONValues(t *testing.T) {
	top, members, msg := decodePyJSON([]byte(`{"a": 1, "b": 5.0, "c": "x\u00e9\ud83d\ude00\ud800", "d": [1, {}], "e": {"f": null}, "g": true, "a": -12345678901234567890123}`))
	if msg != "" || top.kind != jsonObject {
		t.Fatalf("%v %q", top, msg)
	}
	want := []jsonMember{
		{"a", jsonValue{kind: jsonInt, s: "1"}},
		{"b", jsonValue{kind: jsonFloat, f: 5, s: "5.0"}},
		{"c", jsonValue{kind: jsonString, s: "xé😀\uFFFD"}},
		{"d", jsonValue{kind: jsonArray}},
		{"e", jsonValue{kind: jsonObject}},
		{"g", jsonValue{kind: jsonBool, b: true}},
		{"a", jsonValue{kind: jsonInt, s: "-12345678901234567890123"}},
	}
	if len(members) != len(want) {
		t.Fatalf("members %v", members)
	}
	for i := range want {
		if members[i] != want[i] {
			t.Errorf("member %d: got %+v want %+v", i, members[i], want[i])
		}
	}
	in := input{members: members}
	if v, _ := in.get("a"); v.s != "-12345678901234567890123" {
		t.Errorf("the last duplicate must win, got %v", v)
	}
}

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
		n, ok, msg := coerceInt(jsonValue{kind: jsonString, s: c.in})
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
		n, ok, _ := coerceInt(jsonValue{kind: jsonFloat, f: c.f})
		if n != c.n || ok != c.ok {
			t.Errorf("%v: got %d %v, want %d %v", c.f, n, ok, c.n, c.ok)
		}
	}
	for _, v := range []jsonValue{{kind: jsonBool, b: true}, {kind: jsonArray}, {kind: jsonObject}} {
		if _, ok, _ := coerceInt(v); ok {
			t.Errorf("%v must not be an integer", v)
		}
	}
}

func TestPyFloatRepr(t *testing.T) {
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
		if got := pyFloatRepr(c.f); got != c.repr {
			t.Errorf("repr(%v) = %q, want %q", c.f, got, c.repr)
		}
	}
	if got := pyFloatRepr(math.Inf(-1)); got != "-inf" {
		t.Errorf("repr(-inf) = %q", got)
	}
}

func TestCoerceBool(t *testing.T) {
	for _, s := range []string{"t", "T", "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "1"} {
		if b, ok := coerceBool(jsonValue{kind: jsonString, s: s}); !ok || !b {
			t.Errorf("%q must be true", s)
		}
	}
	for _, s := range []string{"f", "F", "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "0"} {
		if b, ok := coerceBool(jsonValue{kind: jsonString, s: s}); !ok || b {
			t.Errorf("%q must be false", s)
		}
	}
	for _, s := range []string{"", "yEs", "2", " true", "null", "None", "tRUE"} {
		if _, ok := coerceBool(jsonValue{kind: jsonString, s: s}); ok {
			t.Errorf("%q must be invalid", s)
		}
	}
	for _, c := range []struct {
		v  jsonValue
		b  bool
		ok bool
	}{
		{jsonValue{kind: jsonBool, b: true}, true, true},
		{jsonValue{kind: jsonBool}, false, true},
		{jsonValue{kind: jsonInt, s: "1"}, true, true},
		{jsonValue{kind: jsonInt, s: "0"}, false, true},
		{jsonValue{kind: jsonInt, s: "-0"}, false, true},
		{jsonValue{kind: jsonInt, s: "2"}, false, false},
		{jsonValue{kind: jsonFloat, f: 1}, true, true},
		{jsonValue{kind: jsonFloat, f: 0}, false, true},
		{jsonValue{kind: jsonFloat, f: 0.5}, false, false},
		{jsonValue{kind: jsonArray}, false, false},
		{jsonValue{kind: jsonObject}, false, false},
	} {
		if b, ok := coerceBool(c.v); b != c.b || ok != c.ok {
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
		pairs := parseQS(c.query)
		if got := encodeQuery(pairs, "page", "7"); got != c.replaced {
			t.Errorf("replace in %q: got %q want %q", c.query, got, c.replaced)
		}
		if got := encodeQuery(pairs, "page", ""); got != c.removed {
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
		id, ok := parseUUID(c.in)
		got := ""
		if ok {
			got = strings.ReplaceAll(id.String(), "-", "")
		}
		if got != c.hex {
			t.Errorf("%q: got %q want %q", c.in, got, c.hex)
		}
	}
}
