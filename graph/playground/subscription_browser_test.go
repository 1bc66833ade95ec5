package playground_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/callcfg/callcfg/core/coretest"
	"github.com/callcfg/callcfg/db/dbtest"
	"github.com/callcfg/callcfg/feed"
	"github.com/callcfg/callcfg/links"
	"github.com/callcfg/callcfg/server/servertest"
)

func chromium(t *testing.T) string {
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium not found; CI is set, so the browser test must run")
	}
	t.Skip("chromium not found: `apt-get install chromium` to run this test (it fails instead of skipping when CI is set)")
	return ""
}

// devtools is a minimal Chrome DevTools Protocol client: enough to run
// JavaScript in the page and read the result.
type devtools struct {
	conn *websocket.Conn
	mu   sync.Mutex
	id   int
}

func (d *devtools) eval(ctx context.Context, expr string) (any, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.id++
	msg, _ := json.Marshal(map[string]any{"id": d.id, "method": "Runtime.evaluate",
		"params": map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}})
	if err := d.conn.Write(ctx, websocket.MessageText, msg); err != nil {
		return nil, err
	}
	for {
		_, b, err := d.conn.Read(ctx)
		if err != nil {
			return nil, err
		}
		var resp struct {
			ID     int `json:"id"`
			Result struct {
				Result struct {
					Value any `json:"value"`
				} `json:"result"`
				ExceptionDetails any `json:"exceptionDetails"`
			} `json:"result"`
		}
		if json.Unmarshal(b, &resp) != nil || resp.ID != d.id {
			continue // an event
		}
		if resp.Result.ExceptionDetails != nil {
			return nil, fmt.Errorf("%s: %v", expr, resp.Result.ExceptionDetails)
		}
		return resp.Result.Result.Value, nil
	}
}

// until evaluates expr until it is true.
func (d *devtools) until(ctx context.Context, t *testing.T, what, expr string) {
	t.Helper()
	for {
		v, err := d.eval(ctx, expr)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if v == true {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: not within the bound", what)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// TestBrowserRunsSubscription opens the embedded GraphiQL of a real server
// in headless Chromium, pastes a key into its Headers tab, runs a
// subscription, and checks that a change made through REST shows in the
// response pane: GraphiQL's graphql-ws client, the WebSocket transport, the
// key in connection_init and the page's CSP together.
func TestBrowserRunsSubscription(t *testing.T) {
	bin := chromium(t)
	e := servertest.New(t, dbtest.NewURL(t, "sqlite"))
	var (
		mu         sync.Mutex
		cspReports []string
	)
	srv := e.ServeFeed(t, feed.Options{})
	// The same server again, with the policy reporting its violations.
	handler := srv.Config.Handler
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/csp-report" {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			cspReports = append(cspReports, string(b))
			mu.Unlock()
			w.WriteHeader(http.StatusNoContent)
			return
		}
		handler.ServeHTTP(reportingCSP{ResponseWriter: w}, r)
	}))
	defer app.Close()
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "external access forbidden in this test", http.StatusForbidden)
	}))
	defer proxy.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
		"--proxy-server="+proxy.URL, "--user-data-dir="+t.TempDir(), "--remote-debugging-port=0", app.URL+"/graphiql")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	listening := regexp.MustCompile(`DevTools listening on (ws://\S+)`)
	var browserWS string
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if m := listening.FindStringSubmatch(sc.Text()); m != nil {
			browserWS = m[1]
			break
		}
	}
	if browserWS == "" {
		t.Fatal("chromium did not say where DevTools listen")
	}
	go func() { _, _ = io.Copy(io.Discard, stderr) }()

	// The page's target, from the DevTools HTTP endpoint.
	host := strings.SplitN(strings.TrimPrefix(browserWS, "ws://"), "/", 2)[0]
	var pageWS string
	for pageWS == "" {
		res, err := http.Get("http://" + host + "/json/list")
		if err == nil {
			var targets []struct {
				Type, URL            string
				WebSocketDebuggerURL string `json:"webSocketDebuggerUrl"`
			}
			_ = json.NewDecoder(res.Body).Decode(&targets)
			res.Body.Close()
			for _, tg := range targets {
				if tg.Type == "page" && strings.HasPrefix(tg.URL, app.URL) {
					pageWS = tg.WebSocketDebuggerURL
				}
			}
		}
		if ctx.Err() != nil {
			t.Fatal("no page target")
		}
		time.Sleep(50 * time.Millisecond)
	}
	conn, _, err := websocket.Dial(ctx, pageWS, nil)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetReadLimit(64 << 20)
	defer conn.CloseNow()
	d := &devtools{conn: conn}

	editors := `[...document.querySelectorAll('.CodeMirror')].map(e => e.CodeMirror)`
	d.until(ctx, t, "GraphiQL renders its editors",
		`!!document.querySelector('.graphiql-query-editor .CodeMirror') && `+editors+`.some(cm => cm.getValue().includes('Authorization'))`)
	headers, _ := json.Marshal(fmt.Sprintf(`{"Authorization": "Token %s"}`, e.Token(coretest.Manager)))
	query, _ := json.Marshal(`subscription { callAssignmentConfigurationChanged { kind after { maxAutoReassignAttempts } } }`)
	if _, err := d.eval(ctx, editors+`.find(cm => cm.getValue().includes('Authorization')).setValue(`+string(headers)+`);
document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue(`+string(query)+`); true`); err != nil {
		t.Fatal(err)
	}
	// GraphiQL takes in an edit after a short debounce, and then keeps the
	// query in localStorage; run only then, or it runs what the editors
	// held before.
	d.until(ctx, t, "GraphiQL takes in the query",
		`Object.keys(localStorage).some(k => (localStorage.getItem(k) || '').includes('callAssignmentConfigurationChanged'))`)
	if _, err := d.eval(ctx, `document.querySelector('.graphiql-execute-button').click(); true`); err != nil {
		t.Fatal(err)
	}
	for e.Feed.Active() != 1 {
		if ctx.Err() != nil {
			pane, _ := d.eval(context.Background(), `document.querySelector('.result-window .CodeMirror').CodeMirror.getValue()`)
			t.Fatalf("GraphiQL's subscription never reached the server; the response pane shows %v", pane)
		}
		time.Sleep(20 * time.Millisecond)
	}
	res, body := e.Call(t, coretest.Staff, http.MethodPatch, "/api/call-assignment-configurations/"+links.Hex(e.W.Config)+"/",
		map[string]any{"max_auto_reassign_attempts": 42})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("PATCH: %d %v", res.StatusCode, body)
	}
	d.until(ctx, t, "the change shows in the response pane",
		`(() => { const v = document.querySelector('.result-window .CodeMirror').CodeMirror.getValue();
  return v.includes('"UPDATED"') && v.includes('"maxAutoReassignAttempts": 42'); })()`)
	mu.Lock()
	defer mu.Unlock()
	for _, r := range cspReports {
		t.Errorf("CSP violation: %s", r)
	}
}

// reportingCSP adds a report-uri to the page's policy, so that violations
// reach the test; the policy is otherwise the one production sends.
type reportingCSP struct{ http.ResponseWriter }

func (w reportingCSP) WriteHeader(code int) {
	if csp := w.Header().Get("Content-Security-Policy"); csp != "" {
		w.Header().Set("Content-Security-Policy", csp+"; report-uri /csp-report")
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w reportingCSP) Write(b []byte) (int, error) {
	return w.ResponseWriter.Write(b)
}

func (w reportingCSP) Unwrap() http.ResponseWriter { return w.ResponseWriter }
