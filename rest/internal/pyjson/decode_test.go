package pyjson

import (
	"math"
	"strings"
	"testing"
)

// The expected messages were produced by CPython 3.13's json module, the
// upstream service's runtime, so these tests pin the decoder to Python.

func TestDecodeMessages(t *testing.T) {
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
		_, _, err := Decode([]byte(c.body))
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		if msg != c.msg {
			t.Errorf("%.60q:\n got %q\nwant %q", c.body, msg, c.msg)
		}
	}
}

func TestDecodeValues(t *testing.T) {
	top, members, err := Decode([]byte(`{"a": 1, "b": 5.0, "c": "x\u00e9\ud83d\ude00\ud800", "d": [1, {}], "e": {"f": null}, "g": true, "a": -12345678901234567890123}`))
	if err != nil || top.Kind != Object {
		t.Fatalf("%v %v", top, err)
	}
	want := []Member{
		{"a", Value{Kind: Int, Text: "1"}},
		{"b", Value{Kind: Float, Float: 5, Text: "5.0"}},
		{"c", Value{Kind: String, Text: "xé😀\uFFFD"}},
		{"d", Value{Kind: Array}},
		{"e", Value{Kind: Object}},
		{"g", Value{Kind: Bool, Bool: true}},
		{"a", Value{Kind: Int, Text: "-12345678901234567890123"}},
	}
	if len(members) != len(want) {
		t.Fatalf("members %v", members)
	}
	for i := range want {
		if members[i] != want[i] {
			t.Errorf("member %d: got %+v want %+v", i, members[i], want[i])
		}
	}
}

func TestDecodeScalarsAtTheTopLevel(t *testing.T) {
	for _, c := range []struct {
		body string
		want Value
	}{
		{"null", Value{Kind: Null}},
		{" false ", Value{Kind: Bool}},
		{"-0", Value{Kind: Int, Text: "-0"}},
		{"1E400", Value{Kind: Float, Float: math.Inf(1), Text: "1E400"}},
		{`"\u0041"`, Value{Kind: String, Text: "A"}},
		{"[1]", Value{Kind: Array}},
	} {
		top, members, err := Decode([]byte(c.body))
		if err != nil || top != c.want || members != nil {
			t.Errorf("%q: got %+v %v %v, want %+v", c.body, top, members, err, c.want)
		}
	}
}
