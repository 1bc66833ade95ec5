package db

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"
)

// MigrationFiles are embedded so the binary migrates with no files beside it.
//
//go:embed migrations
var MigrationFiles embed.FS

// The two folders hold the same migrations, one per SQL dialect; a test
// checks that their names match.
func migrations(bdb *bun.DB) (*migrate.Migrations, error) {
	dir := "migrations/sqlite"
	if IsPostgres(bdb) {
		dir = "migrations/postgres"
	}
	sub, err := fs.Sub(MigrationFiles, dir)
	if err != nil {
		return nil, err
	}
	ms := migrate.NewMigrations()
	if err := ms.Discover(sub); err != nil {
		return nil, err
	}
	return ms, nil
}

func newMigrator(bdb *bun.DB) (*migrate.Migrator, error) {
	ms, err := migrations(bdb)
	if err != nil {
		return nil, err
	}
	return migrate.NewMigrator(bdb, ms, migrate.WithMarkAppliedOnSuccess(true)), nil
}

// migrationLockKey is the PostgreSQL advisory lock that serialises replicas
// migrating the same database at start-up.
const migrationLockKey = 7305_2611_2026

// withMigrationLock runs fn while no other process migrates the same
// database. On PostgreSQL a session advisory lock does the waiting (and dies
// with its connection, so a crashed replica never leaves it behind); bun's
// lock-table row is then taken inside it. SQLite has one writer per file and
// its busy timeout makes a second process wait.
func withMigrationLock(ctx context.Context, bdb *bun.DB, m *migrate.Migrator, fn func() error) error {
	if IsPostgres(bdb) {
		// The lock's connection is held while the migrator uses the pool, so
		// a pool of one would wait on itself.
		if bdb.Stats().MaxOpenConnections == 1 {
			bdb.SetMaxOpenConns(2)
			defer bdb.SetMaxOpenConns(1)
		}
		conn, err := bdb.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", migrationLockKey); err != nil {
			return err
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", migrationLockKey) //nolint:errcheck
	}
	if err := m.Init(ctx); err != nil {
		return err
	}
	// Under the advisory lock nobody else migrates, so a row left in bun's
	// lock table can only come from a process that died mid-way.
	if err := lockWithRetry(ctx, m, IsPostgres(bdb)); err != nil {
		return err
	}
	defer m.Unlock(context.WithoutCancel(ctx)) //nolint:errcheck
	return fn()
}

// lockWithRetry takes bun's lock row, waiting while another process holds
// it. Any other failure (a read-only file, a database that refuses writes)
// is returned at once, in its own words: bun calls every failure to insert
// the row "already locked".
func lockWithRetry(ctx context.Context, m *migrate.Migrator, stale bool) error {
	if stale {
		if err := m.Lock(ctx); err == nil {
			return nil
		}
		_ = m.Unlock(ctx)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := m.Lock(ctx)
		if err == nil {
			return nil
		}
		if !IsUniqueViolation(err) {
			if cause := errors.Unwrap(err); cause != nil {
				err = cause
			}
			return fmt.Errorf("cannot take the migration lock: %w", err)
		}
		if time.Now().After(deadline) {
			return errors.New("migrations are locked by another process (bun_migration_locks); if none is running, delete its row")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// HasData reports whether the database holds anything a rollback would
// destroy: an organisation, a call, a user or a recorded change. Without
// applied migrations it holds none of their tables.
func HasData(ctx context.Context, bdb *bun.DB) (bool, error) {
	st, err := Status(ctx, bdb)
	if err != nil {
		return false, err
	}
	applied := map[string]bool{}
	for _, m := range st {
		applied[m.Name] = m.Applied
	}
	tables := []struct{ table, migration string }{
		{"organisations", "20261126000001_init"},
		{"calls", "20261126000001_init"},
		{"users", "20261126000001_init"},
		{"call_assignment_configuration_changes", "20261202000001_changes"},
	}
	for _, t := range tables {
		if !applied[t.migration] {
			continue
		}
		exists, err := bdb.NewSelect().Table(t.table).Limit(1).Exists(ctx)
		if err != nil || exists {
			return exists, err
		}
	}
	return false, nil
}

func mustMigrations(bdb *bun.DB) []migrate.Migration {
	ms, err := migrations(bdb)
	if err != nil {
		return nil
	}
	return ms.Sorted()
}

// Migrate applies every pending migration and returns their names. On
// PostgreSQL bdb must be a direct connection, not one through a transaction
// pooler: the advisory lock that serialises replicas belongs to a session.
func Migrate(ctx context.Context, bdb *bun.DB) ([]string, error) {
	m, err := newMigrator(bdb)
	if err != nil {
		return nil, err
	}
	var applied []string
	err = withMigrationLock(ctx, bdb, m, func() error {
		group, err := m.Migrate(ctx)
		if err != nil {
			return err
		}
		for _, mig := range group.Migrations {
			applied = append(applied, mig.String())
		}
		return nil
	})
	if err != nil {
		return applied, fmt.Errorf("migrate: %w", err)
	}
	return applied, nil
}

// Rollback undoes the last group of applied migrations.
func Rollback(ctx context.Context, bdb *bun.DB) ([]string, error) {
	m, err := newMigrator(bdb)
	if err != nil {
		return nil, err
	}
	var undone []string
	err = withMigrationLock(ctx, bdb, m, func() error {
		group, err := m.Rollback(ctx)
		if err != nil {
			return err
		}
		for _, mig := range group.Migrations {
			undone = append(undone, mig.String())
		}
		return nil
	})
	if err != nil {
		return undone, fmt.Errorf("migrate down: %w", err)
	}
	return undone, nil
}

// MigrationStatus lists every known migration with whether it is applied.
type MigrationStatus struct {
	Name    string
	Applied bool
}

func Status(ctx context.Context, bdb *bun.DB) ([]MigrationStatus, error) {
	m, err := newMigrator(bdb)
	if err != nil {
		return nil, err
	}
	if err := m.Init(ctx); err != nil {
		return nil, err
	}
	ms, err := m.MigrationsWithStatus(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]MigrationStatus, 0, len(ms))
	for _, mig := range ms {
		out = append(out, MigrationStatus{Name: mig.String(), Applied: mig.IsApplied()})
	}
	return out, nil
}

// Pending counts migrations not yet applied; /readyz and tests use it.
func Pending(ctx context.Context, bdb *bun.DB) (int, error) {
	st, err := Status(ctx, bdb)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, s := range st {
		if !s.Applied {
			n++
		}
	}
	return n, nil
}

// Ready checks, read-only, that the database answers and that every
// migration this binary knows is applied. Its errors are safe to show: they
// name no host, user or SQL.
func Ready(ctx context.Context, bdb *bun.DB) error {
	ms, err := migrations(bdb)
	if err != nil {
		return err
	}
	var applied []string
	if err := bdb.NewSelect().Table("bun_migrations").Column("name").Scan(ctx, &applied); err != nil {
		if err := bdb.PingContext(ctx); err != nil {
			return errors.New("database unreachable")
		}
		return errors.New("migrations not applied")
	}
	done := make(map[string]bool, len(applied))
	for _, n := range applied {
		done[n] = true
	}
	for _, m := range ms.Sorted() {
		if !done[m.Name] {
			return fmt.Errorf("migration %s not applied", m.Name)
		}
	}
	return nil
}
