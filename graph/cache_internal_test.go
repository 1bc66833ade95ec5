package graph

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql/introspection"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// The parsed-query and APQ caches stay within their byte budgets however
// many large distinct documents anonymous clients send, and documents
// above the cacheable size are not kept at all. Anonymous { __typename }
// queries touch no database, so no database is needed here.
func TestCachesBoundedByBytes(t *testing.T) {
	limits := Limits{QueryCacheBytes: 1 << 20, APQCacheBytes: 256 << 10, CacheableQueryBytes: 16 << 10}
	newServer := func(t *testing.T) (*handler, func(query string, apq bool)) {
		h := newHandler(nil, Options{Limits: limits, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		send := func(query string, apq bool) {
			t.Helper()
			body := map[string]any{"query": query}
			if apq {
				sum := sha256.Sum256([]byte(query))
				body["extensions"] = map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
			}
			b, _ := json.Marshal(body)
			res, err := http.Post(srv.URL, "application/json", bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK || !strings.Contains(string(raw), `":"Query"}}`) {
				t.Fatalf("%d %.300s", res.StatusCode, raw)
			}
		}
		return h, send
	}
	// doc is a distinct valid document of n bytes, padded as in the finding.
	doc := func(i, n int) string {
		q := fmt.Sprintf("{ a%d: __typename }", i)
		return q + strings.Repeat(" ", n-len(q))
	}

	t.Run("many large distinct documents", func(t *testing.T) {
		h, send := newServer(t)
		const n = 300 // 300 × 16 KiB: 4.7 MiB of text, several times both budgets
		for i := range n {
			send(doc(i, limits.CacheableQueryBytes), true)
		}
		q, a := h.queryCache.weightedSize(), h.apqCache.weightedSize()
		t.Logf("query cache %d bytes (%d entries), APQ cache %d bytes (%d entries)",
			q, h.queryCache.entries.EstimatedSize(), a, h.apqCache.entries.EstimatedSize())
		if q == 0 || q > uint64(limits.QueryCacheBytes) {
			t.Errorf("parsed-query cache holds %d bytes, budget %d", q, limits.QueryCacheBytes)
		}
		if a == 0 || a > uint64(limits.APQCacheBytes) {
			t.Errorf("APQ cache holds %d bytes, budget %d", a, limits.APQCacheBytes)
		}
	})

	t.Run("documents above the cacheable size are not kept", func(t *testing.T) {
		h, send := newServer(t)
		for i := range 3 {
			send(doc(i, limits.CacheableQueryBytes+1), true)
			send(doc(i, limits.CacheableQueryBytes+1), true)
		}
		if q, a := h.queryCache.weightedSize(), h.apqCache.weightedSize(); q != 0 || a != 0 {
			t.Fatalf("caches hold %d and %d bytes of documents above the cacheable size", q, a)
		}
	})

	t.Run("small documents are kept", func(t *testing.T) {
		h, send := newServer(t)
		q := "{ __typename }"
		send(q, true)
		if _, ok := h.queryCache.Get(t.Context(), q); !ok {
			t.Fatal("a small query was not cached")
		}
		sum := sha256.Sum256([]byte(q))
		if got, ok := h.apqCache.Get(t.Context(), hex.EncodeToString(sum[:])); !ok || got != q {
			t.Fatalf("a small persisted query was not kept: %q", got)
		}
		if w := h.queryCache.weightedSize(); w < uint64(docOverhead+len(q)) {
			t.Fatalf("weight %d of one query is less than its text and overhead", w)
		}
	})
}

// queryWeight never weighs less than what a parsed and validated document
// keeps on the heap, measured on copies of real and of dense queries.
func TestQueryWeightCoversTheAST(t *testing.T) {
	schema := NewExecutableSchema(Config{Resolvers: &Resolver{}}).Schema()
	fields := `uuid autoReassignOnDecline maxAutoReassignAttempts assignmentExpirationDays sendReminderBeforeExpiryDays created modified call { uuid name }`
	queries := map[string]string{
		"page":          `query ListConfigs { callAssignmentConfigurations(first: 20, orderBy: [{field: CREATED, direction: ASC}]) { totalCount nodes { ` + fields + ` } } }`,
		"mutation":      `mutation UpdateConfig($uuid: UUID!, $n: Int!) { updateCallAssignmentConfiguration(input: {uuid: $uuid, maxAutoReassignAttempts: $n}) { callAssignmentConfiguration { uuid maxAutoReassignAttempts modified } } }`,
		"introspection": introspection.Query,
		"typename":      `{ __typename }`,
		"dense fields":  `{ call(uuid: "00000000000000000000000000000000") { ` + strings.Repeat("id ", 500) + `} }`,
		"aliases":       "{ " + strings.Repeat("a: __typename ", 300) + "}",
	}
	for name, q := range queries {
		t.Run(name, func(t *testing.T) {
			const copies = 50
			docs := make([]*ast.QueryDocument, copies)
			before := retainedHeap()
			for i := range docs {
				doc, err := parser.ParseQuery(&ast.Source{Input: strings.Clone(q)})
				if err != nil {
					t.Fatal(err)
				}
				if errs := validator.Validate(schema, doc); len(errs) > 0 {
					t.Fatal(errs)
				}
				docs[i] = doc
			}
			held := (retainedHeap() - before) / copies
			runtime.KeepAlive(docs)
			w := int64(queryWeight(q, docs[0]))
			t.Logf("weight %d, held %d bytes (%.1f×)", w, held, float64(w)/float64(held))
			if w < held {
				t.Fatalf("weight %d, but a document holds %d bytes", w, held)
			}
		})
	}
}

func retainedHeap() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
