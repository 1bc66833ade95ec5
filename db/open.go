package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"sync"
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
	// Unprepared sends every PostgreSQL statement as an unnamed one, as a
	// transaction pooler (PgBouncer before 1.21 in transaction mode)
	// requires: a named prepared statement lives on one server connection,
	// and the pooler hands the next transaction another. The URL
	// parameter prepared_statements=off does the same.
	Unprepared bool
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
		u, err := url.Parse(rawURL)
		if err != nil {
			return nil, fmt.Errorf("database URL %q: %v", redact(rawURL), errors.Unwrap(err))
		}
		// prepared_statements is this service's parameter, not one for the
		// server: pgdriver would send it as a setting.
		q := u.Query()
		switch v := q.Get(preparedParam); v {
		case "", "on":
		case "off":
			opts.Unprepared = true
		default:
			return nil, fmt.Errorf("database URL %q: %s=%q: want on or off", redact(rawURL), preparedParam, v)
		}
		q.Del(preparedParam)
		u.RawQuery = q.Encode()
		connector := pgdriver.NewConnector(
			pgdriver.WithDSN(u.String()),
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
		if opts.Unprepared {
			unprepared.Store(bdb, true)
		}
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

// preparedParam is the URL parameter that turns prepared statements off.
const preparedParam = "prepared_statements"

// unprepared holds the PostgreSQL handles Open made with prepared
// statements off, for NewStore.
var unprepared sync.Map // *bun.DB -> bool

// Prepares reports whether statements sent through bdb may be prepared:
// PostgreSQL, unless Open was told otherwise.
func Prepares(bdb *bun.DB) bool {
	_, off := unprepared.Load(bdb)
	return IsPostgres(bdb) && !off
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
