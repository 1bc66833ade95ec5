package core

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/callcfg/callcfg/db"
)

// Following the feed live: a replica reads each batch of new changes once
// for all its subscribers (FollowFeed), and decides who may see which with
// one statement per batch (Audience), as the rules of the feed say at
// delivery time: whoever may see a call sees its changes; staff and
// support see all, those of deleted calls too; a key that was revoked or
// expired, or whose user was deactivated, sees nothing more.

// KeyID is the API key a follower authenticated with: its connections and
// subscriptions are counted, and re-checked, by it.
type KeyID int64

// Key is the key the actor authenticated with; 0 for none.
func (a Actor) Key() KeyID { return KeyID(a.tokenID()) }

// FeedChange is a change as read for every follower at once; how it looks
// to one of them (its call's viewerCanManage) is the Audience's to say.
type FeedChange struct {
	Position ChangePosition
	CallUUID uuid.UUID
	row      db.ChangeRow
}

// FollowFeed reads up to limit (at most MaxPageSize) final changes after
// pos, whoever may see them, in one statement; pending says that committed
// changes after them are not final yet (an older transaction is still
// running), so the follower should look again soon.
func (s *Service) FollowFeed(ctx context.Context, pos ChangePosition, limit int) ([]FeedChange, bool, error) {
	rows, pending, err := s.store.FollowChanges(ctx, pos, max(1, min(limit, MaxPageSize)))
	if err != nil {
		return nil, false, errInternal(err)
	}
	out := make([]FeedChange, len(rows))
	for i, r := range rows {
		out[i] = FeedChange{Position: r.ChangePosition, CallUUID: r.CallUUID, row: r}
	}
	return out, pending, nil
}

// MaxAudience is the most actors one Audience statement covers; an
// Audience of more takes one statement per MaxAudience of them, so that
// no statement carries more than a few thousand parameters.
const MaxAudience = 500

// Audience says, for a set of followers and the calls of a batch, who may
// still follow and who sees which call, as the database says now.
type Audience struct {
	now   time.Time
	keys  map[int64]db.FollowerKey
	roles map[audienceRole]db.Access
}

type audienceRole struct {
	user int64
	call uuid.UUID
}

// Audience reads, in one statement per MaxAudience actors, the keys of
// actors and their users' standing on calls.
func (s *Service) Audience(ctx context.Context, actors []Actor, calls []uuid.UUID) (*Audience, error) {
	au := &Audience{now: s.clock(), keys: map[int64]db.FollowerKey{}, roles: map[audienceRole]db.Access{}}
	for start := 0; start < len(actors); start += MaxAudience {
		chunk := actors[start:min(start+MaxAudience, len(actors))]
		var keys, users []int64
		seenKey, seenUser := map[int64]bool{}, map[int64]bool{}
		for _, a := range chunk {
			if id := a.tokenID(); id != 0 && !seenKey[id] {
				seenKey[id] = true
				keys = append(keys, id)
			}
			// Those who see all still need their roles: a support user
			// manages a call only through them.
			if id := a.userID(); id != 0 && !seenUser[id] {
				seenUser[id] = true
				users = append(users, id)
			}
		}
		ks, roles, err := s.store.Followers(ctx, keys, users, calls)
		if err != nil {
			return nil, errInternal(err)
		}
		for _, k := range ks {
			au.keys[k.TokenID] = k
		}
		for _, r := range roles {
			au.roles[audienceRole{r.UserID, r.CallUUID}] = r.Access
		}
	}
	return au, nil
}

// Follower is a as the Audience knows it now: its user's flags as
// they are, and ok false when its key may no longer be used (revoked,
// expired, its user deactivated), by the rule every request's key is held to (keyUsable).
func (au *Audience) Follower(a Actor) (Actor, bool) {
	k, found := au.keys[a.tokenID()]
	if !found || !keyUsable(k.Revoked, k.Expires, k.User.IsActive, au.now) {
		return Actor{}, false
	}
	return actorOfKey(userOf(&k.User), k.TokenID), true
}

// Sees reports whether a (as Follower returned it) may see the changes of
// call: staff and support see every call's, deleted ones included; anyone
// else those of the calls they hold a role on. A call absent from the
// Audience's calls is not seen, except by those who see all.
func (au *Audience) Sees(a Actor, call uuid.UUID) bool {
	if a.seesAll() {
		return true
	}
	_, ok := au.roles[audienceRole{a.userID(), call}]
	return ok && a.User != nil
}

// Change is fc as a (as Follower returned it) sees it, or nil when a may
// not see it. Its call, gone once deleted, says what a may do with it.
func (au *Audience) Change(a Actor, fc *FeedChange) *Change {
	if !au.Sees(a, fc.CallUUID) {
		return nil
	}
	row := fc.row
	if row.Call != nil {
		call := *row.Call
		call.Access = au.roles[audienceRole{a.userID(), fc.CallUUID}]
		row.Call = &call
	}
	return a.change(&row)
}

// Following is where a new subscription to the feed starts.
type Following struct {
	// Actor is the follower as the database says it is now.
	Actor  Actor
	Filter ChangeFilter
	// After is the position after which changes are delivered: the
	// client's cursor, or the feed's end when it gave none.
	After ChangePosition
}

// StartFollowing checks that a may follow the feed now (its key still
// valid, within its rate), the changes of call when one is given (a call
// it cannot see is not found), from after (a change cursor; without one,
// from the end of the feed now), and says where to start. The start counts
// as a request against the key's rate limit.
func (s *Service) StartFollowing(ctx context.Context, a Actor, call *uuid.UUID, after *string) (*Following, error) {
	if err := a.require(); err != nil {
		return nil, err
	}
	if id := a.tokenID(); s.keyRate != nil && id != 0 {
		if d := s.keyRate.wait(id, s.clock()); d > 0 {
			return nil, errThrottled(d)
		}
	}
	f := &Following{}
	if after != nil {
		pos, err := ParseChangeCursor(*after, "after")
		if err != nil {
			return nil, err
		}
		f.After = pos
	}
	au, err := s.Audience(ctx, []Actor{a}, nil)
	if err != nil {
		return nil, err
	}
	now, ok := au.Follower(a)
	if !ok {
		return nil, errUnauthenticated(MsgInvalidToken)
	}
	f.Actor = now
	if call != nil {
		if _, _, err := s.visibleCall(ctx, now, *call); err != nil {
			return nil, err
		}
		id := *call
		f.Filter.CallUUID = &id
	}
	if after == nil {
		if f.After, err = s.FeedEnd(ctx); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// WatchFeed calls wake whenever the feed may have grown, until ctx ends:
// after every write of this process, and on PostgreSQL on every
// notification of another process's commit that recorded a change, heard
// by a session of its own over directURL (which must not go through a
// transaction pooler; interval is how often a silent session checks that
// it is alive), which also tells the other replicas of this one's writes.
// A notification is only a wake-up: a follower must also look from time to
// time, for what was committed while nobody listened. It returns when ctx
// ends.
func (s *Service) WatchFeed(ctx context.Context, directURL string, interval time.Duration, log *slog.Logger, wake func()) {
	if log == nil {
		log = slog.Default()
	}
	bdb := s.store.DB()
	if !db.IsPostgres(bdb) {
		stop := db.OnChangesCommitted(bdb, wake)
		defer stop()
		<-ctx.Done()
		return
	}
	// This process's writes wake its followers at once, and the other
	// replicas' through a notification once there is a listener to send it.
	var listener atomic.Pointer[db.ChangeListener]
	stop := db.OnChangesCommitted(bdb, func() {
		wake()
		if l := listener.Load(); l != nil {
			l.Announce()
		}
	})
	defer stop()
	for {
		l, err := db.ListenChanges(ctx, directURL, interval, log)
		if err == nil {
			listener.Store(l)
			l.Run(ctx, wake)
			return
		}
		log.Warn("cannot listen for changes; the feed is polled meanwhile", "error", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}
