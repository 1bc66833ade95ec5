package graph

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/vikstrous/dataloadgen"

	"github.com/callcfg/callcfg/core"
)

// request is what one HTTP request shares among its resolvers: the caller,
// authenticated at most once and only if a data field needs it (so that an
// anonymous introspection query costs no database round trip), and the
// batching loaders, which must never outlive the request because they
// cache what this caller may see.
type request struct {
	svc    *core.Service
	header string

	once  sync.Once
	actor core.Actor
	err   error

	calls         *dataloadgen.Loader[int64, *core.Call]
	configsByCall *dataloadgen.Loader[int64, *core.Config]
}

type requestKey struct{}

// loaderWait is how long a loader collects keys before it queries. A list's
// batch resolver asks for all of its items' keys at once, so the wait only
// gathers what is loaded item by item, e.g. the configurations of the calls
// of a page of configurations (primed, so never read) or of several single
// lookups.
const loaderWait = 2 * time.Millisecond

func newRequest(svc *core.Service, r *http.Request) *request {
	req := &request{svc: svc, header: r.Header.Get("Authorization")}
	req.calls = dataloadgen.NewLoader(req.fetchCalls, dataloadgen.WithWait(loaderWait))
	req.configsByCall = dataloadgen.NewLoader(req.fetchConfigsByCall, dataloadgen.WithWait(loaderWait))
	return req
}

func requestFrom(ctx context.Context) *request {
	req, _ := ctx.Value(requestKey{}).(*request)
	return req
}

// Actor authenticates the caller on first use.
func (r *request) Actor(ctx context.Context) (core.Actor, error) {
	r.once.Do(func() {
		// Detached from the first caller's cancellation, so one aborted
		// resolver cannot fail authentication for the others.
		r.actor, r.err = r.svc.AuthenticateHeader(context.WithoutCancel(ctx), r.header)
	})
	return r.actor, r.err
}

// actor returns the authenticated caller of the request in ctx, or the
// error that every data field reports when there is none.
func actor(ctx context.Context) (core.Actor, error) {
	req := requestFrom(ctx)
	a, err := req.Actor(ctx)
	if err != nil {
		return core.Actor{}, err
	}
	if !a.Authenticated() {
		return core.Actor{}, &core.Error{Kind: core.KindUnauthenticated, Message: core.MsgNotAuthenticated}
	}
	return a, nil
}

func (r *request) fetchCalls(ctx context.Context, ids []int64) ([]*core.Call, []error) {
	return fetchByKey(ctx, r, ids, r.svc.CallsByIDs)
}

func (r *request) fetchConfigsByCall(ctx context.Context, callIDs []int64) ([]*core.Config, []error) {
	return fetchByKey(ctx, r, callIDs, r.svc.ConfigsByCallIDs)
}

// fetchByKey runs one batch query. A key without a row gets nil and no
// error: for a call that is "not visible", for a configuration "none".
func fetchByKey[V any](ctx context.Context, r *request, keys []int64,
	batch func(context.Context, core.Actor, []int64) (map[int64]V, error),
) ([]V, []error) {
	a, err := r.Actor(ctx)
	var found map[int64]V
	if err == nil {
		found, err = batch(ctx, a, keys)
	}
	values := make([]V, len(keys))
	if err != nil {
		errs := make([]error, len(keys))
		for i := range errs {
			errs[i] = err
		}
		return values, errs
	}
	for i, k := range keys {
		values[i] = found[k]
	}
	return values, nil
}

// primeConfig records what the request already knows about a call's
// configuration (nil: none), so that call.assignmentConfiguration under a
// page of configurations, or after a mutation, costs no query.
func (r *request) primeConfig(callID int64, cfg *core.Config) {
	r.configsByCall.Clear(callID)
	r.configsByCall.Prime(callID, cfg)
}
