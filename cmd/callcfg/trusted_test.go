package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/callcfg/callcfg/db/dbtest"
	"github.com/callcfg/callcfg/graph/trusted"
	"github.com/callcfg/callcfg/ops"
	"github.com/callcfg/callcfg/ops/opstest"
)

// trustedManifest is graphql-codegen's manifest of the frontend's
// operations (see graph/testdata/trusted): operation name → documentId.
func trustedManifest(t *testing.T) (raw []byte, ids map[string]string) {
	t.Helper()
	raw, err := os.ReadFile("../../graph/testdata/trusted/persisted-documents.json")
	if err != nil {
		t.Fatal(err)
	}
	var docs map[string]string
	if err := json.Unmarshal(raw, &docs); err != nil {
		t.Fatal(err)
	}
	ids = map[string]string{}
	name := regexp.MustCompile(`(?:query|mutation) (\w+)`)
	for id, doc := range docs {
		ids[name.FindStringSubmatch(doc)[1]] = id
	}
	return raw, ids
}

// serve --trusted-documents runs only the manifest's operations, counts
// them by name in the metrics, and reloads the file on SIGHUP, keeping the
// documents in force when the new file cannot be used.
func TestServeTrustedDocuments(t *testing.T) {
	raw, ids := trustedManifest(t)
	dbtest.Each(t, func(t *testing.T, url string) {
		callcfg(t, url, "", "user", "create", "--username", "boss", "--staff").must(t)
		key := callcfg(t, url, "", "token", "create", "--username", "boss").must(t)
		path := filepath.Join(t.TempDir(), "persisted-documents.json")
		if err := os.WriteFile(path, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		var out, errb opstest.Buffer
		done := make(chan int, 1)
		go func() {
			done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--database-url", url,
				"--trusted-documents", path, "--graphql-operation-names", "Listed", "--drain-delay", "0"}, strings.NewReader(""), &out, &errb)
		}()
		stopped := false
		defer func() {
			if !stopped {
				cancel()
				<-done
			}
		}()
		addr := waitFor(t, &errb, regexp.MustCompile(`listening addr=(\S+)`))
		admin := waitFor(t, &errb, regexp.MustCompile(`admin listener \(pprof, metrics\)" addr=(\S+)`))
		if !strings.Contains(errb.String(), "documents=5") {
			t.Errorf("start-up does not say how many documents: %s", errb.String())
		}
		graphql := func(body string) string {
			t.Helper()
			req, _ := http.NewRequest("POST", "http://"+addr+"/graphql", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Token "+key)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return string(b)
		}
		viewer := `{"documentId":"` + ids["Viewer"] + `"}`
		if got := graphql(viewer); !strings.Contains(got, `"username":"boss"`) {
			t.Fatalf("Viewer by documentId: %s", got)
		}
		if got := graphql(`{"query":"query Listed { me { username } }","operationName":"Listed"}`); !strings.Contains(got, "PERSISTED_QUERY_NOT_IN_LIST") {
			t.Fatalf("an operation not in the manifest: %s", got)
		}
		res, err := http.Get("http://" + admin + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		metrics, _ := io.ReadAll(res.Body)
		res.Body.Close()
		for _, want := range []string{
			// The manifest's names are known names, beside the listed ones.
			`callcfg_graphql_operations_total{operation="Viewer",outcome="ok",type="query"} 1`,
			// Refused before it was read: counted without its name.
			`callcfg_graphql_operations_total{operation="anonymous",outcome="PERSISTED_QUERY_NOT_IN_LIST",type="unknown"} 1`,
		} {
			if !strings.Contains(string(metrics), want) {
				t.Errorf("/metrics lacks %s: %s", want, regexp.MustCompile(`(?m)^callcfg_graphql.*$`).FindAllString(string(metrics), -1))
			}
		}

		hangup := func(logged *regexp.Regexp) {
			t.Helper()
			before := len(logged.FindAllString(errb.String(), -1))
			if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(10 * time.Second)
			for len(logged.FindAllString(errb.String(), -1)) == before {
				if time.Now().After(deadline) {
					t.Fatalf("no %s after SIGHUP: %s", logged, errb.String())
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
		// A manifest without Viewer: it is refused at once.
		var docs map[string]string
		_ = json.Unmarshal(raw, &docs)
		delete(docs, ids["Viewer"])
		smaller, _ := json.Marshal(docs)
		if err := os.WriteFile(path, smaller, 0o600); err != nil {
			t.Fatal(err)
		}
		hangup(regexp.MustCompile(`trusted documents reloaded.*documents=4`))
		if got := graphql(viewer); !strings.Contains(got, "PERSISTED_QUERY_NOT_FOUND") {
			t.Fatalf("Viewer after a reload without it: %s", got)
		}
		// A file that cannot be used: logged, and the four stay.
		if err := os.WriteFile(path, []byte(`{"not": "a manifest"}`), 0o600); err != nil {
			t.Fatal(err)
		}
		hangup(regexp.MustCompile(`reload failed, the previous ones stay in force`))
		callDetail := `{"documentId":"` + ids["CallDetail"] + `","variables":{"uuid":"0123456789abcdef0123456789abcdef"}}`
		if got := graphql(callDetail); got != `{"data":{"call":null}}` {
			t.Fatalf("CallDetail after a failed reload: %s", got)
		}
		cancel()
		stopped = true
		select {
		case code := <-done:
			if code != 0 {
				t.Fatalf("serve exited %d: %s", code, errb.String())
			}
		case <-time.After(10 * time.Second):
			t.Fatal("serve did not stop")
		}
	})
}

// A manifest that cannot be used stops serve at start-up, before it opens
// the database: one line, exit status 2. TRUSTED_DOCUMENTS sets it too.
func TestServeRefusesBadTrustedDocuments(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.json")
	if err := os.WriteFile(broken, []byte(`{"sha256:`+strings.Repeat("0", 64)+`": "query { __typename }"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, path, want string }{
		{"a hash that is not its document's", broken, "is not the sha256 of its text"},
		{"a missing file", filepath.Join(dir, "missing.json"), "no such file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("TRUSTED_DOCUMENTS", c.path)
			r := callcfg(t, "", "", "serve", "--addr", "127.0.0.1:0", "--database-url", "postgres://nobody@127.0.0.1:1/none")
			if r.code != 2 || !strings.HasPrefix(r.stderr, "callcfg: serve: --trusted-documents: ") ||
				!strings.Contains(r.stderr, c.want) || strings.Count(r.stderr, "\n") != 0 {
				t.Fatalf("exit %d: %q", r.code, r.stderr)
			}
		})
	}
}

// The metrics know the listed names first, then the manifest's, up to the
// observer's bound; names the observer would refuse are left out.
func TestKnownOperationNames(t *testing.T) {
	docs := map[string]string{}
	add := func(name string) {
		doc := "query " + name + " { __typename }"
		docs[trusted.Hash(doc)] = doc
	}
	for i := range 250 {
		add(fmt.Sprintf("Op%03d", i))
	}
	add("Listed")
	add("L" + strings.Repeat("o", ops.MaxOperationNameChars) + "ng")
	raw, _ := json.Marshal(docs)
	m, err := trusted.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	names, dropped := knownOperationNames([]string{"Listed", "Mine"}, m)
	if len(names) != ops.MaxOperationNames || names[0] != "Listed" || names[1] != "Mine" || names[2] != "Op000" {
		t.Fatalf("%d names, starting %v", len(names), names[:3])
	}
	// 252 in the manifest: Listed already known, 198 fit, 53 do not.
	if dropped != 53 {
		t.Fatalf("dropped %d, want 53", dropped)
	}
	if err := ops.NewObserver(slog.Default(), nil).SetOperationNames(names); err != nil {
		t.Fatalf("the observer refuses them: %v", err)
	}
}
