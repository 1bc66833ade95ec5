package graph

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/feed"
	"github.com/callcfg/callcfg/graph/model"
	"github.com/callcfg/callcfg/links"
)

// Resolver is the root of the resolvers. Each resolver translates between
// GraphQL and the core and decides nothing itself: visibility, permissions
// and validation are the core's, so both faces apply the same rules.
type Resolver struct {
	svc *core.Service
	hub *feed.Hub // nil: no subscriptions
}

func (r *Resolver) Query() QueryResolver       { return &queryResolver{r} }
func (r *Resolver) Mutation() MutationResolver { return &mutationResolver{r} }
func (r *Resolver) Call() CallResolver         { return &callResolver{r} }
func (r *Resolver) CallAssignmentConfiguration() CallAssignmentConfigurationResolver {
	return &configResolver{r}
}
func (r *Resolver) CallAssignmentConfigurationConnection() CallAssignmentConfigurationConnectionResolver {
	return &configConnectionResolver{r}
}
func (r *Resolver) CallConnection() CallConnectionResolver { return &callConnectionResolver{r} }
func (r *Resolver) User() UserResolver                     { return &userResolver{r} }
func (r *Resolver) DeleteCallAssignmentConfigurationPayload() DeleteCallAssignmentConfigurationPayloadResolver {
	return &deletePayloadResolver{r}
}

type configResolver struct{ *Resolver }

func (r *configResolver) ID(_ context.Context, obj *core.Config) (string, error) {
	return globalID(typeConfig, obj.UUID), nil
}

// Call comes with the configuration (the core reads both in one statement);
// the loader only serves configurations built without it.
func (r *configResolver) Call(ctx context.Context, obj *core.Config) (*core.Call, error) {
	if c := obj.Call(); c != nil {
		return c, nil
	}
	return requestFrom(ctx).calls.Load(ctx, obj.CallID)
}

type callResolver struct{ *Resolver }

func (r *callResolver) ID(_ context.Context, obj *core.Call) (string, error) {
	return globalID(typeCall, obj.UUID), nil
}

func (r *callResolver) State(_ context.Context, obj *core.Call) (model.CallState, error) {
	return model.CallState(strings.ToUpper(obj.State)), nil
}

// URL is the call's REST resource, which REST shows as a configuration's call.
func (r *callResolver) URL(ctx context.Context, obj *core.Call) (string, error) {
	return links.Call(requestFrom(ctx).base, obj.UUID), nil
}

func (r *callResolver) AssignmentConfiguration(ctx context.Context, obj *core.Call) (*core.Config, error) {
	return requestFrom(ctx).configsByCall.Load(ctx, obj.ID)
}

func (r *callResolver) EffectiveAssignmentSettings(ctx context.Context, obj *core.Call) (*core.EffectiveSettings, error) {
	cfg, err := requestFrom(ctx).configsByCall.Load(ctx, obj.ID)
	if err != nil {
		return nil, err
	}
	eff := core.Effective(cfg)
	return &eff, nil
}

type userResolver struct{ *Resolver }

func (r *userResolver) ID(_ context.Context, obj *core.User) (string, error) {
	return globalID(typeUser, obj.UUID), nil
}

type configConnectionResolver struct{ *Resolver }

// TotalCount is a resolver of its own so that the count query runs only
// when a client selects it.
func (r *configConnectionResolver) TotalCount(ctx context.Context, obj *model.CallAssignmentConfigurationConnection) (int, error) {
	a, err := actor(ctx)
	if err != nil {
		return 0, err
	}
	n, err := r.svc.CountConfigs(ctx, a, obj.Filter)
	return int(n), err
}

type callConnectionResolver struct{ *Resolver }

func (r *callConnectionResolver) TotalCount(ctx context.Context, obj *model.CallConnection) (int, error) {
	a, err := actor(ctx)
	if err != nil {
		return 0, err
	}
	n, err := r.svc.CountCalls(ctx, a, obj.Filter)
	return int(n), err
}

type deletePayloadResolver struct{ *Resolver }

func (r *deletePayloadResolver) Call(ctx context.Context, obj *model.DeleteCallAssignmentConfigurationPayload) (*core.Call, error) {
	return requestFrom(ctx).calls.Load(ctx, obj.CallID)
}

// Inputs: an absent field stays absent and an explicit null becomes
// core.Null, so that the core, not this face, says "This field may not be null.".

func optBool(o graphql.Omittable[*bool]) core.Opt[bool] {
	v, set := o.ValueOK()
	switch {
	case !set:
		return core.Opt[bool]{}
	case v == nil:
		return core.Null[bool]()
	}
	return core.Some(*v)
}

func optInt(o graphql.Omittable[*int]) core.Opt[int64] {
	v, set := o.ValueOK()
	switch {
	case !set:
		return core.Opt[int64]{}
	case v == nil:
		return core.Null[int64]()
	}
	return core.Some(int64(*v))
}

func patch(auto graphql.Omittable[*bool], maxAttempts, expiration, reminder graphql.Omittable[*int]) core.Patch {
	return core.Patch{
		AutoReassignOnDecline:        optBool(auto),
		MaxAutoReassignAttempts:      optInt(maxAttempts),
		AssignmentExpirationDays:     optInt(expiration),
		SendReminderBeforeExpiryDays: optInt(reminder),
	}
}
