package core_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/core/coretest"
	"github.com/callcfg/callcfg/db/dbtest"
)

// outcome is what an operation gave: ok, or the error's kind (and for
// invalid, the field that failed).
type outcome string

const (
	ok        outcome = "ok"
	unauth    outcome = "unauthenticated"
	notFound  outcome = "not found"
	forbidden outcome = "forbidden"
	badCall   outcome = "invalid call"
)

func outcomeOf(t *testing.T, err error) outcome {
	t.Helper()
	if err == nil {
		return ok
	}
	e := core.AsError(err)
	switch e.Kind {
	case core.KindUnauthenticated:
		return unauth
	case core.KindNotFound:
		return notFound
	case core.KindForbidden:
		return forbidden
	case core.KindInvalid:
		if msgs := e.Fields[core.FieldCall]; len(msgs) == 1 && msgs[0] == core.MsgCallDoesNotExist {
			return badCall
		}
	}
	t.Fatalf("unexpected error: %v", err)
	return ""
}

// The permission table of the REST contract, actor by actor. Each actor gets
// a fresh world, and the destructive operation runs last.
func TestPermissionMatrix(t *testing.T) {
	type row struct {
		actor        string
		listed       int64 // configurations listed
		calls        int64 // calls listed
		getOwn       outcome
		getOther     outcome
		canManage    bool // viewerCanManage on the configuration of Call
		update       outcome
		createOnBare outcome
		setOnBare    outcome
		deleteOwn    outcome
	}
	rows := []row{
		{coretest.Anonymous, -1, -1, unauth, unauth, false, unauth, unauth, unauth, unauth},
		{coretest.Staff, 2, 3, ok, ok, true, ok, ok, ok, ok},
		{coretest.Support, 2, 3, ok, ok, false, forbidden, forbidden, forbidden, forbidden},
		{coretest.Manager, 1, 2, ok, notFound, true, ok, ok, ok, ok},
		{coretest.Reviewer, 1, 1, ok, notFound, false, forbidden, badCall, notFound, forbidden},
		{coretest.PanelMember, 1, 1, ok, notFound, false, forbidden, badCall, notFound, forbidden},
		{coretest.OrganizerRole, 1, 1, ok, notFound, true, ok, badCall, notFound, ok},
		{coretest.OrganizerNoRole, 0, 0, notFound, notFound, false, notFound, badCall, notFound, notFound},
		{coretest.Outsider, 0, 0, notFound, notFound, false, notFound, badCall, notFound, notFound},
	}
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			for _, r := range rows {
				t.Run(r.actor, func(t *testing.T) {
					w := coretest.Build(t, dbtest.Open(t, dbtest.NewURL(t, kind)))
					ctx := context.Background()
					a := w.Actor(t, r.actor)
					svc := w.Svc

					_, total, err := svc.ListConfigsPage(ctx, a, core.ConfigFilter{}, 0, 10)
					if r.listed < 0 {
						assertOutcome(t, "list", err, unauth)
					} else if err != nil || total != r.listed {
						t.Errorf("list: total %d, err %v; want %d", total, err, r.listed)
					}
					_, calls, err := svc.ListCallsPage(ctx, a, core.CallFilter{}, 0, 10)
					if r.calls < 0 {
						assertOutcome(t, "calls", err, unauth)
					} else if err != nil || calls != r.calls {
						t.Errorf("calls: total %d, err %v; want %d", calls, err, r.calls)
					}
					cfg, err := svc.GetConfig(ctx, a, w.Config)
					assertOutcome(t, "get own", err, r.getOwn)
					if err == nil && cfg.ViewerCanManage != r.canManage {
						t.Errorf("viewerCanManage = %v, want %v", cfg.ViewerCanManage, r.canManage)
					}
					_, err = svc.GetConfig(ctx, a, w.OtherCf)
					assertOutcome(t, "get other", err, r.getOther)
					_, err = svc.UpdateConfig(ctx, a, w.Config, core.Patch{MaxAutoReassignAttempts: core.Some[int64](4)}, core.Precondition{})
					assertOutcome(t, "update", err, r.update)
					_, err = svc.CreateConfig(ctx, a, core.Some(w.Bare), core.Patch{})
					assertOutcome(t, "create", err, r.createOnBare)
					if r.createOnBare == ok {
						// The second create on the same call is refused by uniqueness.
						_, err = svc.CreateConfig(ctx, a, core.Some(w.Bare), core.Patch{})
						if e := core.AsError(err); e.Kind != core.KindInvalid || e.Fields[core.FieldCall][0] != core.MsgCallHasConfig {
							t.Errorf("second create: %v", err)
						}
					}
					_, _, err = svc.SetConfigForCall(ctx, a, w.Bare, core.Patch{AssignmentExpirationDays: core.Some[int64](10)})
					assertOutcome(t, "set for call", err, r.setOnBare)
					err = svc.DeleteConfig(ctx, a, w.Config, core.Precondition{})
					assertOutcome(t, "delete", err, r.deleteOwn)
					if r.deleteOwn == ok {
						_, err := svc.GetConfig(ctx, w.Actor(t, coretest.Staff), w.Config)
						assertOutcome(t, "get after delete", err, notFound)
					}
				})
			}
		})
	}
}

func assertOutcome(t *testing.T, op string, err error, want outcome) {
	t.Helper()
	if got := outcomeOf(t, err); got != want {
		t.Errorf("%s: got %s (%v), want %s", op, got, err, want)
	}
}

func TestCreateChecksCallBeforeValues(t *testing.T) {
	dbtest.EachDB(t, func(t *testing.T, bdb *bun.DB) {
		w := coretest.Build(t, bdb)
		ctx := context.Background()
		bad := core.Patch{MaxAutoReassignAttempts: core.Some[int64](-1)}
		cases := []struct {
			name   string
			actor  string
			call   core.Opt[uuid.UUID]
			kind   core.Kind
			fields core.FieldErrors
		}{
			{"missing call and bad value", coretest.Staff, core.Opt[uuid.UUID]{}, core.KindInvalid,
				core.FieldErrors{"call": {core.MsgRequired}, "max_auto_reassign_attempts": {core.MsgMinValue}}},
			{"null call", coretest.Staff, core.Null[uuid.UUID](), core.KindInvalid,
				core.FieldErrors{"call": {core.MsgNull}, "max_auto_reassign_attempts": {core.MsgMinValue}}},
			{"unknown call", coretest.Staff, core.Some(uuid.New()), core.KindInvalid,
				core.FieldErrors{"call": {core.MsgCallDoesNotExist}, "max_auto_reassign_attempts": {core.MsgMinValue}}},
			{"invisible call", coretest.Outsider, core.Some(w.Bare), core.KindInvalid,
				core.FieldErrors{"call": {core.MsgCallDoesNotExist}, "max_auto_reassign_attempts": {core.MsgMinValue}}},
			{"visible, not manageable: 403 before the values", coretest.Support, core.Some(w.Bare), core.KindForbidden, nil},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := w.Svc.CreateConfig(ctx, w.Actor(t, c.actor), c.call, bad)
				e := core.AsError(err)
				if e.Kind != c.kind {
					t.Fatalf("kind %v, want %v (%v)", e.Kind, c.kind, err)
				}
				assertFields(t, e.Fields, c.fields)
			})
		}
	})
}

func assertFields(t *testing.T, got, want core.FieldErrors) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("fields %v, want %v", got, want)
	}
	for f, msgs := range want {
		if len(got[f]) != len(msgs) {
			t.Fatalf("field %s: %v, want %v", f, got[f], msgs)
		}
		for i := range msgs {
			if got[f][i] != msgs[i] {
				t.Fatalf("field %s: %v, want %v", f, got[f], msgs)
			}
		}
	}
}
