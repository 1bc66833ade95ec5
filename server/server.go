// Package server puts the faces together into one HTTP handler: the REST
// API, GraphQL, the playground and the operations endpoints, behind the
// middleware every request passes (request ids, logs, metrics, CORS,
// allowed hosts, the request deadline). It decides nothing about a request
// itself; settings are parsed by cmd/callcfg and arrive as Config.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/feed"
	"github.com/callcfg/callcfg/graph"
	"github.com/callcfg/callcfg/graph/playground"
	"github.com/callcfg/callcfg/graph/trusted"
	"github.com/callcfg/callcfg/ops"
	"github.com/callcfg/callcfg/rest"
)

// Config is everything `callcfg serve` can set about the handler.
type Config struct {
	PublicURL *url.URL
	// Playground serves GraphiQL at /graphiql, and redirects / there.
	Playground bool
	// Introspection answers GraphQL schema queries, anonymously too.
	Introspection bool
	// Suggestions lets GraphQL validation errors say "Did you mean …?";
	// like introspection it reveals the schema, so production deployments
	// that turn one off usually turn off both.
	Suggestions bool
	// MaxBodyBytes bounds a REST request body.
	MaxBodyBytes int64
	// GraphQLMaxBodyBytes bounds a GraphQL POST body and a GET's
	// parameters; zero takes graph.DefaultMaxBodyBytes.
	GraphQLMaxBodyBytes int64
	// GraphQLLimits bound the cost of one GraphQL request; zero fields take
	// graph.DefaultLimits.
	GraphQLLimits graph.Limits
	Logger        *slog.Logger
	// RequestTimeout bounds the database work of one request: while the
	// database is unreachable, requests fail after this long (503 /
	// UNAVAILABLE) instead of piling up.
	RequestTimeout time.Duration
	// CORSOrigins may call the API from a browser on another origin.
	CORSOrigins []string
	// AllowedHosts are the Host header values answered; others get 400.
	// Empty allows any.
	AllowedHosts []string
	// Draining, when it reports true, makes /readyz answer 503 so that a
	// load balancer stops routing here before the listener closes.
	Draining func() bool
	// Observer logs and counts requests; New makes one when nil.
	Observer *ops.Observer
	// PublicMetrics serves /metrics on this handler too. Off by default:
	// the metrics describe the deployment to whoever asks, and serving them
	// costs CPU an anonymous client should not be able to spend; operators
	// scrape the admin listener instead.
	PublicMetrics bool

	// TrustedDocuments, when set, are the only GraphQL operations run.
	TrustedDocuments *trusted.Store

	// Feed, when set, serves GraphQL subscriptions over WebSocket and
	// Server-Sent Events on /graphql; its owner runs and stops it.
	Feed *feed.Hub
	// StreamKeepAlive is how often a quiet subscription stream is pinged;
	// zero takes graph.DefaultKeepAlive.
	StreamKeepAlive time.Duration
}

// DefaultConfig is what serve uses when no flag says otherwise.
func DefaultConfig() Config {
	return Config{
		Playground: true, Introspection: true, Suggestions: true, MaxBodyBytes: 1 << 20,
		GraphQLMaxBodyBytes: graph.DefaultMaxBodyBytes, GraphQLLimits: graph.DefaultLimits, Logger: slog.Default(), RequestTimeout: 5 * time.Second,
	}
}

// New builds the service's HTTP handler.
func New(svc *core.Service, cfg Config) http.Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.Logger = slog.New(ops.WithRequestIDs(cfg.Logger.Handler()))
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultConfig().RequestTimeout
	}
	if cfg.Observer == nil {
		cfg.Observer = ops.NewObserver(cfg.Logger, svc.DB())
	}
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", ops.Healthz())
	mux.Handle("GET /readyz", ops.Readyz(svc.DB(), cfg.RequestTimeout, cfg.Draining))
	if cfg.PublicMetrics {
		mux.Handle("GET /metrics", cfg.Observer.MetricsHandler())
	}
	restHandler := rest.New(svc, rest.Options{PublicURL: cfg.PublicURL, MaxBodyBytes: cfg.MaxBodyBytes, Logger: cfg.Logger})
	mux.Handle("/api/", restHandler)
	mux.Handle("/api", restHandler)
	mux.Handle("/api-auth/", restHandler)
	mux.Handle("/graphql", graph.New(svc, graph.Options{
		Introspection: cfg.Introspection,
		Suggestions:   cfg.Suggestions,
		PublicURL:     cfg.PublicURL,
		MaxBodyBytes:  cfg.GraphQLMaxBodyBytes,
		Limits:        cfg.GraphQLLimits,
		Logger:        cfg.Logger,
		OnOperation:   cfg.Observer.ObserveGraphQL,

		TrustedDocuments: cfg.TrustedDocuments,
		Feed:             cfg.Feed,
		Origins:          cfg.CORSOrigins,
		KeepAlive:        cfg.StreamKeepAlive,
	}))
	if cfg.Playground {
		pg := playground.Handler(playground.Options{Endpoint: "/graphql", Title: "callcfg GraphiQL", BasePath: "/graphiql"})
		mux.Handle("/graphiql", pg)
		mux.Handle("/graphiql/", pg)
		// The root has nothing else to show a person with a browser.
		mux.Handle("GET /{$}", http.RedirectHandler("/graphiql", http.StatusFound))
	}
	// The observer wraps the mux directly: ServeMux names the matched route
	// on the very request it is handed, which the observer then reads.
	return deadline(cfg.RequestTimeout, ops.CORS(cfg.CORSOrigins, cfg.Observer.Middleware(ops.AllowedHosts(cfg.AllowedHosts, mux))))
}

// deadline bounds each request's context, and so every database call made
// for it. A stream (a subscription's WebSocket or Server-Sent Events) lasts
// as long as its client wants: its database work is bounded statement by
// statement instead.
func deadline(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/graphql" && graph.IsStream(r) {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
