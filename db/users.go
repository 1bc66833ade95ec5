package db

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// InsertUser stores a new user (its ID is set). A taken username is the
// constraint's error (IsUniqueViolation).
func (s *Store) InsertUser(ctx context.Context, u *User) error {
	_, err := s.bdb.NewInsert().Model(u).Exec(ctx)
	return err
}

// UserByName reads a user, password hash included; (nil, nil) when there is
// none.
func (s *Store) UserByName(ctx context.Context, username string) (*User, error) {
	u := new(User)
	err := s.bdb.NewSelect().Model(u).Where("username = ?", username).Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return u, nil
}

// CountUsers counts every user.
func (s *Store) CountUsers(ctx context.Context) (int64, error) {
	return s.bdb.NewSelect().Table("users").Count(ctx)
}

// TokenRow is an API token with its user, as authentication reads it.
type TokenRow struct {
	User     User
	TokenID  int64
	Expires  *time.Time
	Revoked  *time.Time
	LastUsed *time.Time
}

// TokenByHash reads a token and its user by the key's hash; (nil, nil) when
// there is none. The password hash is not read: authentication by key does
// not need it.
func (s *Store) TokenByHash(ctx context.Context, keyHash string) (*TokenRow, error) {
	q := s.text()
	q.sql(`SELECT u.id, u.uuid, u.username, u.email, u.is_staff, u.is_support, u.is_active, u.created,
  t.id, t.expires, t.revoked, t.last_used
FROM api_tokens AS t JOIN users AS u ON u.id = t.user_id
WHERE t.key_hash = `).arg(keyHash)
	var expires, revoked, lastUsed sql.NullTime
	row, err := first(collect(ctx, s, q, func(r *TokenRow) []any {
		u := &r.User
		return []any{&u.ID, &u.UUID, &u.Username, &u.Email, &u.IsStaff, &u.IsSupport, &u.IsActive, &u.Created,
			&r.TokenID, &expires, &revoked, &lastUsed}
	}))
	if row == nil || err != nil {
		return nil, err
	}
	row.Expires, row.Revoked, row.LastUsed = nullTime(expires), nullTime(revoked), nullTime(lastUsed)
	return row, nil
}

func nullTime(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time.UTC()
	return &v
}

// TouchToken records that a token was used now.
func (s *Store) TouchToken(ctx context.Context, tokenID int64, now time.Time) error {
	_, err := s.bdb.NewUpdate().Table("api_tokens").Set("last_used = ?", now).Where("id = ?", tokenID).Exec(ctx)
	return err
}

// InsertToken stores a new token (its ID is set).
func (s *Store) InsertToken(ctx context.Context, t *Token) error {
	_, err := s.bdb.NewInsert().Model(t).Exec(ctx)
	return err
}

// RevokeUserTokens revokes every live token of a user and says how many.
func (s *Store) RevokeUserTokens(ctx context.Context, userID int64, now time.Time) (int64, error) {
	res, err := s.bdb.NewUpdate().Table("api_tokens").Set("revoked = ?", now).
		Where("user_id = ? AND revoked IS NULL", userID).Exec(ctx)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
