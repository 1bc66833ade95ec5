package core

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/callcfg/callcfg/db"
)

// The change record: every create, update and delete of a configuration,
// through either face or the CLI, records one Change in the same
// transaction as the write (db does the atomic part). This file holds the
// rules about it: where a write came from, what a change says, who may
// see which, and the feed's order and cursors.

// Where a write came from.
const (
	ViaREST    = db.ViaREST
	ViaGraphQL = db.ViaGraphQL
	ViaCLI     = db.ViaCLI
)

// Origin is where the writes of one request come from: the face, and the
// request's id as the client sees it (X-Request-Id). Each face sets it
// once per request (WithOrigin); a context without one (the admin CLI,
// tests building a world) records its writes as the CLI's, without a
// request id.
type Origin struct {
	Via       string
	RequestID string
}

type originKey struct{}

// WithOrigin returns ctx carrying o for the writes made under it.
func WithOrigin(ctx context.Context, o Origin) context.Context {
	return context.WithValue(ctx, originKey{}, o)
}

// maxRequestID is the longest request id a change keeps, the
// longest the server accepts from a caller; a longer one is not recorded.
const maxRequestID = 64

// changeMeta is what a write by a records about itself.
func (a Actor) changeMeta(ctx context.Context) db.ChangeMeta {
	o, _ := ctx.Value(originKey{}).(Origin)
	m := db.ChangeMeta{UUID: uuid.New(), Via: o.Via}
	switch {
	case m.Via != ViaREST && m.Via != ViaGraphQL:
		// The CLI's writes have no request.
		m.Via = ViaCLI
	case len(o.RequestID) <= maxRequestID:
		m.RequestID = o.RequestID
	}
	if a.User != nil {
		m.ActorUUID = uuid.NullUUID{UUID: a.User.UUID, Valid: true}
		m.ActorUsername = a.User.Username
	}
	return m
}

// Kinds of change.
const (
	ChangeCreated = db.ChangeCreated
	ChangeUpdated = db.ChangeUpdated
	ChangeDeleted = db.ChangeDeleted
)

// ChangeActor is who made a change, as they were named when they made it.
type ChangeActor struct {
	UUID     uuid.UUID
	Username string
}

// ChangePosition is a change's place in the feed. Cursors carry it
// (ChangeCursor, ParseChangeCursor); the feed never inserts a change
// before a position once read (see db.ChangePosition).
type ChangePosition = db.ChangePosition

// Change is one recorded create, update or delete of a configuration.
type Change struct {
	UUID              uuid.UUID
	Kind              string // ChangeCreated, ChangeUpdated or ChangeDeleted
	At                time.Time
	ConfigurationUUID uuid.UUID
	CallUUID          uuid.UUID
	// Actor is nil for a write made through the CLI.
	Actor *ChangeActor
	Via   string // ViaREST, ViaGraphQL or ViaCLI
	// RequestID is nil for the CLI's writes.
	RequestID *string
	// Before is nil on creation, After on deletion.
	Before, After *Settings
	// ChangedFields names (as FieldAutoReassignOnDecline and the others)
	// the settings whose value changed, in a fixed order: every one on
	// creation and deletion, none for an update that changed no value.
	ChangedFields []string
	Position      ChangePosition
	// Cursor is the change's cursor in the feed and in any history: pass
	// it as after to resume after this change.
	Cursor string

	call *Call
}

// Call is the change's call as read with it; nil once the call is deleted.
func (c *Change) Call() *Call { return c.call }

// settingFields are the settings' names in their fixed order.
var settingFields = []string{FieldAutoReassignOnDecline, FieldMaxAutoReassignAttempts, FieldAssignmentExpirationDays, FieldSendReminderBeforeExpiryDays}

func changedFields(before, after *Settings) []string {
	if before == nil || after == nil {
		return slices.Clone(settingFields)
	}
	out := []string{}
	if before.AutoReassignOnDecline != after.AutoReassignOnDecline {
		out = append(out, FieldAutoReassignOnDecline)
	}
	if before.MaxAutoReassignAttempts != after.MaxAutoReassignAttempts {
		out = append(out, FieldMaxAutoReassignAttempts)
	}
	if before.AssignmentExpirationDays != after.AssignmentExpirationDays {
		out = append(out, FieldAssignmentExpirationDays)
	}
	if before.SendReminderBeforeExpiryDays != after.SendReminderBeforeExpiryDays {
		out = append(out, FieldSendReminderBeforeExpiryDays)
	}
	return out
}

func settingsFrom(s *db.ChangeSettings) *Settings {
	if s == nil {
		return nil
	}
	return &Settings{AutoReassignOnDecline: s.AutoReassignOnDecline, MaxAutoReassignAttempts: s.MaxAutoReassignAttempts,
		AssignmentExpirationDays: s.AssignmentExpirationDays, SendReminderBeforeExpiryDays: s.SendReminderBeforeExpiryDays}
}

func (a Actor) change(r *db.ChangeRow) *Change {
	c := &Change{
		UUID: r.UUID, Kind: r.Kind, At: r.At.UTC(), ConfigurationUUID: r.ConfigurationUUID, CallUUID: r.CallUUID,
		Via: r.Via, Before: settingsFrom(r.Before), After: settingsFrom(r.After),
		Position: r.ChangePosition, Cursor: ChangeCursor(r.ChangePosition),
	}
	c.ChangedFields = changedFields(c.Before, c.After)
	if r.ActorUUID.Valid {
		c.Actor = &ChangeActor{UUID: r.ActorUUID.UUID, Username: r.ActorUsername}
	}
	if r.RequestID != "" {
		id := r.RequestID
		c.RequestID = &id
	}
	if r.Call != nil {
		c.call = a.call(r.Call)
	}
	return c
}

// changeOrder is the feed's one order, oldest first: a history is a part of
// the feed, so a cursor from either resumes the other.
var changeOrder = []db.Order{{Column: db.OrderChangeTxn}, {Column: db.OrderChangeID}}

func changeKey(r *db.ChangeRow) []any { return []any{r.Txn, r.ID} }

func changeNodeKey(c *Change) []any { return []any{c.Position.Txn, c.Position.ID} }

// ChangeCursor is the cursor of the change at p.
func ChangeCursor(p ChangePosition) string {
	return encodeCursor(changeOrder, []any{p.Txn, p.ID})
}

// ParseChangeCursor reads a cursor of the feed; an invalid one is an input
// error on field.
func ParseChangeCursor(cursor, field string) (ChangePosition, error) {
	vals, err := decodeCursor(changeOrder, cursor, field)
	if err != nil {
		return ChangePosition{}, err
	}
	txn, id := vals[0].(int64), vals[1].(int64)
	if txn < 0 || id < 0 {
		return ChangePosition{}, errInvalidField(field, MsgInvalidCursor)
	}
	return ChangePosition{Txn: txn, ID: id}, nil
}

// ChangeFilter narrows the feed; zero fields do not filter. Since is
// inclusive and Until exclusive, so consecutive windows neither overlap
// nor leave gaps.
type ChangeFilter struct {
	CallUUID          *uuid.UUID
	ConfigurationUUID *uuid.UUID
	// Kinds lists ChangeCreated, ChangeUpdated, ChangeDeleted, each at most
	// once; empty means every kind.
	Kinds        []string
	Since, Until *time.Time
}

// Filter fields, as errors name them.
const (
	FieldKinds = "kinds"
	FieldSince = "since"
	FieldUntil = "until"
)

func (f ChangeFilter) db() (db.ChangeFilter, error) {
	fe := FieldErrors{}
	if len(f.Kinds) > 3 {
		fe.Add(FieldKinds, "Ensure this field has no more than 3 elements.")
	} else {
		for i, k := range f.Kinds {
			if k != ChangeCreated && k != ChangeUpdated && k != ChangeDeleted {
				fe.Add(FieldKinds, quote(k)+" is not a valid choice.")
			} else if slices.Contains(f.Kinds[:i], k) {
				fe.Add(FieldKinds, "Each kind may appear only once.")
			}
		}
	}
	if f.Since != nil && f.Until != nil && f.Until.Before(*f.Since) {
		fe.Add(FieldUntil, "Ensure this value is not before since.")
	}
	if len(fe) > 0 {
		return db.ChangeFilter{}, errInvalid(fe)
	}
	return db.ChangeFilter{CallUUID: f.CallUUID, ConfigurationUUID: f.ConfigurationUUID, Kinds: f.Kinds, Since: f.Since, Until: f.Until}, nil
}

// ChangesConnection is the feed: one keyset page of the changes the actor
// may see, oldest first (`last: 10` is the latest ten), each with its call,
// in one statement. Whoever may see a call sees its changes; staff and
// support see every change, those of deleted calls too.
func (s *Service) ChangesConnection(ctx context.Context, a Actor, f ChangeFilter, args PageArgs) (*Connection[*Change], error) {
	a, err := s.begin(ctx, a)
	if err != nil {
		return nil, err
	}
	df, err := f.db()
	if err != nil {
		return nil, err
	}
	return connect(ctx, changeOrder, args,
		func(ctx context.Context, p db.Page) ([]db.ChangeRow, error) {
			return read(ctx, s, &a, func(sc db.Scope) ([]db.ChangeRow, error) { return s.store.ListChanges(ctx, sc, df, p) })
		},
		func(r *db.ChangeRow) *Change { return a.change(r) }, changeNodeKey)
}

// CountChanges counts the changes of the feed under f.
func (s *Service) CountChanges(ctx context.Context, a Actor, f ChangeFilter) (int64, error) {
	a, err := s.begin(ctx, a)
	if err != nil {
		return 0, err
	}
	df, err := f.db()
	if err != nil {
		return 0, err
	}
	return read(ctx, s, &a, func(sc db.Scope) (int64, error) { return s.store.CountChanges(ctx, sc, df) })
}

// GetChange returns one change the actor may see.
func (s *Service) GetChange(ctx context.Context, a Actor, id uuid.UUID) (*Change, error) {
	a, err := s.begin(ctx, a)
	if err != nil {
		return nil, err
	}
	row, err := read(ctx, s, &a, func(sc db.Scope) (*db.ChangeRow, error) { return s.store.GetChange(ctx, id, sc) })
	if err != nil {
		return nil, err
	}
	if row == nil {
		return nil, errNotFound("No change matches the given query.")
	}
	return a.change(row), nil
}

// HistoryOf says whose histories a batch reads.
type HistoryOf int

const (
	// HistoryOfConfiguration: the changes of configurations, by uuid.
	HistoryOfConfiguration HistoryOf = iota
	// HistoryOfCall: the changes of every configuration a call has had,
	// deleted ones included, by the call's uuid.
	HistoryOfCall
)

func (h HistoryOf) column() string {
	if h == HistoryOfCall {
		return db.HistoryOfCall
	}
	return db.HistoryOfConfiguration
}

// Histories reads one page of the history of each of keys, with the same
// arguments for all, in one statement whatever the number of keys: a page
// of configurations (or calls) with their histories costs a constant
// number of statements. A key whose history the actor may not see, or that
// has none, gets an empty connection.
func (s *Service) Histories(ctx context.Context, a Actor, of HistoryOf, keys []uuid.UUID, args PageArgs) (map[uuid.UUID]*Connection[*Change], error) {
	a, err := s.begin(ctx, a)
	if err != nil {
		return nil, err
	}
	pr, err := readPageArgs(changeOrder, args)
	if err != nil {
		return nil, err
	}
	if len(keys) > MaxBatchKeys {
		return nil, errInternal(fmt.Errorf("core: %d histories in one batch, more than %d", len(keys), MaxBatchKeys))
	}
	byKey := make(map[uuid.UUID][]db.ChangeRow, len(keys))
	if pr.limit > 0 {
		rows, err := read(ctx, s, &a, func(sc db.Scope) ([]db.ChangeRow, error) {
			return s.store.HistoryBatch(ctx, sc, of.column(), keys, pr.page)
		})
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			k := r.ConfigurationUUID
			if of == HistoryOfCall {
				k = r.CallUUID
			}
			byKey[k] = append(byKey[k], r)
		}
	}
	out := make(map[uuid.UUID]*Connection[*Change], len(keys))
	for _, k := range keys {
		out[k] = assemble(pr, byKey[k], func(r *db.ChangeRow) *Change { return a.change(r) }, changeNodeKey)
	}
	return out, nil
}

// MaxBatchKeys bounds the keys of one batch: more than the largest page
// of items a history can be nested under, so only a bug exceeds it.
const MaxBatchKeys = 10 * MaxPageSize

// CountHistories counts the history of each of keys, in one statement.
func (s *Service) CountHistories(ctx context.Context, a Actor, of HistoryOf, keys []uuid.UUID) (map[uuid.UUID]int64, error) {
	a, err := s.begin(ctx, a)
	if err != nil {
		return nil, err
	}
	if len(keys) > MaxBatchKeys {
		return nil, errInternal(fmt.Errorf("core: %d histories in one batch, more than %d", len(keys), MaxBatchKeys))
	}
	return read(ctx, s, &a, func(sc db.Scope) (map[uuid.UUID]int64, error) {
		return s.store.CountHistories(ctx, sc, of.column(), keys)
	})
}

// VisibleChangesAfter returns up to limit (at most MaxPageSize) of the
// changes after pos that the actor may see under f (CallUUID, say), in
// feed order, each with its call: one statement. A follower of the feed
// calls it with the position of the last change it delivered and the actor
// as authenticated at that moment, so a revoked role stops what it sees.
func (s *Service) VisibleChangesAfter(ctx context.Context, a Actor, f ChangeFilter, pos ChangePosition, limit int) ([]*Change, error) {
	a, err := s.begin(ctx, a)
	if err != nil {
		return nil, err
	}
	df, err := f.db()
	if err != nil {
		return nil, err
	}
	limit = max(1, min(limit, MaxPageSize))
	rows, err := read(ctx, s, &a, func(sc db.Scope) ([]db.ChangeRow, error) {
		return s.store.ListChanges(ctx, sc, df, db.Page{Order: changeOrder, Seek: []any{pos.Txn, pos.ID}, Limit: limit})
	})
	if err != nil {
		return nil, err
	}
	out := make([]*Change, len(rows))
	for i := range rows {
		out[i] = a.change(&rows[i])
	}
	return out, nil
}

// FeedEnd is the position of the last final change, or the zero position
// when there is none: a follower that starts there is given every change
// that becomes final afterwards.
func (s *Service) FeedEnd(ctx context.Context) (ChangePosition, error) {
	p, err := s.store.LastChangePosition(ctx)
	if err != nil {
		return ChangePosition{}, errInternal(err)
	}
	return p, nil
}

// ChangeLine is one line of `changes export`: the GraphQL type's fields in
// snake_case (less the global id and the call, which an archive does not
// need), enums as GraphQL names them, uuids and times as `call export`
// writes them.
type ChangeLine struct {
	UUID              uuid.UUID        `json:"uuid"`
	Kind              string           `json:"kind"`
	At                time.Time        `json:"at"`
	ConfigurationUUID uuid.UUID        `json:"configuration_uuid"`
	CallUUID          uuid.UUID        `json:"call_uuid"`
	Actor             *ChangeLineActor `json:"actor"`
	Via               string           `json:"via"`
	RequestID         *string          `json:"request_id"`
	Before            *SettingsLine    `json:"before"`
	After             *SettingsLine    `json:"after"`
	ChangedFields     []string         `json:"changed_fields"`
	Cursor            string           `json:"cursor"`
}

type ChangeLineActor struct {
	UUID     uuid.UUID `json:"uuid"`
	Username string    `json:"username"`
}

type SettingsLine struct {
	AutoReassignOnDecline        bool  `json:"auto_reassign_on_decline"`
	MaxAutoReassignAttempts      int64 `json:"max_auto_reassign_attempts"`
	AssignmentExpirationDays     int64 `json:"assignment_expiration_days"`
	SendReminderBeforeExpiryDays int64 `json:"send_reminder_before_expiry_days"`
}

func settingsLine(s *Settings) *SettingsLine {
	if s == nil {
		return nil
	}
	l := SettingsLine(*s)
	return &l
}

func changeLine(c *Change) ChangeLine {
	l := ChangeLine{
		UUID: c.UUID, Kind: strings.ToUpper(c.Kind), At: c.At, ConfigurationUUID: c.ConfigurationUUID, CallUUID: c.CallUUID,
		Via: strings.ToUpper(c.Via), RequestID: c.RequestID, Before: settingsLine(c.Before), After: settingsLine(c.After),
		ChangedFields: c.ChangedFields, Cursor: c.Cursor,
	}
	if c.Actor != nil {
		l.Actor = &ChangeLineActor{UUID: c.Actor.UUID, Username: c.Actor.Username}
	}
	return l
}

// ExportChanges writes every final change (at or after since, when given)
// as JSON lines, oldest first in the feed's order, for audit archives. It
// reads in keyset batches, so memory stays flat however many there are.
func (s *Service) ExportChanges(ctx context.Context, w io.Writer, since *time.Time) (int, error) {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	all := db.Scope{All: true, Manages: true}
	page := db.Page{Order: changeOrder, Limit: transferBatch}
	n := 0
	for {
		rows, err := s.store.ListChanges(ctx, all, db.ChangeFilter{Since: since}, page)
		if err != nil {
			return n, errInternal(err)
		}
		for i := range rows {
			if err := enc.Encode(changeLine(Actor{}.change(&rows[i]))); err != nil {
				return n, err
			}
			n++
		}
		if len(rows) < transferBatch {
			break
		}
		page.Seek = changeKey(&rows[len(rows)-1])
	}
	return n, bw.Flush()
}
