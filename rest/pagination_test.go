package rest_test

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/core/coretest"
	"github.com/callcfg/callcfg/server"
)

// addConfigs gives the world n more calls, each with a configuration.
func addConfigs(t *testing.T, e *env, n int) {
	t.Helper()
	staff := e.w.Actor(t, coretest.Staff)
	for i := range n {
		c, err := e.w.Svc.CreateCall(t.Context(), core.NewCall{Name: fmt.Sprintf("Call %02d", i), OrgUUID: e.w.OrgUUID, State: core.CallStateActive})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.w.Svc.CreateConfig(t.Context(), staff, core.Some(c.UUID), core.Patch{MaxAutoReassignAttempts: core.Some(int64(i))}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestPagination(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, e *env) {
		addConfigs(t, e, 23)
		base := e.srv.URL
		all, total, err := e.w.Svc.ListConfigsPage(t.Context(), e.w.Actor(t, coretest.Staff), core.ConfigFilter{}, 0, 300)
		if err != nil || total != 25 || len(all) != 25 {
			t.Fatalf("world: %d %d %v", len(all), total, err)
		}
		for i := 1; i < len(all); i++ {
			if all[i].Created.After(all[i-1].Created) || (all[i].Created.Equal(all[i-1].Created) && all[i].ID < all[i-1].ID) {
				t.Fatalf("order at %d: %v after %v", i, all[i].Created, all[i-1].Created)
			}
		}
		page := func(from, to int) string {
			items := make([]string, 0, to-from)
			for _, c := range all[from:to] {
				items = append(items, wantConfig(base, c))
			}
			return list(items...)
		}
		u := func(q string) string {
			if q == "" {
				return base + listPath
			}
			return base + listPath + "?" + q
		}
		link := func(parts ...string) string {
			var out []string
			for i := 0; i < len(parts); i += 2 {
				out = append(out, "<"+u(parts[i+1])+`>; rel="`+parts[i]+`"`)
			}
			return strings.Join(out, ", ")
		}
		rows := []struct {
			query  string
			status int
			body   string
			link   string
		}{
			{"", 200, page(0, 10), link("first", "", "next", "page=2", "last", "page=3")},
			{"page=1", 200, page(0, 10), link("first", "", "next", "page=2", "last", "page=3")},
			{"page=2", 200, page(10, 20), link("first", "", "prev", "", "next", "page=3", "last", "page=3")},
			{"page=3", 200, page(20, 25), link("first", "", "prev", "page=2", "last", "page=3")},
			{"page=last", 200, page(20, 25), link("first", "", "prev", "page=2", "last", "page=3")},
			{"page=", 200, page(0, 10), link("first", "", "next", "page=2", "last", "page=3")},
			{"page=+2", 200, page(10, 20), link("first", "", "prev", "", "next", "page=3", "last", "page=3")},
			{"page=%202%20", 200, page(10, 20), link("first", "", "prev", "", "next", "page=3", "last", "page=3")},
			{"page=1&page=3", 200, page(20, 25), link("first", "", "prev", "page=2", "last", "page=3")},
			{"page=0", 404, detail("Invalid page."), ""},
			{"page=-1", 404, detail("Invalid page."), ""},
			{"page=4", 404, detail("Invalid page."), ""},
			{"page=99999999999999999999", 404, detail("Invalid page."), ""},
			{"page=abc", 404, detail("Invalid page."), ""},
			{"page=1.0", 404, detail("Invalid page."), ""},
			{"page=Last", 404, detail("Invalid page."), ""},
			{"page_size=0", 200, page(0, 10), link("first", "page_size=0", "next", "page=2&page_size=0", "last", "page=3&page_size=0")},
			{"page_size=-1", 200, page(0, 10), link("first", "page_size=-1", "next", "page=2&page_size=-1", "last", "page=3&page_size=-1")},
			{"page_size=abc", 200, page(0, 10), link("first", "page_size=abc", "next", "page=2&page_size=abc", "last", "page=3&page_size=abc")},
			{"page_size=", 200, page(0, 10), link("first", "page_size=", "next", "page=2&page_size=", "last", "page=3&page_size=")},
			{"page_size=301", 200, page(0, 25), link("first", "page_size=301", "last", "page_size=301")},
			{"page_size=300", 200, page(0, 25), link("first", "page_size=300", "last", "page_size=300")},
			{"page_size=7&page=2", 200, page(7, 14), link("first", "page_size=7", "prev", "page_size=7", "next", "page=3&page_size=7", "last", "page=4&page_size=7")},
			{"page=3&page_size=7", 200, page(14, 21), link("first", "page_size=7", "prev", "page=2&page_size=7", "next", "page=4&page_size=7", "last", "page=4&page_size=7")},
			{"page_size=25&page=2", 404, detail("Invalid page."), ""},
			{"page_size=24&page=last", 200, page(24, 25), link("first", "page_size=24", "prev", "page_size=24", "last", "page=2&page_size=24")},
			// Other parameters stay, sorted by name and re-encoded as DRF does.
			{"zeta=1&page=2&alpha=x+y&format=json", 200, page(10, 20),
				link("first", "alpha=x+y&format=json&zeta=1", "prev", "alpha=x+y&format=json&zeta=1", "next", "alpha=x+y&format=json&page=3&zeta=1", "last", "alpha=x+y&format=json&page=3&zeta=1")},
			{"q=%7e%2a&q=%zz&page=3", 200, page(20, 25), link("first", "q=~%2A&q=%25zz", "prev", "page=2&q=~%2A&q=%25zz", "last", "page=3&q=~%2A&q=%25zz")},
		}
		for _, r := range rows {
			for _, method := range []string{"GET", "HEAD"} {
				res := e.do(t, req{method: method, path: listPath + "?" + r.query, token: coretest.Staff})
				body := r.body
				if method == "HEAD" {
					body = ""
				}
				res.check(t, method+" ?"+r.query, r.status, body)
				if got := res.header.Get("Link"); got != r.link {
					t.Errorf("%s ?%s: Link\n got %s\nwant %s", method, r.query, got, r.link)
				}
				if r.status == 200 {
					if got := res.header.Get("X-Result-Count"); got != "25" {
						t.Errorf("%s ?%s: X-Result-Count %q", method, r.query, got)
					}
					if got := res.header.Get("Content-Length"); got != strconv.Itoa(len(r.body)) {
						t.Errorf("%s ?%s: Content-Length %q, want %d", method, r.query, got, len(r.body))
					}
				}
			}
		}

		// Authentication comes before the page.
		e.do(t, req{method: "GET", path: listPath + "?page=abc"}).check(t, "anonymous, bad page", 401, detail(core.MsgNotAuthenticated))
		e.do(t, req{method: "GET", path: listPath + "?page=last"}).check(t, "anonymous, last page", 401, detail(core.MsgNotAuthenticated))

		// An empty list still has its first page.
		empty := "call_uuid=" + hexID(e.w.Bare)
		for _, q := range []string{"", "&page=1", "&page=last"} {
			res := e.do(t, req{method: "GET", path: listPath + "?" + empty + q, token: coretest.Staff})
			res.check(t, "empty "+q, 200, "[]")
			if got, want := res.header.Get("Link"), link("first", empty, "last", empty); got != want {
				t.Errorf("empty %s: Link\n got %s\nwant %s", q, got, want)
			}
			if got := res.header.Get("X-Result-Count"); got != "0" {
				t.Errorf("empty: X-Result-Count %q", got)
			}
		}
		e.do(t, req{method: "GET", path: listPath + "?" + empty + "&page=2", token: coretest.Staff}).check(t, "empty, page 2", 404, detail("Invalid page."))

		// A reviewer counts only what they see.
		res := e.do(t, req{method: "HEAD", path: listPath, token: coretest.Reviewer})
		if res.status != 200 || res.header.Get("X-Result-Count") != "1" {
			t.Errorf("reviewer HEAD: %d %v", res.status, res.header)
		}

		// The calls paginate the same way.
		calls, ctotal, err := e.w.Svc.ListCallsPage(t.Context(), e.w.Actor(t, coretest.Staff), core.CallFilter{}, 20, 20)
		if err != nil || ctotal != 26 || len(calls) != 6 {
			t.Fatalf("calls: %d %d %v", len(calls), ctotal, err)
		}
		items := make([]string, len(calls))
		for i, c := range calls {
			items[i] = wantCall(base, c)
		}
		cp := base + "/api/proposal-protected-calls/"
		res = e.do(t, req{method: "GET", path: "/api/proposal-protected-calls/?page=2&page_size=20", token: coretest.Staff})
		res.check(t, "calls page 2", 200, list(items...))
		if got, want := res.header.Get("Link"), `<`+cp+`?page_size=20>; rel="first", <`+cp+`?page_size=20>; rel="prev", <`+cp+`?page=2&page_size=20>; rel="last"`; got != want {
			t.Errorf("calls Link\n got %s\nwant %s", got, want)
		}
		if got := res.header.Get("X-Result-Count"); got != "26" {
			t.Errorf("calls X-Result-Count %q", got)
		}
		e.do(t, req{method: "GET", path: "/api/proposal-protected-calls/?page=3&page_size=20", token: coretest.Staff}).check(t, "calls page 3", 404, detail("Invalid page."))
	})
}

// TestLinkOnASinglePage: when the last page is page 1, last is the request
// URL without page, like first, as upstream's LinkHeaderPagination writes
// it; other parameters stay, sorted and re-encoded.
func TestLinkOnASinglePage(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, e *env) {
		configs, calls := e.srv.URL+listPath, e.srv.URL+"/api/proposal-protected-calls/"
		bare := "call_uuid=" + hexID(e.w.Bare)
		both := func(u string) string { return `<` + u + `>; rel="first", <` + u + `>; rel="last"` }
		for _, c := range []struct {
			name, path, count, link string
		}{
			{"no query", listPath, "2", both(configs)},
			{"page=1", listPath + "?page=1", "2", both(configs)},
			{"page=last", listPath + "?page=last", "2", both(configs)},
			{"page_size fits the list", listPath + "?page_size=2", "2", both(configs + "?page_size=2")},
			{"other parameters, sorted", listPath + "?zeta=1&page=1&alpha=x+y&format=json", "2", both(configs + "?alpha=x+y&format=json&zeta=1")},
			{"empty list", listPath + "?" + bare, "0", both(configs + "?" + bare)},
			{"empty list, page=last", listPath + "?" + bare + "&page=last&page_size=5", "0", both(configs + "?" + bare + "&page_size=5")},
			{"calls", "/api/proposal-protected-calls/?page=1", "3", both(calls)},
			// Two pages: last names its page.
			{"not a single page", listPath + "?page_size=1", "2",
				`<` + configs + `?page_size=1>; rel="first", <` + configs + `?page=2&page_size=1>; rel="next", <` + configs + `?page=2&page_size=1>; rel="last"`},
		} {
			for _, method := range []string{"GET", "HEAD"} {
				res := e.do(t, req{method: method, path: c.path, token: coretest.Staff})
				if res.status != 200 || res.header.Get("X-Result-Count") != c.count {
					t.Errorf("%s %s: %d, X-Result-Count %q, want 200 and %s", method, c.name, res.status, res.header.Get("X-Result-Count"), c.count)
				}
				if got := res.header.Get("Link"); got != c.link {
					t.Errorf("%s %s: Link\n got %s\nwant %s", method, c.name, got, c.link)
				}
			}
		}
	})
}

// TestPublicURL: behind a proxy, links come from the configured public URL
// and never from X-Forwarded-* headers; call links with its prefix resolve.
func TestPublicURL(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, e *env) {
		forwarded := map[string]string{"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https", "Forwarded": "host=evil.example"}
		res := e.do(t, req{method: "GET", path: configPath(e.w.Config), token: coretest.Staff, header: forwarded})
		res.check(t, "request host", 200, wantConfig(e.srv.URL, e.config(t, e.w.Config)))

		public, _ := url.Parse("https://api.example.org/callcfg/")
		srv := newServer(t, e, func(c *server.Config) { c.PublicURL = public })
		const pub = "https://api.example.org/callcfg"
		doURL(t, srv.URL, e.w.Tokens, req{method: "GET", path: configPath(e.w.Config), token: coretest.Staff, header: forwarded}).
			check(t, "public URL", 200, wantConfig(pub, e.config(t, e.w.Config)))
		res = doURL(t, srv.URL, e.w.Tokens, req{method: "GET", path: listPath + "?page_size=1&page=2", token: coretest.Staff, header: forwarded})
		want := `<` + pub + listPath + `?page_size=1>; rel="first", <` + pub + listPath + `?page_size=1>; rel="prev", <` + pub + listPath + `?page=2&page_size=1>; rel="last"`
		if got := res.header.Get("Link"); res.status != 200 || got != want {
			t.Errorf("public Link %d\n got %s\nwant %s", res.status, got, want)
		}
		res = doURL(t, srv.URL, e.w.Tokens, req{method: "POST", path: listPath, token: coretest.Staff, body: `{"call": "` + pub + callPath(e.w.Bare) + `"}`})
		cfg := e.configOf(t, e.w.Bare)
		if cfg == nil {
			t.Fatalf("POST with a public call URL: %d %s", res.status, res.body)
		}
		res.check(t, "POST with a public call URL", 201, wantConfig(pub, cfg))
		if loc := res.header.Get("Location"); loc != pub+configPath(cfg.UUID) {
			t.Errorf("Location %q", loc)
		}
		doURL(t, srv.URL, e.w.Tokens, req{method: "GET", path: "/api/", token: coretest.Staff}).check(t, "public API root", 200,
			`{"call-assignment-configurations":"`+pub+`/api/call-assignment-configurations/","proposal-protected-calls":"`+pub+`/api/proposal-protected-calls/"}`)
	})
}
