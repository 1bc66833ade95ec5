package graph

import (
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/feed"
)

// The live change feed: Subscription.callAssignmentConfigurationChanged.
// The feed package delivers; this file turns a subscription into a
// follower of the feed and its end into the last result a client sees.

func (r *Resolver) Subscription() SubscriptionResolver { return &subscriptionResolver{r} }

type subscriptionResolver struct{ *Resolver }

// CodeSubscriptionsUnavailable: the server runs no feed (a handler built
// without one, as some tests do).
const CodeSubscriptionsUnavailable = "SUBSCRIPTIONS_UNAVAILABLE"

func (r *subscriptionResolver) CallAssignmentConfigurationChanged(ctx context.Context, callUUID *uuid.UUID, after *string) (<-chan *core.Change, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	// A stream outlives the request: its key is checked now, and again at
	// every delivery.
	if a, err = r.svc.Resolve(ctx, a); err != nil {
		return nil, err
	}
	if r.hub == nil {
		return nil, &gqlerror.Error{Message: "This server does not run subscriptions.", Extensions: map[string]any{"code": CodeSubscriptionsUnavailable}}
	}
	// A stream has no request deadline: its start is bounded as a
	// request's work is.
	sctx, cancel := context.WithTimeout(ctx, r.hub.Options().Timeout)
	start, err := r.svc.StartFollowing(sctx, a, callUUID, after)
	cancel()
	if err != nil {
		return nil, err
	}
	conn := connFrom(ctx)
	if conn == nil {
		// A stream of its own (Server-Sent Events): one connection, one
		// subscription.
		if conn, err = r.hub.Connect(start.Actor, feed.TransportSSE, true, nil); err != nil {
			return nil, err
		}
	}
	slot, _ := ctx.Value(endKey{}).(*endSlot)
	ch, err := conn.Subscribe(ctx, start, slot.set)
	if err != nil && conn.Single() {
		conn.Close()
	}
	return ch, err
}

type connKey struct{}

// connFrom is the feed connection of a WebSocket, set when it was
// initialised.
func connFrom(ctx context.Context) *feed.Conn {
	c, _ := ctx.Value(connKey{}).(*feed.Conn)
	return c
}

type endKey struct{}

// endSlot holds the error a subscription ended with, between the feed
// closing its channel and the response that reports it.
type endSlot struct {
	mu  sync.Mutex
	err error
}

func (s *endSlot) set(err error) {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
}

func (s *endSlot) take() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.err
	s.err = nil
	return err
}

func isSubscription(ctx context.Context) bool {
	if !graphql.HasOperationContext(ctx) {
		return false
	}
	op := graphql.GetOperationContext(ctx).Operation
	return op != nil && op.Operation == ast.Subscription
}

// subscriptionOperations gives each subscription its slot for the error
// it may end with.
func subscriptionOperations(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if isSubscription(ctx) {
		ctx = context.WithValue(ctx, endKey{}, &endSlot{})
	}
	return next(ctx)
}

// subscriptionResponses runs around each result of a subscription: each
// change is rendered with loaders of its own (a connection lives for
// hours; what its loaders cached would grow and go stale), and when the
// feed ended the subscription with an error, that error is its last
// result, under the field's name, before the stream completes.
func subscriptionResponses(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !isSubscription(ctx) {
		return next(ctx)
	}
	if req := requestFrom(ctx); req != nil {
		ctx = context.WithValue(ctx, requestKey{}, req.fork())
	}
	resp := next(ctx)
	if resp != nil {
		return resp
	}
	slot, _ := ctx.Value(endKey{}).(*endSlot)
	if slot == nil {
		return nil
	}
	err := slot.take()
	if err == nil {
		return nil
	}
	path := ast.Path{}
	if set := graphql.GetOperationContext(ctx).Operation.SelectionSet; len(set) > 0 {
		if f, ok := set[0].(*ast.Field); ok {
			path = ast.Path{ast.PathName(f.Alias)}
		}
	}
	graphql.AddError(ctx, gqlerror.WrapPath(path, err))
	return &graphql.Response{Errors: graphql.GetErrors(ctx)}
}
