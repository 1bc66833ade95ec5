package pyform

import (
	"math"
	"math/big"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/callcfg/callcfg/rest/internal/pyjson"
)

// No Python runs in CI, so the fuzz target here holds DRF's coercion to
// small reference models written from Python's rules.

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

// refPyInt is int(s) for ASCII s, saturated to int64 as Int documents.
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

// FuzzCoerce feeds s to int(), and to IntegerField and BooleanField as a
// JSON (or form) string and, when s is a JSON number, as that number.
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
		if isASCII(s) {
			n, ok := Int(s)
			if want, wantOK := refPyInt(s); n != want || ok != wantOK {
				t.Fatalf("Int(%q) = %d %v, Python gives %d %v", s, n, ok, want, wantOK)
			}
		}

		n, ok, msg := CoerceInt(pyjson.Value{Kind: pyjson.String, Text: s})
		switch {
		case utf8.RuneCountInString(s) > maxIntegerString:
			if ok || msg != msgStringTooLarge {
				t.Fatalf("CoerceInt(%.40q…) = %d %v %q, want the length message", s, n, ok, msg)
			}
		case msg != "":
			t.Fatalf("CoerceInt(%q): message %q for a short string", s, msg)
		case isASCII(s):
			if want, wantOK := refPyInt(refDecimalZeros.ReplaceAllString(s, "")); n != want || ok != wantOK {
				t.Fatalf("CoerceInt(%q) = %d %v, Python gives %d %v", s, n, ok, want, wantOK)
			}
		}
		if !ok && n != 0 {
			t.Fatalf("CoerceInt(%q) refused with a value %d", s, n)
		}

		b, ok := CoerceBool(pyjson.Value{Kind: pyjson.String, Text: s})
		isTrue, isFalse := slices.Contains(drfTrue, s), slices.Contains(drfFalse, s)
		if ok != (isTrue || isFalse) || b != isTrue {
			t.Fatalf("CoerceBool(%q) = %v %v", s, b, ok)
		}

		// The same text as a JSON number, when it is one.
		top, _, err := pyjson.Decode([]byte(s))
		if err != nil || (top.Kind != pyjson.Int && top.Kind != pyjson.Float) {
			return
		}
		n, ok, _ = CoerceInt(top)
		if top.Kind == pyjson.Int {
			want, _ := refPyInt(top.Text)
			if !ok || n != want {
				t.Fatalf("CoerceInt(%s) = %d %v, want %d", top.Text, n, ok, want)
			}
		} else {
			// str(float) has no exponent, so int() reads it, only for
			// integral values below 1e16.
			wantOK := top.Float == math.Trunc(top.Float) && math.Abs(top.Float) < 1e16
			if ok != wantOK || (ok && float64(n) != top.Float) {
				t.Fatalf("CoerceInt(%s) = %d %v, want ok=%v", top.Text, n, ok, wantOK)
			}
		}
		b, ok = CoerceBool(top)
		var one, zero bool
		if top.Kind == pyjson.Int {
			v, _ := new(big.Int).SetString(top.Text, 10)
			one, zero = v.Cmp(big.NewInt(1)) == 0, v.Sign() == 0
		} else {
			one, zero = top.Float == 1, top.Float == 0
		}
		if ok != (one || zero) || b != one {
			t.Fatalf("CoerceBool(%s) = %v %v", top.Text, b, ok)
		}
	})
}
