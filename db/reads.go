package db

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// The reads of configurations and calls are built here, once for both
// databases, as text with placeholders rather than with bun's query builder:
// bun inlines arguments, and the PostgreSQL path needs one text per shape to
// reuse a prepared plan.

// sqlText builds one statement for either database: placeholders are $n for
// a prepared statement, so that the text is the same for every value, and ?
// where bun fills them in (SQLite, and statements sent as text).
type sqlText struct {
	b    strings.Builder
	args []any
	pg   bool
}

func (s *sqlText) sql(parts ...string) *sqlText {
	for _, p := range parts {
		s.b.WriteString(p)
	}
	return s
}

// arg appends a value and writes its placeholder.
func (s *sqlText) arg(v any) *sqlText {
	s.args = append(s.args, v)
	if s.pg {
		s.b.WriteString("$" + strconv.Itoa(len(s.args)))
	} else {
		s.b.WriteString("?")
	}
	return s
}

// list writes (v1, v2, …) as placeholders.
func (s *sqlText) list(values []int64) *sqlText {
	s.sql("(")
	for i, v := range values {
		if i > 0 {
			s.sql(", ")
		}
		s.arg(v)
	}
	return s.sql(")")
}

func (s *sqlText) String() string { return s.b.String() }

// access writes the viewer's roles on the call aliased c. For a viewer who
// manages everything they are constants: the subqueries would only cost
// planning time.
func access(s *sqlText, scope Scope) {
	if scope.Manages {
		s.sql("TRUE, TRUE, FALSE")
		return
	}
	s.sql("EXISTS (SELECT 1 FROM call_roles AS r WHERE r.call_id = c.id AND r.user_id = ").arg(scope.UserID)
	s.sql("), EXISTS (SELECT 1 FROM call_roles AS r WHERE r.call_id = c.id AND r.user_id = ").arg(scope.UserID)
	s.sql(" AND r.role = 'manager'), EXISTS (SELECT 1 FROM org_roles AS o WHERE o.organisation_id = c.organisation_id AND o.user_id = ").arg(scope.UserID)
	s.sql(" AND o.role = 'call_organizer')")
}

// visible narrows to the calls the viewer holds a role on, unless it sees
// all; callID is the column holding the call's id.
func visible(s *sqlText, scope Scope, callID string) {
	if !scope.All {
		s.sql(" AND EXISTS (SELECT 1 FROM call_roles AS r WHERE r.call_id = ", callID, " AND r.user_id = ").arg(scope.UserID).sql(")")
	}
}

// selectConfigs starts a statement reading configurations with their calls
// and the viewer's access: the columns configDest scans.
func selectConfigs(p *Prepared, scope Scope) *sqlText {
	s := &sqlText{pg: p != nil}
	s.sql("SELECT ", configColumns, ", ")
	access(s, scope)
	return s.sql(" FROM call_assignment_configurations AS cfg JOIN calls AS c ON c.id = cfg.call_id WHERE TRUE")
}

// configWhere writes the WHERE clause of a configuration list or count;
// joined says whether calls is joined as c.
func configWhere(s *sqlText, scope Scope, f ConfigFilter, joined bool) {
	visible(s, scope, "cfg.call_id")
	if f.CallUUID != nil {
		if joined {
			s.sql(" AND c.uuid = ").arg(*f.CallUUID)
		} else {
			s.sql(" AND cfg.call_id = (SELECT id FROM calls WHERE uuid = ").arg(*f.CallUUID).sql(")")
		}
	}
	if f.CallState != "" {
		if joined {
			s.sql(" AND c.state = ").arg(f.CallState)
		} else {
			s.sql(" AND cfg.call_id IN (SELECT id FROM calls WHERE state = ").arg(f.CallState).sql(")")
		}
	}
	if f.AutoReassign != nil {
		s.sql(" AND cfg.auto_reassign_on_decline = ").arg(*f.AutoReassign)
	}
}

// ListConfigs reads one page of the configurations visible in scope, with
// their calls and the viewer's access, in one statement.
func ListConfigs(ctx context.Context, bdb *bun.DB, p *Prepared, scope Scope, f ConfigFilter, pg Page) ([]ConfigRow, error) {
	s := selectConfigs(p, scope)
	configWhere(s, scope, f, true)
	pg.write(s)
	return collect(ctx, bdb, p, s, configDest)
}

// GetConfig reads one configuration by uuid, whoever may see it: the caller
// decides from the returned Access. It returns (nil, nil) when none exists.
func GetConfig(ctx context.Context, bdb *bun.DB, p *Prepared, id uuid.UUID, scope Scope) (*ConfigRow, error) {
	s := selectConfigs(p, scope)
	s.sql(" AND cfg.uuid = ").arg(id)
	return first(collect(ctx, bdb, p, s, configDest))
}

// ConfigsByCallIDs reads the configurations of the given calls, for batch
// loading; calls without one are absent from the result. The statement is
// sent as text: its shape changes with the number of ids.
func ConfigsByCallIDs(ctx context.Context, bdb *bun.DB, callIDs []int64, scope Scope) ([]ConfigRow, error) {
	if len(callIDs) == 0 {
		return []ConfigRow{}, nil
	}
	s := selectConfigs(nil, scope)
	s.sql(" AND cfg.call_id IN ")
	s.list(callIDs)
	return collect(ctx, bdb, nil, s, configDest)
}

// callColumns are the columns callDest scans, before the access columns.
const callColumns = "c.id, c.uuid, c.organisation_id, c.name, c.description, c.state, c.created, c.modified"

func callDest(r *CallRow) []any {
	return []any{&r.ID, &r.UUID, &r.OrganisationID, &r.Name, &r.Description, &r.State, &r.Created, &r.Modified,
		&r.HasRole, &r.IsManager, &r.IsOrganizer}
}

func selectCalls(p *Prepared, scope Scope) *sqlText {
	s := &sqlText{pg: p != nil}
	s.sql("SELECT ", callColumns, ", ")
	access(s, scope)
	return s.sql(" FROM calls AS c WHERE TRUE")
}

func callWhere(s *sqlText, scope Scope, f CallFilter) {
	visible(s, scope, "c.id")
	if f.State != "" {
		s.sql(" AND c.state = ").arg(f.State)
	}
}

// ListCalls reads one page of the calls visible in scope.
func ListCalls(ctx context.Context, bdb *bun.DB, p *Prepared, scope Scope, f CallFilter, pg Page) ([]CallRow, error) {
	s := selectCalls(p, scope)
	callWhere(s, scope, f)
	pg.write(s)
	return collect(ctx, bdb, p, s, callDest)
}

// CountCalls counts the calls visible in scope.
func CountCalls(ctx context.Context, bdb *bun.DB, p *Prepared, scope Scope, f CallFilter) (int64, error) {
	s := &sqlText{pg: p != nil}
	s.sql("SELECT count(*) FROM calls AS c WHERE TRUE")
	callWhere(s, scope, f)
	return count(ctx, bdb, p, s)
}

// GetCall reads one call by uuid with the viewer's access; (nil, nil) when
// there is none.
func GetCall(ctx context.Context, bdb *bun.DB, p *Prepared, id uuid.UUID, scope Scope) (*CallRow, error) {
	s := selectCalls(p, scope)
	s.sql(" AND c.uuid = ").arg(id)
	return first(collect(ctx, bdb, p, s, callDest))
}

// CallsByIDs reads calls by primary key, for batch loading (sent as text,
// like ConfigsByCallIDs).
func CallsByIDs(ctx context.Context, bdb *bun.DB, ids []int64, scope Scope) ([]CallRow, error) {
	if len(ids) == 0 {
		return []CallRow{}, nil
	}
	s := selectCalls(nil, scope)
	s.sql(" AND c.id IN ")
	s.list(ids)
	return collect(ctx, bdb, nil, s, callDest)
}

// collect runs s and scans every row, trying once more if the connection
// was lost on the way.
func collect[T any](ctx context.Context, bdb *bun.DB, p *Prepared, s *sqlText, dest func(*T) []any) ([]T, error) {
	return retryRead(ctx, bdb, func() ([]T, error) {
		rows, err := query(ctx, bdb, p, s)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		out := []T{}
		for rows.Next() {
			out = append(out, *new(T))
			if err := rows.Scan(dest(&out[len(out)-1])...); err != nil {
				return nil, err
			}
		}
		return out, rows.Err()
	})
}

// first is the only row of a lookup by a unique key, or nil.
func first[T any](rows []T, err error) (*T, error) {
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return &rows[0], nil
}

func count(ctx context.Context, bdb *bun.DB, p *Prepared, s *sqlText) (int64, error) {
	return retryRead(ctx, bdb, func() (int64, error) {
		rows, err := query(ctx, bdb, p, s)
		if err != nil {
			return 0, err
		}
		defer rows.Close()
		var n int64
		if rows.Next() {
			err = rows.Scan(&n)
		}
		if err == nil {
			err = rows.Err()
		}
		return n, err
	})
}

// CountConfigs counts the configurations visible in scope. Every
// configuration has its call (a foreign key), so the count reads the
// configurations alone: counting is the expensive part of a listing.
func CountConfigs(ctx context.Context, bdb *bun.DB, p *Prepared, scope Scope, f ConfigFilter) (int64, error) {
	s := &sqlText{pg: p != nil}
	s.sql("SELECT count(*) FROM call_assignment_configurations AS cfg WHERE TRUE")
	configWhere(s, scope, f, false)
	return count(ctx, bdb, p, s)
}

// write adds ORDER BY, the keyset condition, LIMIT and OFFSET. The keyset
// condition is "strictly after Seek in this order"; its first column also
// gets a plain bound so the database reads an index range instead of
// filtering from the start.
func (p Page) write(s *sqlText) {
	if len(p.Seek) == len(p.Order) && len(p.Seek) > 0 {
		op := func(o Order) string {
			if o.Desc != p.Reverse {
				return "<"
			}
			return ">"
		}
		first := p.Order[0]
		s.sql(" AND ", first.Column, " ", op(first), "= ").arg(p.Seek[0]).sql(" AND (")
		for i := range p.Order {
			if i > 0 {
				s.sql(" OR ")
			}
			s.sql("(")
			for j := 0; j < i; j++ {
				s.sql(p.Order[j].Column, " = ").arg(p.Seek[j]).sql(" AND ")
			}
			s.sql(p.Order[i].Column, " ", op(p.Order[i]), " ").arg(p.Seek[i]).sql(")")
		}
		s.sql(")")
	}
	for i, o := range p.Order {
		if i == 0 {
			s.sql(" ORDER BY ")
		} else {
			s.sql(", ")
		}
		if o.Desc != p.Reverse {
			s.sql(o.Column, " DESC")
		} else {
			s.sql(o.Column, " ASC")
		}
	}
	if p.Limit > 0 {
		s.sql(" LIMIT ").arg(int64(p.Limit))
	}
	if p.Offset > 0 {
		s.sql(" OFFSET ").arg(int64(p.Offset))
	}
}

// MaxParameters is the most bind parameters a statement may carry. The
// protocol counts them in 16 bits and pgdriver reads and writes that count
// as a signed int16, so a statement with more would put the connection out
// of step with the server. The core's bounds keep every statement far below
// it; this is the last line, in the one place statements are sent.
const MaxParameters = math.MaxInt16

// ErrTooManyParameters refuses a statement before it is sent.
var ErrTooManyParameters = errors.New("db: statement has more bind parameters than the protocol allows")

// query runs s as a prepared statement on PostgreSQL, through bun on SQLite.
func query(ctx context.Context, bdb *bun.DB, p *Prepared, s *sqlText) (*sql.Rows, error) {
	if len(s.args) > MaxParameters {
		return nil, ErrTooManyParameters
	}
	if p == nil {
		return bdb.QueryContext(ctx, s.String(), s.args...)
	}
	st, err := p.stmt(ctx, s.String())
	if err != nil {
		return nil, err
	}
	notifyStatement(bdb)
	if st == nil {
		return bdb.DB.QueryContext(ctx, s.String(), s.args...)
	}
	return st.QueryContext(ctx, s.args...)
}
