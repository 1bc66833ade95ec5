package db

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"
)

// Unavailable tells a database that cannot be reached or is going away
// (refused, timed out, connection dropped, server shutting down or
// restarting) from a bug: the first is 503 / UNAVAILABLE for a client, who
// may retry; the second is 500.
func Unavailable(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || connectionLost(err) {
		return true
	}
	var netErr net.Error // a timeout: the network or the server did not answer
	if errors.As(err, &netErr) {
		return true
	}
	var pgErr pgdriver.Error
	if errors.As(err, &pgErr) {
		// Class 57, operator intervention: a statement canceled, the server
		// shutting down or not yet accepting connections.
		return strings.HasPrefix(pgErr.Field('C'), "57")
	}
	return false
}

// connectionLost reports an error after which the connection is gone but
// the database may well answer on another: the server terminated it
// (FATAL, SQLSTATE class 08, or 57P01-57P03 on a restart), or the network
// dropped it (EOF, reset, broken pipe). A pooled connection that the
// server closed while it was idle reads EOF on its next use.
func connectionLost(err error) bool {
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var pgErr pgdriver.Error
	if errors.As(err, &pgErr) {
		code := pgErr.Field('C')
		switch {
		case pgErr.Field('V') == "FATAL", pgErr.Field('V') == "PANIC",
			strings.HasPrefix(code, "08"), code == "57P01", code == "57P02", code == "57P03":
			return true
		}
		return false
	}
	var netErr net.Error
	return errors.As(err, &netErr) && !netErr.Timeout()
}

// retryRead runs a read once more when its connection was lost, as when
// PostgreSQL restarts or an administrator ends sessions: the pool's idle
// connections are then as dead as the one that failed, so they are dropped
// first and the second try opens a fresh one. Writes are never retried:
// a write whose connection dropped may have committed.
func retryRead[T any](ctx context.Context, bdb *bun.DB, read func() (T, error)) (T, error) {
	v, err := read()
	if err == nil || !connectionLost(err) || ctx.Err() != nil || !IsPostgres(bdb) {
		return v, err
	}
	dropIdle(bdb)
	return read()
}

// dropIdle closes the pool's idle connections: database/sql closes the
// excess when the idle limit shrinks. Open keeps as many idle connections as
// open ones, which is what is restored.
func dropIdle(bdb *bun.DB) {
	bdb.DB.SetMaxIdleConns(0)
	bdb.DB.SetMaxIdleConns(bdb.DB.Stats().MaxOpenConnections)
}
