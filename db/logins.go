package db

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"
)

// The statements of /api-auth/password/: the user a login names, the failed
// logins counted per username (shared by every replica), and the keys a
// login issues. The core decides what the counts mean.

// LoginFailures is what is recorded of a username's failed logins: how many
// in a row, and when the last one was.
type LoginFailures struct {
	Failures    int
	LastFailure time.Time
}

// LoginFailuresOf reads what is recorded of username; the zero value when
// nothing is.
func (s *Store) LoginFailuresOf(ctx context.Context, username string) (LoginFailures, error) {
	var f LoginFailures
	err := s.bdb.QueryRowContext(ctx, "SELECT failures, last_failure FROM login_failures WHERE username = ?", username).
		Scan(&f.Failures, &f.LastFailure)
	if errors.Is(err, sql.ErrNoRows) {
		return LoginFailures{}, nil
	}
	f.LastFailure = f.LastFailure.UTC()
	return f, err
}

// RecordLoginFailure counts one more failure of username at now and returns
// the count. It is one statement, so concurrent failures on any number of
// replicas are all counted. A count whose last failure is before
// forgetBefore is stale: it starts again at 1.
func (s *Store) RecordLoginFailure(ctx context.Context, username string, now, forgetBefore time.Time) (int, error) {
	var n int
	err := s.bdb.QueryRowContext(ctx, `INSERT INTO login_failures (username, failures, last_failure) VALUES (?, 1, ?)
ON CONFLICT (username) DO UPDATE SET
  failures = CASE WHEN login_failures.last_failure < ? THEN 1 ELSE login_failures.failures + 1 END,
  last_failure = excluded.last_failure
RETURNING failures`, username, now, forgetBefore).Scan(&n)
	return n, err
}

// ClearLoginFailures forgets username's failures, after a successful login.
func (s *Store) ClearLoginFailures(ctx context.Context, username string) error {
	_, err := s.bdb.ExecContext(ctx, "DELETE FROM login_failures WHERE username = ?", username)
	return err
}

// ForgetLoginFailures deletes the rows whose last failure is before before,
// which keeps the table as small as the recent failures, and says how many.
func (s *Store) ForgetLoginFailures(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.bdb.ExecContext(ctx, "DELETE FROM login_failures WHERE last_failure < ?", before)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// InsertLoginToken stores tok as a key issued by a login and, in the same
// transaction, revokes at now the user's live login keys beyond the newest
// keep (keep 0: none). Keys made by the operator are neither counted nor
// revoked. Concurrent logins of one user wait for each other on the user's
// row (SQLite's writers are serialised anyway), so the cap holds under
// concurrency too.
func (s *Store) InsertLoginToken(ctx context.Context, tok *Token, keep int, now time.Time) error {
	tok.ViaLogin = true
	return s.bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if keep > 0 && s.postgres() {
			if _, err := tx.ExecContext(ctx, "SELECT 1 FROM users WHERE id = ? FOR UPDATE", tok.UserID); err != nil {
				return err
			}
		}
		if _, err := tx.NewInsert().Model(tok).Exec(ctx); err != nil {
			return err
		}
		if keep <= 0 {
			return nil
		}
		const live = "user_id = ? AND via_login = ? AND revoked IS NULL AND (expires IS NULL OR expires > ?)"
		_, err := tx.ExecContext(ctx, "UPDATE api_tokens SET revoked = ? WHERE "+live+
			" AND id NOT IN (SELECT id FROM api_tokens WHERE "+live+" ORDER BY id DESC LIMIT ?)",
			now, tok.UserID, true, now, tok.UserID, true, now, keep)
		return err
	})
}
