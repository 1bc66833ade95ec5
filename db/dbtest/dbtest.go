// Package dbtest gives tests real, migrated, throw-away databases: an SQLite
// file per test, and a PostgreSQL database per test copied from a migrated
// template (tens of milliseconds), so tests never share rows.
package dbtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/callcfg/callcfg/db"
)

// AdminURL is where test databases are created: TEST_DATABASE_URL, or the
// local PostgreSQL as user postgres.
func AdminURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// PgBouncerURL is a PgBouncer in transaction mode in front of the
// PostgreSQL of AdminURL (TEST_PGBOUNCER_URL, as `scripts/pgbouncer.sh`
// starts one), or "" when there is none.
func PgBouncerURL() string { return os.Getenv("TEST_PGBOUNCER_URL") }

// Kinds are the databases every storage-touching test runs on: SQLite,
// PostgreSQL and, when PgBouncerURL names one, PostgreSQL through PgBouncer
// in transaction mode with prepared statements off (CI runs all three).
var Kinds = kinds()

func kinds() []string {
	if PgBouncerURL() != "" {
		return []string{"sqlite", "postgres", "pgbouncer"}
	}
	return []string{"sqlite", "postgres"}
}

// PostgresKinds are the kinds that are PostgreSQL, for tests of what only
// PostgreSQL does (replicas, terminated connections).
func PostgresKinds() []string {
	out := []string{}
	for _, k := range Kinds {
		if k != "sqlite" {
			out = append(out, k)
		}
	}
	return out
}

// Each runs fn once per database kind, as subtests named after the kind.
func Each(t *testing.T, fn func(t *testing.T, url string)) {
	t.Helper()
	for _, kind := range Kinds {
		t.Run(kind, func(t *testing.T) {
			fn(t, NewURL(t, kind))
		})
	}
}

// EachDB is Each with an open, migrated handle.
func EachDB(t *testing.T, fn func(t *testing.T, bdb *bun.DB)) {
	t.Helper()
	Each(t, func(t *testing.T, url string) {
		fn(t, Open(t, url))
	})
}

// Open connects to a test database URL and closes it when the test ends.
func Open(t testing.TB, rawURL string) *bun.DB {
	t.Helper()
	bdb, err := db.Open(context.Background(), rawURL, db.Options{MaxOpenConns: 8})
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() { _ = bdb.Close() })
	return bdb
}

// NewURL returns the URL of a fresh, migrated database of the given kind.
func NewURL(t testing.TB, kind string) string {
	t.Helper()
	switch kind {
	case "sqlite":
		u := "sqlite://" + filepath.Join(t.TempDir(), "test.db")
		bdb := Open(t, u)
		if _, err := db.Migrate(context.Background(), bdb); err != nil {
			t.Fatalf("migrate sqlite: %v", err)
		}
		_ = bdb.Close()
		return u
	case "postgres":
		return newPostgres(t)
	case "pgbouncer":
		direct := newPostgres(t)
		pooled := throughPgBouncer(t, direct)
		directURLs.Store(pooled, direct)
		return pooled
	}
	t.Fatalf("unknown database kind %q", kind)
	return ""
}

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
	seq          atomic.Int64
)

// RequirePostgres fails the test when PostgreSQL cannot be reached and CI is
// set, and skips it loudly otherwise.
func RequirePostgres(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		return
	}
	msg := fmt.Sprintf("PostgreSQL at %s is unreachable: %v", redacted(), err)
	if os.Getenv("CI") != "" {
		t.Fatalf("%s (CI is set: PostgreSQL tests must run)", msg)
	}
	t.Skipf("SKIPPING POSTGRESQL TEST: %s. Start PostgreSQL or set TEST_DATABASE_URL.", msg)
}

func newPostgres(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	admin, err := db.Open(ctx, AdminURL(), db.Options{MaxOpenConns: 2, Timeout: 3 * time.Second})
	RequirePostgres(t, err)
	defer admin.Close()
	templateOnce.Do(func() { templateName, templateErr = ensureTemplate() })
	if templateErr != nil {
		t.Fatalf("build the PostgreSQL template database: %v", templateErr)
	}
	name := fmt.Sprintf("callcfg_test_%d_%d_%s", os.Getpid(), seq.Add(1), randHex(3))
	if _, err := admin.ExecContext(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, templateName)); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		admin, err := db.Open(context.Background(), AdminURL(), db.Options{MaxOpenConns: 1})
		if err != nil {
			return
		}
		defer admin.Close()
		_, _ = admin.ExecContext(context.Background(), fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name))
	})
	return withDatabase(AdminURL(), name)
}

// ensureTemplate creates, once per set of migrations, a migrated database to
// copy. Its name carries a hash of the migrations, so a changed migration
// gets a new template; an advisory lock keeps test packages running in
// parallel from building it twice.
func ensureTemplate() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	name := "callcfg_tmpl_" + migrationsHash()
	admin, err := db.Open(ctx, AdminURL(), db.Options{MaxOpenConns: 1, Timeout: 3 * time.Second})
	if err != nil {
		return "", err
	}
	defer admin.Close()
	conn, err := admin.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(7305261120260001)"); err != nil {
		return "", err
	}
	defer conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock(7305261120260001)") //nolint:errcheck
	var exists bool
	if err := conn.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = ? AND datistemplate)", name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	// A half-built template from an interrupted run is not marked as one.
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name)); err != nil {
		return "", err
	}
	if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	tmpl, err := db.Open(ctx, withDatabase(AdminURL(), name), db.Options{MaxOpenConns: 1})
	if err != nil {
		return "", err
	}
	_, err = db.Migrate(ctx, tmpl)
	_ = tmpl.Close()
	if err != nil {
		return "", err
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("ALTER DATABASE %s WITH is_template true", name)); err != nil {
		return "", err
	}
	return name, nil
}

func migrationsHash() string {
	h := sha256.New()
	_ = fs.WalkDir(db.MigrationFiles, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(db.MigrationFiles, path)
		if err != nil {
			return err
		}
		h.Write([]byte(path))
		h.Write(b)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// directURLs maps each URL through PgBouncer to the direct URL of the same
// database.
var directURLs sync.Map

// DirectURL is the URL of the same database that does not go through
// PgBouncer, for what needs a session (migrations); for any other URL it
// is the URL itself.
func DirectURL(rawURL string) string {
	if d, ok := directURLs.Load(rawURL); ok {
		return d.(string)
	}
	return rawURL
}

// throughPgBouncer is direct's database reached through PgBouncerURL, with
// prepared statements off as PgBouncer 1.18 in transaction mode needs.
func throughPgBouncer(t testing.TB, direct string) string {
	t.Helper()
	d, err := url.Parse(direct)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(PgBouncerURL())
	if err != nil {
		t.Fatalf("TEST_PGBOUNCER_URL: %v", err)
	}
	u.Path = d.Path
	q := u.Query()
	q.Set("prepared_statements", "off")
	if q.Get("sslmode") == "" {
		q.Set("sslmode", d.Query().Get("sslmode"))
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func withDatabase(rawURL, name string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL
	}
	u.Path = "/" + name
	return u.String()
}

func redacted() string {
	u, err := url.Parse(AdminURL())
	if err != nil {
		return "TEST_DATABASE_URL"
	}
	return u.Redacted()
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Counter counts the SQL statements a database handle runs, bun's and
// prepared ones alike, to prove that a request costs a constant number of
// them.
type Counter struct {
	n       atomic.Int64
	mu      sync.Mutex
	queries []string
}

func (c *Counter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }

// AfterQuery keeps bun's statements' text, for failure messages.
func (c *Counter) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	c.mu.Lock()
	c.queries = append(c.queries, e.Query)
	c.mu.Unlock()
}

// Reset zeroes the count and returns what it was.
func (c *Counter) Reset() int64 {
	c.mu.Lock()
	c.queries = nil
	c.mu.Unlock()
	return c.n.Swap(0)
}

func (c *Counter) Count() int64 { return c.n.Load() }

// Queries returns the statements seen since the last Reset.
func (c *Counter) Queries() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.queries, "\n")
}

// CountQueries installs a Counter on bdb.
func CountQueries(bdb *bun.DB) *Counter {
	c := &Counter{}
	bdb.AddQueryHook(c)
	db.OnStatement(bdb, func() { c.n.Add(1) })
	return c
}

// SettleChanges waits until every committed change is final, as the feed
// shows only those: on PostgreSQL, until no transaction older than the
// newest change is still running. Test databases share one cluster, so a
// transaction of another test that began before a write holds the feed
// back a moment; a test that reads what it just wrote waits for it here.
// After a minute the test fails.
func SettleChanges(t testing.TB, bdb *bun.DB) {
	t.Helper()
	if !db.IsPostgres(bdb) {
		return
	}
	deadline := time.Now().Add(time.Minute)
	for {
		var final bool
		err := bdb.QueryRowContext(context.Background(), `SELECT coalesce(max(txn), 0) < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
  FROM call_assignment_configuration_changes`).Scan(&final)
		if err != nil {
			t.Fatalf("settle changes: %v", err)
		}
		if final {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("settle changes: a transaction has been running for a minute")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
