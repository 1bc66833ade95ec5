package core

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

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

// lastUsedResolution bounds how often last_used is written: once a minute per
// token is enough to tell live keys from dead ones, and keeps reads read-only.
const lastUsedResolution = time.Minute

// Authenticate resolves an API key to its user at once. Unknown, revoked
// and expired keys, and inactive users, are all "Invalid token."; a key
// over the per-key rate limit (WithRateLimit) is throttled.
func (s *Service) Authenticate(ctx context.Context, key string) (Actor, error) {
	if key == "" {
		return Actor{}, errUnauthenticated(MsgInvalidToken)
	}
	return s.Resolve(ctx, Actor{key: &pendingKey{hash: hashKey(key)}})
}

// checkKey is the rule for a key as a statement found it (row nil: no key
// has its hash), at now: unknown, revoked and expired keys, and inactive
// users, are all "Invalid token.". A good key's use is noted, once a minute.
func (s *Service) checkKey(ctx context.Context, row *db.TokenRow, now time.Time) (*User, error) {
	if row == nil || !keyUsable(row.Revoked, row.Expires, row.User.IsActive, now) {
		return nil, errUnauthenticated(MsgInvalidToken)
	}
	if row.LastUsed == nil || now.Sub(*row.LastUsed) > lastUsedResolution {
		// Best effort: failing to note the use must not fail the request.
		_ = s.store.TouchToken(ctx, row.TokenID, now)
	}
	return userOf(&row.User), nil
}

// keyUsable is the rule for a key that exists: not revoked, not expired at
// now, its user active. A request's key and a subscription's, re-checked
// at every delivery, are held to it alike.
func keyUsable(revoked, expires *time.Time, userActive bool, now time.Time) bool {
	return revoked == nil && (expires == nil || expires.After(now)) && userActive
}

// Credentials are what a login presents. ClientAddr is the address the
// request came from as the connection shows it (never a header, which any
// client can set), for the per-client limit.
type Credentials struct {
	Username   string
	Password   string
	ClientAddr string
}

// maxUsername is the longest username an account can have.
const maxUsername = 150

// Login checks a username and password and issues a new API key, as the
// upstream /api-auth/password/ endpoint does, throttled by the LoginPolicy:
// a client over its rate, or a username locked by its failures, is refused
// before any password is checked, and a refused login changes nothing but
// the failure count.
func (s *Service) Login(ctx context.Context, c Credentials) (string, error) {
	fe := FieldErrors{}
	if c.Username == "" {
		fe.Add("username", MsgRequired)
	}
	if c.Password == "" {
		fe.Add("password", MsgRequired)
	}
	if len(fe) > 0 {
		return "", errInvalid(fe)
	}
	g, now := s.login, s.clock()
	if d := g.clientWait(c.ClientAddr, now); d > 0 {
		return "", errThrottled(d)
	}
	if utf8.RuneCountInString(c.Username) > maxUsername {
		// No account has such a name, and counting its failures would let
		// clients fill the table with whatever they send.
		return "", errInvalidField(NonFieldErrors, MsgBadCredentials)
	}
	past, err := s.store.LoginFailuresOf(ctx, c.Username)
	if err != nil {
		return "", errInternal(err)
	}
	if until := g.lockedUntil(past); now.Before(until) {
		return "", errThrottled(until.Sub(now))
	}
	user, err := s.store.UserByName(ctx, c.Username)
	if err != nil {
		return "", errInternal(err)
	}
	hash := ""
	if user != nil {
		hash = user.PasswordHash
	}
	ok, err := g.checkPassword(ctx, hash, c.Password)
	if err != nil {
		return "", err
	}
	if !ok || !user.IsActive {
		// Unknown usernames are counted too: a lock must not tell whether
		// an account exists.
		if _, err := s.store.RecordLoginFailure(ctx, c.Username, now, now.Add(-g.p.ForgetAfter)); err != nil {
			return "", errInternal(err)
		}
		if g.sweepDue(now) {
			// Best effort: a row left behind only waits for the next sweep.
			_, _ = s.store.ForgetLoginFailures(ctx, now.Add(-g.p.ForgetAfter))
		}
		return "", errInvalidField(NonFieldErrors, MsgBadCredentials)
	}
	if past.Failures > 0 {
		// Before the key is issued: if issuing fails, the right password
		// was still given.
		if err := s.store.ClearLoginFailures(ctx, c.Username); err != nil {
			return "", errInternal(err)
		}
	}
	key, tok := newToken(user.ID, now, g.p.TokenTTL)
	if err := s.store.InsertLoginToken(ctx, tok, g.p.MaxKeys, now); err != nil {
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

// newToken makes a key and the row that stores its hash, created at now and
// living ttl (0: for ever).
func newToken(userID int64, now time.Time, ttl time.Duration) (string, *db.Token) {
	key := newKey()
	tok := &db.Token{UserID: userID, KeyHash: hashKey(key), Created: now}
	if ttl > 0 {
		exp := now.Add(ttl)
		tok.Expires = &exp
	}
	return key, tok
}

func (s *Service) issueToken(ctx context.Context, userID int64, ttl time.Duration) (string, error) {
	key, tok := newToken(userID, s.clock(), ttl)
	if err := s.store.InsertToken(ctx, tok); err != nil {
		return "", err
	}
	return key, nil
}

// ActorFromHeader reads an Authorization header value as the upstream
// service does: "Token <key>" (keyword in any case) or "Bearer <key>". No
// header, or another scheme, is anonymous; a malformed one is an error. The
// key is not looked up here: the request's first statement checks it (see
// Actor), so that authentication costs no round trip of its own.
func (s *Service) ActorFromHeader(header string) (Actor, error) {
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
	return Actor{key: &pendingKey{hash: hashKey(rest)}}, nil
}

// AuthenticateHeader is ActorFromHeader with the key checked at once, for a
// caller that needs the user before any data (a subscription's connection).
func (s *Service) AuthenticateHeader(ctx context.Context, header string) (Actor, error) {
	a, err := s.ActorFromHeader(header)
	if err != nil || a.key == nil {
		return a, err
	}
	return s.Resolve(ctx, a)
}
