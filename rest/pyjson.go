package rest

import (
	"strconv"
	"unicode/utf8"
)

// The upstream service parses bodies with CPython's json module (the C
// scanner, Python 3.13) and answers a malformed one with
// "JSON parse error - <Python's message>". Clients show that text, so this
// decoder follows the scanner step by step: same accepted language, same
// messages, same positions (counted in characters, not bytes). It also keeps
// what Go's encoding/json would lose: integer literals of any size, the
// difference between 5 and 5.0, and Python's type names for error messages.

type jsonKind uint8

const (
	jsonNull jsonKind = iota
	jsonBool
	jsonInt
	jsonFloat
	jsonString
	jsonArray
	jsonObject
)

// pyType is type(value).__name__ in Python, as DRF's messages name it.
func (k jsonKind) pyType() string {
	switch k {
	case jsonBool:
		return "bool"
	case jsonInt:
		return "int"
	case jsonFloat:
		return "float"
	case jsonString:
		return "str"
	case jsonArray:
		return "list"
	case jsonObject:
		return "dict"
	}
	return "NoneType"
}

// jsonValue is one decoded value. Containers below the top level keep only
// their kind: no field of this API takes one.
type jsonValue struct {
	kind jsonKind
	b    bool
	f    float64
	s    string // a string's value, or an integer's literal
}

type jsonMember struct {
	key string
	val jsonValue
}

// maxJSONDepth stands in for Python's recursion limit, which the upstream
// service hits (as a 500) at about ten thousand levels.
const maxJSONDepth = 9998

// maxIntDigits is Python's default sys.get_int_max_str_digits().
const maxIntDigits = 4300

// jsonError is a ValueError from json.loads. Positioned errors are
// JSONDecodeErrors, which Python renders with line, column and character.
type jsonError struct {
	msg    string
	pos    int // byte offset into the document
	hasPos bool
}

type pyDecoder struct {
	doc   []byte
	depth int
	top   []jsonMember
}

// decodePyJSON parses body as DRF's JSONParser does. For a top-level
// object it returns the members in document order (later duplicates win,
// as in a dict). The error text is what follows "JSON parse error - ".
func decodePyJSON(body []byte) (jsonValue, []jsonMember, string) {
	doc, uerr := pyUTF8Stream(body)
	if uerr != "" {
		return jsonValue{}, nil, uerr
	}
	d := pyDecoder{doc: doc}
	v, err := d.decode()
	if err != nil {
		return jsonValue{}, nil, d.format(err)
	}
	return v, d.top, ""
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

func (d *pyDecoder) decode() (jsonValue, *jsonError) {
	if len(d.doc) >= 3 && d.doc[0] == 0xef && d.doc[1] == 0xbb && d.doc[2] == 0xbf {
		return jsonValue{}, errAt("Unexpected UTF-8 BOM (decode using utf-8-sig)", 0)
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
func (d *pyDecoder) scan(i int, top bool) (jsonValue, int, *jsonError) {
	if i >= len(d.doc) {
		return jsonValue{}, i, errAt("Expecting value", i)
	}
	switch d.doc[i] {
	case '"':
		s, end, err := d.scanString(i + 1)
		return jsonValue{kind: jsonString, s: s}, end, err
	case '{', '[':
		if d.depth++; d.depth > maxJSONDepth {
			what := "object"
			if d.doc[i] == '[' {
				what = "array"
			}
			return jsonValue{}, i, &jsonError{msg: "maximum recursion depth exceeded while decoding a JSON " + what + " from a unicode string"}
		}
		var end int
		var err *jsonError
		kind := jsonObject
		if d.doc[i] == '{' {
			end, err = d.parseObject(i+1, top)
		} else {
			kind = jsonArray
			end, err = d.parseArray(i + 1)
		}
		d.depth--
		return jsonValue{kind: kind}, end, err
	case 'n':
		if d.hasLiteral(i, "null") {
			return jsonValue{kind: jsonNull}, i + 4, nil
		}
	case 't':
		if d.hasLiteral(i, "true") {
			return jsonValue{kind: jsonBool, b: true}, i + 4, nil
		}
	case 'f':
		if d.hasLiteral(i, "false") {
			return jsonValue{kind: jsonBool}, i + 5, nil
		}
	case 'N', 'I', '-':
		// DRF's strict_constant refuses what Python's json would accept.
		for _, c := range [...]string{"NaN", "Infinity", "-Infinity"} {
			if d.hasLiteral(i, c) {
				return jsonValue{}, i, &jsonError{msg: "Out of range float values are not JSON compliant: '" + c + "'"}
			}
		}
	}
	return d.scanNumber(i)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func (d *pyDecoder) scanNumber(start int) (jsonValue, int, *jsonError) {
	doc, i := d.doc, start
	if doc[i] == '-' {
		if i++; i >= len(doc) {
			return jsonValue{}, start, errAt("Expecting value", start)
		}
	}
	switch {
	case '1' <= doc[i] && doc[i] <= '9':
		for i++; i < len(doc) && isDigit(doc[i]); i++ {
		}
	case doc[i] == '0':
		i++
	default:
		return jsonValue{}, start, errAt("Expecting value", start)
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
		return jsonValue{kind: jsonFloat, f: f, s: lit}, i, nil
	}
	digits := len(lit)
	if lit[0] == '-' {
		digits--
	}
	if digits > maxIntDigits {
		return jsonValue{}, start, &jsonError{msg: "Exceeds the limit (" + strconv.Itoa(maxIntDigits) +
			" digits) for integer string conversion: value has " + strconv.Itoa(digits) +
			" digits; use sys.set_int_max_str_digits() to increase the limit"}
	}
	return jsonValue{kind: jsonInt, s: lit}, i, nil
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
			d.top = append(d.top, jsonMember{key: key, val: val})
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

// pyUTF8Stream decodes body as codecs.getreader("utf-8") does for a single
// read(): it returns the valid text, silently dropping an incomplete
// sequence at the very end (the stream reader waits for more bytes that
// never come), or the UnicodeDecodeError message.
func pyUTF8Stream(body []byte) ([]byte, string) {
	if utf8.Valid(body) {
		return body, ""
	}
	for i := 0; i < len(body); {
		n, bad, reason := pyUTF8Seq(body, i)
		switch {
		case reason == "":
			i += n
		case reason == "unexpected end of data":
			return body[:i], ""
		default:
			return nil, unicodeDecodeError(body[i], i, bad, reason)
		}
	}
	return body, ""
}

func unicodeDecodeError(first byte, start, end int, reason string) string {
	b := []byte("'utf-8' codec can't decode ")
	if end-start == 1 {
		b = append(b, "byte 0x"...)
		const hexdigits = "0123456789abcdef"
		b = append(b, hexdigits[first>>4], hexdigits[first&15])
		b = append(b, " in position "...)
		b = strconv.AppendInt(b, int64(start), 10)
	} else {
		b = append(b, "bytes in position "...)
		b = strconv.AppendInt(b, int64(start), 10)
		b = append(b, '-')
		b = strconv.AppendInt(b, int64(end-1), 10)
	}
	b = append(b, ": "...)
	b = append(b, reason...)
	return string(b)
}

// pyUTF8Seq looks at the sequence starting at i as CPython's decoder does.
// It returns its length when valid; otherwise the end of the maximal
// invalid subpart (which one U+FFFD replaces) and the reason.
func pyUTF8Seq(b []byte, i int) (n, end int, reason string) {
	c := b[i]
	if c < 0x80 {
		return 1, 0, ""
	}
	var size int
	lo, hi := byte(0x80), byte(0xbf)
	switch {
	case 0xc2 <= c && c <= 0xdf:
		size = 2
	case 0xe0 <= c && c <= 0xef:
		size = 3
		if c == 0xe0 {
			lo = 0xa0
		} else if c == 0xed {
			hi = 0x9f
		}
	case 0xf0 <= c && c <= 0xf4:
		size = 4
		if c == 0xf0 {
			lo = 0x90
		} else if c == 0xf4 {
			hi = 0x8f
		}
	default:
		return 0, i + 1, "invalid start byte"
	}
	for k := 1; k < size; k++ {
		if i+k >= len(b) {
			return 0, len(b), "unexpected end of data"
		}
		cc := b[i+k]
		if cc < lo || cc > hi {
			return 0, i + k, "invalid continuation byte"
		}
		lo, hi = 0x80, 0xbf
	}
	return size, 0, ""
}

// pyDecodeReplace is bytes.decode("utf-8", "replace").
func pyDecodeReplace(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	out := make([]byte, 0, len(b)+8)
	for i := 0; i < len(b); {
		n, end, reason := pyUTF8Seq(b, i)
		if reason == "" {
			out = append(out, b[i:i+n]...)
			i += n
			continue
		}
		out = append(out, "\uFFFD"...)
		i = end
	}
	return string(out)
}
