package core

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/callcfg/callcfg/db"
)

// Config is a call assignment configuration as both faces show it.
type Config struct {
	ID        int64
	UUID      uuid.UUID
	CallID    int64
	CallUUID  uuid.UUID
	CallName  string
	CallState string
	Settings
	Created         time.Time
	Modified        time.Time
	ViewerCanManage bool

	call *Call
}

// Call returns the configuration's call as read with it: every query of a
// configuration joins its call, so showing it costs no further statement.
func (c *Config) Call() *Call { return c.call }

func (a Actor) config(r *db.ConfigRow) *Config {
	canManage := a.canManage(r.Access)
	return &Config{
		call: &Call{
			ID: r.CallID, UUID: r.CallUUID, OrganisationID: r.CallOrgID, Name: r.CallName,
			Description: r.CallDescription, State: r.CallState,
			Created: r.CallCreated.UTC(), Modified: r.CallModified.UTC(), ViewerCanManage: canManage,
		},
		ID:        r.ID,
		UUID:      r.UUID,
		CallID:    r.CallID,
		CallUUID:  r.CallUUID,
		CallName:  r.CallName,
		CallState: r.CallState,
		Settings: Settings{
			AutoReassignOnDecline:        r.AutoReassignOnDecline,
			MaxAutoReassignAttempts:      r.MaxAutoReassignAttempts,
			AssignmentExpirationDays:     r.AssignmentExpirationDays,
			SendReminderBeforeExpiryDays: r.SendReminderBeforeExpiryDays,
		},
		Created:         r.Created.UTC(),
		Modified:        r.Modified.UTC(),
		ViewerCanManage: canManage,
	}
}

// ConfigFilter narrows a list of configurations; zero fields do not filter.
type ConfigFilter struct {
	CallUUID     *uuid.UUID
	CallState    string
	AutoReassign *bool
}

func (f ConfigFilter) db() (db.ConfigFilter, error) {
	if f.CallState != "" && !validState(f.CallState) {
		return db.ConfigFilter{}, errInvalidField("call_state", "Select a valid choice. That choice is not one of the available choices.")
	}
	return db.ConfigFilter{CallUUID: f.CallUUID, CallState: f.CallState, AutoReassign: f.AutoReassign}, nil
}

// GetConfig returns one configuration the actor may see.
func (s *Service) GetConfig(ctx context.Context, a Actor, id uuid.UUID) (*Config, error) {
	a, row, err := s.visibleConfig(ctx, a, id)
	if err != nil {
		return nil, err
	}
	return a.config(row), nil
}

// visibleConfig reads a configuration the actor may see, and returns the
// actor as its key turned out to be.
func (s *Service) visibleConfig(ctx context.Context, a Actor, id uuid.UUID) (Actor, *db.ConfigRow, error) {
	a, err := s.begin(ctx, a)
	if err != nil {
		return a, nil, err
	}
	row, err := read(ctx, s, &a, func(sc db.Scope) (*db.ConfigRow, error) { return s.store.GetConfig(ctx, id, sc) })
	if err != nil {
		return a, nil, err
	}
	if row == nil || !a.canSee(row.Access) {
		return a, nil, errNotFound(MsgConfigNotFound)
	}
	return a, row, nil
}

// ListConfigsPage is the page-number listing of REST: configurations newest
// first, with the total the actor may see.
func (s *Service) ListConfigsPage(ctx context.Context, a Actor, f ConfigFilter, offset, limit int) ([]*Config, int64, error) {
	a, err := s.begin(ctx, a)
	if err != nil {
		return nil, 0, err
	}
	df, err := f.db()
	if err != nil {
		return nil, 0, err
	}
	total, err := read(ctx, s, &a, func(sc db.Scope) (int64, error) { return s.store.CountConfigs(ctx, sc, df) })
	if err != nil {
		return nil, 0, err
	}
	if int64(offset) >= total {
		return []*Config{}, total, nil
	}
	rows, err := read(ctx, s, &a, func(sc db.Scope) ([]db.ConfigRow, error) {
		return s.store.ListConfigs(ctx, sc, df, db.Page{Order: defaultConfigOrder, Offset: offset, Limit: limit})
	})
	if err != nil {
		return nil, 0, err
	}
	out := make([]*Config, len(rows))
	for i := range rows {
		out[i] = a.config(&rows[i])
	}
	return out, total, nil
}

// CountConfigs counts the configurations the actor may see.
func (s *Service) CountConfigs(ctx context.Context, a Actor, f ConfigFilter) (int64, error) {
	a, err := s.begin(ctx, a)
	if err != nil {
		return 0, err
	}
	df, err := f.db()
	if err != nil {
		return 0, err
	}
	return read(ctx, s, &a, func(sc db.Scope) (int64, error) { return s.store.CountConfigs(ctx, sc, df) })
}

// ConfigsByCallIDs returns, for batch loading, the configurations of the
// given calls that the actor may see, keyed by call id.
func (s *Service) ConfigsByCallIDs(ctx context.Context, a Actor, callIDs []int64) (map[int64]*Config, error) {
	a, err := s.begin(ctx, a)
	if err != nil {
		return nil, err
	}
	rows, err := read(ctx, s, &a, func(sc db.Scope) ([]db.ConfigRow, error) { return s.store.ConfigsByCallIDs(ctx, callIDs, sc) })
	if err != nil {
		return nil, err
	}
	out := make(map[int64]*Config, len(rows))
	for i := range rows {
		if a.canSee(rows[i].Access) {
			out[rows[i].CallID] = a.config(&rows[i])
		}
	}
	return out, nil
}

// CreateConfig creates the configuration of a call. Checks run in the order
// clients rely on: authentication, the call (visible, manageable), the values.
func (s *Service) CreateConfig(ctx context.Context, a Actor, callUUID Opt[uuid.UUID], p Patch) (*Config, error) {
	a, err := s.begin(ctx, a)
	if err != nil {
		return nil, err
	}
	fe := FieldErrors{}
	var call *db.CallRow
	if _, undecodable := p.DecodeErrors[FieldCall]; !undecodable {
		switch {
		case !callUUID.Set:
			fe.Add(FieldCall, MsgRequired)
		case callUUID.Null:
			fe.Add(FieldCall, MsgNull)
		default:
			call, err = read(ctx, s, &a, func(sc db.Scope) (*db.CallRow, error) { return s.store.GetCall(ctx, callUUID.Value, sc) })
			if err != nil {
				return nil, err
			}
			if call == nil || !a.canSee(call.Access) {
				call = nil
				fe.Add(FieldCall, MsgCallDoesNotExist)
			} else if !a.canManage(call.Access) {
				return nil, errForbidden()
			}
		}
	}
	fe.Merge(p.validate())
	if len(fe) > 0 {
		// Without a call to read, no statement has checked the key yet:
		// a bad key is a 401 before any 400.
		if _, err := s.Resolve(ctx, a); err != nil {
			return nil, err
		}
		return nil, errInvalid(fe)
	}
	row, err := s.insertConfig(ctx, a, call, p)
	if err != nil {
		return nil, err
	}
	return a.config(row), nil
}

func (s *Service) insertConfig(ctx context.Context, a Actor, call *db.CallRow, p Patch) (*db.ConfigRow, error) {
	now := db.Now()
	st := p.Apply(Defaults)
	row := &db.ConfigRow{
		Configuration: db.Configuration{
			UUID:                         uuid.New(),
			CallID:                       call.ID,
			AutoReassignOnDecline:        st.AutoReassignOnDecline,
			MaxAutoReassignAttempts:      st.MaxAutoReassignAttempts,
			AssignmentExpirationDays:     st.AssignmentExpirationDays,
			SendReminderBeforeExpiryDays: st.SendReminderBeforeExpiryDays,
			Created:                      now,
			Modified:                     now,
			CallUUID:                     call.UUID,
			CallName:                     call.Name,
		},
		CallOrgID:       call.OrganisationID,
		CallState:       call.State,
		CallDescription: call.Description,
		CallCreated:     call.Created,
		CallModified:    call.Modified,
		Access:          call.Access,
	}
	if err := s.store.InsertConfig(ctx, &row.Configuration, a.changeMeta(ctx)); err != nil {
		switch {
		case db.IsUniqueViolation(err):
			return nil, errInvalidField(FieldCall, MsgCallHasConfig)
		case db.IsForeignKeyViolation(err):
			return nil, errInvalidField(FieldCall, MsgCallDoesNotExist)
		}
		return nil, errInternal(err)
	}
	return row, nil
}

// Precondition makes a write conditional on the object being unchanged since
// the client read it (optimistic concurrency). Zero means unconditional.
// Invalid is a precondition a face could not read as one that can ever
// match (REST's If-Match naming another object), in the face's own error:
// reported after the checks of the write, in place of its result.
type Precondition struct {
	Modified *time.Time
	Invalid  error
}

// UpdateConfig changes the set fields of a configuration. PUT and PATCH both
// land here: every field is optional, and modified changes even when no
// value does.
func (s *Service) UpdateConfig(ctx context.Context, a Actor, id uuid.UUID, p Patch, pre Precondition) (*Config, error) {
	a, err := s.begin(ctx, a)
	if err != nil {
		return nil, err
	}
	// The common case, a valid change by someone who may make it, is one
	// statement where the database can check the permission itself.
	// Anything else (and a disagreement between the SQL condition and
	// canManage could only make it slower, never looser, as the permission
	// tests check) takes the general path below, which tells 404 from 403
	// from 400 from 412.
	if p.Unreadable == nil && pre.Invalid == nil && len(p.validate()) == 0 {
		// Folded with the check of a key not checked yet, the statement
		// writes only for a good key (and records its user as the actor).
		row, err := read(ctx, s, &a, func(sc db.Scope) (*db.ConfigRow, error) {
			return s.store.UpdateConfig(ctx, db.ConfigUpdate{UUID: id, Scope: &sc, Set: p.columns(), Now: db.Now(),
				Expect: pre.Modified, Meta: a.changeMeta(ctx)})
		})
		if err != nil {
			return nil, err
		}
		if row != nil {
			return a.config(row), nil
		}
	}
	a, row, err := s.visibleConfig(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if !a.canManage(row.Access) {
		return nil, errForbidden()
	}
	if pre.Invalid != nil {
		return nil, pre.Invalid
	}
	if p.Unreadable != nil {
		return nil, p.Unreadable
	}
	if fe := p.validate(); len(fe) > 0 {
		return nil, errInvalid(fe)
	}
	updated, err := s.store.UpdateConfig(ctx, db.ConfigUpdate{ID: row.ID, Set: p.columns(), Now: db.Now(), Expect: pre.Modified,
		Meta: a.changeMeta(ctx)})
	if err != nil {
		return nil, errInternal(err)
	}
	if updated == nil {
		return nil, s.missedWrite(ctx, row.ID)
	}
	row.Configuration = withCall(updated.Configuration, row.Configuration)
	return a.config(row), nil
}

// withCall keeps the joined call's fields of was on a row read back
// without them.
func withCall(cfg, was db.Configuration) db.Configuration {
	cfg.CallUUID, cfg.CallName = was.CallUUID, was.CallName
	return cfg
}

// missedWrite explains a conditional write that matched no row.
func (s *Service) missedWrite(ctx context.Context, id int64) error {
	exists, err := s.store.ConfigExists(ctx, id)
	if err != nil {
		return errInternal(err)
	}
	if exists {
		return &Error{Kind: KindConflict, Message: MsgStale}
	}
	return errNotFound(MsgConfigNotFound)
}

// DeleteConfig deletes a configuration; the call keeps the defaults.
func (s *Service) DeleteConfig(ctx context.Context, a Actor, id uuid.UUID, pre Precondition) error {
	a, row, err := s.visibleConfig(ctx, a, id)
	if err != nil {
		return err
	}
	if !a.canManage(row.Access) {
		return errForbidden()
	}
	if pre.Invalid != nil {
		return pre.Invalid
	}
	deleted, err := s.store.DeleteConfig(ctx, row.ID, pre.Modified, db.Now(), a.changeMeta(ctx))
	if err != nil {
		return errInternal(err)
	}
	if !deleted {
		return s.missedWrite(ctx, row.ID)
	}
	return nil
}

// SetConfigForCall creates or updates the configuration of a call, so a
// settings form needs no prior lookup. created tells which happened.
func (s *Service) SetConfigForCall(ctx context.Context, a Actor, callUUID uuid.UUID, p Patch) (cfg *Config, created bool, err error) {
	a, call, err := s.visibleCall(ctx, a, callUUID)
	if err != nil {
		return nil, false, err
	}
	if !a.canManage(call.Access) {
		return nil, false, errForbidden()
	}
	if fe := p.validate(); len(fe) > 0 {
		return nil, false, errInvalid(fe)
	}
	// Update first, insert if there was nothing to update; a concurrent
	// insert that wins the race turns our insert into a unique violation, and
	// the second round updates what it created.
	for range 2 {
		id, exists, err := s.store.ConfigIDOfCall(ctx, call.ID)
		if err != nil {
			return nil, false, errInternal(err)
		}
		if exists {
			updated, err := s.store.UpdateConfig(ctx, db.ConfigUpdate{ID: id, Set: p.columns(), Now: db.Now(), Meta: a.changeMeta(ctx)})
			if err != nil {
				return nil, false, errInternal(err)
			}
			if updated != nil {
				row := &db.ConfigRow{Configuration: updated.Configuration, CallOrgID: call.OrganisationID, CallState: call.State,
					CallDescription: call.Description, CallCreated: call.Created, CallModified: call.Modified, Access: call.Access}
				row.CallUUID, row.CallName = call.UUID, call.Name
				return a.config(row), false, nil
			}
			continue
		}
		inserted, err := s.insertConfig(ctx, a, call, p)
		if err == nil {
			return a.config(inserted), true, nil
		}
		if KindOf(err) != KindInvalid {
			return nil, false, err
		}
	}
	return nil, false, errInternal(errConflictLoop)
}

var errConflictLoop = &Error{Kind: KindInternal, Message: "configuration changed twice while being set"}
