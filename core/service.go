package core

import (
	"time"

	"github.com/uptrace/bun"

	"github.com/callcfg/callcfg/db"
)

// Service is the core: every operation of both faces and of the admin
// commands goes through it. What
// replicas must share lives in the database; the only state of its own is
// protective and bounded (rate limiter buckets, the bcrypt slots), so any
// number of replicas can run side by side.
type Service struct {
	store *db.Store

	now     func() time.Time
	login   *loginGuard
	keyRate *buckets[int64] // nil: no per-key rate limit
}

// New returns the core over bdb, with DefaultLoginPolicy and no per-key rate
// limit unless options say otherwise.
func New(bdb *bun.DB, opts ...Option) *Service {
	s := &Service{store: db.NewStore(bdb), now: db.Now, login: newLoginGuard(DefaultLoginPolicy())}
	for _, o := range opts {
		o(s)
	}
	return s
}

// DB is exposed for health checks and tests that count statements.
func (s *Service) DB() *bun.DB { return s.store.DB() }

// clock is the time of key lifetimes, locks and rate limits.
func (s *Service) clock() time.Time {
	if s.now == nil {
		return db.Now()
	}
	return s.now()
}
