package rest_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/callcfg/callcfg/core"
	ct "github.com/callcfg/callcfg/core/coretest"
)

// TestPermissionMatrix: every actor × every operation, status and body.
// Before each cell the world is put back (Call configured, Bare not), so
// each cell says what that actor may do on its own.
func TestPermissionMatrix(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, e *env) {
		base := e.srv.URL
		staff := e.w.Actor(t, ct.Staff)
		cfgID := e.w.Config // changes when a cell deletes and the reset recreates it
		reset := func() {
			if e.configOf(t, e.w.Call) == nil {
				c, err := e.w.Svc.CreateConfig(t.Context(), staff, core.Some(e.w.Call), core.Patch{})
				if err != nil {
					t.Fatal(err)
				}
				cfgID = c.UUID
			}
			if c := e.configOf(t, e.w.Bare); c != nil {
				if err := e.w.Svc.DeleteConfig(t.Context(), staff, c.UUID, core.Precondition{}); err != nil {
					t.Fatal(err)
				}
			}
		}
		configs := func(ids ...*uuid.UUID) func() string {
			return func() string {
				items := make([]string, len(ids))
				for i, id := range ids {
					items[i] = wantConfig(base, e.config(t, *id))
				}
				return list(items...)
			}
		}
		calls := func(ids ...uuid.UUID) func() string {
			return func() string {
				items := make([]string, len(ids))
				for i, id := range ids {
					items[i] = wantCall(base, e.call(t, id))
				}
				return list(items...)
			}
		}
		current := func() string { return wantConfig(base, e.config(t, cfgID)) }
		other := func() string { return wantConfig(base, e.config(t, e.w.OtherCf)) }
		created := func() string { return wantConfig(base, e.configOf(t, e.w.Bare)) }
		call := func(id uuid.UUID) func() string { return func() string { return wantCall(base, e.call(t, id)) } }
		empty := func() string { return "" }
		fixed := func(s string) func() string { return func() string { return s } }

		unauth := fixed(detail(core.MsgNotAuthenticated))
		forbidden := fixed(detail(core.MsgForbidden))
		noConfig := fixed(detail(core.MsgConfigNotFound))
		noCall := fixed(detail(core.MsgCallNotFound))
		dne := fixed(`{"call":["Invalid hyperlink - Object does not exist."]}`)
		exists := fixed(`{"call":["call assignment configuration with this call already exists."]}`)
		negative := fixed(`{"max_auto_reassign_attempts":["Ensure this value is greater than or equal to 0."]}`)

		type cell struct {
			status int
			body   func() string
		}
		ok := func(body func() string) cell { return cell{200, body} }
		c401, c403 := cell{401, unauth}, cell{403, forbidden}
		cfg404, call404 := cell{404, noConfig}, cell{404, noCall}

		ops := []struct {
			name string
			req  func() req
			want map[string]cell
		}{
			{"list", func() req { return req{method: "GET", path: listPath} }, map[string]cell{
				ct.Anonymous: c401, ct.Staff: ok(configs(&e.w.OtherCf, &cfgID)), ct.Support: ok(configs(&e.w.OtherCf, &cfgID)),
				ct.Manager: ok(configs(&cfgID)), ct.Reviewer: ok(configs(&cfgID)), ct.PanelMember: ok(configs(&cfgID)),
				ct.OrganizerRole: ok(configs(&cfgID)), ct.OrganizerNoRole: ok(fixed("[]")), ct.Outsider: ok(fixed("[]")),
			}},
			{"retrieve", func() req { return req{method: "GET", path: configPath(cfgID)} }, map[string]cell{
				ct.Anonymous: c401, ct.Staff: ok(current), ct.Support: ok(current), ct.Manager: ok(current), ct.Reviewer: ok(current),
				ct.PanelMember: ok(current), ct.OrganizerRole: ok(current), ct.OrganizerNoRole: cfg404, ct.Outsider: cfg404,
			}},
			{"retrieve unrelated", func() req { return req{method: "GET", path: configPath(e.w.OtherCf)} }, map[string]cell{
				ct.Anonymous: c401, ct.Staff: ok(other), ct.Support: ok(other), ct.Manager: cfg404, ct.Reviewer: cfg404,
				ct.PanelMember: cfg404, ct.OrganizerRole: cfg404, ct.OrganizerNoRole: cfg404, ct.Outsider: cfg404,
			}},
			{"create", func() req {
				return req{method: "POST", path: listPath, body: `{"call": "` + base + callPath(e.w.Bare) + `"}`}
			}, map[string]cell{
				ct.Anonymous: c401, ct.Staff: {201, created}, ct.Support: c403, ct.Manager: {201, created}, ct.Reviewer: {400, dne},
				ct.PanelMember: {400, dne}, ct.OrganizerRole: {400, dne}, ct.OrganizerNoRole: {400, dne}, ct.Outsider: {400, dne},
			}},
			{"create for a configured call", func() req {
				return req{method: "POST", path: listPath, body: `{"call": "` + hexID(e.w.Call) + `"}`}
			}, map[string]cell{
				ct.Anonymous: c401, ct.Staff: {400, exists}, ct.Support: c403, ct.Manager: {400, exists}, ct.Reviewer: c403,
				ct.PanelMember: c403, ct.OrganizerRole: {400, exists}, ct.OrganizerNoRole: {400, dne}, ct.Outsider: {400, dne},
			}},
			{"PUT", func() req {
				return req{method: "PUT", path: configPath(cfgID), body: `{"max_auto_reassign_attempts": 4}`}
			}, map[string]cell{
				ct.Anonymous: c401, ct.Staff: ok(current), ct.Support: c403, ct.Manager: ok(current), ct.Reviewer: c403,
				ct.PanelMember: c403, ct.OrganizerRole: ok(current), ct.OrganizerNoRole: cfg404, ct.Outsider: cfg404,
			}},
			{"PATCH", func() req {
				return req{method: "PATCH", path: configPath(cfgID), body: `{"auto_reassign_on_decline": true}`}
			}, map[string]cell{
				ct.Anonymous: c401, ct.Staff: ok(current), ct.Support: c403, ct.Manager: ok(current), ct.Reviewer: c403,
				ct.PanelMember: c403, ct.OrganizerRole: ok(current), ct.OrganizerNoRole: cfg404, ct.Outsider: cfg404,
			}},
			{"PATCH invalid (401 → 404 → 403 → 400)", func() req {
				return req{method: "PATCH", path: configPath(cfgID), body: `{"max_auto_reassign_attempts": -1}`}
			}, map[string]cell{
				ct.Anonymous: c401, ct.Staff: {400, negative}, ct.Support: c403, ct.Manager: {400, negative}, ct.Reviewer: c403,
				ct.PanelMember: c403, ct.OrganizerRole: {400, negative}, ct.OrganizerNoRole: cfg404, ct.Outsider: cfg404,
			}},
			{"PATCH unrelated", func() req {
				return req{method: "PATCH", path: configPath(e.w.OtherCf), body: `{"max_auto_reassign_attempts": 6}`}
			}, map[string]cell{
				ct.Anonymous: c401, ct.Staff: ok(other), ct.Support: c403, ct.Manager: cfg404, ct.Reviewer: cfg404,
				ct.PanelMember: cfg404, ct.OrganizerRole: cfg404, ct.OrganizerNoRole: cfg404, ct.Outsider: cfg404,
			}},
			{"DELETE", func() req { return req{method: "DELETE", path: configPath(cfgID)} }, map[string]cell{
				ct.Anonymous: c401, ct.Staff: {204, empty}, ct.Support: c403, ct.Manager: {204, empty}, ct.Reviewer: c403,
				ct.PanelMember: c403, ct.OrganizerRole: {204, empty}, ct.OrganizerNoRole: cfg404, ct.Outsider: cfg404,
			}},
			{"calls list", func() req { return req{method: "GET", path: "/api/proposal-protected-calls/"} }, map[string]cell{
				ct.Anonymous: c401, ct.Staff: ok(calls(e.w.Bare, e.w.Other, e.w.Call)), ct.Support: ok(calls(e.w.Bare, e.w.Other, e.w.Call)),
				ct.Manager: ok(calls(e.w.Bare, e.w.Call)), ct.Reviewer: ok(calls(e.w.Call)), ct.PanelMember: ok(calls(e.w.Call)),
				ct.OrganizerRole: ok(calls(e.w.Call)), ct.OrganizerNoRole: ok(fixed("[]")), ct.Outsider: ok(fixed("[]")),
			}},
			{"call detail", func() req { return req{method: "GET", path: callPath(e.w.Call)} }, map[string]cell{
				ct.Anonymous: c401, ct.Staff: ok(call(e.w.Call)), ct.Support: ok(call(e.w.Call)), ct.Manager: ok(call(e.w.Call)),
				ct.Reviewer: ok(call(e.w.Call)), ct.PanelMember: ok(call(e.w.Call)), ct.OrganizerRole: ok(call(e.w.Call)),
				ct.OrganizerNoRole: call404, ct.Outsider: call404,
			}},
			{"unconfigured call detail", func() req { return req{method: "GET", path: callPath(e.w.Bare)} }, map[string]cell{
				ct.Anonymous: c401, ct.Staff: ok(call(e.w.Bare)), ct.Support: ok(call(e.w.Bare)), ct.Manager: ok(call(e.w.Bare)),
				ct.Reviewer: call404, ct.PanelMember: call404, ct.OrganizerRole: call404, ct.OrganizerNoRole: call404, ct.Outsider: call404,
			}},
		}
		cells := 0
		for _, op := range ops {
			for _, actor := range ct.Actors {
				want, found := op.want[actor]
				if !found {
					t.Fatalf("%s: no expectation for %s", op.name, actor)
				}
				reset()
				r := op.req()
				r.token = actor
				res := e.do(t, r)
				res.check(t, op.name+" as "+actor, want.status, want.body())
				if want.status == 401 && res.header.Get("WWW-Authenticate") != "Token" {
					t.Errorf("%s as %s: 401 without WWW-Authenticate", op.name, actor)
				}
				cells++
			}
		}
		if len(ct.Actors) != 9 || cells != len(ops)*9 {
			t.Fatalf("ran %d cells for %d actors", cells, len(ct.Actors))
		}
	})
}
