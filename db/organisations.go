package db

import (
	"context"

	"github.com/google/uuid"
)

// InsertOrg stores a new organisation (its ID is set).
func (s *Store) InsertOrg(ctx context.Context, o *Organisation) error {
	_, err := s.bdb.NewInsert().Model(o).Exec(ctx)
	return err
}

// OrgIDByUUID returns the id of an organisation; ok is false when there is
// none.
func (s *Store) OrgIDByUUID(ctx context.Context, id uuid.UUID) (int64, bool, error) {
	return idByUUID(ctx, s, "organisations", id)
}
