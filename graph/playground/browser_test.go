package playground

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// findChromium returns the Chromium binary, or "" when there is none.
func findChromium() string {
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	return ""
}

// recorder collects what the browser did, from several server goroutines.
type recorder struct {
	mu         sync.Mutex
	gql        []gqlRequest
	cspReports []string
	statuses   map[string]int // request path -> status served
}

type gqlRequest struct {
	method, contentType, authorization string
	body                               map[string]any
}

func (rec *recorder) snapshot() recorder {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	statuses := make(map[string]int, len(rec.statuses))
	for k, v := range rec.statuses {
		statuses[k] = v
	}
	return recorder{
		gql:        append([]gqlRequest(nil), rec.gql...),
		cspReports: append([]string(nil), rec.cspReports...),
		statuses:   statuses,
	}
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	// Adding report-uri only here keeps the policy under test exactly the
	// one production sends, while letting violations reach the test.
	if csp := w.Header().Get("Content-Security-Policy"); csp != "" {
		w.Header().Set("Content-Security-Policy", csp+"; report-uri /csp-report")
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// minimalIntrospection is the smallest result graphql-js's
// buildClientSchema accepts, so GraphiQL loads a schema instead of showing
// an error. Query.hello is never called; it only makes the type non-empty.
const minimalIntrospection = `{"data":{"__schema":{
  "queryType":{"name":"Query"},"mutationType":null,"subscriptionType":null,
  "types":[
    {"kind":"OBJECT","name":"Query","description":null,
     "fields":[{"name":"hello","description":null,"args":[],
       "type":{"kind":"SCALAR","name":"String","ofType":null},
       "isDeprecated":false,"deprecationReason":null}],
     "inputFields":null,"interfaces":[],"enumValues":null,"possibleTypes":null},
    {"kind":"SCALAR","name":"String","description":null,"fields":null,
     "inputFields":null,"interfaces":null,"enumValues":null,"possibleTypes":null},
    {"kind":"SCALAR","name":"Boolean","description":null,"fields":null,
     "inputFields":null,"interfaces":null,"enumValues":null,"possibleTypes":null}
  ],
  "directives":[]}}}`

// TestBrowserRendersOffline loads the playground in headless Chromium and
// checks, from the server side, that GraphiQL booted under the production
// CSP and talked only to the loopback server.
//
// --dump-dom with a virtual-time budget is enough: Chromium runs the page
// until it is idle (scripts, the introspection fetch, React rendering),
// prints the serialised DOM and exits, so no DevTools-protocol client is
// needed. Everything else is observed by the servers the browser talks to.
func TestBrowserRendersOffline(t *testing.T) {
	chromium := findChromium()
	if chromium == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium not found (looked for `chromium` on PATH and /usr/bin/chromium); CI is set, so the browser test must run")
		}
		t.Skip("chromium not found (looked for `chromium` on PATH and /usr/bin/chromium); install it with `apt-get install chromium` to run this test (it fails instead of skipping when CI is set)")
	}

	rec := &recorder{statuses: map[string]int{}}

	mux := http.NewServeMux()
	pg := Handler(Options{Endpoint: "/graphql", Title: "Test playground", BasePath: "/graphiql"})
	mux.Handle("/graphiql", pg)
	mux.Handle("/graphiql/", pg)
	mux.HandleFunc("/graphql", func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, "bad JSON: "+err.Error(), http.StatusBadRequest)
			return
		}
		rec.mu.Lock()
		rec.gql = append(rec.gql, gqlRequest{
			method:        r.Method,
			contentType:   r.Header.Get("Content-Type"),
			authorization: r.Header.Get("Authorization"),
			body:          body,
		})
		rec.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		query, _ := body["query"].(string)
		if strings.Contains(query, "__schema") {
			io.WriteString(w, minimalIntrospection)
			return
		}
		io.WriteString(w, `{"data":{"__typename":"Query"}}`)
	})
	mux.HandleFunc("/csp-report", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.cspReports = append(rec.cspReports, string(b))
		rec.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		mux.ServeHTTP(sw, r)
		rec.mu.Lock()
		rec.statuses[r.URL.Path] = sw.status
		rec.mu.Unlock()
	}))
	defer app.Close()
	appURL, err := url.Parse(app.URL)
	if err != nil {
		t.Fatal(err)
	}

	// Chromium bypasses proxies for loopback only, so this refusing proxy
	// keeps every other request on the machine: the test behaves the same
	// with or without network. It is a sink, not the check: Chromium's own
	// services (update, time, account and autofill lookups) also end up
	// here, and they are no concern of the playground's. The NetLog below
	// tells those apart from requests the page made.
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "external access forbidden in this test", http.StatusForbidden)
	}))
	defer proxy.Close()
	netLogPath := filepath.Join(t.TempDir(), "netlog.json")

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	pageURL := app.URL + "/graphiql"
	cmd := exec.CommandContext(ctx, chromium,
		"--headless",
		"--no-sandbox", // CI containers run as root, where the sandbox refuses to start
		"--disable-gpu",
		"--disable-quic",
		"--no-first-run",
		"--disable-background-networking",
		"--disable-component-update",
		"--disable-sync",
		"--disable-dev-shm-usage", // /dev/shm is tiny in many containers
		"--proxy-server="+proxy.URL,
		"--log-net-log="+netLogPath,
		"--user-data-dir="+t.TempDir(),
		"--dump-dom",
		"--virtual-time-budget=10000",
		pageURL,
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\nstderr:\n%s", err, tail(stderr.String(), 4000))
	}
	dom := stdout.String()
	got := rec.snapshot()

	// Dumps the evidence once, on any failure, instead of per assertion.
	defer func() {
		if t.Failed() {
			t.Logf("DOM (%d bytes):\n%s", len(dom), tail(dom, 3000))
			t.Logf("requests served: %v", got.statuses)
			t.Logf("chromium stderr:\n%s", tail(stderr.String(), 3000))
		}
	}()

	// 1. React mounted GraphiQL: the container class only exists once the
	// bundle ran, and the placeholder text is gone once createRoot rendered.
	if !strings.Contains(dom, "graphiql-container") {
		t.Error(`DOM lacks "graphiql-container": GraphiQL did not render`)
	}
	if strings.Contains(dom, "Loading…") {
		t.Error("the Loading… placeholder is still in the DOM")
	}

	// 2. The introspection query reached the endpoint through
	// createFetcher, with the header editor's prefilled headers.
	var introspection *gqlRequest
	for i, r := range got.gql {
		if q, _ := r.body["query"].(string); strings.Contains(q, "__schema") {
			introspection = &got.gql[i]
			break
		}
	}
	if introspection == nil {
		t.Fatalf("no introspection request reached /graphql; GraphQL requests: %d", len(got.gql))
	}
	if introspection.method != http.MethodPost {
		t.Errorf("introspection method = %s, want POST", introspection.method)
	}
	if !strings.HasPrefix(introspection.contentType, "application/json") {
		t.Errorf("introspection Content-Type = %q, want application/json", introspection.contentType)
	}
	if want := "Token <paste your key here>"; introspection.authorization != want {
		t.Errorf("introspection Authorization = %q, want the header-editor hint %q", introspection.authorization, want)
	}

	// 3. GraphiQL accepted the schema: when introspection fails or
	// returns something unusable, it shows the error or the raw result in
	// the response pane, which otherwise stays empty until a query runs.
	if text, ok := responsePaneText(dom); !ok {
		t.Error("response pane not found in the DOM; has GraphiQL's markup changed?")
	} else if text != "" {
		t.Errorf("response pane shows %q: GraphiQL could not use the schema", text)
	}

	// 4. Every request the page made was served successfully: a broken
	// asset URL would show up here as a 404.
	for p, status := range got.statuses {
		if status >= 400 {
			t.Errorf("%s answered %d", p, status)
		}
	}
	for _, want := range []string{"/graphiql", "/graphql"} {
		if _, ok := got.statuses[want]; !ok {
			t.Errorf("browser never requested %s", want)
		}
	}
	assetsLoaded := 0
	for p := range got.statuses {
		if strings.HasPrefix(p, "/graphiql/assets/") {
			assetsLoaded++
		}
	}
	if want := len(stylesheets) + len(scripts); assetsLoaded != want {
		t.Errorf("browser loaded %d assets, want %d", assetsLoaded, want)
	}

	// 5. The production CSP was enough for GraphiQL to boot.
	for _, r := range got.cspReports {
		t.Errorf("CSP violation: %s", r)
	}

	// 6. The page requested nothing outside the test server. CSP would
	// block (and report) such requests anyway; this also catches them if
	// the policy were ever loosened.
	reqs, err := readNetLog(netLogPath)
	if err != nil {
		t.Fatalf("reading Chromium's NetLog: %v", err)
	}
	pageRequests := 0
	for _, r := range reqs {
		if !r.fromPage() {
			continue
		}
		pageRequests++
		if u, err := url.Parse(r.URL); err != nil || u.Host != appURL.Host {
			t.Errorf("page requested %s %s, outside the test server %s", r.Method, r.URL, appURL.Host)
		}
	}
	// Guards against a NetLog format change silently turning the check
	// above into a no-op: the assets and the introspection POST must show.
	if want := len(stylesheets) + len(scripts) + 1; pageRequests < want {
		t.Errorf("NetLog shows %d page-initiated requests, want at least %d; has Chromium's NetLog format changed?", pageRequests, want)
	}
}

// netRequest is one URL request from Chromium's NetLog.
type netRequest struct {
	Method    string `json:"method"`
	URL       string `json:"url"`
	Initiator string `json:"initiator"`
}

// fromPage reports whether the page's own code or markup caused the
// request. Chromium's NetLog gives those the page's origin as initiator;
// browser-internal requests (and the top-level navigation) say
// "not an origin".
func (r netRequest) fromPage() bool {
	return r.Initiator != "" && r.Initiator != "not an origin"
}

// readNetLog extracts the URL requests Chromium started from a
// --log-net-log file.
func readNetLog(path string) ([]netRequest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var log struct {
		Constants struct {
			LogEventTypes map[string]int `json:"logEventTypes"`
		} `json:"constants"`
		Events []struct {
			Type   int             `json:"type"`
			Params json.RawMessage `json:"params"`
		} `json:"events"`
	}
	if err := json.Unmarshal(b, &log); err != nil {
		return nil, err
	}
	startJob, ok := log.Constants.LogEventTypes["URL_REQUEST_START_JOB"]
	if !ok {
		return nil, fmt.Errorf("no URL_REQUEST_START_JOB event type in %s", path)
	}
	var reqs []netRequest
	for _, e := range log.Events {
		if e.Type != startJob || e.Params == nil {
			continue
		}
		var r netRequest
		if err := json.Unmarshal(e.Params, &r); err != nil {
			return nil, fmt.Errorf("URL_REQUEST_START_JOB params: %v", err)
		}
		reqs = append(reqs, r)
	}
	return reqs, nil
}

// responsePaneText returns the visible text of GraphiQL's response editor
// (a CodeMirror 5 instance inside section.result-window), or false when the
// DOM does not have that shape.
func responsePaneText(dom string) (string, bool) {
	i := strings.Index(dom, `class="result-window"`)
	if i < 0 {
		return "", false
	}
	pane := dom[i:]
	if j := strings.Index(pane, "</section>"); j >= 0 {
		pane = pane[:j]
	}
	// Skip CodeMirror's measuring elements, which hold a stray "x".
	k := strings.Index(pane, `class="CodeMirror-code"`)
	if k < 0 {
		return "", false
	}
	var b strings.Builder
	inTag := true // k points inside the opening tag
	for _, r := range pane[k:] {
		switch {
		case r == '<':
			inTag = true
		case r == '>':
			inTag = false
		case !inTag:
			b.WriteRune(r)
		}
	}
	// CodeMirror pads empty lines with a zero-width space.
	return strings.Trim(html.UnescapeString(b.String()), " \t\n\u00a0\u200b"), true
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
