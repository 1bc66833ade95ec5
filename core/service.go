package core

import (
	"github.com/uptrace/bun"

	"github.com/callcfg/callcfg/db"
)

// Service is the core: every operation of both faces and of the admin
// commands goes through it. It keeps no state of its own beyond the store,
// so any number of replicas can run side by side.
type Service struct {
	store *db.Store
}

func New(bdb *bun.DB) *Service {
	return &Service{store: db.NewStore(bdb)}
}

// DB is exposed for health checks and tests that count statements.
func (s *Service) DB() *bun.DB { return s.store.DB() }
