package core

import (
	"context"
	"database/sql/driver"
	"errors"
	"net"
	"syscall"
)

// isUnavailable tells a database that cannot be reached (refused, timed out,
// connection dropped) from a bug: the first is 503/UNAVAILABLE, the second 500.
func isUnavailable(err error) bool {
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	var opErr *net.OpError
	return errors.As(err, &opErr)
}
