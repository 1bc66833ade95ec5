package core

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/callcfg/callcfg/db"
)

// MaxPageSize bounds first/last and REST's page_size.
const MaxPageSize = 300

// DefaultPageSize applies when a connection is asked for neither first nor last.
const DefaultPageSize = 20

// PageArgs are Relay's connection arguments.
type PageArgs struct {
	First, Last   *int
	After, Before *string
}

// Edge is one node of a page.
type Edge[T any] struct {
	Node T
}

// Connection is one page of a keyset-paginated list. Its nodes' opaque
// keyset cursors are made when asked for (Cursor): most pages are shown
// without them, and a cursor is a JSON document in base64.
type Connection[T any] struct {
	Edges           []Edge[T]
	HasNextPage     bool
	HasPreviousPage bool

	order []db.Order
	key   func(T) []any
}

// Cursor is the cursor of Edges[i]: after it (or before it, backwards),
// the same order continues from that node.
func (c *Connection[T]) Cursor(i int) string {
	return encodeCursor(c.order, c.key(c.Edges[i].Node))
}

// OrderField names what a list may be sorted by.
type OrderField string

const (
	OrderCreated  OrderField = "CREATED"
	OrderModified OrderField = "MODIFIED"
	OrderCallName OrderField = "CALL_NAME"
)

// OrderBy is one sort key of a list.
type OrderBy struct {
	Field OrderField
	Desc  bool
}

// defaultOrder is REST's fixed order, and GraphQL's when none is asked for.
var defaultOrder = []OrderBy{{Field: OrderCreated, Desc: true}}

// The fields each list may be ordered by, and the column of each.
var (
	configOrderColumns = map[OrderField]string{
		OrderCreated:  db.OrderConfigCreated,
		OrderModified: db.OrderConfigModified,
		OrderCallName: db.OrderConfigCallName,
	}
	callOrderColumns = map[OrderField]string{
		OrderCreated:  db.OrderCallCreated,
		OrderModified: db.OrderCallModified,
		OrderCallName: db.OrderCallName,
	}
)

// FieldOrderBy names the order argument in field errors.
const FieldOrderBy = "order_by"

// orderColumns turns a requested order into columns, ending in the tie
// breaker so the order is total: ties never make a row appear on two pages
// or none. A field may appear once, so a list is at most as long as the
// fields there are: a longer one could only repeat keys, and the keyset
// condition grows with the square of its length.
func orderColumns(in []OrderBy, columns map[OrderField]string, tieBreaker string) ([]db.Order, error) {
	if len(in) == 0 {
		in = defaultOrder
	}
	if len(in) > len(columns) {
		return nil, errInvalidField(FieldOrderBy, fmt.Sprintf("Ensure this field has no more than %d elements.", len(columns)))
	}
	out := make([]db.Order, 0, len(in)+1)
	for i, o := range in {
		col, ok := columns[o.Field]
		if !ok {
			return nil, errInvalidField(FieldOrderBy, quote(string(o.Field))+" is not a valid choice.")
		}
		for _, prev := range in[:i] {
			if prev.Field == o.Field {
				return nil, errInvalidField(FieldOrderBy, "Each field may appear only once.")
			}
		}
		out = append(out, db.Order{Column: col, Desc: o.Desc})
	}
	return append(out, db.Order{Column: tieBreaker}), nil
}

func configOrders(in []OrderBy) ([]db.Order, error) {
	return orderColumns(in, configOrderColumns, db.OrderConfigID)
}

func callOrders(in []OrderBy) ([]db.Order, error) {
	return orderColumns(in, callOrderColumns, db.OrderCallID)
}

// The page-number listings of REST always use the default order.
var (
	defaultConfigOrder, _ = configOrders(nil)
	defaultCallOrder, _   = callOrders(nil)
)

// signature identifies an order inside a cursor, so that a cursor from one
// order is refused by another instead of silently skipping rows.
func signature(order []db.Order) string {
	parts := make([]string, len(order))
	for i, o := range order {
		parts[i] = o.Column
		if o.Desc {
			parts[i] += " desc"
		}
	}
	return strings.Join(parts, ",")
}

// A cursor is the row's values of the order columns, after the signature.
func encodeCursor(order []db.Order, values []any) string {
	enc := make([]any, 0, len(values)+1)
	enc = append(enc, signature(order))
	for _, v := range values {
		if t, ok := v.(time.Time); ok {
			v = t.UTC().Format(time.RFC3339Nano)
		}
		enc = append(enc, v)
	}
	b, _ := json.Marshal(enc)
	return base64.RawURLEncoding.EncodeToString(b)
}

// MaxCursorLength bounds a cursor before it is decoded. The longest this
// server makes holds a signature, two times, an id and a call name of 150
// characters escaped by JSON at up to 6 bytes each: about 1,400 characters
// once in base64.
const MaxCursorLength = 2048

func decodeCursor(order []db.Order, cursor string, field string) ([]any, error) {
	bad := errInvalidField(field, MsgInvalidCursor)
	if len(cursor) > MaxCursorLength {
		return nil, bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, bad
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var parts []any
	if err := dec.Decode(&parts); err != nil || len(parts) != len(order)+1 {
		return nil, bad
	}
	if sig, _ := parts[0].(string); sig != signature(order) {
		return nil, bad
	}
	values := make([]any, len(order))
	for i, o := range order {
		v := parts[i+1]
		switch {
		case strings.HasSuffix(o.Column, ".id"), strings.HasSuffix(o.Column, ".txn"):
			n, ok := v.(json.Number)
			if !ok {
				return nil, bad
			}
			id, err := n.Int64()
			if err != nil {
				return nil, bad
			}
			values[i] = id
		case strings.HasSuffix(o.Column, ".created"), strings.HasSuffix(o.Column, ".modified"):
			s, ok := v.(string)
			if !ok {
				return nil, bad
			}
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return nil, bad
			}
			values[i] = t.UTC()
		default:
			s, ok := v.(string)
			if !ok {
				return nil, bad
			}
			values[i] = s
		}
	}
	return values, nil
}

// pageRequest is a connection's arguments, checked and read: the page to
// fetch (Limit one more than asked, to tell whether there is more) and how
// to turn what comes back into a Connection.
type pageRequest struct {
	page     db.Page
	limit    int
	backward bool
	cursor   *string
}

// readPageArgs checks Relay's arguments against order.
func readPageArgs(order []db.Order, args PageArgs) (pageRequest, error) {
	fe := FieldErrors{}
	limit := DefaultPageSize
	backward := false
	switch {
	case args.First != nil && args.Last != nil:
		fe.Add("last", "Pass either first or last, not both.")
	case args.Last != nil:
		backward = true
		limit = *args.Last
	case args.First != nil:
		limit = *args.First
	}
	for name, v := range map[string]*int{"first": args.First, "last": args.Last} {
		if v != nil && (*v < 0 || *v > MaxPageSize) {
			fe.Add(name, "Ensure this value is between 0 and 300.")
		}
	}
	if backward && args.After != nil {
		fe.Add("after", "Use after with first, before with last.")
	}
	if !backward && args.Before != nil {
		fe.Add("before", "Use after with first, before with last.")
	}
	if len(fe) > 0 {
		return pageRequest{}, errInvalid(fe)
	}
	pr := pageRequest{page: db.Page{Order: order, Limit: limit + 1, Reverse: backward}, limit: limit, backward: backward}
	cursor, cursorField := args.After, "after"
	if backward {
		cursor, cursorField = args.Before, "before"
	}
	if cursor != nil {
		seek, err := decodeCursor(order, *cursor, cursorField)
		if err != nil {
			return pageRequest{}, err
		}
		pr.page.Seek = seek
		pr.cursor = cursor
	}
	return pr, nil
}

// assemble turns the rows fetched for pr (in the page's order, at most one
// more than asked) into a Connection whose cursors key makes from a node.
func assemble[R any, T any](pr pageRequest, rows []R, node func(*R) T, key func(T) []any) *Connection[T] {
	conn := &Connection[T]{order: pr.page.Order, key: key}
	more := len(rows) > pr.limit
	if more {
		rows = rows[:pr.limit]
	}
	if pr.backward {
		for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
			rows[i], rows[j] = rows[j], rows[i]
		}
		conn.HasPreviousPage = more
		conn.HasNextPage = pr.cursor != nil
	} else {
		conn.HasNextPage = more
		conn.HasPreviousPage = pr.cursor != nil
	}
	conn.Edges = make([]Edge[T], len(rows))
	for i := range rows {
		conn.Edges[i] = Edge[T]{Node: node(&rows[i])}
	}
	return conn
}

// connect reads one keyset page. fetch runs the query; node makes a row a
// node, and key gives a node's values of the order columns.
func connect[R any, T any](ctx context.Context, order []db.Order, args PageArgs,
	fetch func(context.Context, db.Page) ([]R, error), node func(*R) T, key func(T) []any,
) (*Connection[T], error) {
	pr, err := readPageArgs(order, args)
	if err != nil {
		return nil, err
	}
	if pr.limit == 0 {
		return &Connection[T]{Edges: []Edge[T]{}, order: order, key: key}, nil
	}
	rows, err := fetch(ctx, pr.page)
	if err != nil {
		return nil, errInternal(err)
	}
	return assemble(pr, rows, node, key), nil
}

// ConfigsConnection is GraphQL's keyset listing of configurations.
func (s *Service) ConfigsConnection(ctx context.Context, a Actor, f ConfigFilter, order []OrderBy, args PageArgs) (*Connection[*Config], error) {
	a, err := s.begin(ctx, a)
	if err != nil {
		return nil, err
	}
	df, err := f.db()
	if err != nil {
		return nil, err
	}
	cols, err := configOrders(order)
	if err != nil {
		return nil, err
	}
	return connect(ctx, cols, args,
		func(ctx context.Context, p db.Page) ([]db.ConfigRow, error) {
			return read(ctx, s, &a, func(sc db.Scope) ([]db.ConfigRow, error) { return s.store.ListConfigs(ctx, sc, df, p) })
		},
		func(r *db.ConfigRow) *Config { return a.config(r) }, // a as the fetch settled it
		func(c *Config) []any {
			vals := make([]any, len(cols))
			for i, col := range cols {
				switch col.Column {
				case db.OrderConfigCreated:
					vals[i] = c.Created
				case db.OrderConfigModified:
					vals[i] = c.Modified
				case db.OrderConfigCallName:
					vals[i] = c.CallName
				case db.OrderConfigID:
					vals[i] = c.ID
				}
			}
			return vals
		})
}

// CallsConnection is GraphQL's keyset listing of calls.
func (s *Service) CallsConnection(ctx context.Context, a Actor, f CallFilter, order []OrderBy, args PageArgs) (*Connection[*Call], error) {
	a, err := s.begin(ctx, a)
	if err != nil {
		return nil, err
	}
	df, err := f.db()
	if err != nil {
		return nil, err
	}
	cols, err := callOrders(order)
	if err != nil {
		return nil, err
	}
	return connect(ctx, cols, args,
		func(ctx context.Context, p db.Page) ([]db.CallRow, error) {
			return read(ctx, s, &a, func(sc db.Scope) ([]db.CallRow, error) { return s.store.ListCalls(ctx, sc, df, p) })
		},
		func(r *db.CallRow) *Call { return a.call(r) }, // a as the fetch settled it
		func(c *Call) []any {
			vals := make([]any, len(cols))
			for i, col := range cols {
				switch col.Column {
				case db.OrderCallCreated:
					vals[i] = c.Created
				case db.OrderCallModified:
					vals[i] = c.Modified
				case db.OrderCallName:
					vals[i] = c.Name
				case db.OrderCallID:
					vals[i] = c.ID
				}
			}
			return vals
		})
}
