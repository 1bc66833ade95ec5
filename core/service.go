package core

import (
	"github.com/uptrace/bun"

	"github.com/callcfg/callcfg/db"
)

// Service is the core: every operation of both faces goes through it. It
// keeps no state of its own beyond the database handle, so any number of
// replicas can run side by side.
type Service struct {
	db   *bun.DB
	prep *db.Prepared // nil on SQLite
}

func New(bdb *bun.DB) *Service {
	return &Service{db: bdb, prep: db.NewPrepared(bdb)}
}

// DB is exposed for health checks and tests that count statements.
func (s *Service) DB() *bun.DB { return s.db }
