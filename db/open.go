package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/pgdriver"
	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
)

// DefaultURL is used when no database URL is configured: an embedded SQLite
// file in the working directory, so the service runs with zero setup.
const DefaultURL = "sqlite://callcfg.db"

// Options tune the connection pool. Zero values pick sensible defaults.
type Options struct {
	MaxOpenConns int
	// Timeout bounds connecting and each network read/write to PostgreSQL,
	// so a vanished database turns into an error instead of a hang.
	Timeout time.Duration
}

// Open connects to the database named by rawURL (postgres://, postgresql://
// or sqlite://PATH; empty means DefaultURL) and checks that it answers.
// Errors are one line, fit for an operator.
func Open(ctx context.Context, rawURL string, opts Options) (*bun.DB, error) {
	if rawURL == "" {
		rawURL = DefaultURL
	}
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Second
	}
	scheme, _, ok := strings.Cut(rawURL, "://")
	if !ok {
		return nil, fmt.Errorf("database URL %q: want postgres://… or sqlite://PATH", redact(rawURL))
	}
	var bdb *bun.DB
	switch scheme {
	case "postgres", "postgresql":
		if _, err := url.Parse(rawURL); err != nil {
			return nil, fmt.Errorf("database URL %q: %v", redact(rawURL), errors.Unwrap(err))
		}
		connector := pgdriver.NewConnector(
			pgdriver.WithDSN(rawURL),
			pgdriver.WithTimeout(opts.Timeout),
			pgdriver.WithDialTimeout(opts.Timeout),
			pgdriver.WithApplicationName("callcfg"),
		)
		sqldb := sql.OpenDB(guardedConnector{connector})
		// A few connections per core keep the database busy; more only
		// queue on its locks and processes (measured: 8 beat 20 on 2 cores
		// for both reads and hot-row updates).
		maxOpen := opts.MaxOpenConns
		if maxOpen == 0 {
			maxOpen = 4 * runtime.GOMAXPROCS(0)
		}
		sqldb.SetMaxOpenConns(maxOpen)
		sqldb.SetMaxIdleConns(maxOpen)
		sqldb.SetConnMaxIdleTime(5 * time.Minute)
		bdb = bun.NewDB(sqldb, pgdialect.New())
	case "sqlite":
		path := strings.TrimPrefix(rawURL, "sqlite://")
		if path == "" {
			return nil, fmt.Errorf("database URL %q: sqlite:// needs a file path", rawURL)
		}
		sqldb, err := sql.Open("sqlite", sqliteDSN(path))
		if err != nil {
			return nil, fmt.Errorf("open %s: %v", path, err)
		}
		// One connection is SQLite's one writer: requests queue in the pool
		// instead of failing with "database is locked". The busy timeout
		// covers other processes (the CLI beside a running server).
		sqldb.SetMaxOpenConns(1)
		sqldb.SetMaxIdleConns(1)
		sqldb.SetConnMaxLifetime(0)
		sqldb.SetConnMaxIdleTime(0)
		bdb = bun.NewDB(sqldb, sqlitedialect.New())
	default:
		return nil, fmt.Errorf("database URL %q: unsupported scheme %q (want postgres or sqlite)", redact(rawURL), scheme)
	}
	pingCtx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	if err := bdb.PingContext(pingCtx); err != nil {
		_ = bdb.Close()
		return nil, fmt.Errorf("cannot reach database %s: %v", redact(rawURL), oneLine(err))
	}
	return bdb, nil
}

func sqliteDSN(path string) string {
	q := url.Values{}
	for _, p := range []string{
		"journal_mode(WAL)",
		"busy_timeout(10000)",
		"foreign_keys(1)",
		"synchronous(NORMAL)",
	} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// IsPostgres tells which of the two supported databases bdb talks to.
func IsPostgres(bdb bun.IDB) bool {
	return bdb.Dialect().Name().String() == "pg"
}

// redact hides a password in a database URL before it is printed.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", " ")
}
