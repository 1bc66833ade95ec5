package trusted_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/callcfg/callcfg/graph/trusted"
)

const fixtures = "../testdata/trusted/"

// operationNames are the operations of the frontend's .graphql files, from
// which scripts/trusted-documents.sh generated both manifests.
func operationNames(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob(fixtures + "*.graphql")
	var names []string
	re := regexp.MustCompile(`(?m)^(?:query|mutation)\s+(\w+)`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			names = append(names, m[1])
		}
	}
	slices.Sort(names)
	if len(names) < 5 {
		t.Fatalf("only %d operations in %s", len(names), fixtures)
	}
	return names
}

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// The manifests that graphql-codegen's client preset and Apollo's
// generator wrote for the fixtures' operations load, and every hash in them
// is recomputed here from its document, independently of Parse, so that a
// fixture edited by hand or generated some other way fails.
func TestGeneratedManifests(t *testing.T) {
	want := operationNames(t)
	t.Run("graphql-codegen client preset", func(t *testing.T) {
		raw, err := os.ReadFile(fixtures + "persisted-documents.json")
		if err != nil {
			t.Fatal(err)
		}
		var docs map[string]string
		if err := json.Unmarshal(raw, &docs); err != nil {
			t.Fatal(err)
		}
		m, err := trusted.Load(fixtures + "persisted-documents.json")
		if err != nil {
			t.Fatal(err)
		}
		if m.Len() != len(docs) || len(docs) != len(want) {
			t.Fatalf("%d documents loaded, %d in the file, %d operations", m.Len(), len(docs), len(want))
		}
		for key, doc := range docs {
			if key != "sha256:"+sum(doc) {
				t.Errorf("%s is not sha256: of its document", key)
			}
			if got, ok := m.Lookup(strings.TrimPrefix(key, "sha256:")); !ok || got != doc {
				t.Errorf("%s: not found by its hash", key)
			}
		}
		if got := m.OperationNames(); !slices.Equal(got, want) {
			t.Errorf("operation names %v, want %v", got, want)
		}
	})
	t.Run("Apollo persisted query manifest", func(t *testing.T) {
		raw, err := os.ReadFile(fixtures + "persisted-query-manifest.json")
		if err != nil {
			t.Fatal(err)
		}
		var man struct {
			Operations []struct{ ID, Name, Type, Body string }
		}
		if err := json.Unmarshal(raw, &man); err != nil {
			t.Fatal(err)
		}
		m, err := trusted.Load(fixtures + "persisted-query-manifest.json")
		if err != nil {
			t.Fatal(err)
		}
		if m.Len() != len(man.Operations) || len(man.Operations) != len(want) {
			t.Fatalf("%d documents loaded, %d in the file, %d operations", m.Len(), len(man.Operations), len(want))
		}
		var names []string
		for _, op := range man.Operations {
			if op.ID != sum(op.Body) {
				t.Errorf("%s: id is not the sha256 of its body", op.Name)
			}
			if got, ok := m.Lookup(op.ID); !ok || got != op.Body {
				t.Errorf("%s: not found by its id", op.Name)
			}
			names = append(names, op.Name)
		}
		slices.Sort(names)
		if got := m.OperationNames(); !slices.Equal(got, want) || !slices.Equal(names, want) {
			t.Errorf("operation names %v (file: %v), want %v", got, names, want)
		}
	})
}

func TestParseRefuses(t *testing.T) {
	doc := "query Q { __typename }"
	big := "query Big { __typename }" + strings.Repeat(" ", trusted.MaxDocumentBytes)
	many := map[string]string{}
	for i := range trusted.MaxDocuments + 1 {
		d := "query Q" + strings.Repeat("x", i%7) + " { __typename } # " + string(rune('a'+i%26)) + strings.Repeat(" ", i)
		many[sum(d)] = d
	}
	manyJSON, _ := json.Marshal(many)
	cases := []struct {
		name, manifest, want string
	}{
		{"not JSON", `{`, "not a JSON object"},
		{"an array", `[]`, "not a JSON object"},
		{"empty", `{}`, "no documents"},
		{"a value that is not a document", `{"` + sum(doc) + `": 5}`, "not a string"},
		{"a hash that is not its document's", `{"sha256:` + strings.Repeat("0", 64) + `": "` + doc + `"}`, "is not the sha256 of its text"},
		{"a sha1 hash", `{"` + strings.Repeat("0", 40) + `": "` + doc + `"}`, "is not the sha256 of its text"},
		{"a document that does not parse", `{"` + sum("query {") + `": "query {"}`, "does not parse"},
		{"a document too large", `{"` + sum(big) + `": "` + big + `"}`, "larger than"},
		{"too many documents", string(manyJSON), "at most 5000"},
		{"another format", `{"format": "relay", "version": 1, "operations": []}`, "want \"apollo-persisted-query-manifest\""},
		{"another Apollo version", `{"format": "apollo-persisted-query-manifest", "version": 2, "operations": []}`, "version 2: want 1"},
		{"an Apollo id that is not its body's", `{"format": "apollo-persisted-query-manifest", "version": 1, "operations": [{"id": "` +
			strings.Repeat("a", 64) + `", "name": "Q", "type": "query", "body": "` + doc + `"}]}`, "is not the sha256 of its text"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := trusted.Parse([]byte(c.manifest))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Parse: %v, want an error containing %q", err, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("the error is not one line: %q", err)
			}
		})
	}
}

// Reload replaces the manifest whole, and a file that cannot be used
// leaves the one in force.
func TestStoreReload(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "manifest.json")
	write := func(docs ...string) {
		m := map[string]string{}
		for _, d := range docs {
			m["sha256:"+sum(d)] = d
		}
		b, _ := json.Marshal(m)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	a, b := "query A { __typename }", "query B { __typename }"
	write(a)
	s, err := trusted.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	write(b)
	if _, err := s.Reload(); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Manifest().Lookup(sum(a)); ok {
		t.Fatal("A is still trusted after the reload")
	}
	if _, ok := s.Manifest().Lookup(sum(b)); !ok {
		t.Fatal("B is not trusted after the reload")
	}
	if err := os.WriteFile(path, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Reload(); err == nil {
		t.Fatal("a broken file reloaded")
	}
	if _, ok := s.Manifest().Lookup(sum(b)); !ok || !slices.Equal(s.Manifest().OperationNames(), []string{"B"}) {
		t.Fatal("a failed reload changed the documents in force")
	}
	if err := os.WriteFile(path, make([]byte, trusted.MaxFileBytes+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Reload(); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("a file over the bound: %v", err)
	}
	if _, err := trusted.Open(filepath.Join(dir, "missing.json")); err == nil {
		t.Fatal("a missing file opened")
	}
}
