package db

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"github.com/uptrace/bun"
)

// sqlText builds one statement for either database: placeholders are $n on
// PostgreSQL, so that the text is the same for every value and its prepared
// plan is reused, and ? on SQLite, where bun fills them in.
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

func (s *sqlText) String() string { return s.b.String() }

// configWhere writes the WHERE clause of a configuration list or count;
// joined says whether calls is joined as c.
func configWhere(s *sqlText, scope Scope, f ConfigFilter, joined bool) {
	s.sql(" WHERE TRUE")
	if !scope.All {
		s.sql(" AND EXISTS (SELECT 1 FROM call_roles AS r WHERE r.call_id = cfg.call_id AND r.user_id = ").arg(scope.UserID).sql(")")
	}
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
	s := &sqlText{pg: p != nil}
	s.sql("SELECT ", configColumns, ", ")
	if scope.Manages {
		s.sql("TRUE, TRUE, FALSE")
	} else {
		uid := func() { s.arg(scope.UserID) }
		s.sql("EXISTS (SELECT 1 FROM call_roles AS r WHERE r.call_id = c.id AND r.user_id = ")
		uid()
		s.sql("), EXISTS (SELECT 1 FROM call_roles AS r WHERE r.call_id = c.id AND r.user_id = ")
		uid()
		s.sql(" AND r.role = 'manager'), EXISTS (SELECT 1 FROM org_roles AS o WHERE o.organisation_id = c.organisation_id AND o.user_id = ")
		uid()
		s.sql(" AND o.role = 'call_organizer')")
	}
	s.sql(" FROM call_assignment_configurations AS cfg JOIN calls AS c ON c.id = cfg.call_id")
	configWhere(s, scope, f, true)
	pg.write(s)

	rows, err := query(ctx, bdb, p, s)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []ConfigRow{}
	for rows.Next() {
		out = append(out, ConfigRow{})
		if err := rows.Scan(configDest(&out[len(out)-1])...); err != nil {
			return nil, err
		}
	}
	return out, rows.Err()
}

// CountConfigs counts the configurations visible in scope. Every
// configuration has its call (a foreign key), so the count reads the
// configurations alone: counting is the expensive part of a listing.
func CountConfigs(ctx context.Context, bdb *bun.DB, p *Prepared, scope Scope, f ConfigFilter) (int64, error) {
	s := &sqlText{pg: p != nil}
	s.sql("SELECT count(*) FROM call_assignment_configurations AS cfg")
	configWhere(s, scope, f, false)
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

// query runs s as a prepared statement on PostgreSQL, through bun on SQLite.
func query(ctx context.Context, bdb *bun.DB, p *Prepared, s *sqlText) (*sql.Rows, error) {
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
