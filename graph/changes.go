package graph

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vikstrous/dataloadgen"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/graph/model"
)

// The change record's fields: the feed, the histories of configurations and
// calls, and the change type itself.

const typeChange = "CallAssignmentConfigurationChange"

func (r *Resolver) CallAssignmentConfigurationChange() CallAssignmentConfigurationChangeResolver {
	return &changeResolver{r}
}

func (r *Resolver) CallAssignmentConfigurationChangeConnection() CallAssignmentConfigurationChangeConnectionResolver {
	return &changeConnectionResolver{r}
}

type changeResolver struct{ *Resolver }

func (r *changeResolver) ID(_ context.Context, obj *core.Change) (string, error) {
	return globalID(typeChange, obj.UUID), nil
}

func (r *changeResolver) Kind(_ context.Context, obj *core.Change) (model.ChangeKind, error) {
	return model.ChangeKind(strings.ToUpper(obj.Kind)), nil
}

func (r *changeResolver) Via(_ context.Context, obj *core.Change) (model.ChangeSource, error) {
	return model.ChangeSource(strings.ToUpper(obj.Via)), nil
}

// Call comes with the change, read in the same statement.
func (r *changeResolver) Call(_ context.Context, obj *core.Change) (*core.Call, error) {
	return obj.Call(), nil
}

// ChangedFields are the core's (REST's) names; GraphQL's differ in case.
func (r *changeResolver) ChangedFields(_ context.Context, obj *core.Change) ([]string, error) {
	out := make([]string, len(obj.ChangedFields))
	for i, f := range obj.ChangedFields {
		out[i] = graphName(f)
	}
	return out, nil
}

type changeConnectionResolver struct{ *Resolver }

func (r *changeConnectionResolver) TotalCount(ctx context.Context, obj *model.CallAssignmentConfigurationChangeConnection) (int, error) {
	n, err := obj.Count(ctx)
	return int(n), err
}

var changeKinds = map[model.ChangeKind]string{
	model.ChangeKindCreated: core.ChangeCreated,
	model.ChangeKindUpdated: core.ChangeUpdated,
	model.ChangeKindDeleted: core.ChangeDeleted,
}

func (r *queryResolver) CallAssignmentConfigurationChanges(ctx context.Context, first *int, after *string, last *int, before *string,
	filter *model.CallAssignmentConfigurationChangeFilter,
) (*model.CallAssignmentConfigurationChangeConnection, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	var f core.ChangeFilter
	if filter != nil {
		f = core.ChangeFilter{CallUUID: filter.CallUUID, ConfigurationUUID: filter.ConfigurationUUID, Since: filter.Since, Until: filter.Until}
		for _, k := range filter.Kinds {
			f.Kinds = append(f.Kinds, changeKinds[k])
		}
	}
	conn, err := r.svc.ChangesConnection(ctx, a, f, core.PageArgs{First: first, After: after, Last: last, Before: before})
	if err != nil {
		return nil, err
	}
	req := requestFrom(ctx)
	primeChangeCalls(req, conn)
	var calls []uuid.UUID
	var callIDs []int64
	seen := map[int64]bool{}
	for _, e := range conn.Edges {
		if c := e.Node.Call(); c != nil && !seen[c.ID] {
			seen[c.ID] = true
			calls, callIDs = append(calls, c.UUID), append(callIDs, c.ID)
		}
	}
	prefetch(ctx, req.configsByCall, callIDs, "assignmentConfiguration", "effectiveAssignmentSettings")
	req.callHistory.prefetch(ctx, calls, "call")
	return model.ChangeConnectionOf(conn, func(ctx context.Context) (int64, error) {
		return r.svc.CountChanges(ctx, a, f)
	}), nil
}

// primeChangeCalls hands the calls read with a page of changes to the
// request's loader, so that what is nested under them costs no lookup.
func primeChangeCalls(req *request, conn *core.Connection[*core.Change]) {
	for _, e := range conn.Edges {
		if c := e.Node.Call(); c != nil {
			req.calls.Prime(c.ID, c)
		}
	}
}

func (r *configResolver) History(ctx context.Context, obj *core.Config, first *int, after *string, last *int, before *string) (*model.CallAssignmentConfigurationChangeConnection, error) {
	return requestFrom(ctx).configHistory.load(ctx, obj.UUID, pageKeyOf(first, after, last, before))
}

func (r *callResolver) AssignmentConfigurationHistory(ctx context.Context, obj *core.Call, first *int, after *string, last *int, before *string) (*model.CallAssignmentConfigurationChangeConnection, error) {
	return requestFrom(ctx).callHistory.load(ctx, obj.UUID, pageKeyOf(first, after, last, before))
}

// changeComplexity prices the change connections like the others: their
// page size times their children. A history nested under a page is paid
// for each item of it, by the enclosing connection's own price, and its
// totalCount likewise (countSelections).
func changeComplexity(c *ComplexityRoot) {
	c.Query.CallAssignmentConfigurationChanges = func(child int, first *int, _ *string, last *int, _ *string, _ *model.CallAssignmentConfigurationChangeFilter) int {
		return pageComplexity(child, first, last)
	}
	c.CallAssignmentConfiguration.History = func(child int, first *int, _ *string, last *int, _ *string) int {
		return pageComplexity(child, first, last)
	}
	c.Call.AssignmentConfigurationHistory = func(child int, first *int, _ *string, last *int, _ *string) int {
		return pageComplexity(child, first, last)
	}
}

// pageKey is a connection's arguments as a comparable value, so that a
// loader can batch the items of one field, which all ask for the same
// page.
type pageKey struct {
	first, last         int
	hasFirst, hasLast   bool
	after, before       string
	hasAfter, hasBefore bool
}

func pageKeyOf(first *int, after *string, last *int, before *string) pageKey {
	var k pageKey
	if first != nil {
		k.first, k.hasFirst = *first, true
	}
	if last != nil {
		k.last, k.hasLast = *last, true
	}
	if after != nil {
		k.after, k.hasAfter = *after, true
	}
	if before != nil {
		k.before, k.hasBefore = *before, true
	}
	return k
}

func (k pageKey) args() core.PageArgs {
	var a core.PageArgs
	if k.hasFirst {
		a.First = &k.first
	}
	if k.hasLast {
		a.Last = &k.last
	}
	if k.hasAfter {
		a.After = &k.after
	}
	if k.hasBefore {
		a.Before = &k.before
	}
	return a
}

type historyKey struct {
	id   uuid.UUID
	page pageKey
}

// histories batches one kind of history (of configurations, or of calls)
// over a request: the pages of all items asking for the same page are one
// statement, their counts another.
type histories struct {
	req    *request
	of     core.HistoryOf
	field  string // the field that lists them, for prefetching
	pages  *dataloadgen.Loader[historyKey, *core.Connection[*core.Change]]
	counts *dataloadgen.Loader[uuid.UUID, int64]
}

func newHistories(req *request, of core.HistoryOf, field string) *histories {
	h := &histories{req: req, of: of, field: field}
	// A batch never holds more keys than a page has items, the most the
	// core takes at once.
	opts := []dataloadgen.Option{dataloadgen.WithWait(loaderWait), dataloadgen.WithBatchCapacity(core.MaxPageSize)}
	h.pages = dataloadgen.NewLoader(h.fetchPages, opts...)
	h.counts = dataloadgen.NewLoader(h.fetchCounts, opts...)
	return h
}

func (h *histories) load(ctx context.Context, id uuid.UUID, page pageKey) (*model.CallAssignmentConfigurationChangeConnection, error) {
	conn, err := h.pages.Load(ctx, historyKey{id: id, page: page})
	if err != nil {
		return nil, err
	}
	primeChangeCalls(h.req, conn)
	return model.ChangeConnectionOf(conn, func(ctx context.Context) (int64, error) {
		return h.counts.Load(ctx, id)
	}), nil
}

func (h *histories) fetchPages(ctx context.Context, keys []historyKey) ([]*core.Connection[*core.Change], []error) {
	out := make([]*core.Connection[*core.Change], len(keys))
	errs := make([]error, len(keys))
	a, err := h.req.Actor(ctx)
	byPage := map[pageKey][]int{}
	for i, k := range keys {
		byPage[k.page] = append(byPage[k.page], i)
	}
	for page, idx := range byPage {
		ids := make([]uuid.UUID, len(idx))
		for j, i := range idx {
			ids[j] = keys[i].id
		}
		var conns map[uuid.UUID]*core.Connection[*core.Change]
		gerr := err
		if gerr == nil {
			conns, gerr = h.req.svc.Histories(ctx, a, h.of, ids, page.args())
		}
		for _, i := range idx {
			if gerr != nil {
				errs[i] = gerr
				continue
			}
			out[i] = conns[keys[i].id]
		}
	}
	return out, errs
}

func (h *histories) fetchCounts(ctx context.Context, ids []uuid.UUID) ([]int64, []error) {
	a, err := h.req.Actor(ctx)
	var n map[uuid.UUID]int64
	if err == nil {
		n, err = h.req.svc.CountHistories(ctx, a, h.of, ids)
	}
	out := make([]int64, len(ids))
	if err != nil {
		errs := make([]error, len(ids))
		for i := range errs {
			errs[i] = err
		}
		return out, errs
	}
	for i, id := range ids {
		out[i] = n[id]
	}
	return out, nil
}

// prefetch starts, for a page of items (configurations, calls or
// changes) about to be resolved, the batches of the history fields the
// client selected on them, with their arguments, so that the page costs
// one statement per history field however the items' resolvers are
// scheduled. path leads from an item to the object whose history it is
// (empty: the item itself; "call": its call) and ids are those objects'
// uuids. An argument read differently from execution only costs a batch
// that nobody uses.
func (h *histories) prefetch(ctx context.Context, ids []uuid.UUID, path ...string) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || len(ids) == 0 || !graphql.HasOperationContext(ctx) {
		return
	}
	vars := graphql.GetOperationContext(ctx).Variables
	sets := itemSelections(fc.Field.Selections)
	for _, step := range path {
		var next []ast.SelectionSet
		for _, f := range fieldsNamed(sets, step) {
			next = append(next, f.SelectionSet)
		}
		sets = next
	}
	for _, f := range fieldsNamed(sets, h.field) {
		args := f.ArgumentMap(vars)
		page := pageKeyOf(intArg(args["first"]), strArg(args["after"]), intArg(args["last"]), strArg(args["before"]))
		keys := make([]historyKey, len(ids))
		for i, id := range ids {
			keys[i] = historyKey{id: id, page: page}
		}
		_ = h.pages.LoadAllThunk(ctx, keys)
		if selects(f.SelectionSet, []string{"totalCount"}) {
			_ = h.counts.LoadAllThunk(ctx, ids)
		}
	}
}

// itemSelections are what a connection's selection asks of its items:
// under nodes and under edges { node }.
func itemSelections(set ast.SelectionSet) []ast.SelectionSet {
	var out []ast.SelectionSet
	for _, f := range fieldsNamed([]ast.SelectionSet{set}, "nodes") {
		out = append(out, f.SelectionSet)
	}
	for _, e := range fieldsNamed([]ast.SelectionSet{set}, "edges") {
		for _, n := range fieldsNamed([]ast.SelectionSet{e.SelectionSet}, "node") {
			out = append(out, n.SelectionSet)
		}
	}
	return out
}

// fieldsNamed finds the fields named name in sets, fragments expanded.
func fieldsNamed(sets []ast.SelectionSet, name string) []*ast.Field {
	var out []*ast.Field
	seen := map[string]bool{}
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				if s.Name == name {
					out = append(out, s)
				}
			case *ast.InlineFragment:
				walk(s.SelectionSet)
			case *ast.FragmentSpread:
				if s.Definition != nil && !seen[s.Name] {
					seen[s.Name] = true
					walk(s.Definition.SelectionSet)
				}
			}
		}
	}
	for _, set := range sets {
		walk(set)
	}
	return out
}

func intArg(v any) *int {
	if v == nil {
		return nil
	}
	n, err := graphql.UnmarshalInt(v)
	if err != nil {
		return nil
	}
	return &n
}

func strArg(v any) *string {
	s, ok := v.(string)
	if !ok {
		return nil
	}
	return &s
}
