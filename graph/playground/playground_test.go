package playground

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"regexp"
	"strings"
	"testing"
)

// refRE finds every URL the page makes the browser load.
var refRE = regexp.MustCompile(`(?:src|href)="([^"]*)"`)

func get(t *testing.T, client *http.Client, url string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// serve runs one request straight through the handler, so tests can use
// paths (.., empty segments) that an HTTP client would clean up first.
func serve(h http.Handler, method, target string, header http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestPageLoadsOnlyLocalAssets(t *testing.T) {
	tests := []struct {
		name     string
		basePath string
		mount    []string // mux patterns
		pagePath string
		assetDir string // what asset URLs must start with
	}{
		{"mounted", "/graphiql", []string{"/graphiql", "/graphiql/"}, "/graphiql", "/graphiql/assets/"},
		{"trailing slash request", "/graphiql", []string{"/graphiql", "/graphiql/"}, "/graphiql/", "/graphiql/assets/"},
		{"base path with trailing slash", "/graphiql/", []string{"/graphiql/"}, "/graphiql/", "/graphiql/assets/"},
		{"base path without leading slash", "graphiql", []string{"/graphiql/"}, "/graphiql/", "/graphiql/assets/"},
		{"nested base path", "/api/v1/graphiql", []string{"/api/v1/graphiql/"}, "/api/v1/graphiql/", "/api/v1/graphiql/assets/"},
		{"root", "", []string{"/"}, "/", "/assets/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := Handler(Options{Endpoint: "/graphql", Title: "Playground", BasePath: tc.basePath})
			mux := http.NewServeMux()
			for _, p := range tc.mount {
				mux.Handle(p, h)
			}
			srv := httptest.NewServer(mux)
			defer srv.Close()
			client := srv.Client()

			resp, body := get(t, client, srv.URL+tc.pagePath, nil)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("page: status %d, want 200", resp.StatusCode)
			}
			for k, want := range map[string]string{
				"Content-Type":           "text/html; charset=utf-8",
				"Cache-Control":          "no-cache",
				"X-Content-Type-Options": "nosniff",
			} {
				if got := resp.Header.Get(k); got != want {
					t.Errorf("page %s = %q, want %q", k, got, want)
				}
			}
			csp := resp.Header.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'none'", "script-src 'self';", "connect-src 'self';"} {
				if !strings.Contains(csp, want) {
					t.Errorf("CSP %q lacks %q", csp, want)
				}
			}
			if strings.Contains(csp, "unsafe-eval") {
				t.Errorf("CSP allows unsafe-eval: %q", csp)
			}

			html := string(body)
			for _, bad := range []string{"http://", "https://", "//cdn", "//"} {
				if strings.Contains(html, bad) {
					t.Errorf("page contains %q; it must reference local assets only", bad)
				}
			}
			if strings.Contains(html, "<script>") {
				t.Error("page has an inline script; the CSP forbids it")
			}
			if !strings.Contains(html, `data-endpoint="/graphql"`) {
				t.Error("page does not pass the endpoint to init.js")
			}

			var refs []string
			for _, m := range refRE.FindAllStringSubmatch(html, -1) {
				if m[1] == "data:," { // the empty favicon; nothing to fetch
					continue
				}
				refs = append(refs, m[1])
			}
			if want := len(stylesheets) + len(scripts); len(refs) != want {
				t.Fatalf("page references %d assets %v, want %d", len(refs), refs, want)
			}
			for _, ref := range refs {
				if !strings.HasPrefix(ref, tc.assetDir) {
					t.Errorf("asset URL %q is not under %q", ref, tc.assetDir)
					continue
				}
				resp, body := get(t, client, srv.URL+ref, nil)
				if resp.StatusCode != http.StatusOK {
					t.Errorf("%s: status %d, want 200", ref, resp.StatusCode)
					continue
				}
				a := assetsByURL[strings.TrimPrefix(ref, tc.assetDir)]
				if a == nil {
					t.Fatalf("%s served but not in assetsByURL", ref)
				}
				wantCT := map[string]string{
					".js":  "text/javascript; charset=utf-8",
					".css": "text/css; charset=utf-8",
				}[path.Ext(ref)]
				if got := resp.Header.Get("Content-Type"); got != wantCT {
					t.Errorf("%s: Content-Type %q, want %q", ref, got, wantCT)
				}
				if got := resp.Header.Get("Cache-Control"); !strings.Contains(got, "immutable") || !strings.Contains(got, "max-age=31536000") {
					t.Errorf("%s: Cache-Control %q, want a year, immutable", ref, got)
				}
				if len(body) == 0 {
					t.Errorf("%s: empty body", ref)
				}
				// Byte-for-byte what is in the repository: the client
				// negotiated gzip transparently, so this also checks the
				// compressed variant round-trips.
				onDisk, err := os.ReadFile("assets/" + a.name)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(body, onDisk) {
					t.Errorf("%s: body differs from assets/%s", ref, a.name)
				}
			}
		})
	}
}

func TestAssetURLsCarryContentHash(t *testing.T) {
	for _, a := range append(append([]*asset{}, stylesheets...), scripts...) {
		ext := path.Ext(a.name)
		stem := strings.TrimSuffix(a.name, ext)
		if !regexp.MustCompile(`^` + regexp.QuoteMeta(stem) + `\.[0-9a-f]{12}` + regexp.QuoteMeta(ext) + `$`).MatchString(a.url) {
			t.Errorf("asset %s has URL %q, want %s.<12 hex>%s", a.name, a.url, stem, ext)
		}
	}
}

func TestAssetEncodingAndConditionalRequests(t *testing.T) {
	h := Handler(Options{BasePath: "/graphiql"})
	a := scripts[len(scripts)-2] // the GraphiQL bundle: the one worth compressing
	target := "/graphiql/assets/" + a.url

	gzETag := `"` + strings.Trim(a.etag, `"`) + `-gzip"`

	tests := []struct {
		name       string
		method     string
		header     http.Header
		wantStatus int
		wantETag   string // differs per encoding, or caches would mix them up
		wantGzip   bool
		wantBody   bool
	}{
		{"identity", http.MethodGet, http.Header{"Accept-Encoding": {"identity"}}, 200, a.etag, false, true},
		{"no Accept-Encoding", http.MethodGet, nil, 200, a.etag, false, true},
		{"gzip", http.MethodGet, http.Header{"Accept-Encoding": {"gzip, deflate, br"}}, 200, gzETag, true, true},
		{"gzip refused", http.MethodGet, http.Header{"Accept-Encoding": {"gzip;q=0, br"}}, 200, a.etag, false, true},
		{"HEAD", http.MethodHead, nil, 200, a.etag, false, false},
		{"revalidation", http.MethodGet, http.Header{"If-None-Match": {a.etag}}, http.StatusNotModified, a.etag, false, false},
		// net/http drops Content-Encoding from 304s; the ETag tells which.
		{"revalidation gzip", http.MethodGet, http.Header{
			"Accept-Encoding": {"gzip"},
			"If-None-Match":   {gzETag},
		}, http.StatusNotModified, gzETag, false, false},
		{"stale gzip validator", http.MethodGet, http.Header{
			"Accept-Encoding": {"gzip"},
			"If-None-Match":   {a.etag},
		}, 200, gzETag, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := serve(h, tc.method, target, tc.header)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status %d, want %d", rec.Code, tc.wantStatus)
			}
			if etag := rec.Header().Get("ETag"); etag != tc.wantETag {
				t.Errorf("ETag %s, want %s", etag, tc.wantETag)
			}
			if vary := rec.Header().Get("Vary"); vary != "Accept-Encoding" {
				t.Errorf("Vary %q, want Accept-Encoding", vary)
			}
			if gz := rec.Header().Get("Content-Encoding") == "gzip"; gz != tc.wantGzip {
				t.Errorf("gzip encoded = %v, want %v", gz, tc.wantGzip)
			}
			if !tc.wantBody {
				if rec.Body.Len() != 0 {
					t.Errorf("body of %d bytes, want none", rec.Body.Len())
				}
				return
			}
			body := rec.Body.Bytes()
			if tc.wantGzip {
				zr, err := gzip.NewReader(rec.Body)
				if err != nil {
					t.Fatal(err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(body, a.body) {
				t.Error("body differs from the embedded asset")
			}
		})
	}
}

func TestNotFound(t *testing.T) {
	h := Handler(Options{BasePath: "/graphiql"})
	a := scripts[0]
	stale := strings.Replace(a.url, a.etag[1:7], "000000", 1)
	for _, p := range []string{
		"/graphiql/assets/",
		"/graphiql/assets",
		"/graphiql/assets/nope.js",
		"/graphiql/assets/" + a.name, // unversioned name
		"/graphiql/assets/" + stale,  // a hash from another build
		"/graphiql/assets/" + a.url + "/",
		"/graphiql/assets/LICENSE.graphiql", // embedded, deliberately not served
		"/graphiql/assets/README.md",
		"/graphiql/assets/../playground.go",
		"/graphiql/assets//" + a.url,
		"/graphiql/other",
		"/graphiqlx",
		"/",
		"/graphql",
	} {
		t.Run(p, func(t *testing.T) {
			if rec := serve(h, http.MethodGet, p, nil); rec.Code != http.StatusNotFound {
				t.Errorf("GET %s: status %d, want 404", p, rec.Code)
			}
		})
	}
}

func TestMethodNotAllowed(t *testing.T) {
	h := Handler(Options{BasePath: "/graphiql"})
	asset := "/graphiql/assets/" + stylesheets[0].url
	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions} {
		for _, p := range []string{"/graphiql", "/graphiql/", asset} {
			t.Run(method+" "+p, func(t *testing.T) {
				rec := serve(h, method, p, nil)
				if rec.Code != http.StatusMethodNotAllowed {
					t.Errorf("status %d, want 405", rec.Code)
				}
				if allow := rec.Header().Get("Allow"); allow != "GET, HEAD" {
					t.Errorf("Allow %q, want %q", allow, "GET, HEAD")
				}
			})
		}
	}
}

func TestOptions(t *testing.T) {
	tests := []struct {
		name     string
		opts     Options
		wantHTML []string
		wantCSP  string
	}{
		{
			name:     "defaults",
			opts:     Options{},
			wantHTML: []string{`data-endpoint="/graphql"`, `<title>GraphiQL</title>`, `data-persist-headers="false"`},
			wantCSP:  "connect-src 'self';",
		},
		{
			name: "header hint is escaped for the attribute",
			opts: Options{},
			wantHTML: []string{
				`data-default-headers="{&#34;Authorization&#34;: &#34;Token &lt;paste your key here&gt;&#34;}"`,
			},
		},
		{
			name:     "title is escaped",
			opts:     Options{Title: `</title><script>alert(1)</script>`},
			wantHTML: []string{`<title>&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;</title>`},
		},
		{
			name:     "persist headers",
			opts:     Options{PersistHeaders: true},
			wantHTML: []string{`data-persist-headers="true"`},
		},
		{
			name:     "absolute endpoint on another origin",
			opts:     Options{Endpoint: "https://api.example.com:8443/graphql"},
			wantHTML: []string{`data-endpoint="https://api.example.com:8443/graphql"`},
			wantCSP:  "connect-src 'self' https://api.example.com:8443 wss://api.example.com:8443;",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := serve(Handler(tc.opts), http.MethodGet, "/", nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d, want 200", rec.Code)
			}
			for _, want := range tc.wantHTML {
				if !strings.Contains(rec.Body.String(), want) {
					t.Errorf("page lacks %s\n%s", want, rec.Body.String())
				}
			}
			if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, tc.wantCSP) {
				t.Errorf("CSP %q lacks %q", csp, tc.wantCSP)
			}
		})
	}
}

func TestInvalidEndpointPanics(t *testing.T) {
	for _, ep := range []string{"ftp://example.com/graphql", "https:///graphql", "%zz"} {
		t.Run(ep, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("Handler(Endpoint: %q) did not panic", ep)
				}
			}()
			Handler(Options{Endpoint: ep})
		})
	}
}

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"":                         false,
		"gzip":                     true,
		"GZIP":                     true,
		"x-gzip":                   true,
		"deflate, gzip;q=0.5, br":  true,
		"gzip;q=0":                 false,
		"gzip; q=0.000":            false,
		"br, gzip ; q=0.001":       true,
		"identity":                 false,
		"gzipfoo, br":              false,
		"gzip;level=1;q=1.0, zstd": true,
	} {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}
