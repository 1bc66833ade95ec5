// Package graph is the GraphQL face for frontends: gqlgen's generated
// executor (from schema.graphqls and gqlgen.yml; never edited by hand), thin
// resolvers that translate between GraphQL and the core, the batching
// loaders of one request, the transports, limits and the one place where
// errors become GraphQL errors (errors.go). Rules are the core's; it imports
// no storage.
package graph

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	gqlhandler "github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/feed"
	"github.com/callcfg/callcfg/graph/model"
	"github.com/callcfg/callcfg/graph/trusted"
	"github.com/callcfg/callcfg/links"
)

// Options configure the GraphQL face.
type Options struct {
	// Introspection answers schema queries, anonymously too, so that the
	// playground can load its docs before a key is pasted.
	Introspection bool
	// Suggestions lets validation errors say "Did you mean …?". Like
	// introspection, it reveals the schema.
	Suggestions bool
	// PublicURL, when set, is the scheme and host of absolute links (a
	// call's url); otherwise they come from the request.
	PublicURL *url.URL
	// MaxBodyBytes bounds a POST body, and the parameters of a GET; larger
	// ones get 413.
	MaxBodyBytes int64
	Limits       Limits
	Logger       *slog.Logger
	// TrustedDocuments, when set, is the allow-list of operations: only
	// its documents run (and introspection, when enabled); automatic
	// persisted queries are off. Reloading the store takes effect at once.
	TrustedDocuments *trusted.Store
	// OnOperation, when set, hears of every executed operation: its name,
	// type and outcome ("ok" or the first error's extensions.code), for
	// metrics. A subscription is heard of when it is refused or ends with
	// an error, not at each change it delivers.
	OnOperation func(name, opType, outcome string)
	// Feed, when set, runs subscriptions: over WebSocket and Server-Sent
	// Events on the same path. Without it, neither transport is served.
	Feed *feed.Hub
	// Origins may open a WebSocket from a browser page besides the
	// server's own origin (the CORS origins; "*" any).
	Origins []string
	// KeepAlive is how often a quiet stream is pinged; zero takes
	// DefaultKeepAlive.
	KeepAlive time.Duration
}

// Limits bound what one request may cost. Zero fields take the defaults.
type Limits struct {
	// Complexity: each field costs 1 plus its children, a connection costs
	// its page size (first or last, else 20) times its children, and each
	// totalCount TotalCountCost.
	Complexity int
	// Depth of nested fields, not counting introspection.
	Depth int
	// Tokens the parser reads before giving up on a query.
	Tokens int
	// RootFields bounds the root fields of one operation: distinct response
	// keys (aliases count) once fragments are expanded, introspection and
	// __typename included.
	RootFields int
	// QueryCacheBytes bounds the parsed-query cache by the estimated bytes
	// of its entries (text and AST; see queryWeight).
	QueryCacheBytes int
	// APQCacheBytes bounds the automatic persisted queries kept, by their
	// bytes. Entries are addressed by hash, so a replica missing one just
	// asks the client to send the query again: an in-process cache is
	// enough.
	APQCacheBytes int
	// CacheableQueryBytes: longer documents are neither kept parsed nor
	// persisted; they are parsed on every request.
	CacheableQueryBytes int
}

// DefaultLimits let a 300-item page of configurations with their calls and
// effective settings through, and little more. The caches hold hundreds of
// real queries (a page query weighs 10-20 KB by queryWeight) in at most
// 10 MiB: a frontend's few dozen operations fit many times over, and a
// client sending distinct documents cannot make them hold more.
var DefaultLimits = Limits{
	Complexity: 25000, Depth: 10, Tokens: 5000, RootFields: 20,
	QueryCacheBytes: 8 << 20, APQCacheBytes: 2 << 20, CacheableQueryBytes: 16 << 10,
}

// DefaultMaxBodyBytes applies when Options.MaxBodyBytes is zero. GraphQL
// requests are small: the queries of a frontend, with a few variables, are
// a few KB; 64 KiB leaves room for the largest and bounds what each request
// makes the server read, decode and parse.
const DefaultMaxBodyBytes = 64 << 10

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.Complexity, DefaultLimits.Complexity)
	def(&l.Depth, DefaultLimits.Depth)
	def(&l.Tokens, DefaultLimits.Tokens)
	def(&l.RootFields, DefaultLimits.RootFields)
	def(&l.QueryCacheBytes, DefaultLimits.QueryCacheBytes)
	def(&l.APQCacheBytes, DefaultLimits.APQCacheBytes)
	def(&l.CacheableQueryBytes, DefaultLimits.CacheableQueryBytes)
	return l
}

// handler serves /graphql; its caches are fields so that tests can weigh
// them.
type handler struct {
	srv        *gqlhandler.Server
	svc        *core.Service
	hub        *feed.Hub
	opts       Options
	queryCache *queryCache
	apqCache   *byteCache[string]
	links      links.Base
}

// New returns the handler of /graphql.
func New(svc *core.Service, opts Options) http.Handler {
	return newHandler(svc, opts)
}

func newHandler(svc *core.Service, opts Options) *handler {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	limits := opts.Limits.withDefaults()

	cfg := Config{Resolvers: &Resolver{svc: svc, hub: opts.Feed}}
	setComplexity(&cfg)

	h := &handler{
		svc:        svc,
		hub:        opts.Feed,
		opts:       opts,
		links:      links.NewBase(opts.PublicURL),
		queryCache: newQueryCache(limits.QueryCacheBytes, limits.CacheableQueryBytes),
		apqCache: newByteCache(limits.APQCacheBytes, limits.CacheableQueryBytes,
			func(_, query string) string { return query }, apqWeight),
	}
	srv := gqlhandler.New(NewExecutableSchema(cfg))
	h.srv = srv
	if h.hub != nil {
		// Before httpTransport, which claims every request without an
		// Upgrade header.
		keepAlive := opts.KeepAlive
		if keepAlive <= 0 {
			keepAlive = DefaultKeepAlive
		}
		srv.AddTransport(newWSTransport(h, keepAlive))
		srv.AddTransport(sseTransport{sse: transport.SSE{KeepAlivePingInterval: keepAlive}, maxBytes: opts.MaxBodyBytes})
	}
	// GET serves queries only (see httpTransport), so a link or a prefetch
	// can never change data.
	srv.AddTransport(httpTransport{maxBytes: opts.MaxBodyBytes})
	srv.AddTransport(transport.Options{AllowedMethods: []string{http.MethodGet, http.MethodPost, http.MethodOptions}})
	srv.SetQueryCache(h.queryCache)
	srv.SetParserTokenLimit(limits.Tokens)
	srv.SetDisableSuggestion(!opts.Suggestions)
	if opts.Introspection {
		srv.Use(extension.Introspection{})
	}
	// Before anything else reads the query: with trusted documents, what
	// is not one of them is refused unparsed.
	srv.Use(persistedDocuments{store: opts.TrustedDocuments, introspection: opts.Introspection, tokens: limits.Tokens})
	if opts.TrustedDocuments == nil {
		srv.Use(extension.AutomaticPersistedQuery{Cache: h.apqCache})
	}
	// The limits measure each cached document once (facts.go).
	facts := docFacts{cache: h.queryCache}
	srv.Use(&complexityLimit{max: limits.Complexity, facts: facts})
	srv.Use(depthLimit{max: limits.Depth, facts: facts})
	srv.Use(rootFieldLimit{max: limits.RootFields, facts: facts})
	p := presenter{log: opts.Logger}
	srv.SetErrorPresenter(p.present)
	srv.SetRecoverFunc(p.recover)
	srv.AroundRootFields(rootGuard{introspection: opts.Introspection}.around)
	if opts.OnOperation != nil {
		srv.AroundResponses(observe(opts.OnOperation))
	}
	// Inside observe, which then sees a subscription's last error.
	srv.AroundOperations(subscriptionOperations)
	srv.AroundResponses(subscriptionResponses)

	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := newRequest(h.svc, r)
	// Links (a call's url) are written with this request's base.
	ctx := model.WithLinkBase(req.context(r.Context()), h.links.Of(r))
	h.srv.ServeHTTP(w, r.WithContext(ctx))
}

// observe reports each operation's outcome once its response is complete.
func observe(report func(name, opType, outcome string)) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		resp := next(ctx)
		if resp == nil || !graphql.HasOperationContext(ctx) {
			return resp
		}
		oc := graphql.GetOperationContext(ctx)
		// The executed operation's own name, whether or not the client
		// repeated it in operationName; the observer decides whether a
		// name may become a label.
		name, opType := oc.OperationName, "unknown"
		if oc.Operation != nil {
			name, opType = oc.Operation.Name, string(oc.Operation.Operation)
		}
		if oc.Operation != nil && oc.Operation.Operation == ast.Subscription && len(resp.Errors) == 0 {
			// A change delivered, not an operation: the feed counts those.
			return resp
		}
		outcome := "ok"
		if len(resp.Errors) > 0 {
			outcome = "error"
			if code, ok := resp.Errors[0].Extensions["code"].(string); ok {
				outcome = code
			}
		}
		report(name, opType, outcome)
		return resp
	}
}

// pageComplexity makes a connection cost its page size times its children,
// so the limit bounds the rows a query can make the server render.
func pageComplexity(child int, first, last *int) int {
	n := core.DefaultPageSize
	switch {
	case first != nil:
		n = *first
	case last != nil:
		n = *last
	}
	// Anything above the maximum is refused by the core anyway; clamping
	// keeps the product from overflowing.
	n = max(1, min(n, core.MaxPageSize+1))
	return 1 + n*child
}

// CodeIntrospectionDisabled is extensions.code of a schema query refused
// because introspection is switched off.
const CodeIntrospectionDisabled = "INTROSPECTION_DISABLED"

// rootGuard makes every data field need an authenticated user, whatever its
// resolver does; introspection (__schema, __type) is answered to anyone
// when enabled, and refused with a clear error when not; __typename always.
type rootGuard struct{ introspection bool }

func (g rootGuard) around(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	fc := graphql.GetRootFieldContext(ctx)
	if fc == nil {
		return next(ctx)
	}
	switch name := fc.Field.Name; {
	case name == "__typename":
		return next(ctx)
	case strings.HasPrefix(name, "__"):
		if g.introspection {
			return next(ctx)
		}
		err := gqlerror.Errorf("Introspection is disabled on this server.")
		errcode.Set(err, CodeIntrospectionDisabled)
		return refuse(ctx, fc, err)
	}
	if _, err := actor(ctx); err != nil {
		return refuse(ctx, fc, err)
	}
	return next(ctx)
}

// refuse reports err on a root field, which has no path context of its
// own: name it, so the client knows which field failed.
func refuse(ctx context.Context, fc *graphql.RootFieldContext, err error) graphql.Marshaler {
	gerr := gqlerror.WrapPath(ast.Path{ast.PathName(fc.Field.Alias)}, err)
	var own *gqlerror.Error
	if errors.As(err, &own) {
		gerr = own
		gerr.Path = ast.Path{ast.PathName(fc.Field.Alias)}
	}
	if pos := fc.Field.Position; pos != nil {
		gerr.Locations = []gqlerror.Location{{Line: pos.Line, Column: pos.Column}}
	}
	graphql.AddError(ctx, gerr)
	return graphql.Null
}

// CodeRequestTooLarge is extensions.code of a request over the size limit
// (HTTP 413).
const CodeRequestTooLarge = "REQUEST_TOO_LARGE"
