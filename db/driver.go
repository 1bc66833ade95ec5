package db

import (
	"context"
	"database/sql/driver"
	"errors"

	"github.com/uptrace/bun/driver/pgdriver"
)

// pgdriver closes a connection after an error that leaves it unusable on
// its simple-query path, but not on its prepared-statement path: a timeout
// or a malformed message while preparing or executing a prepared statement
// leaves the connection in the pool with the rest of the answer still to
// be read, and the next request that takes it reads that instead of its
// own. guardedConnector closes the connection there too, so database/sql
// drops it (driver.Validator) instead of handing it out again.
type guardedConnector struct{ driver.Connector }

func (c guardedConnector) Connect(ctx context.Context) (driver.Conn, error) {
	cn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	pc, ok := cn.(*pgdriver.Conn)
	if !ok {
		return cn, nil
	}
	return &guardedConn{Conn: pc}, nil
}

// guardedConn is a pgdriver connection whose prepared statements close it
// after an error that is not a server's ordinary error response.
type guardedConn struct{ *pgdriver.Conn }

func (c *guardedConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *guardedConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.Conn.PrepareContext(ctx, query)
	if err != nil {
		return nil, c.check(err)
	}
	return &guardedStmt{Stmt: st, cn: c}, nil
}

// check closes the connection unless err is one the protocol recovers
// from: an error the server reported in its own words (an ERROR, not a
// FATAL), after which it waits for the next command.
func (c *guardedConn) check(err error) error {
	if !recoverable(err) {
		_ = c.Conn.Close()
	}
	return err
}

func recoverable(err error) bool {
	var pgErr pgdriver.Error
	if !errors.As(err, &pgErr) {
		return false
	}
	switch pgErr.Field('V') {
	case "FATAL", "PANIC":
		return false
	}
	return true
}

type guardedStmt struct {
	driver.Stmt
	cn *guardedConn
}

// Close skips telling the server about a statement whose connection is
// gone: the statement went with it, and pgdriver would log the failed write.
func (s *guardedStmt) Close() error {
	if !s.cn.IsValid() {
		return nil
	}
	return s.Stmt.Close()
}

func (s *guardedStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	res, err := s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
	if err != nil {
		return nil, s.cn.check(err)
	}
	return res, nil
}

func (s *guardedStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	rows, err := s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		return nil, s.cn.check(err)
	}
	return rows, nil
}

var (
	_ driver.ConnPrepareContext = (*guardedConn)(nil)
	_ driver.ExecerContext      = (*guardedConn)(nil)
	_ driver.QueryerContext     = (*guardedConn)(nil)
	_ driver.ConnBeginTx        = (*guardedConn)(nil)
	_ driver.Pinger             = (*guardedConn)(nil)
	_ driver.Validator          = (*guardedConn)(nil)
	_ driver.SessionResetter    = (*guardedConn)(nil)
	_ driver.StmtExecContext    = (*guardedStmt)(nil)
	_ driver.StmtQueryContext   = (*guardedStmt)(nil)
)
