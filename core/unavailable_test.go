package core

import (
	"errors"
	"fmt"
	"io"
	"testing"
)

func TestDroppedConnectionIsUnavailable(t *testing.T) {
	for _, err := range []error{io.EOF, io.ErrUnexpectedEOF, fmt.Errorf("read: %w", io.EOF)} {
		if !isUnavailable(err) || KindOf(errInternal(err)) != KindUnavailable {
			t.Errorf("%v must be unavailable", err)
		}
	}
	if isUnavailable(errors.New("syntax error at or near")) {
		t.Error("a query error is not an outage")
	}
}
