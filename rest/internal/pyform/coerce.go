package pyform

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/callcfg/callcfg/rest/internal/pyjson"
)

// DRF's field coercion: turning wire values into Go values. The required,
// null and range checks, and their messages, are the caller's.

// Messages of DRF's fields that only coercion can produce.
const (
	msgStringTooLarge = "String value too large."
	msgNotAString     = "Not a valid string."
	msgBlank          = "This field may not be blank."
	msgNullCharacters = "Null characters are not allowed."
)

// maxIntegerString is IntegerField.MAX_STRING_LENGTH.
const maxIntegerString = 1000

// CoerceInt is IntegerField.to_internal_value:
// int(re.sub(r'\.0*\s*$', "", str(data))). ok is false when v is not an
// integer; msg is then DRF's text when it is not the field's "invalid"
// message (a string over 1000 characters), else "". Values beyond int64
// saturate, which keeps the caller's range messages right.
func CoerceInt(v pyjson.Value) (n int64, ok bool, msg string) {
	switch v.Kind {
	case pyjson.Int:
		n, _ := Int(v.Text)
		return n, true, ""
	case pyjson.Float:
		// str(float) is "5.0" for integral values below 1e16 and uses an
		// exponent from there on, which int() refuses.
		if v.Float == math.Trunc(v.Float) && math.Abs(v.Float) < 1e16 {
			return int64(v.Float), true, ""
		}
	case pyjson.String:
		if utf8.RuneCountInString(v.Text) > maxIntegerString {
			return 0, false, msgStringTooLarge
		}
		if n, ok := Int(stripDecimalZeros(v.Text)); ok {
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
	if strings.TrimLeftFunc(rest, isSpace) != "" {
		return s
	}
	return s[:dot]
}

// Values BooleanField accepts.
var (
	trueStrings  = map[string]bool{"t": true, "T": true, "y": true, "Y": true, "yes": true, "Yes": true, "YES": true, "true": true, "True": true, "TRUE": true, "on": true, "On": true, "ON": true, "1": true}
	falseStrings = map[string]bool{"f": true, "F": true, "n": true, "N": true, "no": true, "No": true, "NO": true, "false": true, "False": true, "FALSE": true, "off": true, "Off": true, "OFF": true, "0": true}
)

// CoerceBool is BooleanField.to_internal_value: ok is false when v is
// none of TRUE_VALUES and FALSE_VALUES. Numbers compare by value in
// Python's sets, so 1.0 is as true as 1.
func CoerceBool(v pyjson.Value) (b, ok bool) {
	switch v.Kind {
	case pyjson.Bool:
		return v.Bool, true
	case pyjson.Int, pyjson.Float:
		f := v.Float
		if v.Kind == pyjson.Int {
			n, _ := Int(v.Text)
			f = float64(n)
		}
		switch f {
		case 1:
			return true, true
		case 0:
			return false, true
		}
	case pyjson.String:
		if trueStrings[v.Text] {
			return true, true
		}
		if falseStrings[v.Text] {
			return false, true
		}
	}
	return false, false
}

// CoerceString is a CharField(allow_blank=False) reading a value that is
// present and not null (the caller owns those two messages): str() of a
// string or a number, stripped as str.strip() does when trim is set
// (trim_whitespace), then refused when blank or holding NUL. msg is DRF's
// text when the value is refused, else "".
func CoerceString(v pyjson.Value, trim bool) (s, msg string) {
	switch v.Kind {
	case pyjson.String, pyjson.Int:
		s = v.Text
	case pyjson.Float:
		s = floatRepr(v.Float)
	default:
		return "", msgNotAString
	}
	if trim {
		s = Strip(s)
	}
	switch {
	case s == "":
		return "", msgBlank
	case strings.IndexByte(s, 0) >= 0:
		return "", msgNullCharacters
	}
	return s, ""
}

// floatRepr is Python's repr(float), which str() of a float is too.
func floatRepr(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	// Both use the shortest digits that read back; Python switches to an
	// exponent (with at least two digits, as Go's 'e' has) outside 1e-4..1e16.
	e := strconv.FormatFloat(f, 'e', -1, 64)
	if exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:]); exp < -4 || exp >= 16 {
		return e
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsRune(s, '.') {
		s += ".0"
	}
	return s
}
