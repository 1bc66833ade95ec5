package core

import "github.com/google/uuid"

// User is a user by uuid as the actor may see it: only themself, since no
// face lists or looks up other users; anyone else is not found.
func (s *Service) User(a Actor, id uuid.UUID) (*User, error) {
	if err := a.require(); err != nil {
		return nil, err
	}
	if a.User.UUID != id {
		return nil, errNotFound("No User matches the given query.")
	}
	return a.User, nil
}
