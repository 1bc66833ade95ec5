package db

// Order is one sort key. Column is one of the Order* names below.
type Order struct {
	Column string
	Desc   bool
}

// Sortable columns, with the tables aliased as the queries alias them.
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

// write adds the keyset condition, ORDER BY, LIMIT and OFFSET.
func (p Page) write(s *sqlText) {
	p.writeSeek(s)
	p.writeOrder(s)
	if p.Limit > 0 {
		s.sql(" LIMIT ").arg(int64(p.Limit))
	}
	if p.Offset > 0 {
		s.sql(" OFFSET ").arg(int64(p.Offset))
	}
}

// writeSeek adds the keyset condition: "strictly after Seek in this
// order". Its first column also gets a plain bound so the database reads an
// index range instead of filtering from the start. Its size grows with the
// square of the order's length, which the core bounds by the number of
// sortable fields.
func (p Page) writeSeek(s *sqlText) {
	if len(p.Seek) != len(p.Order) || len(p.Seek) == 0 {
		return
	}
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

// writeOrder adds ORDER BY, each direction flipped when reading
// backwards, after the leading terms given.
func (p Page) writeOrder(s *sqlText, lead ...string) {
	for i, t := range lead {
		if i == 0 {
			s.sql(" ORDER BY ")
		} else {
			s.sql(", ")
		}
		s.sql(t)
	}
	for i, o := range p.Order {
		if i == 0 && len(lead) == 0 {
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
}
