package core

import (
	"context"
	"sync"
	"time"

	"github.com/callcfg/callcfg/db"
)

// Actor is who makes a request. The zero Actor (no user) is anonymous.
//
// A request's API key is not looked up on its own: the request's first
// statement that needs the viewer checks the key itself (on PostgreSQL, in
// the same statement as the data: one round trip for both), and the
// request's later statements share the answer. So an Actor is either a
// user, or a key still to check (begin, scope and settle below take it
// through a data operation), or anonymous.
type Actor struct {
	User *User
	key  *pendingKey
}

// pendingKey is a key presented with a request, checked once for all of the
// request's statements (GraphQL resolves fields concurrently).
type pendingKey struct {
	hash string

	mu      sync.Mutex
	done    bool
	user    *User
	tokenID int64 // of a good key, for what outlives the request (a subscription)
	err     error
}

// actorOfKey is the actor of a key already checked elsewhere (a
// subscription's audience statement).
func actorOfKey(u *User, tokenID int64) Actor {
	return Actor{User: u, key: &pendingKey{done: true, user: u, tokenID: tokenID}}
}

// tokenID is the id of the good key the actor authenticated with, 0 when
// none (anonymous, or not checked yet).
func (a Actor) tokenID() int64 {
	if a.key == nil {
		return 0
	}
	a.key.mu.Lock()
	defer a.key.mu.Unlock()
	return a.key.tokenID
}

// Authenticated reports whether the actor is a user or presents a key.
func (a Actor) Authenticated() bool { return a.User != nil || a.key != nil }

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

// Require is the first check of every data operation: a user, or a key to
// check. A face that must answer 401 before it looks at a request any
// further (REST, as DRF does) calls it once, up front; a key it cannot vouch
// for yet is checked by Resolve.
func (a Actor) Require() error { return a.require() }

func (a Actor) require() error {
	switch {
	case a.User != nil:
		return nil
	case a.key == nil:
		return errUnauthenticated(MsgNotAuthenticated)
	}
	a.key.mu.Lock()
	defer a.key.mu.Unlock()
	if a.key.done {
		return a.key.err
	}
	return nil
}

// settled is the actor once its key has been checked (by any of the
// request's statements), or a itself.
func (a Actor) settled() (Actor, bool) {
	if a.User != nil || a.key == nil {
		return a, true
	}
	a.key.mu.Lock()
	defer a.key.mu.Unlock()
	if !a.key.done {
		return a, false
	}
	return Actor{User: a.key.user, key: a.key}, true
}

// begin starts a data operation: a user, or a key to check. The key is
// checked first, in a statement of its own, where the operation's
// statements cannot check it themselves (SQLite: in process, the folding
// would save nothing) or where a per-key rate limit must apply before any
// work and only to good keys.
func (s *Service) begin(ctx context.Context, a Actor) (Actor, error) {
	if err := a.require(); err != nil {
		return a, err
	}
	if done, ok := a.settled(); ok {
		return done, done.require()
	}
	if s.keyRate != nil || !s.store.FoldsKeyChecks() {
		return s.Resolve(ctx, a)
	}
	return a, nil
}

// scope is what a's statements may see: the user's scope, or a key check
// for the statement to make.
func (s *Service) scope(a Actor) db.Scope {
	if a.User == nil && a.key != nil {
		return db.Scope{Key: &db.KeyCheck{Hash: a.key.hash, Now: s.clock()}}
	}
	return db.Scope{All: a.seesAll(), UserID: a.userID(), Manages: a.User != nil && a.User.IsStaff}
}

// settle takes the answer of a statement that checked scope's key: the
// first answer of a request decides for all of its statements.
func (s *Service) settle(ctx context.Context, a Actor, scope db.Scope) (Actor, error) {
	if scope.Key == nil || !scope.Key.Checked {
		// Nothing checked the key (a write that declined to): a later
		// statement will.
		return a, nil
	}
	k := a.key
	k.mu.Lock()
	defer k.mu.Unlock()
	s.settleLocked(ctx, k, scope.Key.Row, scope.Key.Now)
	return Actor{User: k.user, key: k}, k.err
}

func (s *Service) settleLocked(ctx context.Context, k *pendingKey, row *db.TokenRow, now time.Time) {
	if !k.done {
		k.user, k.err = s.checkKey(ctx, row, now)
		if k.err == nil {
			k.tokenID = row.TokenID
		}
		k.done = true
	}
}

// Resolve checks a's key now, in a statement of its own, where nothing else
// will (a face's own answers, which must not go to a bad key; the user's own
// record; a per-key rate limit, which applies before any work). Concurrent
// callers of one request wait for one statement.
func (s *Service) Resolve(ctx context.Context, a Actor) (Actor, error) {
	if a.User != nil || a.key == nil {
		return a, a.require()
	}
	k := a.key
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.done {
		return Actor{User: k.user, key: k}, k.err
	}
	row, err := s.store.TokenByHash(ctx, k.hash)
	if err != nil {
		return a, errInternal(err)
	}
	now := s.clock()
	s.settleLocked(ctx, k, row, now)
	if k.err != nil || s.keyRate == nil {
		return Actor{User: k.user, key: k}, k.err
	}
	// After the key's own checks, so that only good keys hold buckets.
	if d := s.keyRate.wait(row.TokenID, now); d > 0 {
		k.user, k.err = nil, errThrottled(d)
	}
	return Actor{User: k.user, key: k}, k.err
}

// read runs one statement of a data operation with a's scope, and settles
// a's key from its answer: after read, *a is the user (or the error is).
func read[T any](ctx context.Context, s *Service, a *Actor, run func(db.Scope) (T, error)) (T, error) {
	scope := s.scope(*a)
	v, err := run(scope)
	if err != nil {
		var zero T
		return zero, errInternal(err)
	}
	settled, err := s.settle(ctx, *a, scope)
	if err != nil {
		var zero T
		return zero, err
	}
	*a = settled
	return v, nil
}
