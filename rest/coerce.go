package rest

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
)

// DRF's field coercion, reproduced because legacy clients send whatever the
// upstream service accepted ("5", 5.0, "yes") and show its messages. The
// range and null checks are the core's; only turning wire values into Go
// values lives here.

// Messages of DRF's fields that only a decoder can produce.
const (
	msgStringTooLarge = "String value too large."
	msgNotAString     = "Not a valid string."
	msgBlank          = "This field may not be blank."
	msgNullCharacters = "Null characters are not allowed."
	msgNoData         = "No data provided"
	msgInvalidUUID    = "Enter a valid UUID."
)

func msgNotADict(kind jsonKind) string {
	return "Invalid data. Expected a dictionary, but got " + kind.pyType() + "."
}

func msgIncorrectURLType(kind jsonKind) string {
	return "Incorrect type. Expected URL string, received " + kind.pyType() + "."
}

// maxIntegerString is IntegerField.MAX_STRING_LENGTH.
const maxIntegerString = 1000

// coerceInt is IntegerField.to_internal_value: int(re.sub(r'\.0*\s*$', ”, str(data))).
// Values beyond int64 saturate, which keeps the core's range messages right.
func coerceInt(v jsonValue) (int64, bool, string) {
	switch v.kind {
	case jsonInt:
		n, _ := pyInt(v.s)
		return n, true, ""
	case jsonFloat:
		// str(float) is "5.0" for integral values below 1e16 and uses an
		// exponent from there on, which int() refuses.
		if v.f == math.Trunc(v.f) && math.Abs(v.f) < 1e16 {
			return int64(v.f), true, ""
		}
	case jsonString:
		if utf8.RuneCountInString(v.s) > maxIntegerString {
			return 0, false, msgStringTooLarge
		}
		if n, ok := pyInt(stripDecimalZeros(v.s)); ok {
			return n, true, ""
		}
	}
	return 0, false, ""
}

// stripDecimalZeros removes a trailing `\.0*\s*` as IntegerField's re_decimal does.
func stripDecimalZeros(s string) string {
	dot := strings.LastIndexByte(s, '.')
	if dot < 0 {
		return s
	}
	rest := strings.TrimLeft(s[dot+1:], "0")
	if strings.TrimLeftFunc(rest, isPySpace) != "" {
		return s
	}
	return s[:dot]
}

// isPySpace is str.isspace, which also counts the ASCII separators 0x1c-0x1f.
func isPySpace(r rune) bool { return unicode.IsSpace(r) || (0x1c <= r && r <= 0x1f) }

// Values BooleanField accepts.
var (
	trueStrings  = map[string]bool{"t": true, "T": true, "y": true, "Y": true, "yes": true, "Yes": true, "YES": true, "true": true, "True": true, "TRUE": true, "on": true, "On": true, "ON": true, "1": true}
	falseStrings = map[string]bool{"f": true, "F": true, "n": true, "N": true, "no": true, "No": true, "NO": true, "false": true, "False": true, "FALSE": true, "off": true, "Off": true, "OFF": true, "0": true}
)

// coerceBool is BooleanField.to_internal_value. Numbers compare by value in
// Python's sets, so 1.0 is as true as 1.
func coerceBool(v jsonValue) (bool, bool) {
	switch v.kind {
	case jsonBool:
		return v.b, true
	case jsonInt, jsonFloat:
		f := v.f
		if v.kind == jsonInt {
			n, _ := pyInt(v.s)
			f = float64(n)
		}
		switch f {
		case 1:
			return true, true
		case 0:
			return false, true
		}
	case jsonString:
		if trueStrings[v.s] {
			return true, true
		}
		if falseStrings[v.s] {
			return false, true
		}
	}
	return false, false
}

// pyInt is Python's int(s) in base 10: surrounding whitespace, a sign,
// underscores between digits and any Unicode decimal digits are allowed.
// Out-of-range values saturate at the int64 bounds.
func pyInt(s string) (int64, bool) {
	i, n := 0, len(s)
	// Python turns non-ASCII whitespace into spaces and non-ASCII digits
	// into ASCII ones before parsing; only ASCII whitespace is stripped.
	next := func() (rune, int) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r >= utf8.RuneSelf && unicode.IsSpace(r) {
			r = ' '
		}
		return r, size
	}
	isSpace := func(r rune) bool { return r == ' ' || ('\t' <= r && r <= '\r') }
	for i < n {
		r, size := next()
		if !isSpace(r) {
			break
		}
		i += size
	}
	neg := false
	if i < n && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	var v uint64
	overflow, digits, lastUnderscore := false, 0, false
	for i < n {
		r, size := next()
		d, ok := decimalValue(r)
		if !ok {
			if r != '_' || digits == 0 || lastUnderscore {
				break
			}
			lastUnderscore = true
			i += size
			continue
		}
		lastUnderscore = false
		digits++
		if v > (math.MaxUint64-9)/10 {
			overflow = true
		} else {
			v = v*10 + uint64(d)
		}
		i += size
	}
	if digits == 0 || lastUnderscore {
		return 0, false
	}
	for i < n {
		r, size := next()
		if !isSpace(r) {
			return 0, false
		}
		i += size
	}
	switch {
	case neg && (overflow || v > math.MaxInt64):
		return math.MinInt64, true
	case neg:
		return -int64(v), true
	case overflow || v > math.MaxInt64:
		return math.MaxInt64, true
	}
	return int64(v), true
}

// decimalValue is Python's unicodedata.decimal. Unicode assigns decimal
// digits only in contiguous runs from 0 to 9, so a digit's value is its
// distance from the start of its run.
func decimalValue(r rune) (int, bool) {
	if '0' <= r && r <= '9' {
		return int(r - '0'), true
	}
	if r < utf8.RuneSelf || !unicode.Is(unicode.Nd, r) {
		return 0, false
	}
	start := r
	for unicode.Is(unicode.Nd, start-1) {
		start--
	}
	return int(r-start) % 10, true
}

// parseUUID reads a uuid as Python's uuid.UUID(str) does for the forms
// clients send: 32 hex digits with hyphens anywhere, optional braces and
// "urn:uuid:" prefix, any case.
func parseUUID(s string) (uuid.UUID, bool) {
	var id uuid.UUID
	if len(s) < 32 || len(s) > 64 {
		return id, false
	}
	if strings.Contains(s, "urn:") || strings.Contains(s, "uuid:") {
		s = strings.ReplaceAll(strings.ReplaceAll(s, "urn:", ""), "uuid:", "")
	}
	s = strings.Trim(s, "{}")
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '-' {
			continue
		}
		v, ok := hexVal(c)
		if !ok || n == 32 {
			return id, false
		}
		id[n/2] |= byte(v) << (4 * (1 - n%2))
		n++
	}
	return id, n == 32
}
