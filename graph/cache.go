package graph

import (
	"context"
	"math"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/maypok86/otter/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/lexer"
)

// byteCache is a graphql.Cache bounded by an estimate of the bytes its
// entries hold, not by their number: a count bound lets a client that sends
// large distinct documents fill memory (1000 entries of 1 MB each), whereas
// a byte budget holds whatever mix of documents within a known size.
// Documents longer than maxDoc are not cached at all, so that one large
// document can neither push out the many small ones a frontend sends nor
// take its place in the budget; it is parsed again each time it comes.
type byteCache[T any] struct {
	entries *otter.Cache[string, T]
	maxDoc  int
	// doc is the document an entry is for: the key of the parsed-query
	// cache, the value of the APQ cache.
	doc func(key string, value T) string
}

var _ graphql.Cache[string] = (*byteCache[string])(nil)

func newByteCache[T any](budget, maxDoc int, doc func(string, T) string, weigh func(string, T) uint32) *byteCache[T] {
	return &byteCache[T]{
		entries: otter.Must(&otter.Options[string, T]{MaximumWeight: uint64(budget), Weigher: weigh}),
		maxDoc:  maxDoc,
		doc:     doc,
	}
}

func (c *byteCache[T]) Get(_ context.Context, key string) (T, bool) {
	return c.entries.GetIfPresent(key)
}

func (c *byteCache[T]) Add(_ context.Context, key string, value T) {
	if len(c.doc(key, value)) > c.maxDoc {
		return
	}
	c.entries.Set(key, value)
}

// weightedSize is the estimated bytes held, once pending evictions are done.
func (c *byteCache[T]) weightedSize() uint64 {
	c.entries.CleanUp()
	return c.entries.WeightedSize()
}

// What a cached document holds, measured with runtime.MemStats on the
// retained heap of 200 parsed and validated copies each of real queries:
// the bench's list, single and update queries (208-272 bytes of text,
// 32-40 tokens), the README's page query (462 bytes, 65 tokens) and
// GraphiQL's introspection query (1654 bytes, 180 tokens) keep 12-17 times
// their text in AST; a list of short fields keeps 25-75 times its text
// (`id id id …`), whitespace almost nothing. So the text is a poor measure
// of an AST, the tokens a good one: 76-116 bytes per token for the real
// queries, at most 228 for lists of fields, plus about 800 bytes for a
// document of a single token (`{ __typename }`). Priced at the most, real
// queries weigh 2-3 times what they hold, dense lists of fields 1.1 times
// (TestQueryWeightCoversTheAST): the budget is never exceeded, and holds
// hundreds of real queries all the same.
const (
	astBytesPerToken = 240  // the most measured, rounded up
	docOverhead      = 1024 // document, operation and selection set of even the smallest query, and the cache's entry
	apqOverhead      = 128  // the cache's entry and the key's header
)

// queryWeight estimates the bytes of one parsed-query entry: the text (the
// key, which the AST's source shares) and the AST. The parser has already
// accepted the text under the token limit, so counting its tokens again
// reads at most that many.
func queryWeight(query string, _ *ast.QueryDocument) uint32 {
	l := lexer.New(&ast.Source{Input: query})
	tokens := 0
	for {
		tok, err := l.ReadToken()
		if err != nil || tok.Kind == lexer.EOF {
			break
		}
		tokens++
	}
	return clampWeight(docOverhead + len(query) + astBytesPerToken*tokens)
}

// apqWeight estimates the bytes of one APQ entry: its hash and its text.
func apqWeight(hash, query string) uint32 {
	return clampWeight(apqOverhead + len(hash) + len(query))
}

func clampWeight(n int) uint32 {
	return uint32(min(n, math.MaxUint32))
}

// parsedQuery is an entry of the parsed-query cache: a document, and what
// the limits measured of its operations (facts.go), so that a document is
// measured once for as long as it stays parsed.
type parsedQuery struct {
	doc *ast.QueryDocument

	mu  sync.Mutex
	ops map[string]*opFacts // by operation name
}

// queryCache is the parsed-query cache: a graphql.Cache of documents for
// gqlgen, over parsedQuery entries.
type queryCache struct {
	*byteCache[*parsedQuery]
}

var _ graphql.Cache[*ast.QueryDocument] = (*queryCache)(nil)

func newQueryCache(budget, maxDoc int) *queryCache {
	return &queryCache{newByteCache(budget, maxDoc,
		func(query string, _ *parsedQuery) string { return query },
		func(query string, p *parsedQuery) uint32 {
			return clampWeight(int(queryWeight(query, p.doc)) + factsBytes*len(p.doc.Operations))
		})}
}

func (c *queryCache) Get(ctx context.Context, query string) (*ast.QueryDocument, bool) {
	p, ok := c.byteCache.Get(ctx, query)
	if !ok {
		return nil, false
	}
	return p.doc, true
}

func (c *queryCache) Add(ctx context.Context, query string, doc *ast.QueryDocument) {
	c.byteCache.Add(ctx, query, &parsedQuery{doc: doc})
}

// entry is the cache's entry of the document oc runs, or nil when the
// cache does not hold that very document (too large, evicted, replaced).
func (c *queryCache) entry(oc *graphql.OperationContext) *parsedQuery {
	p, ok := c.entries.GetIfPresent(oc.RawQuery)
	if !ok || p.doc != oc.Doc {
		return nil
	}
	return p
}
