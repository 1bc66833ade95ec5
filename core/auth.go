package core

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"

	"github.com/callcfg/callcfg/db"
)

// User is an account as the faces may show it (me): never its password
// hash or whether it is active, which only authentication reads.
type User struct {
	id        int64
	UUID      uuid.UUID
	Username  string
	Email     string
	IsStaff   bool
	IsSupport bool
}

func userOf(u *db.User) *User {
	return &User{id: u.ID, UUID: u.UUID, Username: u.Username, Email: u.Email, IsStaff: u.IsStaff, IsSupport: u.IsSupport}
}

// Actor is who makes a request. The zero Actor (no user) is anonymous.
type Actor struct {
	User *User
}

func (a Actor) Authenticated() bool { return a.User != nil }

func (a Actor) userID() int64 {
	if a.User == nil {
		return 0
	}
	return a.User.id
}

// seesAll: staff and support see every call and configuration.
func (a Actor) seesAll() bool {
	return a.User != nil && (a.User.IsStaff || a.User.IsSupport)
}

func (a Actor) scope() db.Scope {
	return db.Scope{All: a.seesAll(), UserID: a.userID(), Manages: a.User != nil && a.User.IsStaff}
}

func (a Actor) canSee(acc db.Access) bool {
	return a.seesAll() || acc.HasRole
}

// canManage: staff manage everything; a call's managers manage it; the call
// organisers of the call's organisation manage it only where they also hold a
// role on the call (without one they do not even see it).
func (a Actor) canManage(acc db.Access) bool {
	if a.User == nil {
		return false
	}
	return a.User.IsStaff || (acc.HasRole && (acc.IsManager || acc.IsOrganizer))
}

func (a Actor) require() error {
	if a.User == nil {
		return errUnauthenticated(MsgNotAuthenticated)
	}
	return nil
}

// lastUsedResolution bounds how often last_used is written: once a minute per
// token is enough to tell live keys from dead ones, and keeps reads read-only.
const lastUsedResolution = time.Minute

// Authenticate resolves an API key to its user. Unknown, revoked and expired
// keys, and inactive users, are all "Invalid token.".
func (s *Service) Authenticate(ctx context.Context, key string) (Actor, error) {
	if key == "" {
		return Actor{}, errUnauthenticated(MsgInvalidToken)
	}
	row, err := s.store.TokenByHash(ctx, hashKey(key))
	if err != nil {
		return Actor{}, errInternal(err)
	}
	if row == nil {
		return Actor{}, errUnauthenticated(MsgInvalidToken)
	}
	now := db.Now()
	if row.Revoked != nil || (row.Expires != nil && !row.Expires.After(now)) || !row.User.IsActive {
		return Actor{}, errUnauthenticated(MsgInvalidToken)
	}
	if row.LastUsed == nil || now.Sub(*row.LastUsed) > lastUsedResolution {
		// Best effort: failing to note the use must not fail the request.
		_ = s.store.TouchToken(ctx, row.TokenID, now)
	}
	return Actor{User: userOf(&row.User)}, nil
}

// Login checks a username and password and issues a new API key, as the
// upstream /api-auth/password/ endpoint does.
func (s *Service) Login(ctx context.Context, username, password string) (string, error) {
	fe := FieldErrors{}
	if username == "" {
		fe.Add("username", MsgRequired)
	}
	if password == "" {
		fe.Add("password", MsgRequired)
	}
	if len(fe) > 0 {
		return "", errInvalid(fe)
	}
	user, err := s.store.UserByName(ctx, username)
	if err != nil {
		return "", errInternal(err)
	}
	if user == nil {
		user = &db.User{}
	}
	if !checkPassword(user.PasswordHash, password) || !user.IsActive {
		return "", errInvalidField(NonFieldErrors, MsgBadCredentials)
	}
	key, err := s.issueToken(ctx, user.ID, 0)
	if err != nil {
		return "", errInternal(err)
	}
	return key, nil
}

// dummyHash makes a login for an unknown user cost what a wrong password
// costs, so response times do not reveal which usernames exist.
// It is made on first use: hashing at start-up would slow every command.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("not a password"), bcrypt.DefaultCost)
	return h
})

func checkPassword(hash, password string) bool {
	if hash == "" {
		_ = bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

func hashPassword(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	return string(h), err
}

// hashKey is what is stored of an API key: SHA-256 suffices for a random
// 160-bit secret and keeps lookups a single indexed equality.
func hashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

func newKey() string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (s *Service) issueToken(ctx context.Context, userID int64, ttl time.Duration) (string, error) {
	key := newKey()
	now := db.Now()
	tok := &db.Token{UserID: userID, KeyHash: hashKey(key), Created: now}
	if ttl > 0 {
		exp := now.Add(ttl)
		tok.Expires = &exp
	}
	if err := s.store.InsertToken(ctx, tok); err != nil {
		return "", err
	}
	return key, nil
}

// AuthenticateHeader reads an Authorization header value as the upstream
// service does: "Token <key>" (keyword in any case) or "Bearer <key>". No
// header, or another scheme, is anonymous; a malformed one is an error.
func (s *Service) AuthenticateHeader(ctx context.Context, header string) (Actor, error) {
	keyword, rest, _ := strings.Cut(strings.TrimSpace(header), " ")
	if !strings.EqualFold(keyword, "token") && !strings.EqualFold(keyword, "bearer") {
		return Actor{}, nil
	}
	rest = strings.TrimSpace(rest)
	switch {
	case rest == "":
		return Actor{}, errUnauthenticated("Invalid token header. No credentials provided.")
	case strings.ContainsAny(rest, " \t"):
		return Actor{}, errUnauthenticated("Invalid token header. Token string should not contain spaces.")
	}
	return s.Authenticate(ctx, rest)
}
