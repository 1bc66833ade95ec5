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
	return model.GlobalID(typeChange, obj.UUID), nil
}

func (r *changeResolver) Kind(_ context.Context, obj *core.Change) (model.ChangeKind, error) {
	return model.ChangeKind(strings.ToUpper(obj.Kind)), nil
}

func (r *changeResolver) Via(_ context.Context, obj *core.Change) (model.ChangeSource, error) {
	return model.ChangeSource(strings.ToUpper(obj.Via)), nil
}

// Call comes with the change, read in the same statement.
func (r *changeResolver) Call(_ context.Context, obj *core.Change) (*model.Call, error) {
	return model.CallOf(obj.Call()), nil
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
	calls := make([]*core.Call, len(conn.Edges))
	for i, e := range conn.Edges {
		calls[i] = e.Node.Call()
	}
	prefetchCalls(ctx, calls)
	return model.ChangeConnectionOf(conn, func(ctx context.Context) (int64, error) {
		return r.svc.CountChanges(ctx, a, f)
	}), nil
}

func (r *Resolver) CallAssignmentConfiguration() CallAssignmentConfigurationResolver {
	return &configResolver{r}
}

// configResolver's one resolver, like the histories of calls, is a batch
// resolver: gqlgen calls it once for all the configurations of a list, so
// a page of configurations with their histories costs one statement.
type configResolver struct{ *Resolver }

func (r *configResolver) History(ctx context.Context, objs []*model.Config, first *int, after *string, last *int, before *string) ([]*model.CallAssignmentConfigurationChangeConnection, error) {
	ids := make([]uuid.UUID, len(objs))
	for i, o := range objs {
		ids[i] = o.UUID
	}
	return requestFrom(ctx).loaders().configHistory.loadAll(ctx, ids, pageKeyOf(first, after, last, before))
}

func (r *callResolver) AssignmentConfigurationHistory(ctx context.Context, objs []*model.Call, first *int, after *string, last *int, before *string) ([]*model.CallAssignmentConfigurationChangeConnection, error) {
	ids := make([]uuid.UUID, len(objs))
	for i, o := range objs {
		ids[i] = o.UUID
	}
	return requestFrom(ctx).loaders().callHistory.loadAll(ctx, ids, pageKeyOf(first, after, last, before))
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

// prefetchCalls starts, for the calls of a page's items (a page of changes
// or of configurations), the batches of what the client selected under
// them: their configurations and their histories. Each item's call is
// resolved on its own, so without it the loaders' wait would split a long
// page into several statements.
func prefetchCalls(ctx context.Context, calls []*core.Call) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || len(calls) == 0 || !graphql.HasOperationContext(ctx) {
		return
	}
	var sets []ast.SelectionSet
	for _, f := range fieldsNamed(itemSelections(fc.Field.Selections), "call") {
		sets = append(sets, f.SelectionSet)
	}
	if len(sets) == 0 {
		return
	}
	req := requestFrom(ctx).loaders()
	uuids := make([]uuid.UUID, 0, len(calls))
	var unknown []int64
	seen := make(map[int64]bool, len(calls))
	req.knownMu.Lock()
	for _, c := range calls {
		if c == nil || seen[c.ID] {
			continue
		}
		seen[c.ID] = true
		uuids = append(uuids, c.UUID)
		if _, ok := req.known[c.ID]; !ok {
			unknown = append(unknown, c.ID)
		}
	}
	req.knownMu.Unlock()
	if len(unknown) > 0 && len(fieldsNamed(sets, "assignmentConfiguration"))+len(fieldsNamed(sets, "effectiveAssignmentSettings")) > 0 {
		_ = req.configsByCall.LoadAllThunk(ctx, unknown)
	}
	vars := graphql.GetOperationContext(ctx).Variables
	for _, f := range fieldsNamed(sets, "assignmentConfigurationHistory") {
		args := f.ArgumentMap(vars)
		page := pageKeyOf(intArg(args["first"]), strArg(args["after"]), intArg(args["last"]), strArg(args["before"]))
		keys := make([]historyKey, len(uuids))
		for i, id := range uuids {
			keys[i] = historyKey{id: id, page: page}
		}
		_ = req.callHistory.pages.LoadAllThunk(ctx, keys)
		if len(fieldsNamed([]ast.SelectionSet{f.SelectionSet}, "totalCount")) > 0 {
			_ = req.callHistory.counts.LoadAllThunk(ctx, uuids)
		}
	}
}

type historyKey struct {
	id   uuid.UUID
	page pageKey
}

// histories batches one kind of history (of configurations, or of calls)
// over a request: the pages of all items asking for the same page are one
// statement, their counts another. A list's batch resolver asks for all of
// its items at once; the loaders' wait gathers items resolved one by one
// (the calls of a page of changes).
type histories struct {
	req    *request
	of     core.HistoryOf
	pages  *dataloadgen.Loader[historyKey, *core.Connection[*core.Change]]
	counts *dataloadgen.Loader[uuid.UUID, int64]
}

func newHistories(req *request, of core.HistoryOf) *histories {
	h := &histories{req: req, of: of}
	// A batch never holds more keys than a page has items, the most the
	// core takes at once.
	opts := []dataloadgen.Option{dataloadgen.WithWait(loaderWait), dataloadgen.WithBatchCapacity(core.MaxPageSize)}
	h.pages = dataloadgen.NewLoader(h.fetchPages, opts...)
	h.counts = dataloadgen.NewLoader(h.fetchCounts, opts...)
	return h
}

func (h *histories) loadAll(ctx context.Context, ids []uuid.UUID, page pageKey) ([]*model.CallAssignmentConfigurationChangeConnection, error) {
	keys := make([]historyKey, len(ids))
	for i, id := range ids {
		keys[i] = historyKey{id: id, page: page}
	}
	conns, err := h.pages.LoadAll(ctx, keys)
	out := make([]*model.CallAssignmentConfigurationChangeConnection, len(ids))
	for i, conn := range conns {
		if conn == nil {
			continue
		}
		id := ids[i]
		out[i] = model.ChangeConnectionOf(conn, func(ctx context.Context) (int64, error) {
			return h.counts.Load(ctx, id)
		})
	}
	return out, batchError(ctx, err)
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
