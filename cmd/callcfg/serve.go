package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/uptrace/bun"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/db"
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

func serve(ctx context.Context, env *cmdEnv, args []string) error {
	fs, dbURL := newFlags(env, "serve")
	cfg := server.DefaultConfig()
	addr := fs.String("addr", envOr("ADDR", "127.0.0.1:8080"), "listen address (env ADDR)")
	publicURL := fs.String("public-url", os.Getenv("PUBLIC_URL"), "scheme://host[:port] of absolute links when behind a proxy (env PUBLIC_URL)")
	demo := fs.Bool("demo", false, "seed demo data on an empty database and print demo API keys")
	fs.BoolVar(&cfg.Playground, "playground", envBool("PLAYGROUND", cfg.Playground), "serve GraphiQL at /graphiql (env PLAYGROUND)")
	fs.BoolVar(&cfg.Introspection, "introspection", envBool("INTROSPECTION", cfg.Introspection), "answer GraphQL introspection (env INTROSPECTION)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *publicURL != "" {
		u, err := url.Parse(*publicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usageError{fmt.Sprintf("serve: --public-url %q: want http(s)://host[:port]", *publicURL)}
		}
		cfg.PublicURL = u
	}
	logger := slog.New(slog.NewTextHandler(env.stderr, nil))
	cfg.Logger = logger

	bdb, err := db.Open(ctx, *dbURL, db.Options{})
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

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %v", *addr, err)
	}
	base := "http://" + ln.Addr().String()
	if cfg.PublicURL != nil {
		base = cfg.PublicURL.String()
	}
	if *demo {
		data, err := svc.SeedDemo(ctx)
		if err != nil {
			ln.Close()
			return err
		}
		printDemo(env, base, data)
	}

	srv := &http.Server{
		Handler:           server.New(svc, cfg),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	logger.Info("listening", "addr", ln.Addr().String(), "database", dbKind(bdb), "graphiql", cfg.Playground)

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down: finishing requests in flight")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
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
