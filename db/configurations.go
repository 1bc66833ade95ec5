package db

import (
	"context"
	"database/sql"
	"errors"
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

func configDest(r *ConfigRow) []any {
	return []any{&r.ID, &r.UUID, &r.CallID, &r.AutoReassignOnDecline, &r.MaxAutoReassignAttempts,
		&r.AssignmentExpirationDays, &r.SendReminderBeforeExpiryDays, &r.Created, &r.Modified,
		&r.CallUUID, &r.CallName, &r.CallOrgID, &r.CallState, &r.CallDescription, &r.CallCreated, &r.CallModified,
		&r.HasRole, &r.IsManager, &r.IsOrganizer}
}

// selectConfigs starts q, a statement reading configurations with their
// calls and the viewer's access: the columns configDest scans.
func selectConfigs(q *sqlText, scope Scope) *sqlText {
	q.sql("SELECT ", configColumns, ", ")
	access(q, scope)
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
	q := selectConfigs(s.text(), scope)
	configWhere(q, scope, f, true)
	pg.write(q)
	return collect(ctx, s, q, configDest)
}

// CountConfigs counts the configurations visible in scope. Every
// configuration has its call (a foreign key), so the count reads the
// configurations alone: counting is the expensive part of a listing.
func (s *Store) CountConfigs(ctx context.Context, scope Scope, f ConfigFilter) (int64, error) {
	q := s.text().sql("SELECT count(*) FROM call_assignment_configurations AS cfg WHERE TRUE")
	configWhere(q, scope, f, false)
	return s.count(ctx, q)
}

// GetConfig reads one configuration by uuid, whoever may see it: the caller
// decides from the returned Access. It returns (nil, nil) when none exists.
func (s *Store) GetConfig(ctx context.Context, id uuid.UUID, scope Scope) (*ConfigRow, error) {
	q := selectConfigs(s.text(), scope)
	q.sql(" AND cfg.uuid = ").arg(id)
	return first(collect(ctx, s, q, configDest))
}

// ConfigsByCallIDs reads the configurations of the given calls, for batch
// loading; calls without one are absent from the result. The statement is
// sent as text: its shape changes with the number of ids.
func (s *Store) ConfigsByCallIDs(ctx context.Context, callIDs []int64, scope Scope) ([]ConfigRow, error) {
	if len(callIDs) == 0 {
		return []ConfigRow{}, nil
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

// InsertConfig stores a new configuration (its ID is set). A second one for
// the same call, or a call deleted meanwhile, is the constraint's error
// (IsUniqueViolation, IsForeignKeyViolation): the database decides, so
// racing creates cannot both succeed.
func (s *Store) InsertConfig(ctx context.Context, cfg *Configuration) error {
	_, err := s.bdb.NewInsert().Model(cfg).Exec(ctx)
	return err
}

// Assignment is one column set by an update.
type Assignment struct {
	Column string
	Value  any
}

// ConfigUpdate changes the columns Set of one configuration, found by ID or,
// with Scope, by UUID among those the viewer may manage. Expect, when
// given, makes the update conditional on modified still being that value.
type ConfigUpdate struct {
	ID     int64
	UUID   uuid.UUID
	Scope  *Scope
	Set    []Assignment
	Now    time.Time
	Expect *time.Time
}

// modified always moves forward, even within one microsecond or across a
// clock step back, so it can serve as a version for preconditions. On
// PostgreSQL the statement computes it from the stored value
// (forwardModified); on SQLite, whose one writer serialises the
// transaction that reads the stored value first, forward does.
func forwardModified(q *sqlText, now time.Time) {
	q.sql("GREATEST(").arg(now).sql(", cfg.modified + interval '1 microsecond')")
}

func forward(now, prev time.Time) time.Time {
	if floor := prev.Add(time.Microsecond); now.Before(floor) {
		return floor.UTC()
	}
	return now
}

// UpdateConfig applies u and returns the stored row, or nil when no row
// matched (none with that id or uuid, the viewer may not manage it, or the
// precondition failed). By UUID and Scope it is one statement on
// PostgreSQL, checking the permission itself; on SQLite, whose RETURNING
// cannot read a joined call, that form always returns nil and the caller
// takes the path by ID.
func (s *Store) UpdateConfig(ctx context.Context, u ConfigUpdate) (*ConfigRow, error) {
	if u.Scope != nil {
		if !s.postgres() {
			return nil, nil
		}
		return s.updateManagedConfig(ctx, u)
	}
	row := &ConfigRow{}
	cols := "id, uuid, call_id, auto_reassign_on_decline, max_auto_reassign_attempts, assignment_expiration_days, send_reminder_before_expiry_days, created, modified"
	dest := []any{&row.ID, &row.UUID, &row.CallID, &row.AutoReassignOnDecline, &row.MaxAutoReassignAttempts,
		&row.AssignmentExpirationDays, &row.SendReminderBeforeExpiryDays, &row.Created, &row.Modified}
	write := func(ctx context.Context, idb bun.IDB, modified func(*sqlText)) error {
		q := &sqlText{}
		q.sql("UPDATE call_assignment_configurations AS cfg SET modified = ")
		modified(q)
		for _, c := range u.Set {
			q.sql(", ", string(bun.Ident(c.Column)), " = ").arg(c.Value)
		}
		q.sql(" WHERE cfg.id = ").arg(u.ID)
		if u.Expect != nil {
			q.sql(" AND cfg.modified = ").arg(u.Expect.UTC())
		}
		q.sql(" RETURNING ", cols)
		return idb.QueryRowContext(ctx, q.String(), q.args...).Scan(dest...)
	}
	var err error
	if s.postgres() {
		err = write(ctx, s.bdb, func(q *sqlText) { forwardModified(q, u.Now) })
	} else {
		err = s.bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			var prev time.Time
			if err := tx.NewSelect().Table("call_assignment_configurations").Column("modified").
				Where("id = ?", u.ID).Scan(ctx, &prev); err != nil {
				return err
			}
			return write(ctx, tx, func(q *sqlText) { q.arg(forward(u.Now, prev.UTC())) })
		})
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return row, nil
}

func (s *Store) updateManagedConfig(ctx context.Context, u ConfigUpdate) (*ConfigRow, error) {
	q := s.text()
	q.sql("UPDATE call_assignment_configurations AS cfg SET modified = ")
	forwardModified(q, u.Now)
	for _, c := range u.Set {
		q.sql(", ", string(bun.Ident(c.Column)), " = ").arg(c.Value)
	}
	q.sql(" FROM calls AS c WHERE c.id = cfg.call_id AND cfg.uuid = ").arg(u.UUID)
	if u.Expect != nil {
		q.sql(" AND cfg.modified = ").arg(u.Expect.UTC())
	}
	q.sql(" AND ")
	manageable(q, *u.Scope)
	q.sql(" RETURNING ", configColumns, ", TRUE, TRUE, FALSE")
	return first(collectOnce(ctx, s, q, configDest))
}

// DeleteConfig deletes the configuration with this id, if modified still
// equals expect when given; ok is false when nothing was deleted.
func (s *Store) DeleteConfig(ctx context.Context, id int64, expect *time.Time) (bool, error) {
	q := s.bdb.NewDelete().TableExpr("call_assignment_configurations").Where("id = ?", id)
	if expect != nil {
		q = q.Where("modified = ?", expect.UTC())
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
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
