package db

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// CallRow is a call with the viewer's access to it.
type CallRow struct {
	Call
	Access
}

type CallFilter struct {
	State string
}

// callCols are the columns callDest scans, before the access columns.
var callCols = []column{
	{"c.id", "0"}, {"c.uuid", zeroUUID}, {"c.organisation_id", "0"}, {"c.name", "''"}, {"c.description", "''"},
	{"c.state", "''"}, {"c.created", zeroTime}, {"c.modified", zeroTime},
}

func callDest(r *CallRow) []any {
	return []any{&r.ID, &r.UUID, &r.OrganisationID, &r.Name, &r.Description, &r.State, &r.Created, &r.Modified,
		&r.HasRole, &r.IsManager, &r.IsOrganizer}
}

func selectCalls(q *sqlText, scope Scope) *sqlText {
	q.sql("SELECT ")
	selectColumns(q, callCols, scope.folded)
	q.sql(", ")
	access(q, scope, len(callCols))
	return q.sql(" FROM calls AS c WHERE TRUE")
}

func callWhere(q *sqlText, scope Scope, f CallFilter) {
	visible(q, scope, "c.id")
	if f.State != "" {
		q.sql(" AND c.state = ").arg(f.State)
	}
}

// ListCalls reads one page of the calls visible in scope.
func (s *Store) ListCalls(ctx context.Context, scope Scope, f CallFilter, pg Page) ([]CallRow, error) {
	list := func(q *sqlText, scope Scope) {
		selectCalls(q, scope)
		callWhere(q, scope, f)
		pg.write(q)
	}
	if s.folds(scope) {
		return foldedRead(ctx, s, scope, callColsWithAccess, list, callDest)
	}
	scope, err := s.resolve(ctx, scope)
	if err != nil {
		return nil, err
	}
	q := s.text()
	list(q, scope)
	return collect(ctx, s, q, callDest)
}

// CountCalls counts the calls visible in scope.
func (s *Store) CountCalls(ctx context.Context, scope Scope, f CallFilter) (int64, error) {
	return foldableCount(ctx, s, scope, func(q *sqlText, scope Scope) {
		q.sql("SELECT count(*) FROM calls AS c WHERE TRUE")
		callWhere(q, scope, f)
	})
}

// GetCall reads one call by uuid with the viewer's access; (nil, nil) when
// there is none.
func (s *Store) GetCall(ctx context.Context, id uuid.UUID, scope Scope) (*CallRow, error) {
	get := func(q *sqlText, scope Scope) {
		selectCalls(q, scope)
		q.sql(" AND c.uuid = ").arg(id)
	}
	if s.folds(scope) {
		return first(foldedRead(ctx, s, scope, callColsWithAccess, get, callDest))
	}
	scope, err := s.resolve(ctx, scope)
	if err != nil {
		return nil, err
	}
	q := s.text()
	get(q, scope)
	return first(collect(ctx, s, q, callDest))
}

// CallsByIDs reads calls by primary key, for batch loading (sent as text,
// like ConfigsByCallIDs).
func (s *Store) CallsByIDs(ctx context.Context, ids []int64, scope Scope) ([]CallRow, error) {
	if len(ids) == 0 {
		return []CallRow{}, nil
	}
	scope, err := s.resolve(ctx, scope)
	if err != nil {
		return nil, err
	}
	q := selectCalls(&sqlText{}, scope)
	q.sql(" AND c.id IN ").list(ids)
	return collect(ctx, s, q, callDest)
}

// CallIDByUUID returns the id of a call; ok is false when there is none.
func (s *Store) CallIDByUUID(ctx context.Context, id uuid.UUID) (int64, bool, error) {
	return idByUUID(ctx, s, "calls", id)
}

func idByUUID(ctx context.Context, s *Store, table string, id uuid.UUID) (int64, bool, error) {
	var n int64
	err := s.bdb.NewSelect().Table(table).Column("id").Where("uuid = ?", id).Limit(1).Scan(ctx, &n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return n, err == nil, err
}

// InsertCall stores a new call (its ID is set).
func (s *Store) InsertCall(ctx context.Context, c *Call) error {
	_, err := s.bdb.NewInsert().Model(c).Exec(ctx)
	return err
}

// DeleteCall deletes a call by uuid, and with it (by the foreign keys) its
// configuration and role grants; ok is false when there was none. The
// configuration's DELETED change is recorded in the same transaction. On
// PostgreSQL the call is locked first, so that no configuration can appear
// on it meanwhile (its foreign-key check would wait), then its
// configuration, which waits for a write in progress.
func (s *Store) DeleteCall(ctx context.Context, id uuid.UUID, now time.Time, meta ChangeMeta) (bool, error) {
	lockCall, lockCfg := "", ""
	if s.postgres() {
		lockCall, lockCfg = " FOR UPDATE", " FOR UPDATE"
	}
	deleted := false
	err := s.writeTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var callID int64
		err := tx.QueryRowContext(ctx, "SELECT id FROM calls WHERE uuid = ?"+lockCall, id).Scan(&callID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		var cfgID int64
		err = tx.QueryRowContext(ctx, "SELECT id FROM call_assignment_configurations WHERE call_id = ?"+lockCfg, callID).Scan(&cfgID)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		default:
			if _, err := deleteConfigTx(ctx, tx, cfgID, nil, now, meta); err != nil {
				return err
			}
		}
		res, err := tx.NewDelete().TableExpr("calls").Where("id = ?", callID).Exec(ctx)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		deleted = n > 0
		return err
	})
	return deleted, err
}
