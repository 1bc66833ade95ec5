package graph

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/vikstrous/dataloadgen"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/ops"
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

	// The loaders are made on first use (loaders): most requests need
	// none.
	loadersOnce   sync.Once
	calls         *dataloadgen.Loader[int64, *core.Call]
	configsByCall *dataloadgen.Loader[int64, *core.Config]
	configHistory *histories
	callHistory   *histories

	// known are the configurations the request has read or written, by
	// call (nil: the call has none), ahead of the loader: a page of
	// configurations or a mutation knows its calls' configurations, so
	// call.assignmentConfiguration under them costs no query.
	knownMu sync.Mutex
	known   map[int64]*core.Config
}

type requestKey struct{}

// loaderWait is how long a loader collects keys before it queries. A list's
// batch resolver asks for all of its items' keys at once, so the wait only
// gathers what is loaded item by item, e.g. the configurations of the calls
// of several single lookups (those of a page of configurations are known).
const loaderWait = 2 * time.Millisecond

func newRequest(svc *core.Service, r *http.Request) *request {
	return &request{svc: svc, header: r.Header.Get("Authorization")}
}

// loaders makes the request's loaders on first use.
func (r *request) loaders() *request {
	r.loadersOnce.Do(func() {
		r.calls = dataloadgen.NewLoader(r.fetchCalls, dataloadgen.WithWait(loaderWait))
		r.configsByCall = dataloadgen.NewLoader(r.fetchConfigsByCall, dataloadgen.WithWait(loaderWait))
		r.configHistory = newHistories(r, core.HistoryOfConfiguration)
		r.callHistory = newHistories(r, core.HistoryOfCall)
	})
	return r
}

// context is the context of the request's resolvers: it carries the
// request, and the origin of its writes for the change record (this face,
// and the id the client gets back in X-Request-Id).
func (r *request) context(parent context.Context) context.Context {
	ctx := context.WithValue(parent, requestKey{}, r)
	return core.WithOrigin(ctx, core.Origin{Via: core.ViaGraphQL, RequestID: ops.RequestID(parent)})
}

func requestFrom(ctx context.Context) *request {
	req, _ := ctx.Value(requestKey{}).(*request)
	return req
}

// Actor is the caller: its key is checked by the first statement of the
// request that needs it (the core folds the check into that statement),
// and every resolver of the request shares the answer.
func (r *request) Actor(ctx context.Context) (core.Actor, error) {
	r.once.Do(func() {
		r.actor, r.err = r.svc.ActorFromHeader(r.header)
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

// primeConfig records what the request knows about a call's
// configuration (nil: none), over anything read before.
func (r *request) primeConfig(callID int64, cfg *core.Config) {
	r.knownMu.Lock()
	defer r.knownMu.Unlock()
	if r.known == nil {
		r.known = map[int64]*core.Config{}
	}
	r.known[callID] = cfg
}

// primeConfigs records the configurations of a page.
func (r *request) primeConfigs(cfgs []core.Edge[*core.Config]) {
	r.knownMu.Lock()
	defer r.knownMu.Unlock()
	if r.known == nil {
		r.known = make(map[int64]*core.Config, len(cfgs))
	}
	for _, e := range cfgs {
		r.known[e.Node.CallID] = e.Node
	}
}

// configsByCallID returns the configurations of calls (nil for a call
// without one): those the request knows, and the others through the
// loader, which gathers the keys of calls resolved side by side into one
// query. An error is a dataloadgen.ErrorSlice, one per call.
func (r *request) configsByCallID(ctx context.Context, callIDs []int64) ([]*core.Config, error) {
	out := make([]*core.Config, len(callIDs))
	var missing []int64
	var at []int
	r.knownMu.Lock()
	for i, id := range callIDs {
		if cfg, ok := r.known[id]; ok {
			out[i] = cfg
			continue
		}
		missing = append(missing, id)
		at = append(at, i)
	}
	r.knownMu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	loaded, err := r.loaders().configsByCall.LoadAll(ctx, missing)
	for j, i := range at {
		out[i] = loaded[j]
	}
	if errs, ok := err.(dataloadgen.ErrorSlice); ok {
		all := make(dataloadgen.ErrorSlice, len(callIDs))
		for j, i := range at {
			all[i] = errs[j]
		}
		return out, all
	}
	return out, err
}

// fork is a request for one result of a subscription: the same caller,
// with loaders of its own (made on first use), so that what one result cached neither
// piles up over a long-lived connection nor goes stale.
func (r *request) fork() *request {
	a, err := r.Actor(context.Background())
	f := &request{svc: r.svc, header: r.header, actor: a, err: err}
	f.once.Do(func() {})
	return f
}
