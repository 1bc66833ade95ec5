// Package pyjson is CPython's json.loads as the upstream service's DRF
// JSONParser calls it on a request body (Python 3.13, the C scanner, DRF's
// refusal of NaN and Infinity). It answers a malformed body with Python's
// own message, which clients show after "JSON parse error - ", so it follows
// the scanner step by step: same accepted language, same messages, same
// positions (counted in characters, not bytes). It also keeps what Go's
// encoding/json would lose: integer literals of any size, the difference
// between 5 and 5.0, and Python's type names for DRF's messages.
//
// Only the decoding of JSON text belongs here. What a decoded value means
// to a field (DRF's coercion) is pyform's; which fields a body must have,
// and the messages about them, are the REST face's and the core's.
package pyjson

import (
	"strconv"
	"unicode/utf8"

	"github.com/callcfg/callcfg/rest/internal/pyutf8"
)

// Kind is the kind of a JSON value, which DRF's messages name by its
// Python type.
type Kind uint8

// The kinds, one for each type json.loads returns.
const (
	Null Kind = iota
	Bool
	Int
	Float
	String
	Array
	Object
)

// TypeName is type(value).__name__ in Python, as DRF's messages name it
// ("Expected a dictionary, but got list.").
func (k Kind) TypeName() string {
	switch k {
	case Bool:
		return "bool"
	case Int:
		return "int"
	case Float:
		return "float"
	case String:
		return "str"
	case Array:
		return "list"
	case Object:
		return "dict"
	}
	return "NoneType"
}

// Value is one decoded value. Containers below the top level keep only
// their kind: no field of this API takes one.
type Value struct {
	Kind  Kind
	Bool  bool
	Float float64
	// Text is a string's value, or a number's literal: an integer keeps all
	// its digits, a float its spelling.
	Text string
}

// Member is one member of the top-level object.
type Member struct {
	Key   string
	Value Value
}

// maxJSONDepth stands in for Python's recursion limit, which the upstream
// service hits (as a 500) at about ten thousand levels.
const maxJSONDepth = 9998

// maxIntDigits is Python's default sys.get_int_max_str_digits().
const maxIntDigits = 4300

// Error is what json.loads raises on a malformed document, as str(exc)
// renders it: a JSONDecodeError with its line, column and character, or
// the ValueError or RecursionError of one of Python's limits.
type Error struct{ msg string }

func (e *Error) Error() string { return e.msg }

// jsonError is an Error before its position is rendered. Positioned errors
// are JSONDecodeErrors.
type jsonError struct {
	msg    string
	pos    int // byte offset into the document
	hasPos bool
}

type pyDecoder struct {
	doc   []byte
	depth int
	top   []Member
}

// Decode parses body as DRF's JSONParser does: read through CPython's
// UTF-8 stream reader, then json.loads. For a top-level object it returns
// the members in document order; a repeated key appears each time, and the
// last one is the dict's. The error's text is what DRF shows after
// "JSON parse error - ": the *Error of json.loads, or the
// *pyutf8.DecodeError of a body that is not UTF-8.
func Decode(body []byte) (Value, []Member, error) {
	doc, err := pyutf8.ReadStream(body)
	if err != nil {
		return Value{}, nil, err
	}
	d := pyDecoder{doc: doc}
	v, jerr := d.decode()
	if jerr != nil {
		return Value{}, nil, &Error{msg: d.format(jerr)}
	}
	return v, d.top, nil
}

func (d *pyDecoder) format(e *jsonError) string {
	if !e.hasPos {
		return e.msg
	}
	prefix := d.doc[:e.pos]
	char := utf8.RuneCount(prefix)
	line, lastNL := 1, -1
	for i, c := range prefix {
		if c == '\n' {
			line++
			lastNL = i
		}
	}
	col := char + 1
	if lastNL >= 0 {
		col = char - utf8.RuneCount(prefix[:lastNL])
	}
	b := make([]byte, 0, len(e.msg)+48)
	b = append(b, e.msg...)
	b = append(b, ": line "...)
	b = strconv.AppendInt(b, int64(line), 10)
	b = append(b, " column "...)
	b = strconv.AppendInt(b, int64(col), 10)
	b = append(b, " (char "...)
	b = strconv.AppendInt(b, int64(char), 10)
	b = append(b, ')')
	return string(b)
}

func errAt(msg string, pos int) *jsonError { return &jsonError{msg: msg, pos: pos, hasPos: true} }

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (d *pyDecoder) skipSpace(i int) int {
	for i < len(d.doc) && isJSONSpace(d.doc[i]) {
		i++
	}
	return i
}

func (d *pyDecoder) decode() (Value, *jsonError) {
	if len(d.doc) >= 3 && d.doc[0] == 0xef && d.doc[1] == 0xbb && d.doc[2] == 0xbf {
		return Value{}, errAt("Unexpected UTF-8 BOM (decode using utf-8-sig)", 0)
	}
	v, end, err := d.scan(d.skipSpace(0), true)
	if err != nil {
		return v, err
	}
	if end = d.skipSpace(end); end != len(d.doc) {
		return v, errAt("Extra data", end)
	}
	return v, nil
}

func (d *pyDecoder) hasLiteral(i int, lit string) bool {
	return len(d.doc)-i >= len(lit) && string(d.doc[i:i+len(lit)]) == lit
}

// scan is scan_once: one value starting at i. A missing value is Python's
// StopIteration, which surfaces as "Expecting value" at that position.
func (d *pyDecoder) scan(i int, top bool) (Value, int, *jsonError) {
	if i >= len(d.doc) {
		return Value{}, i, errAt("Expecting value", i)
	}
	switch d.doc[i] {
	case '"':
		s, end, err := d.scanString(i + 1)
		return Value{Kind: String, Text: s}, end, err
	case '{', '[':
		if d.depth++; d.depth > maxJSONDepth {
			what := "object"
			if d.doc[i] == '[' {
				what = "array"
			}
			return Value{}, i, &jsonError{msg: "maximum recursion depth exceeded while decoding a JSON " + what + " from a unicode string"}
		}
		var end int
		var err *jsonError
		kind := Object
		if d.doc[i] == '{' {
			end, err = d.parseObject(i+1, top)
		} else {
			kind = Array
			end, err = d.parseArray(i + 1)
		}
		d.depth--
		return Value{Kind: kind}, end, err
	case 'n':
		if d.hasLiteral(i, "null") {
			return Value{Kind: Null}, i + 4, nil
		}
	case 't':
		if d.hasLiteral(i, "true") {
			return Value{Kind: Bool, Bool: true}, i + 4, nil
		}
	case 'f':
		if d.hasLiteral(i, "false") {
			return Value{Kind: Bool}, i + 5, nil
		}
	case 'N', 'I', '-':
		// DRF's strict_constant refuses what Python's json would accept.
		for _, c := range [...]string{"NaN", "Infinity", "-Infinity"} {
			if d.hasLiteral(i, c) {
				return Value{}, i, &jsonError{msg: "Out of range float values are not JSON compliant: '" + c + "'"}
			}
		}
	}
	return d.scanNumber(i)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func (d *pyDecoder) scanNumber(start int) (Value, int, *jsonError) {
	doc, i := d.doc, start
	if doc[i] == '-' {
		if i++; i >= len(doc) {
			return Value{}, start, errAt("Expecting value", start)
		}
	}
	switch {
	case '1' <= doc[i] && doc[i] <= '9':
		for i++; i < len(doc) && isDigit(doc[i]); i++ {
		}
	case doc[i] == '0':
		i++
	default:
		return Value{}, start, errAt("Expecting value", start)
	}
	isFloat := false
	if i+1 < len(doc) && doc[i] == '.' && isDigit(doc[i+1]) {
		isFloat = true
		for i += 2; i < len(doc) && isDigit(doc[i]); i++ {
		}
	}
	if i+1 < len(doc) && (doc[i] == 'e' || doc[i] == 'E') {
		eStart := i
		i++
		if i+1 < len(doc) && (doc[i] == '-' || doc[i] == '+') {
			i++
		}
		for i < len(doc) && isDigit(doc[i]) {
			i++
		}
		if isDigit(doc[i-1]) {
			isFloat = true
		} else {
			i = eStart
		}
	}
	lit := string(doc[start:i])
	if isFloat {
		// Out of range literals become ±inf or 0 in Python too.
		f, _ := strconv.ParseFloat(lit, 64)
		return Value{Kind: Float, Float: f, Text: lit}, i, nil
	}
	digits := len(lit)
	if lit[0] == '-' {
		digits--
	}
	if digits > maxIntDigits {
		return Value{}, start, &jsonError{msg: "Exceeds the limit (" + strconv.Itoa(maxIntDigits) +
			" digits) for integer string conversion: value has " + strconv.Itoa(digits) +
			" digits; use sys.set_int_max_str_digits() to increase the limit"}
	}
	return Value{Kind: Int, Text: lit}, i, nil
}

func (d *pyDecoder) parseObject(i int, top bool) (int, *jsonError) {
	doc := d.doc
	i = d.skipSpace(i)
	if i < len(doc) && doc[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(doc) || doc[i] != '"' {
			return i, errAt("Expecting property name enclosed in double quotes", i)
		}
		key, end, err := d.scanString(i + 1)
		if err != nil {
			return end, err
		}
		i = d.skipSpace(end)
		if i >= len(doc) || doc[i] != ':' {
			return i, errAt("Expecting ':' delimiter", i)
		}
		i = d.skipSpace(i + 1)
		val, end, err := d.scan(i, false)
		if err != nil {
			return end, err
		}
		if top {
			d.top = append(d.top, Member{Key: key, Value: val})
		}
		i = d.skipSpace(end)
		if i < len(doc) && doc[i] == '}' {
			return i + 1, nil
		}
		if i >= len(doc) || doc[i] != ',' {
			return i, errAt("Expecting ',' delimiter", i)
		}
		comma := i
		if i = d.skipSpace(i + 1); i < len(doc) && doc[i] == '}' {
			return i, errAt("Illegal trailing comma before end of object", comma)
		}
	}
}

func (d *pyDecoder) parseArray(i int) (int, *jsonError) {
	doc := d.doc
	i = d.skipSpace(i)
	if i < len(doc) && doc[i] == ']' {
		return i + 1, nil
	}
	for {
		_, end, err := d.scan(i, false)
		if err != nil {
			return end, err
		}
		i = d.skipSpace(end)
		if i < len(doc) && doc[i] == ']' {
			return i + 1, nil
		}
		if i >= len(doc) || doc[i] != ',' {
			return i, errAt("Expecting ',' delimiter", i)
		}
		comma := i
		if i = d.skipSpace(i + 1); i < len(doc) && doc[i] == ']' {
			return i, errAt("Illegal trailing comma before end of array", comma)
		}
	}
}

func hexVal(c byte) (rune, bool) {
	switch {
	case '0' <= c && c <= '9':
		return rune(c - '0'), true
	case 'a' <= c && c <= 'f':
		return rune(c - 'a' + 10), true
	case 'A' <= c && c <= 'F':
		return rune(c - 'A' + 10), true
	}
	return 0, false
}

// hex4 reads the four hex digits after the 'u' at u; ok is false unless all
// four are there and at least one character follows them, as CPython needs.
func (d *pyDecoder) hex4(u int) (rune, bool) {
	if u+5 >= len(d.doc) {
		return 0, false
	}
	var r rune
	for _, c := range d.doc[u+1 : u+5] {
		v, ok := hexVal(c)
		if !ok {
			return 0, false
		}
		r = r<<4 | v
	}
	return r, true
}

// scanString is scanstring: the string whose body starts at i (after the
// opening quote). Lone surrogates, which Go strings cannot hold, become
// U+FFFD; nothing downstream could tell them apart.
func (d *pyDecoder) scanString(i int) (string, int, *jsonError) {
	doc, begin := d.doc, i-1
	var out []byte
	for {
		j := i
		for j < len(doc) && doc[j] != '"' && doc[j] != '\\' {
			if doc[j] <= 0x1f {
				return "", j, errAt("Invalid control character at", j)
			}
			j++
		}
		if j >= len(doc) {
			return "", j, errAt("Unterminated string starting at", begin)
		}
		if doc[j] == '"' {
			if out == nil {
				return string(doc[i:j]), j + 1, nil
			}
			return string(append(out, doc[i:j]...)), j + 1, nil
		}
		if out == nil {
			out = make([]byte, 0, j-i+16)
		}
		out = append(out, doc[i:j]...)
		j++ // past the backslash
		if j >= len(doc) {
			return "", j, errAt("Unterminated string starting at", begin)
		}
		if c := doc[j]; c != 'u' {
			switch c {
			case '"', '\\', '/':
				out = append(out, c)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			default:
				return "", j, errAt("Invalid \\escape", j-1)
			}
			i = j + 1
			continue
		}
		r, ok := d.hex4(j)
		if !ok {
			return "", j, errAt("Invalid \\uXXXX escape", j)
		}
		i = j + 5
		if 0xd800 <= r && r <= 0xdbff && i+6 < len(doc) && doc[i] == '\\' && doc[i+1] == 'u' {
			r2, ok := d.hex4(i + 1)
			if !ok {
				return "", i + 1, errAt("Invalid \\uXXXX escape", i+1)
			}
			if 0xdc00 <= r2 && r2 <= 0xdfff {
				r = 0x10000 + (r-0xd800)<<10 + (r2 - 0xdc00)
				i += 6
			}
		}
		out = utf8.AppendRune(out, r) // surrogates encode as U+FFFD
	}
}
