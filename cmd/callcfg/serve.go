package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"os"
	"strconv"
	"sync/atomic"
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

func envFloat(name string, def float64) float64 {
	if v, err := strconv.ParseFloat(os.Getenv(name), 64); err == nil {
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
	allowedHosts                                          string
	operationNames                                        string
	demo                                                  bool
	dbMaxConns, rateBurst                                 int
	rateLimit                                             float64
	readHeaderTimeout, readTimeout, writeTimeout          time.Duration
	idleTimeout, shutdownTimeout, drainDelay              time.Duration
}

func serve(ctx context.Context, env *cmdEnv, args []string) error {
	fs, dbf := newFlags(env, "serve")
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
	var trustedPath string
	fs.StringVar(&trustedPath, "trusted-documents", os.Getenv("TRUSTED_DOCUMENTS"), "JSON manifest of the only GraphQL operations to run (graphql-codegen's persisted-documents.json or Apollo's persisted query manifest); reloaded on SIGHUP (env TRUSTED_DOCUMENTS)")
	fs.StringVar(&f.operationNames, "graphql-operation-names", os.Getenv("GRAPHQL_OPERATION_NAMES"), "comma-separated GraphQL operation names counted by name in the metrics; others count as \"other\" (env GRAPHQL_OPERATION_NAMES)")
	fs.Int64Var(&cfg.MaxBodyBytes, "max-body-bytes", int64(envInt("MAX_BODY_BYTES", int(cfg.MaxBodyBytes))), "largest REST request body; larger ones get 413 (env MAX_BODY_BYTES)")
	fs.DurationVar(&cfg.RequestTimeout, "request-timeout", envDuration("REQUEST_TIMEOUT", cfg.RequestTimeout), "bound on a request's database work; past it, 503 / UNAVAILABLE (env REQUEST_TIMEOUT)")
	fs.StringVar(&f.cors, "cors-origins", os.Getenv("CORS_ORIGINS"), "comma-separated origins allowed to call the API from a browser, or * (env CORS_ORIGINS)")
	fs.StringVar(&f.logFormat, "log-format", envOr("LOG_FORMAT", "text"), "text or json (env LOG_FORMAT)")
	fs.StringVar(&f.logLevel, "log-level", envOr("LOG_LEVEL", "info"), "debug, info (one line per request), warn or error (env LOG_LEVEL)")
	fs.StringVar(&f.adminAddr, "admin-addr", os.Getenv("ADMIN_ADDR"), "listen address of the admin listener with pprof and metrics; off when empty (env ADMIN_ADDR)")
	fs.BoolVar(&cfg.PublicMetrics, "public-metrics", envBool("PUBLIC_METRICS", false), "also serve /metrics on --addr (env PUBLIC_METRICS)")
	fs.IntVar(&f.dbMaxConns, "db-max-conns", envInt("DB_MAX_CONNS", 0), "PostgreSQL connections per replica; 0 picks 4 per core (env DB_MAX_CONNS)")
	login := core.DefaultLoginPolicy()
	fs.DurationVar(&login.TokenTTL, "login-token-ttl", envDuration("LOGIN_TOKEN_TTL", login.TokenTTL), "lifetime of keys issued by /api-auth/password/; 0: no expiry (env LOGIN_TOKEN_TTL)")
	fs.IntVar(&login.MaxKeys, "max-login-keys", envInt("MAX_LOGIN_KEYS", login.MaxKeys), "live keys a user keeps from logins; a login revokes the oldest beyond; 0: no cap (env MAX_LOGIN_KEYS)")
	fs.Float64Var(&login.ClientRate, "login-rate", envFloat("LOGIN_RATE", login.ClientRate), "login attempts per second per client address, per replica; 0: no limit (env LOGIN_RATE)")
	fs.IntVar(&login.ClientBurst, "login-burst", envInt("LOGIN_BURST", login.ClientBurst), "login attempts a client address may make at once (env LOGIN_BURST)")
	fs.Float64Var(&f.rateLimit, "rate-limit", envFloat("RATE_LIMIT", 0), "requests per second per API key, per replica; 0: no limit (env RATE_LIMIT)")
	fs.IntVar(&f.rateBurst, "rate-burst", envInt("RATE_BURST", 50), "requests an API key may make at once when --rate-limit is set (env RATE_BURST)")
	fs.DurationVar(&f.readHeaderTimeout, "read-header-timeout", envDuration("READ_HEADER_TIMEOUT", 10*time.Second), "(env READ_HEADER_TIMEOUT)")
	fs.DurationVar(&f.readTimeout, "read-timeout", envDuration("READ_TIMEOUT", 30*time.Second), "(env READ_TIMEOUT)")
	fs.DurationVar(&f.writeTimeout, "write-timeout", envDuration("WRITE_TIMEOUT", 60*time.Second), "(env WRITE_TIMEOUT)")
	fs.DurationVar(&f.idleTimeout, "idle-timeout", envDuration("IDLE_TIMEOUT", 120*time.Second), "keep-alive idle timeout (env IDLE_TIMEOUT)")
	fs.DurationVar(&f.drainDelay, "drain-delay", envDuration("DRAIN_DELAY", 5*time.Second), "on SIGTERM, how long /readyz says 503 while requests are still served, so a load balancer stops sending them before the listener closes (env DRAIN_DELAY)")
	fs.StringVar(&f.allowedHosts, "allowed-hosts", os.Getenv("ALLOWED_HOSTS"), "comma-separated Host header values to answer (as Django's ALLOWED_HOSTS: a leading dot matches subdomains, * any); others get 400. Empty: any (env ALLOWED_HOSTS)")
	fs.DurationVar(&f.shutdownTimeout, "shutdown-timeout", envDuration("SHUTDOWN_TIMEOUT", 20*time.Second), "time given to requests in flight on SIGTERM (env SHUTDOWN_TIMEOUT)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := checkLimits(login, f); err != nil {
		return err
	}
	cfg.CORSOrigins = ops.ParseOrigins(f.cors)
	cfg.AllowedHosts = ops.ParseHosts(f.allowedHosts)
	operationNames, err := ops.ParseOperationNames(f.operationNames)
	if err != nil {
		return usageError{"serve: --graphql-operation-names: " + err.Error()}
	}
	trustedDocs, err := openTrusted(trustedPath)
	if err != nil {
		return err
	}
	cfg.TrustedDocuments = trustedDocs
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

	if err := dbf.check("serve"); err != nil {
		return err
	}
	applied, err := dbf.migrate(ctx)
	if err != nil {
		return err
	}
	for _, m := range applied {
		logger.Info("applied migration", "name", m)
	}
	bdb, err := dbf.open(ctx, db.Options{MaxOpenConns: f.dbMaxConns, Timeout: cfg.RequestTimeout})
	if err != nil {
		return err
	}
	defer bdb.Close()
	svc := core.New(bdb, core.WithLoginPolicy(login), core.WithRateLimit(f.rateLimit, f.rateBurst))

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
	var draining atomic.Bool
	cfg.Draining = draining.Load
	if cfg.PublicURL == nil && len(cfg.AllowedHosts) == 0 {
		logger.Warn("neither --public-url nor --allowed-hosts is set: absolute links take their host from each request's Host header")
	}
	if trustedDocs != nil {
		setOperationNames(cfg.Observer, operationNames, trustedDocs.Manifest(), logger)
		logger.Info("trusted documents: only their operations run", "path", trustedPath, "documents", trustedDocs.Manifest().Len())
	} else if err := cfg.Observer.SetOperationNames(operationNames); err != nil {
		return err // checked above already
	}
	defer reloadOnHangup(trustedDocs, cfg.Observer, operationNames, logger)()
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
	// Readiness fails first and the listener stays open for a while, so a
	// load balancer stops routing here before connections are refused.
	draining.Store(true)
	logger.Info("draining: /readyz answers 503", "for", f.drainDelay)
	select {
	case err := <-errc:
		return err
	case <-time.After(f.drainDelay):
	case <-env.hurry.Done():
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

// checkLimits refuses settings that would silently mean something else.
func checkLimits(login core.LoginPolicy, f serveFlags) error {
	bad := func(flag string, v any, want string) error {
		return usageError{fmt.Sprintf("serve: --%s %v: want %s", flag, v, want)}
	}
	switch {
	case login.TokenTTL < 0:
		return bad("login-token-ttl", login.TokenTTL, "a duration of 0 or more")
	case login.MaxKeys < 0:
		return bad("max-login-keys", login.MaxKeys, "0 or more")
	case !(login.ClientRate >= 0) || math.IsInf(login.ClientRate, 0):
		return bad("login-rate", login.ClientRate, "a number of 0 or more")
	case login.ClientBurst < 1:
		return bad("login-burst", login.ClientBurst, "1 or more")
	case !(f.rateLimit >= 0) || math.IsInf(f.rateLimit, 0):
		return bad("rate-limit", f.rateLimit, "a number of 0 or more")
	case f.rateBurst < 1:
		return bad("rate-burst", f.rateBurst, "1 or more")
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
