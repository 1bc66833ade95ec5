package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// The decoder mirrors CPython's json scanner, and no Python runs in CI, so
// the fuzz targets here compare it with encoding/json, which accepts the
// same language (RFC 8259) except where Python's limits differ, and with
// small reference models of DRF's coercion written from Python's rules.

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
	// mutation of it; TestDecodePyJSONMessages pins it. The limit on digits
	// (4 kB) has a corpus file.
	f.Fuzz(func(t *testing.T, body []byte) {
		top, members, msg := decodePyJSON(body)
		if msg != "" {
			checkParseMessage(t, body, msg)
		}
		if top.kind != jsonObject && members != nil {
			t.Fatalf("members of a %s: %v", top.kind.pyType(), members)
		}
		// Beyond here encoding/json is the reference, which knows nothing
		// of Python's UTF-8 stream reader, its recursion limit (Go's is
		// 10000) or its limit on integer digits.
		if !utf8.Valid(body) || nestingDepth(body) > maxJSONDepth || strings.Contains(msg, "integer string conversion") {
			return
		}
		valid := json.Valid(body)
		if valid != (msg == "") {
			t.Fatalf("encoding/json says valid=%v, decodePyJSON says %q", valid, msg)
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
		if got := kindOfToken(tok); got != top.kind {
			t.Fatalf("top-level kind %s, encoding/json sees %s", top.kind.pyType(), got.pyType())
		}
		if top.kind != jsonObject {
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
				t.Fatalf("encoding/json sees member %d (%q) that decodePyJSON dropped", i, key)
			}
			m := members[i]
			if m.key != key {
				t.Fatalf("member %d: key %q, encoding/json reads %q", i, m.key, key)
			}
			vdec := json.NewDecoder(bytes.NewReader(raw))
			vdec.UseNumber()
			vtok, err := vdec.Token()
			if err != nil {
				t.Fatal(err)
			}
			if got := kindOfToken(vtok); got != m.val.kind {
				t.Fatalf("member %q: kind %s, encoding/json sees %s", key, m.val.kind.pyType(), got.pyType())
			}
			checkScalar(t, "member "+strconv.Quote(key), m.val, vtok)
		}
		if i != len(members) {
			t.Fatalf("decodePyJSON has %d members, encoding/json %d", len(members), i)
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

func kindOfToken(tok json.Token) jsonKind {
	switch v := tok.(type) {
	case nil:
		return jsonNull
	case bool:
		return jsonBool
	case json.Number:
		if strings.ContainsAny(string(v), ".eE") {
			return jsonFloat
		}
		return jsonInt
	case string:
		return jsonString
	case json.Delim:
		if v == '[' {
			return jsonArray
		}
		return jsonObject
	}
	panic("unknown token")
}

func checkScalar(t *testing.T, what string, v jsonValue, tok json.Token) {
	t.Helper()
	switch w := tok.(type) {
	case bool:
		if v.b != w {
			t.Fatalf("%s: %v, encoding/json reads %v", what, v.b, w)
		}
	case string:
		if v.s != w {
			t.Fatalf("%s: %q, encoding/json reads %q", what, v.s, w)
		}
	case json.Number:
		if v.s != string(w) {
			t.Fatalf("%s: literal %q, encoding/json reads %q", what, v.s, w)
		}
		if v.kind == jsonFloat {
			// Out-of-range literals are ±inf or 0 in Python too.
			want, _ := strconv.ParseFloat(string(w), 64)
			if v.f != want {
				t.Fatalf("%s: %v, want %v", what, v.f, want)
			}
		}
	}
}

// drfTrue and drfFalse are BooleanField.TRUE_VALUES and FALSE_VALUES.
var (
	drfTrue  = []string{"t", "T", "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "1"}
	drfFalse = []string{"f", "F", "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "0"}
)

// Python's re.sub(r'\.0*\s*$', ”, s) and int(s) for ASCII s. Python's \s
// also matches \v and \x1c-\x1f, which int() does not strip; Go's \s
// matches neither, hence the explicit classes.
var (
	refDecimalZeros = regexp.MustCompile(`\.0*[ \t\n\v\f\r\x1c-\x1f]*$`)
	refPyIntSyntax  = regexp.MustCompile(`^[ \t\n\v\f\r]*([+-]?)([0-9](?:_?[0-9])*)[ \t\n\v\f\r]*$`)
)

// refPyInt is int(s) for ASCII s, saturated to int64 as coerceInt documents.
func refPyInt(s string) (int64, bool) {
	m := refPyIntSyntax.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	n, _ := new(big.Int).SetString(m[1]+strings.ReplaceAll(m[2], "_", ""), 10)
	switch {
	case n.Cmp(big.NewInt(math.MaxInt64)) > 0:
		return math.MaxInt64, true
	case n.Cmp(big.NewInt(math.MinInt64)) < 0:
		return math.MinInt64, true
	}
	return n.Int64(), true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// FuzzCoerce feeds s to IntegerField and BooleanField as a JSON (or form)
// string, and, when s is a JSON number, as that number.
func FuzzCoerce(f *testing.F) {
	for _, s := range []string{
		"5", " 5 ", "+5", "-5", "05", "5_000", "5__0", "_5", "5_", "5.0", "5.", "5.000  ", "5.5", "5.0.0", "5 .0",
		"x", "", " ", "1e3", "0x10", "- 5", "5\v", "\v5", "5.0\v", "5.0\x1c", "\x1c5", "5.0\n", "99999999999999999999999",
		"-99999999999999999999999", "2147483648", "-0", "-0.0", "1.0", "0.0", "1e16", "9999999999999998.0", "1.5e+16",
		"1E400", "-1e-400", "\u0665", "\u0661\u0662", "\U0001d7d3", "\u00a05\u3000", "\u0663.\u0660", "\u20005",
		"t", "T", "yes", "YES", "yEs", "on", "ON", "oN", "true", "TRUE", "tRUE", "1", "0", "f", "no", "off", "False", "None",
		strings.Repeat("1", 1000), strings.Repeat("\u0661", 1001),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok, msg := coerceInt(jsonValue{kind: jsonString, s: s})
		switch {
		case utf8.RuneCountInString(s) > maxIntegerString:
			if ok || msg != msgStringTooLarge {
				t.Fatalf("coerceInt(%.40q…) = %d %v %q, want the length message", s, n, ok, msg)
			}
		case msg != "":
			t.Fatalf("coerceInt(%q): message %q for a short string", s, msg)
		case isASCII(s):
			if want, wantOK := refPyInt(refDecimalZeros.ReplaceAllString(s, "")); n != want || ok != wantOK {
				t.Fatalf("coerceInt(%q) = %d %v, Python gives %d %v", s, n, ok, want, wantOK)
			}
		}
		if !ok && n != 0 {
			t.Fatalf("coerceInt(%q) refused with a value %d", s, n)
		}

		b, ok := coerceBool(jsonValue{kind: jsonString, s: s})
		isTrue, isFalse := slices.Contains(drfTrue, s), slices.Contains(drfFalse, s)
		if ok != (isTrue || isFalse) || b != isTrue {
			t.Fatalf("coerceBool(%q) = %v %v", s, b, ok)
		}

		// The same text as a JSON number, when it is one.
		top, _, jmsg := decodePyJSON([]byte(s))
		if jmsg != "" || (top.kind != jsonInt && top.kind != jsonFloat) {
			return
		}
		n, ok, _ = coerceInt(top)
		if top.kind == jsonInt {
			want, _ := refPyInt(top.s)
			if !ok || n != want {
				t.Fatalf("coerceInt(%s) = %d %v, want %d", top.s, n, ok, want)
			}
		} else {
			// str(float) has no exponent, so int() reads it, only for
			// integral values below 1e16.
			wantOK := top.f == math.Trunc(top.f) && math.Abs(top.f) < 1e16
			if ok != wantOK || (ok && float64(n) != top.f) {
				t.Fatalf("coerceInt(%s) = %d %v, want ok=%v", top.s, n, ok, wantOK)
			}
		}
		b, ok = coerceBool(top)
		var one, zero bool
		if top.kind == jsonInt {
			v, _ := new(big.Int).SetString(top.s, 10)
			one, zero = v.Cmp(big.NewInt(1)) == 0, v.Sign() == 0
		} else {
			one, zero = top.f == 1, top.f == 0
		}
		if ok != (one || zero) || b != one {
			t.Fatalf("coerceBool(%s) = %v %v", top.s, b, ok)
		}
	})
}
