package db

import (
	"context"
	"sync"

	"github.com/uptrace/bun"
)

var statementListeners sync.Map // *bun.DB -> *listeners

type listeners struct {
	mu  sync.Mutex
	fns []func()
}

// notifyStatement tells the listeners of a statement bun does not see: one
// sent through a prepared statement.
func notifyStatement(bdb *bun.DB) {
	if l, ok := statementListeners.Load(bdb); ok {
		l := l.(*listeners)
		l.mu.Lock()
		fns := l.fns
		l.mu.Unlock()
		for _, fn := range fns {
			fn()
		}
	}
}

// OnStatement calls fn after every SQL statement sent through bdb, whether
// bun or a prepared statement sends it: metrics and the tests that prove a
// request costs a constant number of statements count with it.
func OnStatement(bdb *bun.DB, fn func()) {
	bdb.AddQueryHook(statementHook(fn))
	l, _ := statementListeners.LoadOrStore(bdb, &listeners{})
	ls := l.(*listeners)
	ls.mu.Lock()
	ls.fns = append(ls.fns, fn)
	ls.mu.Unlock()
}

type statementHook func()

func (h statementHook) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}
func (h statementHook) AfterQuery(context.Context, *bun.QueryEvent) { h() }
