package db

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"
)

// SetLogger sends what bun and pgdriver log on their own (a write to a
// dropped connection, a deprecation) through logger as warnings, instead of
// unstructured lines on stderr. pgdriver hands over the statement's
// context, so such a line carries the request's id. Both loggers are
// process-wide: the first call sets them, later ones change nothing.
func SetLogger(logger *slog.Logger) {
	loggerOnce.Do(func() {
		pgdriver.Logger = driverLog{logger}
		bun.SetLogger(bunLog{logger})
	})
}

var loggerOnce sync.Once

type driverLog struct{ l *slog.Logger }

func (d driverLog) Printf(ctx context.Context, format string, v ...any) {
	d.l.WarnContext(ctx, fmt.Sprintf(format, v...), "source", "pgdriver")
}

type bunLog struct{ l *slog.Logger }

func (b bunLog) Printf(format string, v ...any) {
	b.l.Warn(fmt.Sprintf(format, v...), "source", "bun")
}
