package db

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"strconv"
	"strings"
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
type sqlText struct {
	b    strings.Builder
	args []any
	pg   bool
}

func (s *Store) text() *sqlText { return &sqlText{pg: s.prep != nil} }

func (s *sqlText) sql(parts ...string) *sqlText {
	for _, p := range parts {
		s.b.WriteString(p)
	}
	return s
}

// arg appends a value and writes its placeholder.
func (s *sqlText) arg(v any) *sqlText {
	s.args = append(s.args, v)
	if s.pg {
		s.b.WriteString("$" + strconv.Itoa(len(s.args)))
	} else {
		s.b.WriteString("?")
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

func (s *sqlText) String() string { return s.b.String() }

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
	st, err := s.prep.stmt(ctx, q.String())
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
	return retryRead(ctx, s.bdb, func() ([]T, error) { return collectOnce(ctx, s, q, dest) })
}

// collectOnce runs q and scans every row: for a write with RETURNING,
// which is never retried.
func collectOnce[T any](ctx context.Context, s *Store, q *sqlText, dest func(*T) []any) ([]T, error) {
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
	if len(q.args) > MaxParameters {
		return 0, ErrTooManyParameters
	}
	res, err := idb.ExecContext(ctx, q.String(), q.args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
