// Package playground serves the GraphiQL IDE with every asset compiled into
// the binary, so the playground works on machines without internet access
// and cannot be broken or tampered with by a third-party CDN.
//
// The handler expects to see the full request path, so mount it on both the
// bare base path and the subtree:
//
//	h := playground.Handler(playground.Options{Endpoint: "/graphql", BasePath: "/graphiql"})
//	mux.Handle("/graphiql", h)
//	mux.Handle("/graphiql/", h)
package playground

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"
)

// Options configures Handler. The zero value serves the playground at the
// root of whatever it is mounted on, against "/graphql".
type Options struct {
	// Endpoint is the GraphQL endpoint the IDE talks to: a path on the same
	// origin ("/graphql"), or an absolute http(s) URL, whose origin is then
	// added to the page's connect-src. Default "/graphql".
	Endpoint string
	// Title is the page title. Default "GraphiQL".
	Title string
	// BasePath is the URL path the playground is mounted at, e.g.
	// "/graphiql". The page answers at BasePath and BasePath+"/", assets
	// under BasePath+"/assets/". Empty means the root.
	BasePath string
	// PersistHeaders makes GraphiQL keep the header editor (and so the API
	// key) in localStorage by default. Off by default because anyone with
	// access to the browser profile could read it; users can still opt in
	// from GraphiQL's settings dialog.
	PersistHeaders bool
}

// headersHint prefills the header editor. It is a placeholder, not a
// credential: it tells users which scheme the API expects.
const headersHint = `{"Authorization": "Token <paste your key here>"}`

// Each file is named explicitly so a missing or misnamed asset is a compile
// error rather than a blank page at runtime. The LICENSE files are embedded,
// though never served, so the notices travel with the binary as MIT requires.
//
//go:embed assets/graphiql.min.js assets/graphiql.min.css
//go:embed assets/react.production.min.js assets/react-dom.production.min.js
//go:embed assets/init.js assets/playground.css
//go:embed assets/LICENSE.graphiql assets/LICENSE.react assets/LICENSE.react-dom
var embedded embed.FS

type asset struct {
	name        string // file name in assets/
	url         string // name with content hash, relative to BasePath+"/assets/"
	contentType string
	body        []byte
	etag        string

	gzOnce sync.Once
	gz     []byte
}

// Compressing the ~1.5 MB of bundles takes ~40 ms, so do it on
// first request instead of in every process start (tests, CLI invocations)
// that never serves the playground.
func (a *asset) gzipped() []byte {
	a.gzOnce.Do(func() {
		var buf bytes.Buffer
		zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if err != nil {
			panic(err) // only for an invalid level
		}
		zw.Write(a.body) // writes to a bytes.Buffer cannot fail
		zw.Close()
		a.gz = buf.Bytes()
	})
	return a.gz
}

var (
	// Load order matters: GraphiQL's UMD bundle reads the React and
	// ReactDOM globals when it executes, and init.js needs all three.
	stylesheets = []*asset{loadAsset("graphiql.min.css"), loadAsset("playground.css")}
	scripts     = []*asset{
		loadAsset("react.production.min.js"),
		loadAsset("react-dom.production.min.js"),
		loadAsset("graphiql.min.js"),
		loadAsset("init.js"),
	}
	assetsByURL = indexAssets(stylesheets, scripts)
)

// Explicit rather than mime.TypeByExtension, which consults the host's
// mime.types and may say application/javascript or worse.
var contentTypes = map[string]string{
	".js":  "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
}

func loadAsset(name string) *asset {
	body, err := embedded.ReadFile("assets/" + name)
	if err != nil {
		panic(err) // unreachable: the go:embed directives guarantee the file
	}
	ext := path.Ext(name)
	ct, ok := contentTypes[ext]
	if !ok {
		panic("playground: no content type for " + name)
	}
	// The hash is part of the URL, so every asset can be cached as
	// immutable and a rebuilt binary with new assets is never shadowed by a
	// stale browser cache. 12 hex digits is plenty to tell versions apart.
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:6])
	return &asset{
		name:        name,
		url:         strings.TrimSuffix(name, ext) + "." + hash + ext,
		contentType: ct,
		body:        body,
		etag:        `"` + hash + `"`,
	}
}

func indexAssets(groups ...[]*asset) map[string]*asset {
	m := make(map[string]*asset)
	for _, g := range groups {
		for _, a := range g {
			m[a.url] = a
		}
	}
	return m
}

// The config goes into data-* attributes rather than an inline script so
// the CSP can forbid inline scripts; html/template escapes it for that
// attribute context. The empty data: icon stops browsers asking for
// /favicon.ico, which would only 404 in the service's logs.
var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<link rel="icon" href="data:,">
<title>{{.Title}}</title>
{{range .Stylesheets}}<link rel="stylesheet" href="{{.}}">
{{end}}{{range .Scripts}}<script src="{{.}}" defer></script>
{{end}}</head>
<body>
<div id="graphiql" data-endpoint="{{.Endpoint}}" data-default-headers="{{.DefaultHeaders}}" data-persist-headers="{{.PersistHeaders}}">Loading…</div>
<noscript>GraphiQL needs JavaScript.</noscript>
</body>
</html>
`))

type page struct {
	body []byte
	etag string
	csp  string
}

// Handler returns an http.Handler serving the GraphiQL page and its
// embedded assets. It panics on an Endpoint it cannot parse, since that is
// a programming error best caught at startup.
func Handler(opts Options) http.Handler {
	if opts.Endpoint == "" {
		opts.Endpoint = "/graphql"
	}
	if opts.Title == "" {
		opts.Title = "GraphiQL"
	}
	base := normalizeBasePath(opts.BasePath)

	connect, err := connectSources(opts.Endpoint)
	if err != nil {
		panic(fmt.Sprintf("playground: invalid Endpoint %q: %v", opts.Endpoint, err))
	}

	assetPrefix := base + "/assets/"
	urls := func(as []*asset) []string {
		out := make([]string, len(as))
		for i, a := range as {
			out[i] = assetPrefix + a.url
		}
		return out
	}
	var buf bytes.Buffer
	err = pageTemplate.Execute(&buf, map[string]any{
		"Title":          opts.Title,
		"Endpoint":       opts.Endpoint,
		"DefaultHeaders": headersHint,
		"PersistHeaders": opts.PersistHeaders,
		"Stylesheets":    urls(stylesheets),
		"Scripts":        urls(scripts),
	})
	if err != nil {
		panic(err) // unreachable: fixed template, plain string data
	}
	sum := sha256.Sum256(buf.Bytes())

	return &handler{
		base:        base,
		assetPrefix: assetPrefix,
		page: page{
			body: buf.Bytes(),
			etag: `"` + hex.EncodeToString(sum[:6]) + `"`,
			csp:  contentSecurityPolicy(connect),
		},
	}
}

// normalizeBasePath turns "graphiql", "/graphiql/" and "/graphiql" into
// "/graphiql", and "", "/" into "" so that base+"/assets/" never doubles
// the slash.
func normalizeBasePath(p string) string {
	p = path.Clean("/" + p)
	if p == "/" {
		return ""
	}
	return p
}

// connectSources lists the CSP connect-src values the endpoint needs.
// Relative endpoints are same-origin; an absolute one on another origin
// must be named or the browser refuses the fetch.
func connectSources(endpoint string) ([]string, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, err
	}
	src := []string{"'self'"}
	switch {
	case u.Scheme == "" && u.Host == "":
		// Same origin: 'self' covers its WebSocket (ws: or wss:) too.
	case (u.Scheme == "http" || u.Scheme == "https") && u.Host != "":
		// Subscriptions open a WebSocket on the endpoint's host.
		ws := "ws"
		if u.Scheme == "https" {
			ws = "wss"
		}
		src = append(src, u.Scheme+"://"+u.Host, ws+"://"+u.Host)
	default:
		return nil, fmt.Errorf("want a path or an absolute http(s) URL")
	}
	return src, nil
}

// contentSecurityPolicy builds the page's CSP. The choices were checked
// against GraphiQL 3.9.0 in headless Chromium: page load by browser_test.go,
// which fails on any CSP violation report; the dialogs by hand.
//   - script-src 'self': the bundles are eval-free and the bootstrap is a
//     file, so neither 'unsafe-eval' nor 'unsafe-inline' is needed.
//   - style-src 'unsafe-inline': opening GraphiQL's settings or shortcuts
//     dialog injects a <style> element (react-remove-scroll) with no nonce
//     hook and content that depends on the scrollbar width, so neither a
//     nonce nor a hash can replace it. Page load alone needs no inline style.
//   - font-src/img-src data:: graphiql.min.css inlines its fonts and a few
//     images as data: URIs.
func contentSecurityPolicy(connect []string) string {
	return strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self' 'unsafe-inline'",
		"font-src 'self' data:",
		"img-src 'self' data:",
		"connect-src " + strings.Join(connect, " "),
		"base-uri 'none'",
		"form-action 'none'",
		"frame-ancestors 'none'",
	}, "; ")
}

type handler struct {
	base        string
	assetPrefix string
	page        page
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case p == h.base || p == h.base+"/":
		if !allowMethod(w, r) {
			return
		}
		h.servePage(w, r)
	case strings.HasPrefix(p, h.assetPrefix):
		// Exact map lookup: no filesystem path is ever derived from the
		// request, so traversal is impossible and stale hashes are a 404.
		a, ok := assetsByURL[strings.TrimPrefix(p, h.assetPrefix)]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if !allowMethod(w, r) {
			return
		}
		serveAsset(w, r, a)
	default:
		http.NotFound(w, r)
	}
}

// allowMethod answers 405 for anything but GET and HEAD: the playground is
// read-only, and the GraphQL endpoint, not this handler, takes POSTs.
func allowMethod(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
	return false
}

func (h *handler) servePage(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	// The page names the content-hashed asset URLs, so it must be
	// revalidated on every load or a deploy would keep old bundles alive.
	hd.Set("Cache-Control", "no-cache")
	hd.Set("ETag", h.page.etag)
	hd.Set("Content-Security-Policy", h.page.csp)
	hd.Set("X-Content-Type-Options", "nosniff")
	// Query strings may carry operations users would rather not leak.
	hd.Set("Referrer-Policy", "no-referrer")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(h.page.body))
}

func serveAsset(w http.ResponseWriter, r *http.Request, a *asset) {
	hd := w.Header()
	hd.Set("Content-Type", a.contentType)
	hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Add("Vary", "Accept-Encoding")
	body, etag := a.body, a.etag
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		// 1.5 MB shrinks to about 0.6 MB, which matters when the
		// playground is opened over a VPN rather than on localhost.
		body = a.gzipped()
		etag = strings.TrimSuffix(a.etag, `"`) + `-gzip"`
		hd.Set("Content-Encoding", "gzip")
	}
	hd.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// acceptsGzip reports whether an Accept-Encoding header admits gzip,
// honouring an explicit q=0 refusal.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "x-gzip" {
			continue
		}
		for _, param := range strings.Split(params, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(param), "=")
			if strings.EqualFold(strings.TrimSpace(k), "q") {
				v = strings.TrimSpace(v)
				if strings.Trim(v, "0.") == "" {
					return false
				}
			}
		}
		return true
	}
	return false
}
