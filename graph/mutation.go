package graph

import (
	"context"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/graph/model"
)

type mutationResolver struct{ *Resolver }

func (r *mutationResolver) CreateCallAssignmentConfiguration(ctx context.Context, in model.CreateCallAssignmentConfigurationInput) (*model.CreateCallAssignmentConfigurationPayload, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	call, err := callRef(in.CallUUID, in.CallID)
	if err != nil {
		return nil, err
	}
	p := patch(in.AutoReassignOnDecline, in.MaxAutoReassignAttempts, in.AssignmentExpirationDays, in.SendReminderBeforeExpiryDays)
	cfg, err := r.svc.CreateConfig(ctx, a, core.Some(call), p)
	if err != nil {
		return nil, asCallID(err, in.CallID != nil)
	}
	requestFrom(ctx).primeConfig(cfg.CallID, cfg)
	return &model.CreateCallAssignmentConfigurationPayload{CallAssignmentConfiguration: model.ConfigOf(cfg), ClientMutationID: in.ClientMutationID}, nil
}

func (r *mutationResolver) UpdateCallAssignmentConfiguration(ctx context.Context, in model.UpdateCallAssignmentConfigurationInput) (*model.UpdateCallAssignmentConfigurationPayload, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	id, err := configRef(in.UUID, in.ID)
	if err != nil {
		return nil, err
	}
	p := patch(in.AutoReassignOnDecline, in.MaxAutoReassignAttempts, in.AssignmentExpirationDays, in.SendReminderBeforeExpiryDays)
	cfg, err := r.svc.UpdateConfig(ctx, a, id, p, core.Precondition{Modified: in.Modified})
	if err != nil {
		return nil, err
	}
	requestFrom(ctx).primeConfig(cfg.CallID, cfg)
	return &model.UpdateCallAssignmentConfigurationPayload{CallAssignmentConfiguration: model.ConfigOf(cfg), ClientMutationID: in.ClientMutationID}, nil
}

func (r *mutationResolver) DeleteCallAssignmentConfiguration(ctx context.Context, in model.DeleteCallAssignmentConfigurationInput) (*model.DeleteCallAssignmentConfigurationPayload, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	id, err := configRef(in.UUID, in.ID)
	if err != nil {
		return nil, err
	}
	// Read first for the call the payload names; the delete itself checks
	// visibility and permission again, so a race cannot bypass them.
	cfg, err := r.svc.GetConfig(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if err := r.svc.DeleteConfig(ctx, a, id, core.Precondition{Modified: in.Modified}); err != nil {
		return nil, err
	}
	requestFrom(ctx).primeConfig(cfg.CallID, nil)
	return &model.DeleteCallAssignmentConfigurationPayload{
		DeletedUUID:      cfg.UUID,
		DeletedID:        model.GlobalID(model.TypeConfig, cfg.UUID),
		ClientMutationID: in.ClientMutationID,
		CallID:           cfg.CallID,
	}, nil
}

func (r *mutationResolver) SetCallAssignmentConfigurationForCall(ctx context.Context, in model.SetCallAssignmentConfigurationForCallInput) (*model.SetCallAssignmentConfigurationForCallPayload, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	call, err := callRef(in.CallUUID, in.CallID)
	if err != nil {
		return nil, err
	}
	p := patch(in.AutoReassignOnDecline, in.MaxAutoReassignAttempts, in.AssignmentExpirationDays, in.SendReminderBeforeExpiryDays)
	cfg, created, err := r.svc.SetConfigForCall(ctx, a, call, p)
	if err != nil {
		return nil, asCallID(err, in.CallID != nil)
	}
	requestFrom(ctx).primeConfig(cfg.CallID, cfg)
	return &model.SetCallAssignmentConfigurationForCallPayload{CallAssignmentConfiguration: model.ConfigOf(cfg), Created: created, ClientMutationID: in.ClientMutationID}, nil
}
