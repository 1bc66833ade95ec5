package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/uptrace/bun"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/db"
	"github.com/callcfg/callcfg/ops"
	"github.com/callcfg/callcfg/server"
)

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func envBool(name string, def bool) bool {
	if v, err := strconv.ParseBool(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// serveFlags are the settings of serve that are not the handler's.
type serveFlags struct {
	addr, publicURL, adminAddr, logFormat, logLevel, cors string
	operationNames                                        string
	demo                                                  bool
	dbMaxConns                                            int
	readHeaderTimeout, readTimeout, writeTimeout          time.Duration
	idleTimeout, shutdownTimeout                          time.Duration
}

func serve(ctx context.Context, env *cmdEnv, args []string) error {
	fs, dbURL := newFlags(env, "serve")
	cfg := server.DefaultConfig()
	var f serveFlags
	fs.StringVar(&f.addr, "addr", envOr("ADDR", "127.0.0.1:8080"), "listen address (env ADDR)")
	fs.StringVar(&f.publicURL, "public-url", os.Getenv("PUBLIC_URL"), "scheme://host[:port] of absolute links when behind a proxy (env PUBLIC_URL)")
	fs.BoolVar(&f.demo, "demo", false, "seed demo data on an empty database and print demo API keys")
	fs.BoolVar(&cfg.Playground, "playground", envBool("PLAYGROUND", cfg.Playground), "serve GraphiQL at /graphiql (env PLAYGROUND)")
	fs.BoolVar(&cfg.Introspection, "introspection", envBool("INTROSPECTION", cfg.Introspection), "answer GraphQL introspection (env INTROSPECTION)")
	fs.BoolVar(&cfg.Suggestions, "suggestions", envBool("SUGGESTIONS", cfg.Suggestions), `GraphQL validation errors may say "Did you mean …?" (env SUGGESTIONS)`)
	fs.IntVar(&cfg.GraphQLLimits.Complexity, "graphql-complexity", envInt("GRAPHQL_COMPLEXITY", cfg.GraphQLLimits.Complexity), "GraphQL complexity limit; a connection costs its page size times its children, a totalCount 1000 (env GRAPHQL_COMPLEXITY)")
	fs.IntVar(&cfg.GraphQLLimits.Depth, "graphql-depth", envInt("GRAPHQL_DEPTH", cfg.GraphQLLimits.Depth), "GraphQL depth limit (env GRAPHQL_DEPTH)")
	fs.IntVar(&cfg.GraphQLLimits.Tokens, "graphql-tokens", envInt("GRAPHQL_TOKENS", cfg.GraphQLLimits.Tokens), "GraphQL parser token limit (env GRAPHQL_TOKENS)")
	fs.IntVar(&cfg.GraphQLLimits.RootFields, "graphql-root-fields", envInt("GRAPHQL_ROOT_FIELDS", cfg.GraphQLLimits.RootFields), "most root fields of one GraphQL operation, aliases and introspection included (env GRAPHQL_ROOT_FIELDS)")
	fs.Int64Var(&cfg.GraphQLMaxBodyBytes, "graphql-max-body-bytes", int64(envInt("GRAPHQL_MAX_BODY_BYTES", int(cfg.GraphQLMaxBodyBytes))), "largest GraphQL request body, or GET parameters; larger ones get 413 (env GRAPHQL_MAX_BODY_BYTES)")
	fs.StringVar(&f.operationNames, "graphql-operation-names", os.Getenv("GRAPHQL_OPERATION_NAMES"), "comma-separated GraphQL operation names counted by name in the metrics; others count as \"other\" (env GRAPHQL_OPERATION_NAMES)")
	fs.Int64Var(&cfg.MaxBodyBytes, "max-body-bytes", int64(envInt("MAX_BODY_BYTES", int(cfg.MaxBodyBytes))), "largest REST request body; larger ones get 413 (env MAX_BODY_BYTES)")
	fs.DurationVar(&cfg.RequestTimeout, "request-timeout", envDuration("REQUEST_TIMEOUT", cfg.RequestTimeout), "bound on a request's database work; past it, 503 / UNAVAILABLE (env REQUEST_TIMEOUT)")
	fs.StringVar(&f.cors, "cors-origins", os.Getenv("CORS_ORIGINS"), "comma-separated origins allowed to call the API from a browser, or * (env CORS_ORIGINS)")
	fs.StringVar(&f.logFormat, "log-format", envOr("LOG_FORMAT", "text"), "text or json (env LOG_FORMAT)")
	fs.StringVar(&f.logLevel, "log-level", envOr("LOG_LEVEL", "info"), "debug, info (one line per request), warn or error (env LOG_LEVEL)")
	fs.StringVar(&f.adminAddr, "admin-addr", os.Getenv("ADMIN_ADDR"), "listen address of the admin listener with pprof and metrics; off when empty (env ADMIN_ADDR)")
	fs.BoolVar(&cfg.PublicMetrics, "public-metrics", envBool("PUBLIC_METRICS", false), "also serve /metrics on --addr (env PUBLIC_METRICS)")
	fs.IntVar(&f.dbMaxConns, "db-max-conns", envInt("DB_MAX_CONNS", 0), "PostgreSQL connections per replica; 0 picks 4 per core (env DB_MAX_CONNS)")
	fs.DurationVar(&f.readHeaderTimeout, "read-header-timeout", envDuration("READ_HEADER_TIMEOUT", 10*time.Second), "(env READ_HEADER_TIMEOUT)")
	fs.DurationVar(&f.readTimeout, "read-timeout", envDuration("READ_TIMEOUT", 30*time.Second), "(env READ_TIMEOUT)")
	fs.DurationVar(&f.writeTimeout, "write-timeout", envDuration("WRITE_TIMEOUT", 60*time.Second), "(env WRITE_TIMEOUT)")
	fs.DurationVar(&f.idleTimeout, "idle-timeout", envDuration("IDLE_TIMEOUT", 120*time.Second), "keep-alive idle timeout (env IDLE_TIMEOUT)")
	fs.DurationVar(&f.shutdownTimeout, "shutdown-timeout", envDuration("SHUTDOWN_TIMEOUT", 20*time.Second), "time given to requests in flight on SIGTERM (env SHUTDOWN_TIMEOUT)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg.CORSOrigins = ops.ParseOrigins(f.cors)
	operationNames, err := ops.ParseOperationNames(f.operationNames)
	if err != nil {
		return usageError{"serve: --graphql-operation-names: " + err.Error()}
	}
	if f.publicURL != "" {
		u, err := url.Parse(f.publicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usageError{fmt.Sprintf("serve: --public-url %q: want http(s)://host[:port]", f.publicURL)}
		}
		cfg.PublicURL = u
	}
	logger, err := newLogger(env.stderr, f.logFormat, f.logLevel)
	if err != nil {
		return err
	}
	cfg.Logger = logger

	bdb, err := db.Open(ctx, *dbURL, db.Options{MaxOpenConns: f.dbMaxConns, Timeout: cfg.RequestTimeout})
	if err != nil {
		return err
	}
	defer bdb.Close()
	applied, err := db.Migrate(ctx, bdb)
	if err != nil {
		return err
	}
	for _, m := range applied {
		logger.Info("applied migration", "name", m)
	}
	svc := core.New(bdb)

	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %v", f.addr, err)
	}
	base := "http://" + ln.Addr().String()
	if cfg.PublicURL != nil {
		base = cfg.PublicURL.String()
	}
	if f.demo {
		data, err := svc.SeedDemo(ctx)
		if err != nil {
			ln.Close()
			return err
		}
		printDemo(env, base, data)
	}

	cfg.Observer = ops.NewObserver(logger, bdb)
	if err := cfg.Observer.SetOperationNames(operationNames); err != nil {
		return err // checked above already
	}
	srv := &http.Server{
		Handler:           server.New(svc, cfg),
		ReadHeaderTimeout: f.readHeaderTimeout,
		ReadTimeout:       f.readTimeout,
		WriteTimeout:      f.writeTimeout,
		IdleTimeout:       f.idleTimeout,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	logger.Info("listening", "addr", ln.Addr().String(), "database", dbKind(bdb), "graphiql", cfg.Playground)
	if f.adminAddr != "" {
		admin, err := startAdmin(f.adminAddr, cfg.Observer, errc)
		if err != nil {
			return err
		}
		defer admin.Close()
		logger.Info("admin listener (pprof, metrics)", "addr", admin.Addr)
	} else if !cfg.PublicMetrics {
		logger.Info("metrics are not served: set --admin-addr (or --public-metrics)")
	}

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down: finishing requests in flight")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), f.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %v", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func dbKind(bdb *bun.DB) string {
	if db.IsPostgres(bdb) {
		return "postgres"
	}
	return "sqlite"
}

func printDemo(env *cmdEnv, base string, d *core.DemoData) {
	w := env.stdout
	if d.Seeded {
		fmt.Fprintln(w, "Demo data seeded: 1 organisation, 3 calls, 1 configuration, users admin (staff), manager, reviewer.")
	} else {
		fmt.Fprintln(w, "The database already has data: nothing seeded; fresh keys for the demo users that exist:")
	}
	for _, name := range core.DemoUsers {
		if key, ok := d.Tokens[name]; ok {
			fmt.Fprintf(w, "  %-9s %s\n", name, key)
		}
	}
	key := d.Tokens["admin"]
	if key == "" {
		return
	}
	fmt.Fprintf(w, `
Try it:
  curl -s -H 'Authorization: Token %[2]s' %[1]s/api/call-assignment-configurations/
  curl -s -X PATCH -H 'Authorization: Token %[2]s' -H 'Content-Type: application/json' \
       -d '{"max_auto_reassign_attempts": 5}' %[1]s/api/call-assignment-configurations/%[3]s/
  curl -s -H 'Authorization: Token %[2]s' -H 'Content-Type: application/json' \
       -d '{"query":"{ callAssignmentConfigurations(first: 10) { totalCount nodes { uuid maxAutoReassignAttempts call { uuid name state } } } }"}' %[1]s/graphql
GraphiQL: %[1]s/graphiql (paste {"Authorization": "Token %[2]s"} into its Headers tab)
`, base, key, d.ConfigUUID)
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError{fmt.Sprintf("serve: --log-level %q: want debug, info, warn or error", level)}
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usageError{fmt.Sprintf("serve: --log-format %q: want text or json", format)}
}

// startAdmin serves pprof and the metrics on a listener of their own, off by
// default: profiles reveal internals and cost CPU, so they stay off the
// public port.
func startAdmin(addr string, o *ops.Observer, errc chan<- error) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("admin listener on %s: %v", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.Handle("/metrics", o.MetricsHandler())
	srv := &http.Server{Handler: mux, Addr: ln.Addr().String(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
	}()
	return srv, nil
}
