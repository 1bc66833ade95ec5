package db

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"
)

// ChangesChannel is where a process that committed changes says so: a
// replica's ChangeListener after its own writes (Announce), the CLI after
// its command (NotifyChanges). Not a trigger in the writing transaction: a
// notifying transaction takes a lock of the whole cluster at commit, which
// serialised every write and cost a third of the writes' throughput.
const ChangesChannel = "callcfg_changes"

// announceGap is the least time between two notifications of one replica:
// the writes committed meanwhile share the next one. Other replicas hear
// of a change at most this much later; this one's followers at once.
const announceGap = 5 * time.Millisecond

// NotifyChanges tells every replica's listener that changes were committed.
func NotifyChanges(ctx context.Context, bdb *bun.DB) error {
	if !IsPostgres(bdb) {
		return nil
	}
	_, err := bdb.ExecContext(ctx, "NOTIFY "+ChangesChannel)
	return err
}

// pingChannel carries the listener's own pings: a notification it sends
// itself and must hear back, which proves the session still delivers.
const pingChannel = "callcfg_listener_ping"

// ChangeListener holds one session LISTENing on ChangesChannel: a replica
// opens one, over a URL that reaches PostgreSQL directly, as LISTEN does
// not survive a transaction pooler. A notification is only a wake-up: the
// follower reads the feed itself, so a notification lost while the session
// was down loses nothing.
type ChangeListener struct {
	bdb      *bun.DB
	interval time.Duration
	log      *slog.Logger
	pending  chan struct{}
}

// ListenChanges connects to rawURL (a direct PostgreSQL URL) for a
// ChangeListener; interval is how long a silent session waits before it
// pings itself, and how long it waits for the ping.
func ListenChanges(ctx context.Context, rawURL string, interval time.Duration, log *slog.Logger) (*ChangeListener, error) {
	// One connection for the pings; the LISTEN session is the listener's
	// own, outside the pool.
	bdb, err := Open(ctx, rawURL, Options{MaxOpenConns: 1, Unprepared: true, Timeout: interval})
	if err != nil {
		return nil, err
	}
	if !IsPostgres(bdb) {
		_ = bdb.Close()
		return nil, errors.New("listen for changes: not a PostgreSQL URL")
	}
	if log == nil {
		log = slog.Default()
	}
	return &ChangeListener{bdb: bdb, interval: interval, log: log, pending: make(chan struct{}, 1)}, nil
}

// Announce asks for a notification to the other replicas that this one
// committed changes; it never waits. Announcements made while one is being
// sent, or within announceGap of it, are sent as one.
func (l *ChangeListener) Announce() {
	select {
	case l.pending <- struct{}{}:
	default:
	}
}

// announce sends the notifications Announce asks for until ctx ends. One
// that fails is lost: the other replicas poll.
func (l *ChangeListener) announce(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.pending:
		}
		nctx, cancel := context.WithTimeout(ctx, l.interval)
		if err := NotifyChanges(nctx, l.bdb); err != nil && ctx.Err() == nil {
			l.log.Warn("notifying the other replicas of changes failed; they will poll", "error", oneLine(err))
		}
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-time.After(announceGap):
		}
	}
}

// Run LISTENs until ctx ends, calling wake on every notification of a
// change, and also whenever it (re)starts listening, since notifications
// sent meanwhile were lost. A session that errs, or does not hear its own
// ping within the interval (a vanished host), is dropped and a new one
// opened, with a growing pause while that fails. Run closes the listener's
// pool when it returns.
func (l *ChangeListener) Run(ctx context.Context, wake func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.announce(ctx)
	}()
	defer func() {
		<-done
		l.bdb.Close()
	}()
	pause := 100 * time.Millisecond
	for ctx.Err() == nil {
		if l.session(ctx, wake) {
			pause = 100 * time.Millisecond
		}
		select {
		case <-ctx.Done():
		case <-time.After(pause):
		}
		pause = min(2*pause, l.interval)
	}
}

// session runs one LISTEN session until it fails or ctx ends; it reports
// whether it ever listened.
func (l *ChangeListener) session(ctx context.Context, wake func()) bool {
	ln := pgdriver.NewListener(l.bdb)
	// Receive blocks in a read that ctx cannot interrupt: closing the
	// session ends it.
	stop := context.AfterFunc(ctx, func() { _ = ln.Close() })
	defer func() {
		stop()
		_ = ln.Close()
	}()
	lctx, cancel := context.WithTimeout(ctx, l.interval)
	err := ln.Listen(lctx, ChangesChannel, pingChannel)
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			l.log.Warn("listening for changes failed; retrying", "error", oneLine(err))
		}
		return false
	}
	// Notifications sent before LISTEN took effect are lost: look.
	wake()
	awaitingPing := false
	for {
		channel, _, err := ln.ReceiveTimeout(ctx, l.interval)
		var netErr net.Error
		switch {
		case err == nil:
			awaitingPing = false
			if channel == ChangesChannel {
				wake()
			}
		case ctx.Err() != nil:
			return true
		case errors.As(err, &netErr) && netErr.Timeout() && !awaitingPing:
			awaitingPing = true
			pctx, cancel := context.WithTimeout(ctx, l.interval)
			_, perr := l.bdb.ExecContext(pctx, "NOTIFY "+pingChannel)
			cancel()
			if perr != nil {
				l.log.Warn("the change listener's ping failed; reconnecting", "error", oneLine(perr))
				return true
			}
		default:
			if awaitingPing {
				err = errors.New("no answer to its own ping")
			}
			l.log.Warn("the change listener's session ended; reconnecting", "error", oneLine(err))
			return true
		}
	}
}
