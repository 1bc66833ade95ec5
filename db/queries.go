package db

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// Scope narrows a query to what one viewer may see: everything, or the calls
// on which UserID holds a role. The core decides which; this package only
// turns it into SQL. Manages says the viewer manages everything it sees
// (staff), so the per-row access columns need not be computed.
type Scope struct {
	All     bool
	UserID  int64
	Manages bool
}

// Access is what a viewer holds on one call, read in the same statement as
// the row so that a permission check costs no extra round trip.
type Access struct {
	HasRole     bool `bun:"viewer_has_role,scanonly"`
	IsManager   bool `bun:"viewer_is_manager,scanonly"`
	IsOrganizer bool `bun:"viewer_is_organizer,scanonly"`
}

// ConfigRow is a configuration with its call's public fields and the
// viewer's access to that call.
type ConfigRow struct {
	Configuration   `bun:",extend"`
	CallOrgID       int64     `bun:"call_organisation_id,scanonly"`
	CallState       string    `bun:"call_state,scanonly"`
	CallDescription string    `bun:"call_description,scanonly"`
	CallCreated     time.Time `bun:"call_created,scanonly"`
	CallModified    time.Time `bun:"call_modified,scanonly"`
	Access
}

// CallRow is a call with the viewer's access to it.
type CallRow struct {
	Call `bun:",extend"`
	Access
}

// Order is one sort key. Column is one of the Order* names below.
type Order struct {
	Column string
	Desc   bool
}

// Sortable columns, with the tables aliased as the queries below alias them.
const (
	OrderConfigCreated  = "cfg.created"
	OrderConfigModified = "cfg.modified"
	OrderConfigCallName = "c.name"
	OrderConfigID       = "cfg.id"
	OrderCallCreated    = "c.created"
	OrderCallModified   = "c.modified"
	OrderCallName       = "c.name"
	OrderCallID         = "c.id"
)

// Page selects a window of an ordered list: either Offset (page numbers) or
// a keyset Seek holding the values of every Order column of the row to start
// after. Reverse flips every direction, for reading backwards from a cursor.
type Page struct {
	Order   []Order
	Seek    []any
	Offset  int
	Limit   int
	Reverse bool
}

type ConfigFilter struct {
	CallUUID     *uuid.UUID
	CallState    string
	AutoReassign *bool
}

type CallFilter struct {
	State string
}

// accessColumns adds the viewer's roles on each row's call. For a viewer who
// manages everything they are constants: the subqueries cost planning time
// on every statement.
func accessColumns(q *bun.SelectQuery, userID int64, manages bool) *bun.SelectQuery {
	if manages {
		return q.ColumnExpr("TRUE AS viewer_has_role, TRUE AS viewer_is_manager, FALSE AS viewer_is_organizer")
	}
	return q.
		ColumnExpr("EXISTS (SELECT 1 FROM call_roles AS r WHERE r.call_id = c.id AND r.user_id = ?) AS viewer_has_role", userID).
		ColumnExpr("EXISTS (SELECT 1 FROM call_roles AS r WHERE r.call_id = c.id AND r.user_id = ? AND r.role = 'manager') AS viewer_is_manager", userID).
		ColumnExpr("EXISTS (SELECT 1 FROM org_roles AS o WHERE o.organisation_id = c.organisation_id AND o.user_id = ? AND o.role = 'call_organizer') AS viewer_is_organizer", userID)
}

// apply narrows q to the scope; callID is the column holding the call's id
// (c.id, or cfg.call_id where the call is not joined).
func (s Scope) apply(q *bun.SelectQuery, callID string) *bun.SelectQuery {
	if s.All {
		return q
	}
	return q.Where("EXISTS (SELECT 1 FROM call_roles AS r WHERE r.call_id = ? AND r.user_id = ?)", bun.Safe(callID), s.UserID)
}

func configSelect(idb bun.IDB, dst any, scope Scope) *bun.SelectQuery {
	q := idb.NewSelect().Model(dst).
		ColumnExpr("cfg.*").
		ColumnExpr("c.uuid AS call_uuid, c.name AS call_name, c.organisation_id AS call_organisation_id, c.state AS call_state").
		ColumnExpr("c.description AS call_description, c.created AS call_created, c.modified AS call_modified").
		Join("JOIN calls AS c ON c.id = cfg.call_id")
	return accessColumns(q, scope.UserID, scope.Manages)
}

// GetConfig reads one configuration by uuid, whoever may see it: the caller
// decides from the returned Access. It returns (nil, nil) when none exists.
func GetConfig(ctx context.Context, idb bun.IDB, id uuid.UUID, scope Scope) (*ConfigRow, error) {
	row := new(ConfigRow)
	err := configSelect(idb, row, scope).Where("cfg.uuid = ?", id).Limit(1).Scan(ctx)
	return oneOrNil(row, err)
}

// ConfigsByCallIDs reads the configurations of the given calls, for batch
// loading; calls without one are absent from the result.
func ConfigsByCallIDs(ctx context.Context, idb bun.IDB, callIDs []int64, scope Scope) ([]ConfigRow, error) {
	rows := []ConfigRow{}
	if len(callIDs) == 0 {
		return rows, nil
	}
	err := configSelect(idb, &rows, scope).Where("cfg.call_id IN (?)", bun.In(callIDs)).Scan(ctx)
	return rows, err
}

func callSelect(idb bun.IDB, dst any, scope Scope) *bun.SelectQuery {
	q := idb.NewSelect().Model(dst).ModelTableExpr("calls AS c").ColumnExpr("c.*")
	return accessColumns(q, scope.UserID, scope.Manages)
}

func (f CallFilter) apply(q *bun.SelectQuery) *bun.SelectQuery {
	if f.State != "" {
		q = q.Where("c.state = ?", f.State)
	}
	return q
}

// ListCalls reads one page of the calls visible in scope.
func ListCalls(ctx context.Context, idb bun.IDB, scope Scope, f CallFilter, p Page) ([]CallRow, error) {
	rows := []CallRow{}
	q := callSelect(idb, &rows, scope)
	q = f.apply(scope.apply(q, "c.id"))
	if err := p.apply(q).Scan(ctx); err != nil {
		return nil, err
	}
	return rows, nil
}

func CountCalls(ctx context.Context, idb bun.IDB, scope Scope, f CallFilter) (int64, error) {
	q := idb.NewSelect().TableExpr("calls AS c")
	return f.apply(scope.apply(q, "c.id")).Count(ctx)
}

// GetCall reads one call by uuid with the viewer's access; (nil, nil) when
// there is none.
func GetCall(ctx context.Context, idb bun.IDB, id uuid.UUID, scope Scope) (*CallRow, error) {
	row := new(CallRow)
	err := callSelect(idb, row, scope).Where("c.uuid = ?", id).Limit(1).Scan(ctx)
	return oneOrNil(row, err)
}

// CallsByIDs reads calls by primary key, for batch loading.
func CallsByIDs(ctx context.Context, idb bun.IDB, ids []int64, scope Scope) ([]CallRow, error) {
	rows := []CallRow{}
	if len(ids) == 0 {
		return rows, nil
	}
	err := callSelect(idb, &rows, scope).Where("c.id IN (?)", bun.In(ids)).Scan(ctx)
	return rows, err
}

func oneOrNil[T any](row *T, err error) (*T, error) {
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return row, nil
}

func (p Page) apply(q *bun.SelectQuery) *bun.SelectQuery {
	for _, o := range p.Order {
		desc := o.Desc != p.Reverse
		if desc {
			q = q.OrderExpr("? DESC", bun.Safe(o.Column))
		} else {
			q = q.OrderExpr("? ASC", bun.Safe(o.Column))
		}
	}
	if len(p.Seek) == len(p.Order) && len(p.Seek) > 0 {
		q = p.seek(q)
	}
	if p.Limit > 0 {
		q = q.Limit(int64(p.Limit))
	}
	if p.Offset > 0 {
		q = q.Offset(int64(p.Offset))
	}
	return q
}

// seek adds the keyset condition "strictly after Seek in this order". The
// first column also gets a plain bound (<= or >=) so the database reads an
// index range instead of filtering from the start.
func (p Page) seek(q *bun.SelectQuery) *bun.SelectQuery {
	op := func(o Order) string {
		if o.Desc != p.Reverse {
			return "<"
		}
		return ">"
	}
	first := p.Order[0]
	q = q.Where("? ?= ?", bun.Safe(first.Column), bun.Safe(op(first)), p.Seek[0])
	return q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		for i := range p.Order {
			q = q.WhereGroup(" OR ", func(q *bun.SelectQuery) *bun.SelectQuery {
				for j := 0; j < i; j++ {
					q = q.Where("? = ?", bun.Safe(p.Order[j].Column), p.Seek[j])
				}
				return q.Where("? ? ?", bun.Safe(p.Order[i].Column), bun.Safe(op(p.Order[i])), p.Seek[i])
			})
		}
		return q
	})
}

// Now is the clock used for created and modified: UTC, truncated to the
// microseconds both databases keep, so what a write returns is what a later
// read sees.
func Now() time.Time {
	return time.Now().UTC().Truncate(time.Microsecond)
}
