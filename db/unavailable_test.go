package db_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/callcfg/callcfg/db"
)

func TestUnavailableTellsOutagesFromBugs(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{io.EOF, true},
		{io.ErrUnexpectedEOF, true},
		{fmt.Errorf("read: %w", io.EOF), true},
		{context.DeadlineExceeded, true},
		{errors.New(`syntax error at or near "SELEC"`), false},
		{db.ErrTooManyParameters, false},
	} {
		if got := db.Unavailable(c.err); got != c.want {
			t.Errorf("Unavailable(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
