package db

import (
	"context"
	"database/sql"
	"strconv"
	"time"
)

// Authentication costs a round trip of its own when the key is looked up
// before the data. A request's first statement can instead carry the key:
// the statement reads the key and its user (the CTE "a") and computes what
// the viewer may see from them, and the caller checks the key from the
// same answer. The rules about keys (revoked, expired, inactive users) stay
// the core's, which reads Key.Row; only a write, which must not happen for
// a key that fails them, repeats them in its own condition (validKey).

// KeyCheck is an API key presented with a request and not checked yet.
// Hash is its hash as stored; Now is the time a write checks its expiry
// against. A store method given a Scope with Key reads the key itself and
// leaves what it found in Row (nil: no key has this hash) and sets Checked;
// the caller then decides whether the key is good.
type KeyCheck struct {
	Hash    string
	Now     time.Time
	Row     *TokenRow
	Checked bool
}

// scopeOf is what the key's user may see; a key that matches nothing sees
// nothing.
func (k *KeyCheck) scopeOf() Scope {
	if k.Row == nil {
		return Scope{}
	}
	u := k.Row.User
	return Scope{All: u.IsStaff || u.IsSupport, UserID: u.ID, Manages: u.IsStaff}
}

// FoldsKeyChecks reports whether statements can check a key themselves
// (PostgreSQL); elsewhere the caller checks the key first.
func (s *Store) FoldsKeyChecks() bool { return s.postgres() }

// folds reports whether the statement of scope can check its key itself:
// on PostgreSQL, where it saves a round trip, and while the key is still
// unchecked (a request's later statements use the answer of its first).
func (s *Store) folds(scope Scope) bool {
	return scope.Key != nil && !scope.Key.Checked && s.postgres()
}

// resolve turns a scope that carries an unchecked key into the scope of the
// key's user, with a statement of its own: for the statements that cannot
// carry the key (SQLite, where it saves nothing; statements whose shape
// depends on what the viewer sees).
func (s *Store) resolve(ctx context.Context, scope Scope) (Scope, error) {
	if scope.Key == nil {
		return scope, nil
	}
	if !scope.Key.Checked {
		row, err := s.TokenByHash(ctx, scope.Key.Hash)
		if err != nil {
			return Scope{}, err
		}
		scope.Key.Row, scope.Key.Checked = row, true
	}
	return scope.Key.scopeOf(), nil
}

// keyCTE writes the CTE "a" of a statement that checks the key: the key's
// columns as tokenColumns reads them, and what access and visible need.
func keyCTE(q *sqlText, k *KeyCheck) {
	q.sql(`WITH a AS (SELECT u.id AS uid, u.uuid AS uuuid, u.username, u.email, u.is_staff, u.is_support, u.is_active,
  u.created AS ucreated, t.id AS tid, t.expires, t.revoked, t.last_used
  FROM api_tokens AS t JOIN users AS u ON u.id = t.user_id WHERE t.key_hash = `).arg(k.Hash).sql(")")
}

// tokenColumns are a's columns as keyScan reads them.
const tokenColumns = "a.uid, a.uuuid, a.username, a.email, a.is_staff, a.is_support, a.is_active, a.ucreated, a.tid, a.expires, a.revoked, a.last_used"

// firstRowTokenColumns are tokenColumns on the first answer row and NULL on
// the others. Which row gets them does not matter to keyScan, only that
// one does: row_number() numbers the rows as the join yields them.
const firstRowTokenColumns = "CASE WHEN row_number() OVER () = 1 THEN a.uid END, CASE WHEN row_number() OVER () = 1 THEN a.uuuid END, " +
	"CASE WHEN row_number() OVER () = 1 THEN a.username END, CASE WHEN row_number() OVER () = 1 THEN a.email END, " +
	"CASE WHEN row_number() OVER () = 1 THEN a.is_staff END, CASE WHEN row_number() OVER () = 1 THEN a.is_support END, " +
	"CASE WHEN row_number() OVER () = 1 THEN a.is_active END, CASE WHEN row_number() OVER () = 1 THEN a.ucreated END, " +
	"CASE WHEN row_number() OVER () = 1 THEN a.tid END, CASE WHEN row_number() OVER () = 1 THEN a.expires END, " +
	"CASE WHEN row_number() OVER () = 1 THEN a.revoked END, CASE WHEN row_number() OVER () = 1 THEN a.last_used END"

// validKey is the core's rule for a good key, for a write that checks the
// key in its own condition (the core checks the same on the row a read
// returns; the tests hold the two together).
func validKey(q *sqlText, k *KeyCheck) {
	q.sql("(a.is_active AND a.revoked IS NULL AND (a.expires IS NULL OR a.expires > ").arg(k.Now.UTC()).sql("))")
}

// keyScan scans the key's columns of a statement that checked the key.
// A folded list carries them on its first row only (firstRowTokenColumns):
// on every other row they are NULL, which the scanners skip, so that a page
// of 300 items does not parse the key's strings, uuid and times 300 times.
// done records what was scanned into the KeyCheck.
type keyScan struct {
	row                       TokenRow
	expires, revoked, lastUse sql.NullTime
	dests                     []any
}

// dest is the same slice for every row: what a row leaves NULL keeps what
// an earlier row set.
func (k *keyScan) dest() []any {
	if k.dests == nil {
		u := &k.row.User
		k.dests = []any{keep(&u.ID), keep(&u.UUID), keep(&u.Username), keep(&u.Email), keep(&u.IsStaff), keep(&u.IsSupport),
			keep(&u.IsActive), keep(&u.Created), keep(&k.row.TokenID), keepNull(&k.expires), keepNull(&k.revoked), keepNull(&k.lastUse)}
	}
	return k.dests
}

// rowDest is the key's columns, then found, then the row's own: in one
// slice reused from row to row (the rows' scans are one after the other).
func (k *keyScan) rowDest(scratch *[]any, found *bool, row []any) []any {
	*scratch = append(append(append((*scratch)[:0], k.dest()...), found), row...)
	return *scratch
}

func (k *keyScan) done(c *KeyCheck, found bool) {
	c.Checked = true
	if !found {
		return
	}
	row := k.row
	row.Expires, row.Revoked, row.LastUsed = nullTime(k.expires), nullTime(k.revoked), nullTime(k.lastUse)
	c.Row = &row
}

// kept scans a non-NULL value into v and leaves v alone on NULL.
type kept[T any] struct{ v *T }

func keep[T any](v *T) kept[T] { return kept[T]{v} }

func (k kept[T]) Scan(src any) error {
	if src == nil {
		return nil
	}
	var n sql.Null[T]
	if err := n.Scan(src); err != nil {
		return err
	}
	*k.v = n.V
	return nil
}

// keptNull is kept for a column that may be NULL on the key's row too:
// its zero value is NULL already.
type keptNull struct{ v *sql.NullTime }

func keepNull(v *sql.NullTime) keptNull { return keptNull{v} }

func (k keptNull) Scan(src any) error {
	if src == nil {
		return nil
	}
	return k.v.Scan(src)
}

// column is one result column of a read that may be folded with a key
// check: its expression, and the literal that stands for it in the one row
// that says the key was found but nothing else was (scanning NULL into a Go
// value fails, so the outer join's NULLs become these).
type column struct{ expr, zero string }

const (
	zeroUUID = "'00000000-0000-0000-0000-000000000000'::uuid"
	zeroTime = "'epoch'::timestamptz"
)

// selectColumns writes cols, aliased k0, k1, … when the statement is the
// inner part of a folded read.
func selectColumns(q *sqlText, cols []column, folded bool) {
	for i, c := range cols {
		if i > 0 {
			q.sql(", ")
		}
		q.sql(c.expr)
		if folded {
			q.sql(" AS k", strconv.Itoa(i))
		}
	}
}

// foldedRead runs a read whose inner statement (written by inner, its result
// columns cols, aliased) checks the key of scope too, and scans every row of
// the inner statement with dest. Each answer row begins with the key's
// columns and whether the inner statement found a row; when it found none,
// there is one answer row, to say what the key is.
func foldedRead[T any](ctx context.Context, s *Store, scope Scope, cols []column, inner func(q *sqlText, scope Scope),
	dest func(*T) []any,
) ([]T, error) {
	k := scope.Key
	scope.folded = true
	q := s.text()
	keyCTE(q, k)
	q.sql(" SELECT ", firstRowTokenColumns, ", x.k0 IS NOT NULL")
	for i, c := range cols {
		q.sql(", COALESCE(x.k", strconv.Itoa(i), ", ", c.zero, ")")
	}
	q.sql(" FROM a LEFT JOIN LATERAL (")
	inner(q, scope)
	q.sql(") AS x ON TRUE")
	var (
		ks              keyScan
		found, keyFound bool
		scratch         []any
	)
	defer q.release()
	rows, err := retryRead(ctx, s.bdb, func() ([]T, error) {
		keyFound = false
		return scanAll(ctx, s, q, func(r *T) []any {
			keyFound = true
			return ks.rowDest(&scratch, &found, dest(r))
		})
	})
	if err != nil {
		return nil, err
	}
	ks.done(k, keyFound)
	if keyFound && !found {
		rows = rows[:0]
	}
	return rows, nil
}

// foldableCount runs the count written by count, folded with the key check
// of scope where it can be.
func foldableCount(ctx context.Context, s *Store, scope Scope, count func(q *sqlText, scope Scope)) (int64, error) {
	if !s.folds(scope) {
		scope, err := s.resolve(ctx, scope)
		if err != nil {
			return 0, err
		}
		q := s.text()
		count(q, scope)
		return s.count(ctx, q)
	}
	k := scope.Key
	scope.folded = true
	q := s.text()
	keyCTE(q, k)
	q.sql(" SELECT ", tokenColumns, ", (")
	count(q, scope)
	q.sql(") FROM a")
	var ks keyScan
	rows, err := collect(ctx, s, q, func(n *int64) []any { return append(ks.dest(), n) })
	if err != nil {
		return 0, err
	}
	ks.done(k, len(rows) > 0)
	if len(rows) == 0 {
		return 0, nil
	}
	return rows[0], nil
}
