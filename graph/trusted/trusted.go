// Package trusted reads manifests of trusted documents: the operations a
// first-party frontend was built with, by the sha256 of their text, as
// graphql-codegen's client preset (persisted-documents.json) and Apollo's
// generate-persisted-query-manifest write them. A server that has one runs
// those operations only. The package knows manifests, not HTTP or gqlgen.
package trusted

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// Bounds on a manifest, so that a wrong file (a build's whole output, a
// log) is refused instead of held in every replica's memory. A frontend's
// operations are a few hundred documents of a few KB.
const (
	MaxFileBytes     = 8 << 20
	MaxDocuments     = 5000
	MaxDocumentBytes = 64 << 10
)

// apolloFormat is the format field of Apollo's persisted query manifest.
const apolloFormat = "apollo-persisted-query-manifest"

// Manifest is one loaded manifest; it never changes once made.
type Manifest struct {
	docs  map[string]string // lowercase sha256 hex → document text
	names []string          // operation names, sorted, each once
}

// Len is the number of documents.
func (m *Manifest) Len() int { return len(m.docs) }

// Lookup returns the document whose text has this sha256 (hex, either
// case).
func (m *Manifest) Lookup(hash string) (string, bool) {
	doc, ok := m.docs[strings.ToLower(hash)]
	return doc, ok
}

// OperationNames are the names of the manifest's operations, sorted.
func (m *Manifest) OperationNames() []string { return slices.Clone(m.names) }

// Hash is how a manifest keys a document: the lowercase hex sha256 of its
// text.
func Hash(doc string) string {
	sum := sha256.Sum256([]byte(doc))
	return hex.EncodeToString(sum[:])
}

// Load reads and checks the manifest at path.
func Load(path string) (*Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, MaxFileBytes)
	}
	m, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// Parse reads a manifest in either format: Apollo's
// {"format": "apollo-persisted-query-manifest", "version": 1, "operations":
// [{"id", "name", "type", "body"}]}, or graphql-codegen's object of hash
// ("sha256:<hex>" or "<hex>") to document. Every hash must be the sha256
// of its document, and every document must parse, so a manifest that does
// not match what clients send is refused whole.
func Parse(data []byte) (*Manifest, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, errors.New("not a JSON object")
	}
	docs := map[string]string{}
	if format, ok := top["format"]; ok {
		var m struct {
			Format     string `json:"format"`
			Version    int    `json:"version"`
			Operations []struct {
				ID   string `json:"id"`
				Body string `json:"body"`
			} `json:"operations"`
		}
		if err := json.Unmarshal(data, &m); err != nil || m.Format != apolloFormat {
			return nil, fmt.Errorf("format %s: want %q or an object of hashes to documents", format, apolloFormat)
		}
		if m.Version != 1 {
			return nil, fmt.Errorf("%s version %d: want 1", apolloFormat, m.Version)
		}
		if len(m.Operations) > MaxDocuments {
			return nil, fmt.Errorf("%d operations: at most %d", len(m.Operations), MaxDocuments)
		}
		for _, op := range m.Operations {
			if err := add(docs, op.ID, op.Body); err != nil {
				return nil, err
			}
		}
	} else {
		if len(top) > MaxDocuments {
			return nil, fmt.Errorf("%d documents: at most %d", len(top), MaxDocuments)
		}
		for key, raw := range top {
			var doc string
			if err := json.Unmarshal(raw, &doc); err != nil {
				return nil, fmt.Errorf("document %s: not a string", key)
			}
			if err := add(docs, strings.TrimPrefix(key, "sha256:"), doc); err != nil {
				return nil, err
			}
		}
	}
	if len(docs) == 0 {
		return nil, errors.New("no documents")
	}
	m := &Manifest{docs: docs}
	seen := map[string]bool{}
	for hash, doc := range docs {
		parsed, err := parser.ParseQuery(&ast.Source{Input: doc})
		if err != nil {
			return nil, fmt.Errorf("document %s does not parse: %s", hash, err.Error())
		}
		for _, op := range parsed.Operations {
			if op.Name != "" && !seen[op.Name] {
				seen[op.Name] = true
				m.names = append(m.names, op.Name)
			}
		}
	}
	slices.Sort(m.names)
	return m, nil
}

func add(docs map[string]string, hash, doc string) error {
	if len(doc) > MaxDocumentBytes {
		return fmt.Errorf("document %s: larger than %d bytes", hash, MaxDocumentBytes)
	}
	if want := Hash(doc); !strings.EqualFold(hash, want) {
		return fmt.Errorf("document %q: its hash is not the sha256 of its text (%s)", hash, want)
	}
	docs[strings.ToLower(hash)] = doc
	return nil
}

// Store is the manifest in force, replaced whole on Reload so that a
// request sees one manifest or the other, never a mix.
type Store struct {
	path string
	cur  atomic.Pointer[Manifest]
}

// Open loads the manifest at path.
func Open(path string) (*Store, error) {
	m, err := Load(path)
	if err != nil {
		return nil, err
	}
	s := &Store{path: path}
	s.cur.Store(m)
	return s, nil
}

// Path is the file the store reads.
func (s *Store) Path() string { return s.path }

// Manifest is the manifest in force.
func (s *Store) Manifest() *Manifest { return s.cur.Load() }

// Reload reads the file again. On any error the manifest in force stays.
func (s *Store) Reload() (*Manifest, error) {
	m, err := Load(s.path)
	if err != nil {
		return nil, err
	}
	s.cur.Store(m)
	return m, nil
}
