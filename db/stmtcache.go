package db

import (
	"context"
	"database/sql"
	"sync"

	"github.com/uptrace/bun"
)

// stmtCache runs the statements of the request path as server-side
// prepared statements on PostgreSQL. bun sends every query as text with its
// arguments inlined, which PostgreSQL parses and plans anew each time; for
// these short statements planning costs more than executing (pgbench on
// this schema: about 3 times the throughput prepared). On SQLite there is
// none: one process, no network, nothing to gain. Behind a transaction
// pooler that cannot keep prepared statements, there is none either
// (Options.Unprepared), and every statement goes as text.
//
// Statements name their columns (never *), so a migration that adds a
// column cannot invalidate a cached plan's result type.
type stmtCache struct {
	db    *bun.DB
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

// newStmtCache returns nil on SQLite and when prepared statements are off.
// Statements are prepared on first use, so a database that is down at
// start-up only delays them.
func newStmtCache(bdb *bun.DB) *stmtCache {
	if !Prepares(bdb) {
		return nil
	}
	return &stmtCache{db: bdb, stmts: map[string]*sql.Stmt{}}
}

// maxPrepared bounds the statements kept: list queries take their shape
// from the client's filter and order, and each shape is one statement on
// every pooled connection.
const maxPrepared = 128

// stmt returns the prepared statement of query, or nil once the cache is
// full: the caller then sends the query as text. Looking up by the bytes
// copies nothing; only a statement prepared for the first time keeps a copy.
func (c *stmtCache) stmt(ctx context.Context, query []byte) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.stmts[string(query)]; ok {
		return s, nil
	}
	if len(c.stmts) >= maxPrepared {
		return nil, nil
	}
	text := string(query)
	s, err := c.db.DB.PrepareContext(ctx, text)
	if err != nil {
		return nil, err
	}
	c.stmts[text] = s
	return s, nil
}

func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.stmts {
		_ = s.Close()
	}
	clear(c.stmts)
}
