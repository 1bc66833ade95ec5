package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vikstrous/dataloadgen"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/feed"
	"github.com/callcfg/callcfg/graph/model"
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
func (r *Resolver) CallAssignmentConfigurationConnection() CallAssignmentConfigurationConnectionResolver {
	return &configConnectionResolver{r}
}
func (r *Resolver) CallConnection() CallConnectionResolver { return &callConnectionResolver{r} }
func (r *Resolver) User() UserResolver                     { return &userResolver{r} }
func (r *Resolver) DeleteCallAssignmentConfigurationPayload() DeleteCallAssignmentConfigurationPayloadResolver {
	return &deletePayloadResolver{r}
}

// callResolver's fields are batch resolvers: gqlgen calls each once for all
// the calls of a list (objs), and once per call elsewhere. They serve what
// the request already knows (a page of configurations knows its calls',
// a mutation the one it wrote), and load the rest through the request's
// loader, which gathers the keys of calls resolved side by side into one
// statement.
type callResolver struct{ *Resolver }

func (r *callResolver) AssignmentConfiguration(ctx context.Context, objs []*model.Call) ([]*model.Config, error) {
	cfgs, err := configsOf(ctx, objs)
	out := make([]*model.Config, len(cfgs))
	for i, c := range cfgs {
		out[i] = model.ConfigOf(c)
	}
	return out, err
}

func (r *callResolver) EffectiveAssignmentSettings(ctx context.Context, objs []*model.Call) ([]*core.EffectiveSettings, error) {
	cfgs, err := configsOf(ctx, objs)
	out := make([]*core.EffectiveSettings, len(cfgs))
	for i, c := range cfgs {
		if err == nil || batchErr(err, i) == nil {
			eff := core.Effective(c)
			out[i] = &eff
		}
	}
	return out, err
}

// configsOf loads the configurations of calls, nil for a call without one.
func configsOf(ctx context.Context, calls []*model.Call) ([]*core.Config, error) {
	ids := make([]int64, len(calls))
	for i, c := range calls {
		ids[i] = c.ID
	}
	cfgs, err := requestFrom(ctx).configsByCallID(ctx, ids)
	return cfgs, batchError(ctx, err)
}

// batchError makes a loader's error that of a batch resolver: one per
// parent (graphql.BatchErrorList), each located at the field, as a
// resolver's own error is; gqlgen adds each parent's path.
func batchError(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	var loc []gqlerror.Location
	if fc := graphql.GetFieldContext(ctx); fc != nil && fc.Field.Field != nil && fc.Field.Position != nil {
		loc = []gqlerror.Location{{Line: fc.Field.Position.Line, Column: fc.Field.Position.Column}}
	}
	located := func(err error) error {
		if err == nil {
			return nil
		}
		return &gqlerror.Error{Message: err.Error(), Err: err, Locations: loc}
	}
	if errs, ok := err.(dataloadgen.ErrorSlice); ok {
		out := make(graphql.BatchErrorList, len(errs))
		for i, e := range errs {
			out[i] = located(e)
		}
		return out
	}
	return located(err)
}

// batchErr is the error of item i of a batch's error.
func batchErr(err error, i int) error {
	if errs, ok := err.(graphql.BatchErrorList); ok {
		return errs[i]
	}
	return err
}

type userResolver struct{ *Resolver }

func (r *userResolver) ID(_ context.Context, obj *core.User) (string, error) {
	return model.GlobalID(typeUser, obj.UUID), nil
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

func (r *deletePayloadResolver) Call(ctx context.Context, obj *model.DeleteCallAssignmentConfigurationPayload) (*model.Call, error) {
	c, err := requestFrom(ctx).loaders().calls.Load(ctx, obj.CallID)
	return model.CallOf(c), err
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
