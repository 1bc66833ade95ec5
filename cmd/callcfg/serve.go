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
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/db"
	"github.com/callcfg/callcfg/feed"
	"github.com/callcfg/callcfg/links"
	"github.com/callcfg/callcfg/ops"
	"github.com/callcfg/callcfg/server"
)

type serveCmd struct {
	serveSettings `embed:""`
}

func (c *serveCmd) Run(ctx context.Context, env *cmdEnv) error {
	f := &c.serveSettings
	cfg := f.config()
	logger, err := newLogger(env.stderr, f.LogFormat, f.LogLevel)
	if err != nil {
		return err
	}
	cfg.Logger = logger

	applied, err := f.migrate(ctx)
	if err != nil {
		return err
	}
	for _, m := range applied {
		logger.Info("applied migration", "name", m)
	}
	bdb, err := f.open(ctx, db.Options{MaxOpenConns: f.DBMaxConns, Timeout: cfg.RequestTimeout})
	if err != nil {
		return err
	}
	defer bdb.Close()
	svc := core.New(bdb, f.coreOptions()...)

	ln, err := net.Listen("tcp", f.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %v", f.Addr, err)
	}
	base := "http://" + ln.Addr().String()
	if cfg.PublicURL != nil {
		base = cfg.PublicURL.String()
	}
	if f.Demo {
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
	if f.trustedDocs != nil {
		setOperationNames(cfg.Observer, f.operationNames, f.trustedDocs.Manifest(), logger)
		logger.Info("trusted documents: only their operations run", "path", f.TrustedDocuments, "documents", f.trustedDocs.Manifest().Len())
	} else if err := cfg.Observer.SetOperationNames(f.operationNames); err != nil {
		return err // checked above already
	}
	defer reloadOnHangup(f.trustedDocs, cfg.Observer, f.operationNames, logger)()

	// The live feed: one hub, woken by the database's notifications (heard
	// over the direct URL, as LISTEN does not survive a transaction pooler)
	// or, on SQLite, by this process's writes.
	feedOpts := f.feedOptions()
	feedOpts.Logger, feedOpts.Metrics = logger, cfg.Observer
	hub := feed.New(svc, feedOpts)
	feedCtx, stopFeed := context.WithCancel(context.Background())
	defer stopFeed()
	go hub.Run(feedCtx)
	go svc.WatchFeed(feedCtx, f.directURL(), listenerPing, logger, hub.Wake)
	cfg.Feed = hub
	srv := &http.Server{
		Handler:           server.New(svc, cfg),
		ReadHeaderTimeout: f.ReadHeaderTimeout,
		ReadTimeout:       f.ReadTimeout,
		WriteTimeout:      f.WriteTimeout,
		IdleTimeout:       f.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	logger.Info("listening", "addr", ln.Addr().String(), "database", dbKind(bdb), "graphiql", cfg.Playground)
	if f.AdminAddr != "" {
		admin, err := startAdmin(f.AdminAddr, cfg.Observer, errc)
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
	logger.Info("draining: /readyz answers 503", "for", f.DrainDelay)
	select {
	case err := <-errc:
		return err
	case <-time.After(f.DrainDelay):
	case <-env.hurry.Done():
	}
	logger.Info("shutting down: finishing requests in flight")
	// Subscribers first: an event stream is a request in flight that would
	// otherwise hold Shutdown until its timeout; WebSockets, which Shutdown
	// does not track, are closed with 1001 so that clients reconnect
	// elsewhere.
	hub.Close()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), f.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %v", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// listenerPing is how long a silent change listener waits before it checks
// that its session still delivers.
const listenerPing = 10 * time.Second

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
`, base, key, links.Hex(d.ConfigUUID))
}

// newLogger makes the process's logger; format and level were checked
// when the settings were parsed.
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError{fmt.Sprintf("serve: --log-level %q: want debug, info, warn or error", level)}
	}
	opts := &slog.HandlerOptions{Level: lv}
	var h slog.Handler
	switch format {
	case "text":
		h = slog.NewTextHandler(w, opts)
	case "json":
		h = slog.NewJSONHandler(w, opts)
	default:
		return nil, usageError{fmt.Sprintf("serve: --log-format %q: want text or json", format)}
	}
	logger := slog.New(ops.WithRequestIDs(h))
	db.SetLogger(logger)
	return logger, nil
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
