package pyform

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Python's own readings of a string: int(), str.strip(), uuid.UUID().

// Int is Python's int(s) in base 10: surrounding whitespace, a sign,
// underscores between digits and any Unicode decimal digits are allowed.
// Out-of-range values saturate at the int64 bounds.
func Int(s string) (int64, bool) {
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

// Strip is Python's str.strip() without arguments, as Django's form fields
// and DRF's CharField(trim_whitespace=True) apply it.
func Strip(s string) string { return strings.TrimFunc(s, isSpace) }

// isSpace is str.isspace, which also counts the ASCII separators 0x1c-0x1f.
func isSpace(r rune) bool { return unicode.IsSpace(r) || (0x1c <= r && r <= 0x1f) }

// ParseUUID reads a uuid as Python's uuid.UUID(str) does for the forms
// clients send: 32 hex digits with hyphens anywhere, optional braces and
// "urn:uuid:" prefix, any case. (uuid.UUID also lets int() read the hex,
// with its whitespace, underscores, sign and 0x; those are refused here.)
func ParseUUID(s string) (uuid.UUID, bool) {
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

func hexVal(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
