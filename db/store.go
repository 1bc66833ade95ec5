package db

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/uptrace/bun"
)

// Store is the service's storage: every statement the core sends, for
// both databases, behind one value. It keeps nothing of its own but the
// connection pool and, on PostgreSQL, prepared statements, so any number of
// replicas can share one database.
type Store struct {
	bdb  *bun.DB
	prep *stmtCache // nil on SQLite
}

// NewStore wraps an open, migrated database.
func NewStore(bdb *bun.DB) *Store {
	return &Store{bdb: bdb, prep: newStmtCache(bdb)}
}

// DB is the handle, for health checks, metrics and tests.
func (s *Store) DB() *bun.DB { return s.bdb }

// Close releases the prepared statements; the handle stays open.
func (s *Store) Close() { s.prep.close() }

func (s *Store) postgres() bool { return s.prep != nil || IsPostgres(s.bdb) }

// Now is the clock used for created and modified: UTC, truncated to the
// microseconds both databases keep, so what a write returns is what a later
// read sees.
func Now() time.Time {
	return time.Now().UTC().Truncate(time.Microsecond)
}

// sqlText builds one statement for either database: placeholders are $n
// for a prepared statement, so that the text is the same for every value,
// and ? where bun fills them in (SQLite, and statements sent as text).
//
// The text is built in a pooled buffer: statements are a few hundred bytes
// to a few kilobytes, built afresh on every request, and on PostgreSQL a
// prepared statement is found by the bytes alone, so a request that finds
// its statement prepared allocates no text at all.
type sqlText struct {
	b    []byte
	args []any
	pg   bool
}

var textBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// maxPooledText keeps the pool from holding on to the buffer of an unusually
// long statement (a list filtered by many values).
const maxPooledText = 16 << 10

func (s *Store) text() *sqlText {
	return &sqlText{b: (*textBuffers.Get().(*[]byte))[:0], pg: s.prep != nil}
}

// release hands the buffer back once the statement has been sent for the
// last time; the text is unusable afterwards.
func (s *sqlText) release() {
	if s == nil || s.b == nil || cap(s.b) > maxPooledText {
		return
	}
	b := s.b[:0]
	s.b = nil
	textBuffers.Put(&b)
}

func (s *sqlText) sql(parts ...string) *sqlText {
	for _, p := range parts {
		s.b = append(s.b, p...)
	}
	return s
}

// arg appends a value and writes its placeholder.
func (s *sqlText) arg(v any) *sqlText {
	s.args = append(s.args, v)
	if s.pg {
		s.b = append(s.b, '$')
		s.b = strconv.AppendInt(s.b, int64(len(s.args)), 10)
	} else {
		s.b = append(s.b, '?')
	}
	return s
}

// list writes (v1, v2, …) as placeholders.
func (s *sqlText) list(values []int64) *sqlText {
	s.sql("(")
	for i, v := range values {
		if i > 0 {
			s.sql(", ")
		}
		s.arg(v)
	}
	return s.sql(")")
}

func (s *sqlText) String() string { return string(s.b) }

// MaxParameters is the most bind parameters a statement may carry. The
// protocol counts them in 16 bits and pgdriver reads and writes that count
// as a signed int16, so a statement with more would put the connection out
// of step with the server. The core's bounds keep every statement far below
// it; this is the last line, in the one place statements are sent.
const MaxParameters = math.MaxInt16

// ErrTooManyParameters refuses a statement before it is sent.
var ErrTooManyParameters = errors.New("db: statement has more bind parameters than the protocol allows")

// query runs q as a prepared statement on PostgreSQL, through bun on SQLite.
func (s *Store) query(ctx context.Context, q *sqlText) (*sql.Rows, error) {
	if len(q.args) > MaxParameters {
		return nil, ErrTooManyParameters
	}
	if !q.pg {
		return s.bdb.QueryContext(ctx, q.String(), q.args...)
	}
	st, err := s.prep.stmt(ctx, q.b)
	if err != nil {
		return nil, err
	}
	notifyStatement(s.bdb)
	if st == nil {
		return s.bdb.DB.QueryContext(ctx, q.String(), q.args...)
	}
	return st.QueryContext(ctx, q.args...)
}

// collect runs the read q and scans every row, trying once more if the
// connection was lost on the way.
func collect[T any](ctx context.Context, s *Store, q *sqlText, dest func(*T) []any) ([]T, error) {
	defer q.release()
	return retryRead(ctx, s.bdb, func() ([]T, error) { return scanAll(ctx, s, q, dest) })
}

// collectOnce runs q and scans every row: for a write with RETURNING,
// which is never retried.
func collectOnce[T any](ctx context.Context, s *Store, q *sqlText, dest func(*T) []any) ([]T, error) {
	defer q.release()
	return scanAll(ctx, s, q, dest)
}

func scanAll[T any](ctx context.Context, s *Store, q *sqlText, dest func(*T) []any) ([]T, error) {
	rows, err := s.query(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		out = append(out, *new(T))
		if err := rows.Scan(dest(&out[len(out)-1])...); err != nil {
			return nil, err
		}
	}
	return out, rows.Err()
}

// first is the only row of a lookup by a unique key, or nil.
func first[T any](rows []T, err error) (*T, error) {
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return &rows[0], nil
}

// count runs a statement that answers one number.
func (s *Store) count(ctx context.Context, q *sqlText) (int64, error) {
	rows, err := collect(ctx, s, q, func(n *int64) []any { return []any{n} })
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	return rows[0], nil
}

// exec runs a write sent as q, counted like the rest; it is never retried.
func (s *Store) exec(ctx context.Context, idb bun.IDB, q *sqlText) (int64, error) {
	defer q.release()
	if len(q.args) > MaxParameters {
		return 0, ErrTooManyParameters
	}
	res, err := idb.ExecContext(ctx, q.String(), q.args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
