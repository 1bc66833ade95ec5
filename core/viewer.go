package core

import (
	"context"

	"github.com/google/uuid"
)

// User is a user by uuid as the actor may see it: only themself, since no
// face lists or looks up other users; anyone else is not found.
func (s *Service) User(ctx context.Context, a Actor, id uuid.UUID) (*User, error) {
	a, err := s.Resolve(ctx, a)
	if err != nil {
		return nil, err
	}
	if a.User.UUID != id {
		return nil, errNotFound("No User matches the given query.")
	}
	return a.User, nil
}
