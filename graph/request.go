package graph

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vikstrous/dataloadgen"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/links"
	"github.com/callcfg/callcfg/ops"
)

// request is what one HTTP request shares among its resolvers: the caller,
// authenticated at most once and only if a data field needs it (so that an
// anonymous introspection query costs no database round trip), the base of
// absolute links, and the batching loaders, which must never outlive the
// request because they cache what this caller may see.
type request struct {
	svc    *core.Service
	header string
	base   string

	once  sync.Once
	actor core.Actor
	err   error

	calls         *dataloadgen.Loader[int64, *core.Call]
	configsByCall *dataloadgen.Loader[int64, *core.Config]
	configHistory *histories
	callHistory   *histories
}

type requestKey struct{}

// loaderWait is how long a loader collects keys before it queries. Pages
// prefetch their items' keys in one batch (see prefetch), so the wait only
// gathers what no page announced, e.g. the calls of several single lookups.
const loaderWait = 2 * time.Millisecond

func newRequest(svc *core.Service, r *http.Request, publicURL *url.URL) *request {
	req := &request{svc: svc, header: r.Header.Get("Authorization"), base: links.NewBase(publicURL).Of(r)}
	req.calls = dataloadgen.NewLoader(req.fetchCalls, dataloadgen.WithWait(loaderWait))
	req.configsByCall = dataloadgen.NewLoader(req.fetchConfigsByCall, dataloadgen.WithWait(loaderWait))
	req.configHistory = newHistories(req, core.HistoryOfConfiguration, "history")
	req.callHistory = newHistories(req, core.HistoryOfCall, "assignmentConfigurationHistory")
	return req
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

// prefetch starts one batch for all of a page's keys when the client's
// selection under the current field asks for what the loader serves, so
// the page costs one query however the item resolvers' goroutines are
// scheduled; the items' own loads then hit the loader's cache.
func prefetch[V any](ctx context.Context, l *dataloadgen.Loader[int64, V], keys []int64, fields ...string) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || len(keys) == 0 || !selects(fc.Field.Selections, fields) {
		return
	}
	_ = l.LoadAllThunk(ctx, keys)
}

// selects reports whether any of the named fields appears anywhere in set,
// fragments included. It may say yes for a field a directive skips, which
// costs one unneeded query, never a wrong answer.
func selects(set ast.SelectionSet, names []string) bool {
	for _, sel := range set {
		var sub ast.SelectionSet
		switch s := sel.(type) {
		case *ast.Field:
			if slices.Contains(names, s.Name) {
				return true
			}
			sub = s.SelectionSet
		case *ast.InlineFragment:
			sub = s.SelectionSet
		case *ast.FragmentSpread:
			if s.Definition != nil {
				sub = s.Definition.SelectionSet
			}
		}
		if selects(sub, names) {
			return true
		}
	}
	return false
}

// fork is a request for one result of a subscription: the same caller and
// links, with loaders of its own, so that what one result cached neither
// piles up over a long-lived connection nor goes stale.
func (r *request) fork() *request {
	a, err := r.Actor(context.Background())
	f := &request{svc: r.svc, header: r.header, base: r.base, actor: a, err: err}
	f.once.Do(func() {})
	f.calls = dataloadgen.NewLoader(f.fetchCalls, dataloadgen.WithWait(loaderWait))
	f.configsByCall = dataloadgen.NewLoader(f.fetchConfigsByCall, dataloadgen.WithWait(loaderWait))
	f.configHistory = newHistories(f, core.HistoryOfConfiguration, "history")
	f.callHistory = newHistories(f, core.HistoryOfCall, "assignmentConfigurationHistory")
	return f
}
