package db

import (
	"context"
	"database/sql"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// Following the feed: what a replica reads to push changes to its
// subscribers. It reads the feed once for all of them (FollowChanges),
// decides with one statement per batch who may see what (Followers), and is
// woken by a notification (LISTEN, listen.go) or, on SQLite, by the writes
// of this process (OnChangesCommitted).

// FollowChanges reads up to limit changes after pos, in feed order,
// whoever may see them, each with its call (nil once deleted) and the
// call's access left empty. Only final changes are returned (see horizon);
// pending says that committed changes after them still wait behind the
// horizon, so that the follower looks again soon rather than at its next
// wake-up: their commit's notification has come and gone. One statement.
func (s *Store) FollowChanges(ctx context.Context, pos ChangePosition, limit int) (rows []ChangeRow, pending bool, err error) {
	final := "TRUE"
	if s.postgres() {
		final = "ch.txn < (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint)"
	}
	q := s.text()
	q.sql("SELECT ", changeColumns, ", ")
	access(q, Scope{All: true, Manages: true}, 0)
	q.sql(", ", final, " FROM call_assignment_configuration_changes AS ch LEFT JOIN calls AS c ON c.uuid = ch.call_uuid WHERE TRUE")
	Page{Order: []Order{{Column: OrderChangeTxn}, {Column: OrderChangeID}}, Seek: []any{pos.Txn, pos.ID}, Limit: limit}.write(q)
	type followScan struct {
		changeScan
		final bool
	}
	scans, err := collect(ctx, s, q, func(f *followScan) []any { return append(changeDest(&f.changeScan), &f.final) })
	if err != nil {
		return nil, false, err
	}
	// Final changes come first: a change is final when its txn is below
	// the horizon, and the feed is ordered by txn.
	rows = make([]ChangeRow, 0, len(scans))
	for i := range scans {
		if !scans[i].final {
			return rows, true, nil
		}
		rows = append(rows, scans[i].row())
	}
	return rows, false, nil
}

// FollowerKey is an API key of a subscriber as it is now, with its user:
// whether it may still be used is the core's decision.
type FollowerKey struct {
	TokenID          int64
	User             User
	Expires, Revoked *time.Time
}

// FollowerRole is a user's standing on one call it holds a role on.
type FollowerRole struct {
	UserID   int64
	CallUUID uuid.UUID
	Access
}

// Followers reads, in one statement, the keys tokenIDs with their users
// (a key that is gone is absent), and the standing of users on those of
// calls they hold a role on. The statement is sent as text: its shape
// changes with the lengths of the lists.
func (s *Store) Followers(ctx context.Context, tokenIDs, userIDs []int64, calls []uuid.UUID) ([]FollowerKey, []FollowerRole, error) {
	if len(tokenIDs) == 0 {
		return nil, nil, nil
	}
	q := &sqlText{}
	// The keys come first: SQLite takes the columns' declared types, which
	// say how to read a time, from the first SELECT of a compound.
	q.sql(`SELECT 0, t.id, u.id, u.uuid, u.username, u.email, u.is_staff, u.is_support, u.is_active, t.expires, t.revoked,
  NULL, FALSE, FALSE, FALSE
FROM api_tokens AS t JOIN users AS u ON u.id = t.user_id WHERE t.id IN `)
	q.list(tokenIDs)
	if len(userIDs) > 0 && len(calls) > 0 {
		q.sql(` UNION ALL SELECT 1, 0, r.user_id, NULL, NULL, NULL, FALSE, FALSE, FALSE, NULL, NULL, c.uuid, TRUE,
  EXISTS (SELECT 1 FROM call_roles AS m WHERE m.call_id = c.id AND m.user_id = r.user_id AND m.role = 'manager'),
  EXISTS (SELECT 1 FROM org_roles AS o WHERE o.organisation_id = c.organisation_id AND o.user_id = r.user_id AND o.role = 'call_organizer')
FROM (SELECT DISTINCT user_id, call_id FROM call_roles WHERE user_id IN `)
		q.list(userIDs)
		q.sql(") AS r JOIN calls AS c ON c.id = r.call_id WHERE c.uuid IN ")
		uuidList(q, calls)
	}
	type scan struct {
		part                     int64
		tokenID, userID          int64
		userUUID                 uuid.NullUUID
		username, email          sql.NullString
		staff, support, active   bool
		expires, revoked         sql.NullTime
		callUUID                 uuid.NullUUID
		role, manager, organizer bool
	}
	rows, err := collect(ctx, s, q, func(r *scan) []any {
		return []any{&r.part, &r.tokenID, &r.userID, &r.userUUID, &r.username, &r.email, &r.staff, &r.support, &r.active,
			&r.expires, &r.revoked, &r.callUUID, &r.role, &r.manager, &r.organizer}
	})
	if err != nil {
		return nil, nil, err
	}
	var keys []FollowerKey
	var roles []FollowerRole
	for _, r := range rows {
		if r.part == 0 {
			keys = append(keys, FollowerKey{TokenID: r.tokenID, Expires: nullTime(r.expires), Revoked: nullTime(r.revoked), User: User{
				ID: r.userID, UUID: r.userUUID.UUID, Username: r.username.String, Email: r.email.String,
				IsStaff: r.staff, IsSupport: r.support, IsActive: r.active,
			}})
			continue
		}
		roles = append(roles, FollowerRole{UserID: r.userID, CallUUID: r.callUUID.UUID,
			Access: Access{HasRole: r.role, IsManager: r.manager, IsOrganizer: r.organizer}})
	}
	return keys, roles, nil
}

var changeWatchers sync.Map // *bun.DB -> *watchers

type watchers struct {
	mu   sync.Mutex
	next int
	fns  map[int]func()
}

// OnChangesCommitted calls fn after every write through bdb in this
// process that may have recorded a change has committed: the wake-up of
// this process's followers, and on PostgreSQL the cue to notify the other
// replicas' (see ChangeListener.Announce), as no trigger does it inside
// the writing transaction. A write by another process wakes nobody here
// unless it notifies; followers poll for those. The returned function
// stops the calls.
func OnChangesCommitted(bdb *bun.DB, fn func()) (stop func()) {
	v, _ := changeWatchers.LoadOrStore(bdb, &watchers{fns: map[int]func(){}})
	w := v.(*watchers)
	w.mu.Lock()
	id := w.next
	w.next++
	w.fns[id] = fn
	w.mu.Unlock()
	return func() {
		w.mu.Lock()
		delete(w.fns, id)
		w.mu.Unlock()
	}
}

// writeTx runs a write that records changes in a transaction and, once it
// has committed, tells OnChangesCommitted's listeners.
func (s *Store) writeTx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	err := s.bdb.RunInTx(ctx, nil, fn)
	if err != nil {
		return err
	}
	s.changesCommitted()
	return nil
}

// changesCommitted tells OnChangesCommitted's listeners that a write which
// may have recorded changes has committed.
func (s *Store) changesCommitted() {
	v, ok := changeWatchers.Load(s.bdb)
	if !ok {
		return
	}
	w := v.(*watchers)
	w.mu.Lock()
	fns := make([]func(), 0, len(w.fns))
	for _, fn := range w.fns {
		fns = append(fns, fn)
	}
	w.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}
