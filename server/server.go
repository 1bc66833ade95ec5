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
	"github.com/callcfg/callcfg/rest"
)

// Config is everything `callcfg serve` can set about the handler.
type Config struct {
	PublicURL     *url.URL
	Playground    bool
	Introspection bool
	MaxBodyBytes  int64
	Logger        *slog.Logger
}

// DefaultConfig is what serve uses when no flag says otherwise.
func DefaultConfig() Config {
	return Config{Playground: true, Introspection: true, MaxBodyBytes: 1 << 20, Logger: slog.Default()}
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
	mux.Handle("/graphql", graph.New(svc, graph.Options{Introspection: cfg.Introspection, MaxBodyBytes: cfg.MaxBodyBytes, Logger: cfg.Logger}))
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
