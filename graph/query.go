package graph

import (
	"context"
	"strings"

	"github.com/google/uuid"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/graph/model"
)

type queryResolver struct{ *Resolver }

// hidden turns the core's "not found" into null: a single lookup of an
// object the caller may not see answers null, as the contract says.
func hidden[T any](v *T, err error) (*T, error) {
	if core.KindOf(err) == core.KindNotFound {
		return nil, nil
	}
	return v, err
}

func (r *queryResolver) Node(ctx context.Context, id string) (model.Node, error) {
	typ, u, ok := model.ParseGlobalID(id)
	if !ok {
		return nil, errInvalidID()
	}
	switch typ {
	case model.TypeConfig:
		cfg, err := hidden(r.CallAssignmentConfiguration(ctx, u))
		if cfg == nil {
			return nil, err
		}
		return cfg, err
	case model.TypeCall:
		call, err := hidden(r.Call(ctx, u))
		if call == nil {
			return nil, err
		}
		return call, err
	case typeUser:
		a, err := actor(ctx)
		if err != nil {
			return nil, err
		}
		user, err := hidden(r.svc.User(ctx, a, u))
		if user == nil {
			return nil, err
		}
		return user, err
	case typeChange:
		a, err := actor(ctx)
		if err != nil {
			return nil, err
		}
		ch, err := hidden(r.svc.GetChange(ctx, a, u))
		if ch == nil {
			return nil, err
		}
		return ch, err
	}
	return nil, nil
}

func (r *queryResolver) CallAssignmentConfiguration(ctx context.Context, id uuid.UUID) (*model.Config, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	cfg, err := hidden(r.svc.GetConfig(ctx, a, id))
	if cfg != nil {
		requestFrom(ctx).primeConfig(cfg.CallID, cfg)
	}
	return model.ConfigOf(cfg), err
}

func (r *queryResolver) CallAssignmentConfigurations(ctx context.Context, first *int, after *string, last *int, before *string,
	filter *model.CallAssignmentConfigurationFilter, orderBy []*model.CallAssignmentConfigurationOrder,
) (*model.CallAssignmentConfigurationConnection, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	var f core.ConfigFilter
	if filter != nil {
		f.CallUUID = filter.CallUUID
		f.AutoReassign = filter.AutoReassignOnDecline
		if filter.CallState != nil {
			f.CallState = strings.ToLower(string(*filter.CallState))
		}
	}
	order := make([]core.OrderBy, 0, len(orderBy))
	for _, o := range orderBy {
		order = append(order, core.OrderBy{Field: core.OrderField(o.Field), Desc: o.Direction == model.OrderDirectionDesc})
	}
	conn, err := r.svc.ConfigsConnection(ctx, a, f, order, core.PageArgs{First: first, After: after, Last: last, Before: before})
	if err != nil {
		return nil, err
	}
	requestFrom(ctx).primeConfigs(conn.Edges)
	calls := make([]*core.Call, len(conn.Edges))
	for i, e := range conn.Edges {
		calls[i] = e.Node.Call()
	}
	prefetchCalls(ctx, calls)
	return model.ConfigConnection(conn, f), nil
}

func (r *queryResolver) Call(ctx context.Context, id uuid.UUID) (*model.Call, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	call, err := hidden(r.svc.GetCall(ctx, a, id))
	return model.CallOf(call), err
}

var callOrderFields = map[model.CallOrderField]core.OrderField{
	model.CallOrderFieldCreated:  core.OrderCreated,
	model.CallOrderFieldModified: core.OrderModified,
	model.CallOrderFieldName:     core.OrderCallName,
}

func (r *queryResolver) Calls(ctx context.Context, first *int, after *string, last *int, before *string,
	filter *model.CallFilter, orderBy []*model.CallOrder,
) (*model.CallConnection, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	var f core.CallFilter
	if filter != nil && filter.State != nil {
		f.State = strings.ToLower(string(*filter.State))
	}
	order := make([]core.OrderBy, 0, len(orderBy))
	for _, o := range orderBy {
		order = append(order, core.OrderBy{Field: callOrderFields[o.Field], Desc: o.Direction == model.OrderDirectionDesc})
	}
	conn, err := r.svc.CallsConnection(ctx, a, f, order, core.PageArgs{First: first, After: after, Last: last, Before: before})
	if err != nil {
		return nil, err
	}
	return model.CallConnectionOf(conn, f), nil
}

func (r *queryResolver) Me(ctx context.Context) (*core.User, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	return r.svc.Me(ctx, a)
}

// errInvalidID is an input error of node(id:)'s argument.
func errInvalidID() error {
	return &core.Error{Kind: core.KindInvalid, Message: "Invalid input.", Fields: core.FieldErrors{"id": {"Not a valid global id."}}}
}
