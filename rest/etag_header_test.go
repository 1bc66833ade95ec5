package rest

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/callcfg/callcfg/core"
)

func TestConfigETagRoundTrip(t *testing.T) {
	id := uuid.MustParse("3f2c9d0e-4b8a-4c1f-9e2d-7a6b5c4d3e2f")
	for _, m := range []time.Time{
		time.Date(2026, 3, 10, 12, 0, 0, 123456000, time.UTC),
		time.Unix(0, 0).UTC(),
		time.Date(1969, 12, 31, 23, 59, 59, 999999000, time.UTC), // negative micros
	} {
		tag := configETag(&core.Config{UUID: id, Modified: m})
		gotID, gotM, ok := parseConfigETag(tag)
		if !ok || gotID != id || !gotM.Equal(m) {
			t.Errorf("%s: %v %v %v", tag, gotID, gotM, ok)
		}
	}
	if tag := configETag(&core.Config{UUID: id, Modified: time.Date(2026, 3, 10, 12, 0, 0, 123456000, time.UTC)}); tag != `"3f2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f-64caa42435240"` {
		t.Errorf("documented example: %s", tag)
	}
	for _, bad := range []string{``, `"`, `""`, `"-1"`, `W/"3f2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f-1"`,
		`"3f2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f-"`, `"3f2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f-+1"`, `"3f2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f-01"`,
		`"3F2C9D0E4B8A4C1F9E2D7A6B5C4D3E2F-1"`, `"3f2c9d0e-4b8a-4c1f-9e2d-7a6b5c4d3e2f-1"`, `"3f2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f-1g"`,
		`3f2c9d0e4b8a4c1f9e2d7a6b5c4d3e2f-1`} {
		if _, _, ok := parseConfigETag(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestSplitETags(t *testing.T) {
	for in, want := range map[string][]string{
		``:                nil,
		` , ,`:            nil,
		`*`:               {`*`},
		`"a", W/"b" ,"c"`: {`"a"`, `W/"b"`, `"c"`},
		`"a,b", "c"`:      {`"a,b"`, `"c"`},
		"\t\"a\"\t,\"b\"": {`"a"`, `"b"`},
	} {
		if got := splitETags(in); !slices.Equal(got, want) {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

func TestIfMatch(t *testing.T) {
	id := uuid.New()
	m := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	tag := configETag(&core.Config{UUID: id, Modified: m})
	for _, c := range []struct {
		values []string
		ok     bool
		pre    *time.Time
	}{
		{nil, true, nil},
		{[]string{"*"}, true, nil},
		{[]string{" " + tag + " "}, true, &m},
		{[]string{tag, tag}, false, nil},
		{[]string{tag + ", " + tag}, false, nil},
		{[]string{"*, " + tag}, false, nil},
		{[]string{""}, false, nil},
		{[]string{"W/" + tag}, false, nil},
		{[]string{configETag(&core.Config{UUID: uuid.New(), Modified: m})}, false, nil},
	} {
		r := &http.Request{Header: http.Header{}}
		for _, v := range c.values {
			r.Header.Add("If-Match", v)
		}
		pre, ok := ifMatch(r, id)
		if ok != c.ok || (pre.Modified == nil) != (c.pre == nil) || (c.pre != nil && !pre.Modified.Equal(*c.pre)) {
			t.Errorf("%q: %v %v", c.values, pre.Modified, ok)
		}
	}
}
