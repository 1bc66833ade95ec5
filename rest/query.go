package rest

import (
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"
)

// Query strings and form bodies are read the way Django reads them
// (urllib.parse.parse_qsl with blank values kept, the last value of a
// repeated name winning), and pagination links re-encode the query the way
// DRF does (sorted by name, quote_plus), so the links match byte for byte.

type queryPair struct{ name, value string }

// parseQS is parse_qsl(s, keep_blank_values=True) with "&" as the only separator.
func parseQS(s string) []queryPair {
	if s == "" {
		return nil
	}
	pairs := make([]queryPair, 0, strings.Count(s, "&")+1)
	for part := range strings.SplitSeq(s, "&") {
		if part == "" {
			continue
		}
		name, value, _ := strings.Cut(part, "=")
		pairs = append(pairs, queryPair{pyUnquote(name, true), pyUnquote(value, true)})
	}
	return pairs
}

// lastValue is QueryDict.get: the last value given for name.
func lastValue(pairs []queryPair, name string) (string, bool) {
	for i := len(pairs) - 1; i >= 0; i-- {
		if pairs[i].name == name {
			return pairs[i].value, true
		}
	}
	return "", false
}

// pyUnquote is urllib.parse.unquote (of s.replace("+", " ") when plus is
// set) with errors="replace": malformed escapes stay as they are, bad UTF-8
// becomes U+FFFD.
func pyUnquote(s string, plus bool) string {
	if !strings.ContainsRune(s, '%') && (!plus || !strings.ContainsRune(s, '+')) {
		if utf8.ValidString(s) {
			return s
		}
		return pyDecodeReplace([]byte(s))
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+' && plus:
			b = append(b, ' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			hi, _ := hexVal(s[i+1])
			lo, _ := hexVal(s[i+2])
			b = append(b, byte(hi<<4|lo))
			i += 2
		default:
			b = append(b, c)
		}
	}
	return pyDecodeReplace(b)
}

func isHex(c byte) bool {
	_, ok := hexVal(c)
	return ok
}

// encodeQuery is DRF's replace_query_param / remove_query_param on the
// query: page set to the given value (or dropped when it is ""), then every
// name sorted, values of one name in their original order.
func encodeQuery(pairs []queryPair, pageParam, page string) string {
	kept := make([]queryPair, 0, len(pairs)+1)
	for _, p := range pairs {
		if p.name != pageParam {
			kept = append(kept, p)
		}
	}
	if page != "" {
		kept = append(kept, queryPair{pageParam, page})
	}
	sort.SliceStable(kept, func(i, j int) bool { return kept[i].name < kept[j].name })
	var b strings.Builder
	for i, p := range kept {
		if i > 0 {
			b.WriteByte('&')
		}
		// QueryEscape and Python's quote_plus keep the same characters.
		b.WriteString(url.QueryEscape(p.name))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(p.value))
	}
	return b.String()
}
