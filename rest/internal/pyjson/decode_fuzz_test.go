package pyjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// The decoder mirrors CPython's json scanner, and no Python runs in CI, so
// the fuzz target here compares it with encoding/json, which accepts the
// same language (RFC 8259) except where Python's limits differ.

// jsonSeeds are bodies that reach every branch of the scanner: each kind of
// value, each error message, surrogates, positions on later lines, and the
// bytes CPython's UTF-8 reader treats specially.
var jsonSeeds = []string{
	``, ` `, `{}`, `[]`, `null`, `true`, `false`, `0`, `-0`, `-0.0e+5`, `1E400`, `"x"`,
	`{"max_auto_reassign_attempts": 5}`,
	`{"auto_reassign_on_decline": "yes", "max_auto_reassign_attempts": "5.0", "assignment_expiration_days": 7.0, "send_reminder_before_expiry_days": null}`,
	`{"a": 1, "a": 2}`,
	`{"a": [1, {"b": [true, null, "c"]}], "d": {}}`,
	`{"a": "\u00e9\ud83d\ude00\ud800\udc00\ud800\u0041\udc00"}`,
	`{"a": "\"\\\/\b\f\n\r\t"}`,
	`{"a": -12345678901234567890123, "b": 1.5e-7, "c": 9999999999999998.0}`,
	`{"a" 1}`, `{a: 1}`, `{"a": 1,}`, `[1,]`, `[1 2]`, `{"a": 1}}`, `01`, `1.`, `1e+`, `.5`, `+1`,
	`NaN`, `{"a": Infinity}`, `-Infinity`, `nul`, `tru`, `fals`,
	`{"a": "\x"}`, `{"a": "\u12"}`, `{"a": "\u12g4"}`, `{"a": "\ud800\uzzzz"}`, `"\u0041`,
	"{\"a\": \"x\ny\"}", "\n\n  {\"a\": }", "\t\t{\"\u20ac\": 1,\n \"b\": x}",
	"\xef\xbb\xbf{}", "\xff", "{\"a\": \"\xff\"}", "{\"a\": 1}\xe2\x82", "{\"a\": \"\xe2\x82", "\xed\xa0\x80",
	"{\"a\": \"\xf0\x9f(\"}", "{\"\xc3\xa9\": 1}",
}

// FuzzDecodePyJSON: no panic; every message is one of Python's, at a
// position inside the document; a UTF-8 body within Python's limits is
// accepted exactly when encoding/json accepts it, with the same top-level
// kind and the same members, values and order.
func FuzzDecodePyJSON(f *testing.F) {
	for _, s := range jsonSeeds {
		f.Add([]byte(s))
	}
	// The depth limit needs 20 kB of brackets, which would slow down every
	// mutation of it; TestDecodeMessages pins it. The limit on digits
	// (4 kB) has a corpus file.
	f.Fuzz(func(t *testing.T, body []byte) {
		top, members, err := Decode(body)
		msg := ""
		if err != nil {
			msg = err.Error()
			checkParseMessage(t, body, msg)
		}
		if top.Kind != Object && members != nil {
			t.Fatalf("members of a %s: %v", top.Kind.TypeName(), members)
		}
		// Beyond here encoding/json is the reference, which knows nothing
		// of Python's UTF-8 stream reader, its recursion limit (Go's is
		// 10000) or its limit on integer digits.
		if !utf8.Valid(body) || nestingDepth(body) > maxJSONDepth || strings.Contains(msg, "integer string conversion") {
			return
		}
		valid := json.Valid(body)
		if valid != (msg == "") {
			t.Fatalf("encoding/json says valid=%v, Decode says %q", valid, msg)
		}
		if !valid {
			return
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("encoding/json: %v", err)
		}
		if got := kindOfToken(tok); got != top.Kind {
			t.Fatalf("top-level kind %s, encoding/json sees %s", top.Kind.TypeName(), got.TypeName())
		}
		if top.Kind != Object {
			checkScalar(t, "top level", top, tok)
			return
		}
		i := 0
		for ; dec.More(); i++ {
			keyTok, err := dec.Token()
			if err != nil {
				t.Fatal(err)
			}
			key := keyTok.(string)
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				t.Fatal(err)
			}
			if i >= len(members) {
				t.Fatalf("encoding/json sees member %d (%q) that Decode dropped", i, key)
			}
			m := members[i]
			if m.Key != key {
				t.Fatalf("member %d: key %q, encoding/json reads %q", i, m.Key, key)
			}
			vdec := json.NewDecoder(bytes.NewReader(raw))
			vdec.UseNumber()
			vtok, err := vdec.Token()
			if err != nil {
				t.Fatal(err)
			}
			if got := kindOfToken(vtok); got != m.Value.Kind {
				t.Fatalf("member %q: kind %s, encoding/json sees %s", key, m.Value.Kind.TypeName(), got.TypeName())
			}
			checkScalar(t, "member "+strconv.Quote(key), m.Value, vtok)
		}
		if i != len(members) {
			t.Fatalf("Decode has %d members, encoding/json %d", len(members), i)
		}
		if _, err := dec.Token(); err != nil && !errors.Is(err, io.EOF) {
			t.Fatal(err)
		}
	})
}

// parseMessage is the shape of every positioned JSONDecodeError.
var parseMessage = regexp.MustCompile(`^(.*): line (\d+) column (\d+) \(char (\d+)\)$`)

// checkParseMessage holds a message to the texts Python can produce, and a
// position to one inside the document.
func checkParseMessage(t *testing.T, body []byte, msg string) {
	t.Helper()
	for _, p := range []string{"Out of range float values are not JSON compliant: ", "Exceeds the limit (4300 digits)",
		"maximum recursion depth exceeded while decoding a JSON ", "'utf-8' codec can't decode "} {
		if strings.HasPrefix(msg, p) {
			return
		}
	}
	m := parseMessage.FindStringSubmatch(msg)
	if m == nil {
		t.Fatalf("unpositioned message %q", msg)
	}
	switch m[1] {
	case "Expecting value", "Extra data", "Expecting property name enclosed in double quotes",
		"Expecting ':' delimiter", "Expecting ',' delimiter", "Illegal trailing comma before end of object",
		"Illegal trailing comma before end of array", "Invalid control character at", "Unterminated string starting at",
		`Invalid \escape`, `Invalid \uXXXX escape`, "Unexpected UTF-8 BOM (decode using utf-8-sig)":
	default:
		t.Fatalf("message %q is not one of Python's", msg)
	}
	line, _ := strconv.Atoi(m[2])
	col, _ := strconv.Atoi(m[3])
	char, _ := strconv.Atoi(m[4])
	if chars := utf8.RuneCount(body); char > chars || line < 1 || col < 1 || col > char+1 || line > bytes.Count(body, []byte("\n"))+1 {
		t.Fatalf("position out of the document (%d characters): %q", chars, msg)
	}
}

// nestingDepth is the deepest bracket nesting, counting brackets inside
// strings too: an overestimate only makes the differential check skip.
func nestingDepth(b []byte) int {
	depth, deepest := 0, 0
	for _, c := range b {
		switch c {
		case '[', '{':
			depth++
			deepest = max(deepest, depth)
		case ']', '}':
			depth--
		}
	}
	return deepest
}

func kindOfToken(tok json.Token) Kind {
	switch v := tok.(type) {
	case nil:
		return Null
	case bool:
		return Bool
	case json.Number:
		if strings.ContainsAny(string(v), ".eE") {
			return Float
		}
		return Int
	case string:
		return String
	case json.Delim:
		if v == '[' {
			return Array
		}
		return Object
	}
	panic("unknown token")
}

func checkScalar(t *testing.T, what string, v Value, tok json.Token) {
	t.Helper()
	switch w := tok.(type) {
	case bool:
		if v.Bool != w {
			t.Fatalf("%s: %v, encoding/json reads %v", what, v.Bool, w)
		}
	case string:
		if v.Text != w {
			t.Fatalf("%s: %q, encoding/json reads %q", what, v.Text, w)
		}
	case json.Number:
		if v.Text != string(w) {
			t.Fatalf("%s: literal %q, encoding/json reads %q", what, v.Text, w)
		}
		if v.Kind == Float {
			// Out-of-range literals are ±inf or 0 in Python too.
			want, _ := strconv.ParseFloat(string(w), 64)
			if v.Float != want {
				t.Fatalf("%s: %v, want %v", what, v.Float, want)
			}
		}
	}
}
