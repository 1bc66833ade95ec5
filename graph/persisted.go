package graph

import (
	"context"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/callcfg/callcfg/graph/trusted"
)

// Codes of persisted documents.
const (
	// CodePersistedQueryNotFound: a hash (extensions.persistedQuery or
	// documentId) the server does not know. gqlgen's APQ uses the same.
	CodePersistedQueryNotFound = "PERSISTED_QUERY_NOT_FOUND"
	// CodePersistedQueryNotInList: with trusted documents, a query whose
	// text is not one of them.
	CodePersistedQueryNotInList = "PERSISTED_QUERY_NOT_IN_LIST"
	// CodePersistedQueryNotSupported: a documentId sent to a server without
	// trusted documents. Apollo's persisted query link then stops sending
	// hashes.
	CodePersistedQueryNotSupported = "PERSISTED_QUERY_NOT_SUPPORTED"
)

// persistedDocuments resolves the document a request names before gqlgen
// parses anything. With trusted documents (store set) only the manifest's
// documents run: named by hash (extensions.persistedQuery.sha256Hash, as
// Apollo sends it, or documentId, "sha256:<hex>" or "<hex>", as the GraphQL
// over HTTP persisted documents appendix and graphql-codegen's client
// preset send it), or sent in full when their text hashes to one of them;
// schema introspection runs besides only when introspection is enabled.
// Without trusted documents it only refuses a documentId, and automatic
// persisted queries are gqlgen's extension's.
type persistedDocuments struct {
	store         *trusted.Store
	introspection bool
	tokens        int
}

var _ interface {
	graphql.OperationParameterMutator
	graphql.HandlerExtension
} = persistedDocuments{}

func (persistedDocuments) ExtensionName() string                   { return "PersistedDocuments" }
func (persistedDocuments) Validate(graphql.ExecutableSchema) error { return nil }

func persistedError(code, format string, args ...any) *gqlerror.Error {
	err := gqlerror.Errorf(format, args...)
	errcode.Set(err, code)
	return err
}

func (p persistedDocuments) MutateOperationParameters(ctx context.Context, raw *graphql.RawParams) *gqlerror.Error {
	docID := documentIDFrom(ctx)
	if p.store == nil {
		if docID != "" {
			return persistedError(CodePersistedQueryNotSupported, "This server keeps no persisted documents: send the query itself.")
		}
		return nil
	}
	hash, err := requestedHash(docID, raw.Extensions)
	if err != nil {
		return err
	}
	m := p.store.Manifest()
	if raw.Query != "" {
		sum := trusted.Hash(raw.Query)
		if hash != "" && !strings.EqualFold(hash, sum) {
			return persistedError(CodeBadRequest, "The query does not match its hash.")
		}
		if _, ok := m.Lookup(sum); ok {
			return nil
		}
		if p.introspection && introspectionOnly(raw.Query, p.tokens) {
			return nil
		}
		return persistedError(CodePersistedQueryNotInList, "This operation is not one of the server's trusted documents.")
	}
	doc, ok := m.Lookup(hash)
	if !ok {
		return persistedError(CodePersistedQueryNotFound, "PersistedQueryNotFound: no trusted document has this hash.")
	}
	raw.Query = doc
	return nil
}

// requestedHash is the sha256 hex a request names its document by, if
// any: documentId or Apollo's extensions.persistedQuery (both must agree).
func requestedHash(docID string, ext map[string]any) (string, *gqlerror.Error) {
	hash := ""
	if docID != "" {
		hex, ok := strings.CutPrefix(docID, "sha256:")
		if !ok && strings.Contains(docID, ":") {
			return "", persistedError(CodePersistedQueryNotFound, "Unknown kind of documentId: this server knows sha256:<hex>.")
		}
		hash = hex
	}
	if pq, present := ext["persistedQuery"]; present && pq != nil {
		m, ok := pq.(map[string]any)
		if !ok {
			return "", persistedError(CodeBadRequest, "extensions.persistedQuery must be an object.")
		}
		if v := fmt.Sprint(m["version"]); v != "1" {
			return "", persistedError(CodeBadRequest, "Unsupported persisted query version %s: this server knows 1.", v)
		}
		sum, ok := m["sha256Hash"].(string)
		if !ok {
			return "", persistedError(CodeBadRequest, "extensions.persistedQuery.sha256Hash must be a string.")
		}
		if hash != "" && !strings.EqualFold(hash, sum) {
			return "", persistedError(CodeBadRequest, "documentId and extensions.persistedQuery name different documents.")
		}
		hash = sum
	}
	return hash, nil
}

// introspectionOnly reports whether every operation of query is a query
// whose root fields are all __schema, __type or __typename, fragments at
// the root included: what GraphiQL and codegen's schema download send.
// Parsing is bounded by the same token limit as gqlgen's.
func introspectionOnly(query string, tokens int) bool {
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, tokens)
	if err != nil || len(doc.Operations) == 0 {
		return false
	}
	w := metaWalk{doc: doc, onPath: map[string]bool{}, ok: map[string]bool{}}
	for _, op := range doc.Operations {
		if op.Operation != ast.Query || !w.metaOnly(op.SelectionSet) {
			return false
		}
	}
	return true
}

// metaWalk checks each fragment once, so that fragments spreading each
// other twice over cost their number, not 2^n.
type metaWalk struct {
	doc    *ast.QueryDocument
	onPath map[string]bool // fragments being checked: a cycle is refused
	ok     map[string]bool // fragments found to be introspection only
}

func (w metaWalk) metaOnly(set ast.SelectionSet) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name != "__schema" && s.Name != "__type" && s.Name != "__typename" {
				return false
			}
		case *ast.InlineFragment:
			if !w.metaOnly(s.SelectionSet) {
				return false
			}
		case *ast.FragmentSpread:
			if w.ok[s.Name] {
				continue
			}
			f := w.doc.Fragments.ForName(s.Name)
			if f == nil || w.onPath[s.Name] {
				return false
			}
			w.onPath[s.Name] = true
			ok := w.metaOnly(f.SelectionSet)
			delete(w.onPath, s.Name)
			if !ok {
				return false
			}
			w.ok[s.Name] = true
		}
	}
	return true
}
