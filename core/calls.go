package core

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/callcfg/callcfg/db"
)

// Call states.
const (
	CallStateDraft    = db.StateDraft
	CallStateActive   = db.StateActive
	CallStateArchived = db.StateArchived
)

func validState(s string) bool {
	return s == CallStateDraft || s == CallStateActive || s == CallStateArchived
}

// Call is a call for proposals as both faces show it.
type Call struct {
	ID              int64
	UUID            uuid.UUID
	OrganisationID  int64
	Name            string
	Description     string
	State           string
	Created         time.Time
	Modified        time.Time
	ViewerCanManage bool
}

func (a Actor) call(r *db.CallRow) *Call {
	return &Call{
		ID:              r.ID,
		UUID:            r.UUID,
		OrganisationID:  r.OrganisationID,
		Name:            r.Name,
		Description:     r.Description,
		State:           r.State,
		Created:         r.Created.UTC(),
		Modified:        r.Modified.UTC(),
		ViewerCanManage: a.canManage(r.Access),
	}
}

type CallFilter struct {
	State string
}

func (f CallFilter) db() (db.CallFilter, error) {
	if f.State != "" && !validState(f.State) {
		return db.CallFilter{}, errInvalidField("state", "Select a valid choice. That choice is not one of the available choices.")
	}
	return db.CallFilter{State: f.State}, nil
}

// visibleCall reads a call the actor may see, and returns the actor as its
// key turned out to be.
func (s *Service) visibleCall(ctx context.Context, a Actor, id uuid.UUID) (Actor, *db.CallRow, error) {
	a, err := s.begin(ctx, a)
	if err != nil {
		return a, nil, err
	}
	row, err := read(ctx, s, &a, func(sc db.Scope) (*db.CallRow, error) { return s.store.GetCall(ctx, id, sc) })
	if err != nil {
		return a, nil, err
	}
	if row == nil || !a.canSee(row.Access) {
		return a, nil, errNotFound(MsgCallNotFound)
	}
	return a, row, nil
}

// GetCall returns one call the actor may see.
func (s *Service) GetCall(ctx context.Context, a Actor, id uuid.UUID) (*Call, error) {
	a, row, err := s.visibleCall(ctx, a, id)
	if err != nil {
		return nil, err
	}
	return a.call(row), nil
}

// ListCallsPage is the page-number listing of REST, newest first.
func (s *Service) ListCallsPage(ctx context.Context, a Actor, f CallFilter, offset, limit int) ([]*Call, int64, error) {
	a, err := s.begin(ctx, a)
	if err != nil {
		return nil, 0, err
	}
	df, err := f.db()
	if err != nil {
		return nil, 0, err
	}
	total, err := read(ctx, s, &a, func(sc db.Scope) (int64, error) { return s.store.CountCalls(ctx, sc, df) })
	if err != nil {
		return nil, 0, err
	}
	if int64(offset) >= total {
		return []*Call{}, total, nil
	}
	rows, err := read(ctx, s, &a, func(sc db.Scope) ([]db.CallRow, error) {
		return s.store.ListCalls(ctx, sc, df, db.Page{Order: defaultCallOrder, Offset: offset, Limit: limit})
	})
	if err != nil {
		return nil, 0, err
	}
	out := make([]*Call, len(rows))
	for i := range rows {
		out[i] = a.call(&rows[i])
	}
	return out, total, nil
}

func (s *Service) CountCalls(ctx context.Context, a Actor, f CallFilter) (int64, error) {
	a, err := s.begin(ctx, a)
	if err != nil {
		return 0, err
	}
	df, err := f.db()
	if err != nil {
		return 0, err
	}
	return read(ctx, s, &a, func(sc db.Scope) (int64, error) { return s.store.CountCalls(ctx, sc, df) })
}

// CallsByIDs returns, for batch loading, the calls among ids that the actor
// may see, keyed by id.
func (s *Service) CallsByIDs(ctx context.Context, a Actor, ids []int64) (map[int64]*Call, error) {
	a, err := s.begin(ctx, a)
	if err != nil {
		return nil, err
	}
	rows, err := read(ctx, s, &a, func(sc db.Scope) ([]db.CallRow, error) { return s.store.CallsByIDs(ctx, ids, sc) })
	if err != nil {
		return nil, err
	}
	out := make(map[int64]*Call, len(rows))
	for i := range rows {
		if a.canSee(rows[i].Access) {
			out[rows[i].ID] = a.call(&rows[i])
		}
	}
	return out, nil
}

// EffectiveSettings are what applies to a call: its stored configuration or,
// where it has none, the defaults.
type EffectiveSettings struct {
	Settings
	IsDefault bool
}

func Effective(cfg *Config) EffectiveSettings {
	if cfg == nil {
		return EffectiveSettings{Settings: Defaults, IsDefault: true}
	}
	return EffectiveSettings{Settings: cfg.Settings}
}
