package db

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// ConfigRow is a configuration with its call's public fields and the
// viewer's access to that call.
type ConfigRow struct {
	Configuration
	CallOrgID       int64
	CallState       string
	CallDescription string
	CallCreated     time.Time
	CallModified    time.Time
	Access
}

type ConfigFilter struct {
	CallUUID     *uuid.UUID
	CallState    string
	AutoReassign *bool
}

// configColumns are the columns of a ConfigRow, in the order configDest
// scans them; the access columns follow.
const configColumns = `cfg.id, cfg.uuid, cfg.call_id, cfg.auto_reassign_on_decline, cfg.max_auto_reassign_attempts,
  cfg.assignment_expiration_days, cfg.send_reminder_before_expiry_days, cfg.created, cfg.modified,
  c.uuid, c.name, c.organisation_id, c.state, c.description, c.created, c.modified`

// configCols are configColumns and the access columns one by one, for a
// read folded with a key check.
var configCols = []column{
	{"cfg.id", "0"}, {"cfg.uuid", zeroUUID}, {"cfg.call_id", "0"}, {"cfg.auto_reassign_on_decline", "FALSE"},
	{"cfg.max_auto_reassign_attempts", "0"}, {"cfg.assignment_expiration_days", "0"}, {"cfg.send_reminder_before_expiry_days", "0"},
	{"cfg.created", zeroTime}, {"cfg.modified", zeroTime},
	{"c.uuid", zeroUUID}, {"c.name", "''"}, {"c.organisation_id", "0"}, {"c.state", "''"}, {"c.description", "''"},
	{"c.created", zeroTime}, {"c.modified", zeroTime},
}

func configDest(r *ConfigRow) []any {
	return []any{&r.ID, &r.UUID, &r.CallID, &r.AutoReassignOnDecline, &r.MaxAutoReassignAttempts,
		&r.AssignmentExpirationDays, &r.SendReminderBeforeExpiryDays, &r.Created, &r.Modified,
		&r.CallUUID, &r.CallName, &r.CallOrgID, &r.CallState, &r.CallDescription, &r.CallCreated, &r.CallModified,
		&r.HasRole, &r.IsManager, &r.IsOrganizer}
}

// selectConfigs starts q, a statement reading configurations with their
// calls and the viewer's access: the columns configDest scans.
func selectConfigs(q *sqlText, scope Scope) *sqlText {
	q.sql("SELECT ")
	selectColumns(q, configCols, scope.folded)
	q.sql(", ")
	access(q, scope, len(configCols))
	return q.sql(" FROM call_assignment_configurations AS cfg JOIN calls AS c ON c.id = cfg.call_id WHERE TRUE")
}

// configWhere writes the WHERE clause of a configuration list or count;
// joined says whether calls is joined as c.
func configWhere(q *sqlText, scope Scope, f ConfigFilter, joined bool) {
	visible(q, scope, "cfg.call_id")
	if f.CallUUID != nil {
		if joined {
			q.sql(" AND c.uuid = ").arg(*f.CallUUID)
		} else {
			q.sql(" AND cfg.call_id = (SELECT id FROM calls WHERE uuid = ").arg(*f.CallUUID).sql(")")
		}
	}
	if f.CallState != "" {
		if joined {
			q.sql(" AND c.state = ").arg(f.CallState)
		} else {
			q.sql(" AND cfg.call_id IN (SELECT id FROM calls WHERE state = ").arg(f.CallState).sql(")")
		}
	}
	if f.AutoReassign != nil {
		q.sql(" AND cfg.auto_reassign_on_decline = ").arg(*f.AutoReassign)
	}
}

// ListConfigs reads one page of the configurations visible in scope, with
// their calls and the viewer's access, in one statement.
func (s *Store) ListConfigs(ctx context.Context, scope Scope, f ConfigFilter, pg Page) ([]ConfigRow, error) {
	list := func(q *sqlText, scope Scope) {
		selectConfigs(q, scope)
		configWhere(q, scope, f, true)
		pg.write(q)
	}
	if s.folds(scope) {
		return foldedRead(ctx, s, scope, configColsWithAccess, list, configDest)
	}
	scope, err := s.resolve(ctx, scope)
	if err != nil {
		return nil, err
	}
	q := s.text()
	list(q, scope)
	return collect(ctx, s, q, configDest)
}

// CountConfigs counts the configurations visible in scope. Every
// configuration has its call (a foreign key), so the count reads the
// configurations alone: counting is the expensive part of a listing.
func (s *Store) CountConfigs(ctx context.Context, scope Scope, f ConfigFilter) (int64, error) {
	return foldableCount(ctx, s, scope, func(q *sqlText, scope Scope) {
		q.sql("SELECT count(*) FROM call_assignment_configurations AS cfg WHERE TRUE")
		configWhere(q, scope, f, false)
	})
}

// GetConfig reads one configuration by uuid, whoever may see it: the caller
// decides from the returned Access. It returns (nil, nil) when none exists.
func (s *Store) GetConfig(ctx context.Context, id uuid.UUID, scope Scope) (*ConfigRow, error) {
	get := func(q *sqlText, scope Scope) {
		selectConfigs(q, scope)
		q.sql(" AND cfg.uuid = ").arg(id)
	}
	if s.folds(scope) {
		return first(foldedRead(ctx, s, scope, configColsWithAccess, get, configDest))
	}
	scope, err := s.resolve(ctx, scope)
	if err != nil {
		return nil, err
	}
	q := s.text()
	get(q, scope)
	return first(collect(ctx, s, q, configDest))
}

// ConfigsByCallIDs reads the configurations of the given calls, for batch
// loading; calls without one are absent from the result. The statement is
// sent as text: its shape changes with the number of ids.
func (s *Store) ConfigsByCallIDs(ctx context.Context, callIDs []int64, scope Scope) ([]ConfigRow, error) {
	if len(callIDs) == 0 {
		return []ConfigRow{}, nil
	}
	scope, err := s.resolve(ctx, scope)
	if err != nil {
		return nil, err
	}
	q := selectConfigs(&sqlText{}, scope)
	q.sql(" AND cfg.call_id IN ").list(callIDs)
	return collect(ctx, s, q, configDest)
}

// ConfigIDOfCall returns the id of the call's configuration; ok is false
// when the call has none.
func (s *Store) ConfigIDOfCall(ctx context.Context, callID int64) (id int64, ok bool, err error) {
	err = s.bdb.NewSelect().Table("call_assignment_configurations").Column("id").Where("call_id = ?", callID).Limit(1).Scan(ctx, &id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return id, err == nil, err
}

// ConfigExists reports whether the configuration with this id exists.
func (s *Store) ConfigExists(ctx context.Context, id int64) (bool, error) {
	return s.bdb.NewSelect().Table("call_assignment_configurations").Where("id = ?", id).Exists(ctx)
}

// InsertConfig stores a new configuration (its ID is set) and records its
// CREATED change, atomically: one statement on PostgreSQL, a transaction on
// SQLite. cfg.CallUUID names its call in the change. A second one for the
// same call, or a call deleted meanwhile, is the constraint's error
// (IsUniqueViolation, IsForeignKeyViolation), and records nothing: the
// database decides, so racing creates cannot both succeed.
func (s *Store) InsertConfig(ctx context.Context, cfg *Configuration, meta ChangeMeta) error {
	if !s.postgres() {
		return s.writeTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			if _, err := tx.NewInsert().Model(cfg).Exec(ctx); err != nil {
				return err
			}
			return insertChanges(ctx, tx, newChangeRecord(meta, 0, ChangeCreated, cfg.Modified, cfg.UUID, cfg.CallUUID, nil, settingsOf(cfg)))
		})
	}
	q := s.text()
	q.sql(`WITH cfg AS (INSERT INTO call_assignment_configurations (uuid, call_id, auto_reassign_on_decline,
  max_auto_reassign_attempts, assignment_expiration_days, send_reminder_before_expiry_days, created, modified, last_change_txn) VALUES (`)
	q.arg(cfg.UUID).sql(", ").arg(cfg.CallID).sql(", ").arg(cfg.AutoReassignOnDecline).sql(", ").
		arg(cfg.MaxAutoReassignAttempts).sql(", ").arg(cfg.AssignmentExpirationDays).sql(", ").
		arg(cfg.SendReminderBeforeExpiryDays).sql(", ").arg(cfg.Created.UTC()).sql(", ").arg(cfg.Modified.UTC()).sql(", ", currentTxn)
	q.sql(") RETURNING id, uuid, call_id, ", settingsExprs("call_assignment_configurations"), ", modified, last_change_txn)")
	q.sql(", ch AS (INSERT INTO call_assignment_configuration_changes (", changeInsertColumns, ") SELECT ")
	changeValues(q, meta, "cfg.last_change_txn", ChangeCreated, "cfg.modified", "cfg.uuid", callUUIDOf("cfg"), settingsExprs(""), settingsExprs("cfg"))
	q.sql(" FROM cfg) SELECT id FROM cfg")
	row, err := first(collectOnce(ctx, s, q, func(id *int64) []any { return []any{id} }))
	if err != nil {
		return err
	}
	if row == nil {
		return sql.ErrNoRows
	}
	s.changesCommitted()
	cfg.ID = *row
	return nil
}

// callUUIDOf is the uuid of the call of the configuration aliased alias,
// as a scalar subquery: a call that is not there makes the change's
// NOT NULL column refuse the whole statement rather than drop the change.
func callUUIDOf(alias string) string {
	return "(SELECT c.uuid FROM calls AS c WHERE c.id = " + alias + ".call_id)"
}

// nextChangeTxn is the txn of a configuration's next change, from its row
// aliased alias: the writing transaction's id, unless the configuration's
// last change has a higher one. A waiting writer can be given its id before
// the writer it waits for, and must still sort after it (see the
// migration's last_change_txn).
func nextChangeTxn(alias string) string {
	return "GREATEST(" + currentTxn + ", " + alias + ".last_change_txn)"
}

// Assignment is one column set by an update.
type Assignment struct {
	Column string
	Value  any
}

// ConfigUpdate changes the columns Set of one configuration, found by ID or,
// with Scope, by UUID among those the viewer may manage. Expect, when
// given, makes the update conditional on modified still being that value.
// Meta describes the change it records.
type ConfigUpdate struct {
	ID     int64
	UUID   uuid.UUID
	Scope  *Scope
	Set    []Assignment
	Now    time.Time
	Expect *time.Time
	Meta   ChangeMeta
}

// modified always moves forward, even within one microsecond or across a
// clock step back, so it can serve as a version for preconditions, and the
// changes of one configuration have increasing times. On PostgreSQL the
// statement computes it from the stored value (forwardModified); on
// SQLite, whose one writer serialises the transaction that reads the
// stored value first, forward does.
func forwardModified(q *sqlText, now time.Time, alias string) {
	q.sql("GREATEST(").arg(now).sql(", ", alias, ".modified + interval '1 microsecond')")
}

func forward(now, prev time.Time) time.Time {
	if floor := prev.Add(time.Microsecond); now.Before(floor) {
		return floor.UTC()
	}
	return now
}

// UpdateConfig applies u, records its UPDATED change atomically with it,
// and returns the stored row, or nil when no row matched (none with that
// id or uuid, the viewer may not manage it, or the precondition failed),
// in which case nothing is recorded. By UUID and Scope it is one statement
// on PostgreSQL, checking the permission itself; on SQLite, whose
// RETURNING cannot read a joined call, that form always returns nil and
// the caller takes the path by ID. The row by ID carries the
// configuration's columns only.
//
// On PostgreSQL both forms are one statement: it locks the row and reads
// the values before (SELECT … FOR UPDATE, which waits for a concurrent
// writer and then sees its values), updates it, and inserts the change.
func (s *Store) UpdateConfig(ctx context.Context, u ConfigUpdate) (*ConfigRow, error) {
	if u.Scope != nil && u.Scope.Key != nil {
		// A key not checked yet: the write checks it itself where it can,
		// and otherwise declines, so that the caller checks the key (and
		// reports what is wrong) before anything is written.
		if s.folds(*u.Scope) {
			return s.updateWithKeyCheck(ctx, u)
		}
		return nil, nil
	}
	if s.postgres() {
		dest := configOnlyDest
		if u.Scope != nil {
			dest = configDest
		}
		return s.wrote(first(collectOnce(ctx, s, updateStatement(s.text(), u), dest)))
	}
	if u.Scope != nil {
		return nil, nil
	}
	var row *ConfigRow
	err := s.writeTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		prev, err := configForChange(ctx, tx, u.ID)
		if err != nil || prev == nil || (u.Expect != nil && !prev.Modified.Equal(*u.Expect)) {
			return err
		}
		q := &sqlText{}
		q.sql("UPDATE call_assignment_configurations AS cfg SET modified = ").arg(forward(u.Now, prev.Modified.UTC()))
		for _, c := range u.Set {
			q.sql(", ", string(bun.Ident(c.Column)), " = ").arg(c.Value)
		}
		q.sql(" WHERE cfg.id = ").arg(u.ID).sql(" RETURNING ", configOnlyColumns)
		row = &ConfigRow{}
		if err := tx.QueryRowContext(ctx, q.String(), q.args...).Scan(configOnlyDest(row)...); err != nil {
			return err
		}
		return insertChanges(ctx, tx, newChangeRecord(u.Meta, 0, ChangeUpdated, row.Modified, row.UUID, prev.CallUUID,
			settingsOf(&prev.Configuration), settingsOf(&row.Configuration)))
	})
	if err != nil {
		return nil, err
	}
	return row, nil
}

// configOnlyColumns are a configuration's own columns, unaliased, as
// configOnlyDest scans them.
const configOnlyColumns = "id, uuid, call_id, auto_reassign_on_decline, max_auto_reassign_attempts, assignment_expiration_days, send_reminder_before_expiry_days, created, modified"

func configOnlyDest(r *ConfigRow) []any {
	return []any{&r.ID, &r.UUID, &r.CallID, &r.AutoReassignOnDecline, &r.MaxAutoReassignAttempts,
		&r.AssignmentExpirationDays, &r.SendReminderBeforeExpiryDays, &r.Created, &r.Modified}
}

// changedConfig is a configuration as a write in a transaction reads it
// before changing it: with its call's uuid and its last change's txn.
type changedConfig struct {
	Configuration
	lastTxn int64
}

// configForChange reads the configuration with this id in tx, or nil.
func configForChange(ctx context.Context, tx bun.Tx, id int64) (*changedConfig, error) {
	c := &changedConfig{}
	err := tx.QueryRowContext(ctx, `SELECT cfg.id, cfg.uuid, cfg.call_id, `+settingsExprs("cfg")+`, cfg.created, cfg.modified, c.uuid, cfg.last_change_txn
  FROM call_assignment_configurations AS cfg JOIN calls AS c ON c.id = cfg.call_id WHERE cfg.id = ?`, id).Scan(
		&c.ID, &c.UUID, &c.CallID, &c.AutoReassignOnDecline, &c.MaxAutoReassignAttempts, &c.AssignmentExpirationDays,
		&c.SendReminderBeforeExpiryDays, &c.Created, &c.Modified, &c.CallUUID, &c.lastTxn)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// updateStatement is PostgreSQL's update of one configuration with its
// change, one statement: prev locks the row and keeps the values before,
// upd writes, ch records; data-modifying CTEs always run to completion.
// By Scope it answers configColumns with the call and the access columns
// of a manager, by ID configOnlyColumns.
func updateStatement(q *sqlText, u ConfigUpdate) *sqlText {
	if u.Scope != nil && u.Scope.folded {
		keyCTE(q, u.Scope.Key)
		q.sql(", prev")
	} else {
		q.sql("WITH prev")
	}
	q.sql(" AS (SELECT cfg.id, ", settingsExprs("cfg"), ", ", nextChangeTxn("cfg"), " AS txn FROM call_assignment_configurations AS cfg")
	if u.Scope != nil {
		q.sql(" JOIN calls AS c ON c.id = cfg.call_id")
		if u.Scope.folded {
			q.sql(" CROSS JOIN a")
		}
		q.sql(" WHERE cfg.uuid = ").arg(u.UUID).sql(" AND ")
		if u.Scope.folded {
			validKey(q, u.Scope.Key)
			q.sql(" AND ")
		}
		manageable(q, *u.Scope)
	} else {
		q.sql(" WHERE cfg.id = ").arg(u.ID)
	}
	if u.Expect != nil {
		q.sql(" AND cfg.modified = ").arg(u.Expect.UTC())
	}
	q.sql(" FOR UPDATE OF cfg), upd AS (UPDATE call_assignment_configurations AS cfg SET last_change_txn = prev.txn, modified = ")
	forwardModified(q, u.Now, "cfg")
	for _, c := range u.Set {
		q.sql(", ", string(bun.Ident(c.Column)), " = ").arg(c.Value)
	}
	q.sql(" FROM prev WHERE cfg.id = prev.id RETURNING cfg.id, cfg.uuid, cfg.call_id, ", settingsExprs("cfg"), ", cfg.created, cfg.modified)")
	q.sql(", ch AS (INSERT INTO call_assignment_configuration_changes (", changeInsertColumns, ") SELECT ")
	changeValues(q, u.Meta, "prev.txn", ChangeUpdated, "upd.modified", "upd.uuid", callUUIDOf("upd"), settingsExprs("prev"), settingsExprs("upd"))
	q.sql(" FROM upd JOIN prev ON prev.id = upd.id")
	if u.Scope != nil && u.Scope.folded {
		q.sql(" CROSS JOIN a")
	}
	q.sql(")")
	if u.Scope == nil {
		return q.sql(" SELECT ", configOnlyColumns, " FROM upd")
	}
	// The written row with its call, and a manager's access (the write
	// checked it), as configDest scans them.
	written := func() {
		for i, e := range updatedColumns {
			if i > 0 {
				q.sql(", ")
			}
			q.sql(e)
			if u.Scope.folded {
				q.sql(" AS k", strconv.Itoa(i))
			}
		}
		q.sql(" FROM upd JOIN calls AS c ON c.id = upd.call_id")
	}
	if !u.Scope.folded {
		q.sql(" SELECT ")
		written()
		return q
	}
	// Folded with the key check: the key's columns first, the written row
	// (if any) after them, as foldedRead answers.
	q.sql(", w AS (SELECT ")
	written()
	q.sql(") SELECT ", tokenColumns, ", w.k0 IS NOT NULL")
	for i, c := range configColsWithAccess {
		q.sql(", COALESCE(w.k", strconv.Itoa(i), ", ", c.zero, ")")
	}
	return q.sql(" FROM a LEFT JOIN w ON TRUE")
}

// updatedColumns are what an update by Scope answers, in configDest's order.
var updatedColumns = []string{"upd.id", "upd.uuid", "upd.call_id", "upd.auto_reassign_on_decline", "upd.max_auto_reassign_attempts",
	"upd.assignment_expiration_days", "upd.send_reminder_before_expiry_days", "upd.created", "upd.modified",
	"c.uuid", "c.name", "c.organisation_id", "c.state", "c.description", "c.created", "c.modified", "TRUE", "TRUE", "FALSE"}

// updateWithKeyCheck is the update by UUID and Scope folded with the check
// of the scope's key: it writes only for a good key of a user who may
// manage the configuration, and answers the key's columns (a row with
// found false when nothing was written, none when no key matched).
func (s *Store) updateWithKeyCheck(ctx context.Context, u ConfigUpdate) (*ConfigRow, error) {
	scope := *u.Scope
	scope.folded = true
	u.Scope = &scope
	u.Meta.actorFromKey = true
	q := updateStatement(s.text(), u)
	var (
		ks              keyScan
		found, keyFound bool
	)
	rows, err := collectOnce(ctx, s, q, func(r *ConfigRow) []any {
		keyFound = true
		return append(append(ks.dest(), &found), configDest(r)...)
	})
	if err != nil {
		return nil, err
	}
	ks.done(scope.Key, keyFound)
	if !keyFound || !found || len(rows) == 0 {
		return nil, nil
	}
	s.changesCommitted()
	return &rows[0], nil
}

// wrote passes on what a write returned, after telling the followers of
// the change it recorded when it wrote a row.
func (s *Store) wrote(row *ConfigRow, err error) (*ConfigRow, error) {
	if err == nil && row != nil {
		s.changesCommitted()
	}
	return row, err
}

// DeleteConfig deletes the configuration with this id, if modified still
// equals expect when given, and records its DELETED change atomically with
// it (at: now, or just after the last change if the clock says earlier);
// ok is false when nothing was deleted, and then nothing is recorded.
func (s *Store) DeleteConfig(ctx context.Context, id int64, expect *time.Time, now time.Time, meta ChangeMeta) (bool, error) {
	if s.postgres() {
		q := s.text()
		q.sql("WITH prev AS (SELECT cfg.id, cfg.uuid, cfg.call_id, ", settingsExprs("cfg"), ", ", nextChangeTxn("cfg"), " AS txn, ")
		forwardModified(q, now, "cfg")
		q.sql(" AS at FROM call_assignment_configurations AS cfg WHERE cfg.id = ").arg(id)
		if expect != nil {
			q.sql(" AND cfg.modified = ").arg(expect.UTC())
		}
		q.sql(" FOR UPDATE), del AS (DELETE FROM call_assignment_configurations AS cfg USING prev WHERE cfg.id = prev.id RETURNING cfg.id)")
		q.sql(", ch AS (INSERT INTO call_assignment_configuration_changes (", changeInsertColumns, ") SELECT ")
		changeValues(q, meta, "prev.txn", ChangeDeleted, "prev.at", "prev.uuid", callUUIDOf("prev"), settingsExprs("prev"), settingsExprs(""))
		q.sql(" FROM del JOIN prev ON prev.id = del.id) SELECT count(*) FROM del")
		n, err := first(collectOnce(ctx, s, q, func(n *int64) []any { return []any{n} }))
		if err != nil || n == nil {
			return false, err
		}
		if *n > 0 {
			s.changesCommitted()
		}
		return *n > 0, nil
	}
	deleted := false
	err := s.writeTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		deleted, err = deleteConfigTx(ctx, tx, id, expect, now, meta)
		return err
	})
	return deleted, err
}

// deleteConfigTx deletes the configuration with this id in tx and records
// its change; on PostgreSQL the caller has locked the row.
func deleteConfigTx(ctx context.Context, tx bun.Tx, id int64, expect *time.Time, now time.Time, meta ChangeMeta) (bool, error) {
	prev, err := configForChange(ctx, tx, id)
	if err != nil || prev == nil || (expect != nil && !prev.Modified.Equal(*expect)) {
		return false, err
	}
	txn, err := txnOf(ctx, tx)
	if err != nil {
		return false, err
	}
	if IsPostgres(tx) {
		txn = max(txn, prev.lastTxn)
	}
	if _, err := tx.NewDelete().TableExpr("call_assignment_configurations").Where("id = ?", prev.ID).Exec(ctx); err != nil {
		return false, err
	}
	rec := newChangeRecord(meta, txn, ChangeDeleted, forward(now, prev.Modified.UTC()), prev.UUID, prev.CallUUID, settingsOf(&prev.Configuration), nil)
	return true, insertChanges(ctx, tx, rec)
}

// FirstConfig returns the uuids of the oldest configuration and its call;
// ok is false when there is none.
func (s *Store) FirstConfig(ctx context.Context) (callUUID, configUUID uuid.UUID, ok bool, err error) {
	var row struct {
		CallUUID   uuid.UUID `bun:"call_uuid"`
		ConfigUUID uuid.UUID `bun:"cfg_uuid"`
	}
	err = s.bdb.NewSelect().TableExpr("call_assignment_configurations AS cfg").
		ColumnExpr("c.uuid AS call_uuid, cfg.uuid AS cfg_uuid").
		Join("JOIN calls AS c ON c.id = cfg.call_id").OrderExpr("cfg.id").Limit(1).Scan(ctx, &row)
	if errors.Is(err, sql.ErrNoRows) {
		return uuid.Nil, uuid.Nil, false, nil
	}
	return row.CallUUID, row.ConfigUUID, err == nil, err
}
