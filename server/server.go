// Package server puts the faces together into one HTTP handler: the REST
// API, GraphQL, the playground and health checks.
package server

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/graph"
	"github.com/callcfg/callcfg/graph/playground"
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
	Suggestions  bool
	MaxBodyBytes int64
	// GraphQLLimits bound the cost of one GraphQL request; zero fields take
	// graph.DefaultLimits.
	GraphQLLimits graph.Limits
	Logger        *slog.Logger
}

// DefaultConfig is what serve uses when no flag says otherwise.
func DefaultConfig() Config {
	return Config{
		Playground: true, Introspection: true, Suggestions: true, MaxBodyBytes: 1 << 20,
		GraphQLLimits: graph.DefaultLimits, Logger: slog.Default(),
	}
}

// New builds the service's HTTP handler.
func New(svc *core.Service, cfg Config) http.Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	restHandler := rest.New(svc, rest.Options{PublicURL: cfg.PublicURL, MaxBodyBytes: cfg.MaxBodyBytes, Logger: cfg.Logger})
	mux.Handle("/api/", restHandler)
	mux.Handle("/api", restHandler)
	mux.Handle("/api-auth/", restHandler)
	mux.Handle("/graphql", graph.New(svc, graph.Options{
		Introspection: cfg.Introspection,
		Suggestions:   cfg.Suggestions,
		PublicURL:     cfg.PublicURL,
		MaxBodyBytes:  cfg.MaxBodyBytes,
		Limits:        cfg.GraphQLLimits,
		Logger:        cfg.Logger,
	}))
	if cfg.Playground {
		pg := playground.Handler(playground.Options{Endpoint: "/graphql", Title: "callcfg GraphiQL", BasePath: "/graphiql"})
		mux.Handle("/graphiql", pg)
		mux.Handle("/graphiql/", pg)
		// The root has nothing else to show a person with a browser.
		mux.Handle("GET /{$}", http.RedirectHandler("/graphiql", http.StatusFound))
	}
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
