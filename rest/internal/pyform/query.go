package pyform

import (
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/callcfg/callcfg/rest/internal/pyutf8"
)

// Query strings and form bodies are read the way Django reads them
// (urllib.parse.parse_qsl with blank values kept, the last value of a
// repeated name winning), and pagination links re-encode the query the way
// DRF does (sorted by name, quote_plus), so the links match byte for byte.

// Pair is one name=value of a query string or form, unquoted.
type Pair struct{ Name, Value string }

// Query is a query string or form as Django's QueryDict holds it: every
// pair in order, repeated names included.
type Query []Pair

// ParseQuery is parse_qsl(s, keep_blank_values=True) with "&" as the only
// separator, as Django reads request.GET.
func ParseQuery(s string) Query {
	if s == "" {
		return nil
	}
	pairs := make(Query, 0, strings.Count(s, "&")+1)
	for part := range strings.SplitSeq(s, "&") {
		if part == "" {
			continue
		}
		name, value, _ := strings.Cut(part, "=")
		pairs = append(pairs, Pair{unquote(name, true), unquote(value, true)})
	}
	return pairs
}

// ParseForm is Django's request.POST of an application/x-www-form-urlencoded
// body: the body read as UTF-8 or, when it is not, as Latin-1 (Django's
// fallback), then parsed as a query string.
func ParseForm(body []byte) Query {
	s := string(body)
	if !utf8.Valid(body) {
		runes := make([]rune, len(body))
		for i, c := range body {
			runes[i] = rune(c)
		}
		s = string(runes)
	}
	return ParseQuery(s)
}

// Get is QueryDict.get: the last value given for name.
func (q Query) Get(name string) (string, bool) {
	for i := len(q) - 1; i >= 0; i-- {
		if q[i].Name == name {
			return q[i].Value, true
		}
	}
	return "", false
}

// ReplaceParam is the query of DRF's replace_query_param: name set to
// value (its other values dropped), every name sorted, the values of one
// name in their original order, each quote_plus'ed.
func (q Query) ReplaceParam(name, value string) string {
	return q.encode(name, value, true)
}

// RemoveParam is the query of DRF's remove_query_param: name dropped, the
// rest as ReplaceParam writes it.
func (q Query) RemoveParam(name string) string {
	return q.encode(name, "", false)
}

func (q Query) encode(name, value string, replace bool) string {
	kept := make(Query, 0, len(q)+1)
	for _, p := range q {
		if p.Name != name {
			kept = append(kept, p)
		}
	}
	if replace {
		kept = append(kept, Pair{name, value})
	}
	sort.SliceStable(kept, func(i, j int) bool { return kept[i].Name < kept[j].Name })
	var b strings.Builder
	for i, p := range kept {
		if i > 0 {
			b.WriteByte('&')
		}
		// QueryEscape and Python's quote_plus keep the same characters.
		b.WriteString(url.QueryEscape(p.Name))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(p.Value))
	}
	return b.String()
}

// Unquote is urllib.parse.unquote(s) with errors="replace": malformed
// escapes stay as they are, bad UTF-8 becomes U+FFFD.
func Unquote(s string) string { return unquote(s, false) }

// unquote is Unquote, of s.replace("+", " ") when plus is set (unquote_plus).
func unquote(s string, plus bool) string {
	if !strings.ContainsRune(s, '%') && (!plus || !strings.ContainsRune(s, '+')) {
		if utf8.ValidString(s) {
			return s
		}
		return pyutf8.DecodeReplace([]byte(s))
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+' && plus:
			b = append(b, ' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			hi, _ := hexVal(s[i+1])
			lo, _ := hexVal(s[i+2])
			b = append(b, hi<<4|lo)
			i += 2
		default:
			b = append(b, c)
		}
	}
	return pyutf8.DecodeReplace(b)
}

func isHex(c byte) bool {
	_, ok := hexVal(c)
	return ok
}

// URLPath is urllib.parse.urlparse(s).path for an http(s) URL, which DRF's
// HyperlinkedRelatedField resolves (any host: it looks only at the path).
func URLPath(s string) string {
	s = strings.NewReplacer("\t", "", "\r", "", "\n", "").Replace(s)
	_, rest, _ := strings.Cut(s, ":")
	if strings.HasPrefix(rest, "//") {
		rest = rest[2:]
		i := strings.IndexAny(rest, "/?#")
		if i < 0 {
			return ""
		}
		rest = rest[i:]
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	// urlparse splits ";params" off the last segment of http URLs.
	if i := strings.IndexByte(rest[strings.LastIndexByte(rest, '/')+1:], ';'); i >= 0 {
		rest = rest[:strings.LastIndexByte(rest, '/')+1+i]
	}
	return rest
}
