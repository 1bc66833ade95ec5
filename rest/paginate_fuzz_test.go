package rest

import (
	"errors"
	"math"
	"math/big"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/rest/internal/pyform"
)

// FuzzPageQuery reads a raw query string as a list request does, against a
// list of total items, and then rebuilds its pagination links. Whatever the
// query, page_size is in 1..MaxPageSize and the answer is either a real page
// of that list or "Invalid page."; the links' queries read back to the
// request's own.
func FuzzPageQuery(f *testing.F) {
	for _, c := range []struct {
		query string
		total uint32
	}{
		{"", 0}, {"", 25}, {"page=2", 25}, {"page=3", 25}, {"page=4", 25}, {"page=last", 25}, {"page=last", 0},
		{"page=0", 5}, {"page=-1", 5}, {"page=", 5}, {"page=1.0", 5}, {"page=%201%20", 5}, {"page=1_0&page_size=1", 20},
		{"page=99999999999999999999", 5}, {"page=2147483648&page_size=300", 1 << 31}, {"page=2147483647&page_size=1", 1<<31 + 5},
		{"page_size=0", 5}, {"page_size=-5", 5}, {"page_size=301", 1000}, {"page_size=9223372036854775808", 1000},
		{"page_size=x&page=2", 25}, {"page_size=%D9%A5&page=%D9%A2", 12}, {"page_size=5&page_size=7", 20},
		{"page=LAST", 5}, {"page=last&page=1", 30}, {"page+size=5", 30}, {"a=1&b=%zz&c=%ff&&d&=e&page=2", 30},
		{"call_uuid=x&format=json&page_size=2&page=3", 10}, {"page=%E2%82", 5}, {"q=+%2B%26%3D;&page=2", 30},
	} {
		f.Add(c.query, c.total)
	}
	f.Fuzz(func(t *testing.T, query string, total uint32) {
		q := pyform.ParseQuery(query)
		for _, p := range q {
			if !utf8.ValidString(p.Name) || !utf8.ValidString(p.Value) {
				t.Fatalf("pair %q=%q is not UTF-8", p.Name, p.Value)
			}
		}
		req := readPage(q)
		if req.size < 1 || req.size > core.MaxPageSize {
			t.Fatalf("page_size %d", req.size)
		}
		if v, ok := q.Get(pageSizeParam); ok && isASCII(v) {
			want := defaultPageSize
			if n, ok := refPyInt(v); ok && n > 0 {
				want = int(min(n, core.MaxPageSize))
			}
			if req.size != want {
				t.Fatalf("page_size=%q gives %d, DRF %d", v, req.size, want)
			}
		}

		n := int64(total)
		counted := false
		count := func() (int64, error) { counted = true; return n, nil }
		list := func(offset, limit int) ([]int64, int64, error) {
			if offset < 0 || limit != req.size {
				t.Fatalf("list(%d, %d) with page_size %d", offset, limit, req.size)
			}
			var items []int64
			for i := int64(offset); i < n && i < int64(offset)+int64(limit); i++ {
				items = append(items, i)
			}
			return items, n, nil
		}
		items, gotTotal, page, err := fetchPage(req, count, list)
		pages := max(1, (n+int64(req.size)-1)/int64(req.size))
		if err != nil {
			var he *httpError
			if !errors.As(err, &he) || he != errInvalidPage {
				t.Fatalf("error %v, want Invalid page.", err)
			}
			if !counted && req.valid && !req.last && req.number >= 1 && req.number <= pages {
				t.Fatalf("page %d of %d refused", req.number, pages)
			}
		} else {
			if page < 1 || page > pages || gotTotal != n {
				t.Fatalf("page %d of %d, total %d of %d", page, pages, gotTotal, n)
			}
			if req.last && page != pages {
				t.Fatalf("page=last gives %d of %d", page, pages)
			}
			first := (page - 1) * int64(req.size)
			want := min(int64(req.size), n-first)
			if int64(len(items)) != max(0, want) || (len(items) > 0 && items[0] != first) {
				t.Fatalf("page %d (size %d, total %d) has %d items from %v", page, req.size, n, len(items), items)
			}
		}
		if v, _ := q.Get(pageParam); isASCII(v) && v != "last" && v != "" {
			wantNumber, wantValid := refPyInt(v)
			if req.number != wantNumber || req.valid != wantValid {
				t.Fatalf("page=%q reads as %d %v, Python's int() as %d %v", v, req.number, req.valid, wantNumber, wantValid)
			}
		}

		// The links: the query without page, sorted by name, plus the page.
		for _, number := range []string{"", "7"} {
			encoded := q.RemoveParam(pageParam)
			if number != "" {
				encoded = q.ReplaceParam(pageParam, number)
			}
			got := pyform.ParseQuery(encoded)
			want := slices.DeleteFunc(slices.Clone(q), func(p pyform.Pair) bool { return p.Name == pageParam })
			if number != "" {
				want = append(want, pyform.Pair{Name: pageParam, Value: number})
			}
			sort.SliceStable(want, func(i, j int) bool { return want[i].Name < want[j].Name })
			if !slices.Equal(got, want) {
				t.Fatalf("link query for page %q reads back as %q, want %q", number, got, want)
			}
		}
	})
}

// refPyInt is Python's int(s) for ASCII s, saturated to int64, written from
// Python's grammar rather than read from pyform.Int, which readPage uses: the
// same model pins pyform.Int itself in pyform's FuzzCoerce.
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

var refPyIntSyntax = regexp.MustCompile(`^[ \t\n\v\f\r]*([+-]?)([0-9](?:_?[0-9])*)[ \t\n\v\f\r]*$`)

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
