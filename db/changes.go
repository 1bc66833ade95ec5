package db

import (
	"context"
	"database/sql"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// The change record: every create, update and delete of a configuration
// appends one row to call_assignment_configuration_changes in the
// transaction of the write itself (on PostgreSQL, in the write's very
// statement where it is one), so a change exists if and only if its write
// committed. Rows are never updated or deleted.

// Kinds of change, as stored.
const (
	ChangeCreated = "created"
	ChangeUpdated = "updated"
	ChangeDeleted = "deleted"
)

// Where a write came from, as stored.
const (
	ViaREST    = "rest"
	ViaGraphQL = "graphql"
	ViaCLI     = "cli"
)

// ChangeMeta is what a write records about itself besides the values: the
// new change's uuid, who made it (none for the CLI), through which face,
// and the request's id. The core fills it; db only stores it.
type ChangeMeta struct {
	UUID          uuid.UUID
	ActorUUID     uuid.NullUUID
	ActorUsername string
	Via           string
	RequestID     string // "": none

	actorFromKey bool // the write checks the actor's key itself (CTE "a")
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// ChangePosition is where a change sits in the feed: ordered by Txn, then
// ID. On PostgreSQL Txn is the id of the transaction that wrote the change;
// on SQLite, whose one writer hands out ids in commit order, it is 0.
// Readers return only changes below the horizon (see horizon), so the feed
// only ever grows at its end and a position never skips a change that
// commits late.
type ChangePosition struct {
	Txn int64
	ID  int64
}

// ChangeSettings are the four settings before or after a change.
type ChangeSettings struct {
	AutoReassignOnDecline        bool
	MaxAutoReassignAttempts      int64
	AssignmentExpirationDays     int64
	SendReminderBeforeExpiryDays int64
}

func settingsOf(c *Configuration) *ChangeSettings {
	return &ChangeSettings{
		AutoReassignOnDecline:        c.AutoReassignOnDecline,
		MaxAutoReassignAttempts:      c.MaxAutoReassignAttempts,
		AssignmentExpirationDays:     c.AssignmentExpirationDays,
		SendReminderBeforeExpiryDays: c.SendReminderBeforeExpiryDays,
	}
}

// ChangeRow is one stored change. Call is the change's call as it is now,
// with the viewer's access, read in the same statement; nil once the call
// is deleted.
type ChangeRow struct {
	ChangePosition
	UUID              uuid.UUID
	Kind              string
	At                time.Time
	ConfigurationUUID uuid.UUID
	CallUUID          uuid.UUID
	ActorUUID         uuid.NullUUID
	ActorUsername     string
	Via               string
	RequestID         string
	Before, After     *ChangeSettings
	Call              *CallRow
}

// Sortable columns of the feed: its one order is (txn, id).
const (
	OrderChangeTxn = "ch.txn"
	OrderChangeID  = "ch.id"
)

// The stored columns of the settings, in the order of ChangeSettings.
const (
	beforeColumns = "before_auto_reassign_on_decline, before_max_auto_reassign_attempts, before_assignment_expiration_days, before_send_reminder_before_expiry_days"
	afterColumns  = "after_auto_reassign_on_decline, after_max_auto_reassign_attempts, after_assignment_expiration_days, after_send_reminder_before_expiry_days"
	// changeInsertColumns are what a write fills, in the order
	// changeValues writes them.
	changeInsertColumns = "uuid, txn, kind, at, configuration_uuid, call_uuid, actor_uuid, actor_username, via, request_id, " +
		beforeColumns + ", " + afterColumns
)

// changeRecord is a change as a write inserts it, for the writes that are
// not one statement (SQLite's, the CLI's).
type changeRecord struct {
	bun.BaseModel `bun:"table:call_assignment_configuration_changes"`

	UUID              uuid.UUID      `bun:"uuid,type:uuid"`
	Txn               int64          `bun:"txn"`
	Kind              string         `bun:"kind"`
	At                time.Time      `bun:"at"`
	ConfigurationUUID uuid.UUID      `bun:"configuration_uuid,type:uuid"`
	CallUUID          uuid.UUID      `bun:"call_uuid,type:uuid"`
	ActorUUID         uuid.NullUUID  `bun:"actor_uuid,type:uuid"`
	ActorUsername     sql.NullString `bun:"actor_username"`
	Via               string         `bun:"via"`
	RequestID         sql.NullString `bun:"request_id"`

	BeforeAutoReassign sql.NullBool  `bun:"before_auto_reassign_on_decline"`
	BeforeMaxAttempts  sql.NullInt64 `bun:"before_max_auto_reassign_attempts"`
	BeforeExpiration   sql.NullInt64 `bun:"before_assignment_expiration_days"`
	BeforeReminder     sql.NullInt64 `bun:"before_send_reminder_before_expiry_days"`
	AfterAutoReassign  sql.NullBool  `bun:"after_auto_reassign_on_decline"`
	AfterMaxAttempts   sql.NullInt64 `bun:"after_max_auto_reassign_attempts"`
	AfterExpiration    sql.NullInt64 `bun:"after_assignment_expiration_days"`
	AfterReminder      sql.NullInt64 `bun:"after_send_reminder_before_expiry_days"`
}

func newChangeRecord(m ChangeMeta, txn int64, kind string, at time.Time, cfgUUID, callUUID uuid.UUID, before, after *ChangeSettings) *changeRecord {
	r := &changeRecord{
		UUID: m.UUID, Txn: txn, Kind: kind, At: at.UTC(), ConfigurationUUID: cfgUUID, CallUUID: callUUID,
		ActorUUID: m.ActorUUID, ActorUsername: nullString(m.ActorUsername), Via: m.Via, RequestID: nullString(m.RequestID),
	}
	if r.UUID == uuid.Nil {
		r.UUID = uuid.New()
	}
	if before != nil {
		r.BeforeAutoReassign = sql.NullBool{Bool: before.AutoReassignOnDecline, Valid: true}
		r.BeforeMaxAttempts = sql.NullInt64{Int64: before.MaxAutoReassignAttempts, Valid: true}
		r.BeforeExpiration = sql.NullInt64{Int64: before.AssignmentExpirationDays, Valid: true}
		r.BeforeReminder = sql.NullInt64{Int64: before.SendReminderBeforeExpiryDays, Valid: true}
	}
	if after != nil {
		r.AfterAutoReassign = sql.NullBool{Bool: after.AutoReassignOnDecline, Valid: true}
		r.AfterMaxAttempts = sql.NullInt64{Int64: after.MaxAutoReassignAttempts, Valid: true}
		r.AfterExpiration = sql.NullInt64{Int64: after.AssignmentExpirationDays, Valid: true}
		r.AfterReminder = sql.NullInt64{Int64: after.SendReminderBeforeExpiryDays, Valid: true}
	}
	return r
}

// currentTxn is the txn of what the transaction in idb writes (0 on
// SQLite): PostgreSQL's id of the transaction, which it assigns now if it
// has none yet.
const currentTxn = "pg_current_xact_id()::text::bigint"

func txnOf(ctx context.Context, idb bun.IDB) (int64, error) {
	if !IsPostgres(idb) {
		return 0, nil
	}
	var txn int64
	err := idb.QueryRowContext(ctx, "SELECT "+currentTxn).Scan(&txn)
	return txn, err
}

func insertChanges(ctx context.Context, idb bun.IDB, recs ...*changeRecord) error {
	if len(recs) == 0 {
		return nil
	}
	_, err := idb.NewInsert().Model(&recs).Exec(ctx)
	return err
}

// changeValues writes the values of changeInsertColumns for a write that
// records its change in its own statement (PostgreSQL): kind is a constant,
// and the other expressions read the statement's other parts (txn, at,
// configuration, call, before, after: SQL expressions, or "NULL").
func changeValues(q *sqlText, m ChangeMeta, txn, kind, at, cfgUUID, callUUID, before, after string) {
	if m.UUID == uuid.Nil {
		m.UUID = uuid.New()
	}
	q.arg(m.UUID).sql(", ", txn, ", '", kind, "', ", at, ", ", cfgUUID, ", ", callUUID, ", ")
	if m.actorFromKey {
		// The actor is the key's user, checked in the same statement.
		q.sql("a.uuuid, a.username")
	} else {
		q.arg(m.ActorUUID).sql(", ").arg(nullString(m.ActorUsername))
	}
	q.sql(", ").arg(m.Via).sql(", ").arg(nullString(m.RequestID))
	q.sql(", ", before, ", ", after)
}

// settingsExprs lists the four settings columns of a table alias, or four
// NULLs when alias is empty.
func settingsExprs(alias string) string {
	switch alias {
	case "":
		return "NULL, NULL, NULL, NULL"
	case "cfg": // the aliases of the write path, spelt out so it builds no strings
		return "cfg.auto_reassign_on_decline, cfg.max_auto_reassign_attempts, cfg.assignment_expiration_days, cfg.send_reminder_before_expiry_days"
	case "prev":
		return "prev.auto_reassign_on_decline, prev.max_auto_reassign_attempts, prev.assignment_expiration_days, prev.send_reminder_before_expiry_days"
	case "upd":
		return "upd.auto_reassign_on_decline, upd.max_auto_reassign_attempts, upd.assignment_expiration_days, upd.send_reminder_before_expiry_days"
	}
	return alias + ".auto_reassign_on_decline, " + alias + ".max_auto_reassign_attempts, " +
		alias + ".assignment_expiration_days, " + alias + ".send_reminder_before_expiry_days"
}

// --- Reading ---

// ChangeFilter narrows the feed; zero fields do not filter. Since is
// inclusive, Until exclusive.
type ChangeFilter struct {
	CallUUID          *uuid.UUID
	ConfigurationUUID *uuid.UUID
	Kinds             []string
	Since, Until      *time.Time
}

// changeColumns are what changeDest scans: the change, then its call (all
// NULL once the call is deleted), then the viewer's access to the call.
const changeColumns = `ch.id, ch.txn, ch.uuid, ch.kind, ch.at, ch.configuration_uuid, ch.call_uuid,
  ch.actor_uuid, ch.actor_username, ch.via, ch.request_id,
  ch.before_auto_reassign_on_decline, ch.before_max_auto_reassign_attempts, ch.before_assignment_expiration_days, ch.before_send_reminder_before_expiry_days,
  ch.after_auto_reassign_on_decline, ch.after_max_auto_reassign_attempts, ch.after_assignment_expiration_days, ch.after_send_reminder_before_expiry_days,
  c.id, c.uuid, c.organisation_id, c.name, c.description, c.state, c.created, c.modified`

// changeScan holds a row's nullable columns until they are turned into a
// ChangeRow.
type changeScan struct {
	r                        ChangeRow
	actorName, requestID     sql.NullString
	before, after            nullSettings
	callID, orgID            sql.NullInt64
	callUUID                 uuid.NullUUID
	name, description, state sql.NullString
	created, modified        sql.NullTime
	access                   Access
}

type nullSettings struct {
	auto                          sql.NullBool
	attempts, expiration, reminds sql.NullInt64
}

func (n *nullSettings) dest() []any {
	return []any{&n.auto, &n.attempts, &n.expiration, &n.reminds}
}

func (n *nullSettings) value() *ChangeSettings {
	if !n.auto.Valid {
		return nil
	}
	return &ChangeSettings{AutoReassignOnDecline: n.auto.Bool, MaxAutoReassignAttempts: n.attempts.Int64,
		AssignmentExpirationDays: n.expiration.Int64, SendReminderBeforeExpiryDays: n.reminds.Int64}
}

func changeDest(s *changeScan) []any {
	d := []any{&s.r.ID, &s.r.Txn, &s.r.UUID, &s.r.Kind, &s.r.At, &s.r.ConfigurationUUID, &s.r.CallUUID,
		&s.r.ActorUUID, &s.actorName, &s.r.Via, &s.requestID}
	d = append(d, s.before.dest()...)
	d = append(d, s.after.dest()...)
	return append(d, &s.callID, &s.callUUID, &s.orgID, &s.name, &s.description, &s.state, &s.created, &s.modified,
		&s.access.HasRole, &s.access.IsManager, &s.access.IsOrganizer)
}

func (s *changeScan) row() ChangeRow {
	r := s.r
	r.At = r.At.UTC()
	r.ActorUsername, r.RequestID = s.actorName.String, s.requestID.String
	r.Before, r.After = s.before.value(), s.after.value()
	if s.callID.Valid {
		r.Call = &CallRow{Call: Call{
			ID: s.callID.Int64, UUID: s.callUUID.UUID, OrganisationID: s.orgID.Int64, Name: s.name.String,
			Description: s.description.String, State: s.state.String, Created: s.created.Time, Modified: s.modified.Time,
		}, Access: s.access}
	}
	return r
}

func changeRows(scans []changeScan, err error) ([]ChangeRow, error) {
	if err != nil {
		return nil, err
	}
	out := make([]ChangeRow, len(scans))
	for i := range scans {
		out[i] = scans[i].row()
	}
	return out, nil
}

// horizon keeps a read to the changes that are final. On PostgreSQL a
// change is final once its transaction is older than every transaction
// still running (the snapshot's xmin): everything below that has committed
// or aborted, and no transaction can get a lower id, so what a reader sees
// below it never changes and a later reader only sees more at the end. A
// change committing after a later one was read (id 40 after 41) is simply
// not returned until it is final, and then sorts where it belongs. On
// SQLite every committed change is final.
func (s *Store) horizon(q *sqlText) {
	if s.postgres() {
		q.sql(" AND ch.txn < (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint)")
	}
}

// fromChanges writes the FROM clause of a read of changes: the call joined
// by uuid; a viewer who sees everything sees the changes of deleted calls
// too (LEFT JOIN), anyone else only those of calls they hold a role on.
func fromChanges(q *sqlText, scope Scope) {
	if scope.All {
		q.sql(" FROM call_assignment_configuration_changes AS ch LEFT JOIN calls AS c ON c.uuid = ch.call_uuid WHERE TRUE")
		return
	}
	q.sql(" FROM call_assignment_configuration_changes AS ch JOIN calls AS c ON c.uuid = ch.call_uuid WHERE TRUE")
	visible(q, scope, "c.id")
}

func (s *Store) changeWhere(q *sqlText, f ChangeFilter) {
	s.horizon(q)
	if f.CallUUID != nil {
		q.sql(" AND ch.call_uuid = ").arg(*f.CallUUID)
	}
	if f.ConfigurationUUID != nil {
		q.sql(" AND ch.configuration_uuid = ").arg(*f.ConfigurationUUID)
	}
	if len(f.Kinds) > 0 {
		q.sql(" AND ch.kind IN (")
		for i, k := range f.Kinds {
			if i > 0 {
				q.sql(", ")
			}
			q.arg(k)
		}
		q.sql(")")
	}
	if f.Since != nil {
		q.sql(" AND ch.at >= ").arg(f.Since.UTC())
	}
	if f.Until != nil {
		q.sql(" AND ch.at < ").arg(f.Until.UTC())
	}
}

func selectChanges(q *sqlText, scope Scope) {
	q.sql("SELECT ", changeColumns, ", ")
	access(q, scope, -1)
	fromChanges(q, scope)
}

// ListChanges reads one page of the final changes visible in scope, with
// their calls, in one statement.
func (s *Store) ListChanges(ctx context.Context, scope Scope, f ChangeFilter, pg Page) ([]ChangeRow, error) {
	scope, err := s.resolve(ctx, scope)
	if err != nil {
		return nil, err
	}
	q := s.text()
	selectChanges(q, scope)
	s.changeWhere(q, f)
	pg.write(q)
	return changeRows(collect(ctx, s, q, changeDest))
}

// CountChanges counts the final changes visible in scope.
func (s *Store) CountChanges(ctx context.Context, scope Scope, f ChangeFilter) (int64, error) {
	scope, err := s.resolve(ctx, scope)
	if err != nil {
		return 0, err
	}
	q := s.text().sql("SELECT count(*)")
	fromChanges(q, scope)
	s.changeWhere(q, f)
	return s.count(ctx, q)
}

// GetChange reads one final change by uuid if scope sees it; (nil, nil)
// otherwise.
func (s *Store) GetChange(ctx context.Context, id uuid.UUID, scope Scope) (*ChangeRow, error) {
	scope, err := s.resolve(ctx, scope)
	if err != nil {
		return nil, err
	}
	q := s.text()
	selectChanges(q, scope)
	s.horizon(q)
	q.sql(" AND ch.uuid = ").arg(id)
	return first(changeRows(collect(ctx, s, q, changeDest)))
}

// ChangesAfter reads up to limit final changes after pos, in feed order,
// whoever may see them: each with its call (nil once deleted) for the
// caller's visibility check, the call's access left empty. One statement.
func (s *Store) ChangesAfter(ctx context.Context, pos ChangePosition, limit int) ([]ChangeRow, error) {
	return s.ListChanges(ctx, Scope{All: true, Manages: true}, ChangeFilter{}, Page{
		Order: []Order{{Column: OrderChangeTxn}, {Column: OrderChangeID}},
		Seek:  []any{pos.Txn, pos.ID},
		Limit: limit,
	})
}

// History keys: whose changes a batch reads.
const (
	HistoryOfConfiguration = "ch.configuration_uuid"
	HistoryOfCall          = "ch.call_uuid"
)

// HistoryBatch reads one page of the history of each of keys (the
// configurations' or the calls' uuids, as by says) in one statement, each
// page an index range of its own history cut at pg.Limit, so a long history
// costs no more than a short one: a LATERAL subquery per key on
// PostgreSQL, a correlated IN on SQLite (which has no LATERAL and looks the
// rows up by id). The page's keyset condition applies to every history.
// Rows come grouped by key in the order of keys, each group in pg's order.
//
// Visibility is checked after each history is cut, which is right because
// it is the same for all of a history: a configuration never changes call.
// The statement is sent as text: its shape changes with the number of
// keys.
func (s *Store) HistoryBatch(ctx context.Context, scope Scope, by string, keys []uuid.UUID, pg Page) ([]ChangeRow, error) {
	if len(keys) == 0 {
		return []ChangeRow{}, nil
	}
	scope, err := s.resolve(ctx, scope)
	if err != nil {
		return nil, err
	}
	pgsql := s.postgres()
	q := &sqlText{}
	q.sql("WITH k (n, key) AS (VALUES ")
	for i, key := range keys {
		if i > 0 {
			q.sql(", ")
		}
		q.sql("(").arg(int64(i)).sql(", ")
		if pgsql {
			q.sql("CAST(").arg(key).sql(" AS uuid))")
		} else {
			q.arg(key).sql(")")
		}
	}
	q.sql(") SELECT ", changeColumns, ", ")
	access(q, scope, -1)
	// One history, cut: the innermost ch is the table.
	history := func(columns string) {
		q.sql("SELECT ", columns, " FROM call_assignment_configuration_changes AS ch WHERE ", by, " = k.key")
		s.horizon(q)
		pg.writeSeek(q)
		pg.writeOrder(q)
		q.sql(" LIMIT ").arg(int64(pg.Limit))
	}
	if pgsql {
		q.sql(" FROM k CROSS JOIN LATERAL (")
		history(changeOwnColumns)
		q.sql(") AS ch")
	} else {
		q.sql(" FROM k JOIN call_assignment_configuration_changes AS ch ON ch.id IN (")
		history("ch.id")
		q.sql(")")
	}
	join := " LEFT JOIN"
	if !scope.All {
		join = " JOIN"
	}
	q.sql(join, " calls AS c ON c.uuid = ch.call_uuid WHERE TRUE")
	visible(q, scope, "c.id")
	pg.writeOrder(q, "k.n")
	return changeRows(collect(ctx, s, q, changeDest))
}

// changeOwnColumns are the change's stored columns, unqualified, as
// changeColumns reads them.
const changeOwnColumns = `id, txn, uuid, kind, at, configuration_uuid, call_uuid, actor_uuid, actor_username, via, request_id, ` +
	beforeColumns + ", " + afterColumns

// CountHistories counts the final changes of each of keys visible in
// scope, in one statement; keys without any are absent.
func (s *Store) CountHistories(ctx context.Context, scope Scope, by string, keys []uuid.UUID) (map[uuid.UUID]int64, error) {
	out := map[uuid.UUID]int64{}
	if len(keys) == 0 {
		return out, nil
	}
	scope, err := s.resolve(ctx, scope)
	if err != nil {
		return nil, err
	}
	q := &sqlText{}
	q.sql("SELECT ", by, ", count(*)")
	fromChanges(q, scope)
	s.horizon(q)
	q.sql(" AND ", by, " IN ")
	uuidList(q, keys)
	q.sql(" GROUP BY ", by)
	type keyCount struct {
		key uuid.UUID
		n   int64
	}
	rows, err := collect(ctx, s, q, func(k *keyCount) []any { return []any{&k.key, &k.n} })
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.key] = r.n
	}
	return out, nil
}

func uuidList(q *sqlText, ids []uuid.UUID) {
	q.sql("(")
	for i, id := range ids {
		if i > 0 {
			q.sql(", ")
		}
		q.arg(id)
	}
	q.sql(")")
}

// LastChangePosition is the position of the last final change; zero when
// there is none.
func (s *Store) LastChangePosition(ctx context.Context) (ChangePosition, error) {
	q := s.text().sql("SELECT ch.txn, ch.id FROM call_assignment_configuration_changes AS ch WHERE TRUE")
	s.horizon(q)
	q.sql(" ORDER BY ch.txn DESC, ch.id DESC LIMIT 1")
	p, err := first(collect(ctx, s, q, func(p *ChangePosition) []any { return []any{&p.Txn, &p.ID} }))
	if err != nil || p == nil {
		return ChangePosition{}, err
	}
	return *p, nil
}
