package graph_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/callcfg/callcfg/core/coretest"
)

// TestCrossFace: GraphQL and REST are two faces of one core. A change
// through one is seen by the other at once, both count the same, and both
// give the same messages for the same mistake.
func TestCrossFace(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := e.w
		const m = coretest.Manager
		detail := "/api/call-assignment-configurations/" + hex(w.Config) + "/"

		t.Run("GraphQL update seen by REST", func(t *testing.T) {
			r := e.do(m, updateMutation, map[string]any{"in": map[string]any{"uuid": hex(w.Config), "maxAutoReassignAttempts": 11}}).ok(t)
			res, body := e.rest(t, m, http.MethodGet, detail, nil)
			p := "updateCallAssignmentConfiguration.callAssignmentConfiguration."
			if res.StatusCode != http.StatusOK || dig(body, "max_auto_reassign_attempts") != 11.0 ||
				dig(body, "modified") != r.str(p+"modified") || dig(body, "created") != r.str(p+"created") {
				t.Fatalf("REST after GraphQL update: %d %v vs %s", res.StatusCode, body, r.Raw)
			}
		})

		t.Run("REST update seen by GraphQL", func(t *testing.T) {
			res, body := e.rest(t, m, http.MethodPatch, detail, map[string]any{"assignment_expiration_days": 21})
			if res.StatusCode != http.StatusOK {
				t.Fatalf("PATCH: %d %v", res.StatusCode, body)
			}
			r := e.do(m, `query($u: UUID!) { callAssignmentConfiguration(uuid: $u) { uuid assignmentExpirationDays maxAutoReassignAttempts modified call { uuid name url } } }`,
				map[string]any{"u": hex(w.Config)}).ok(t)
			c := "callAssignmentConfiguration."
			if r.get(c+"assignmentExpirationDays") != 21.0 || r.get(c+"maxAutoReassignAttempts") != 11.0 ||
				r.str(c+"modified") != dig(body, "modified") || r.str(c+"uuid") != dig(body, "uuid") ||
				r.str(c+"call.url") != dig(body, "call") || r.str(c+"call.uuid") != dig(body, "call_uuid") ||
				r.str(c+"call.name") != dig(body, "call_name") {
				t.Fatalf("GraphQL after REST PATCH: %s vs %v", r.Raw, body)
			}
			// The call link GraphQL gives leads to the call in REST.
			res, call := e.rest(t, m, http.MethodGet, "/api/proposal-protected-calls/"+hex(w.Call)+"/", nil)
			if res.StatusCode != http.StatusOK || dig(call, "uuid") != hex(w.Call) {
				t.Fatalf("call link: %d %v", res.StatusCode, call)
			}
		})

		t.Run("GraphQL upsert and REST delete", func(t *testing.T) {
			r := e.do(m, `mutation($c: UUID!) { setCallAssignmentConfigurationForCall(input: {callUuid: $c, sendReminderBeforeExpiryDays: 4}) {
				callAssignmentConfiguration { uuid } } }`, map[string]any{"c": hex(w.Bare)}).ok(t)
			u := r.str("setCallAssignmentConfigurationForCall.callAssignmentConfiguration.uuid")
			res, body := e.rest(t, m, http.MethodGet, "/api/call-assignment-configurations/?call_uuid="+hex(w.Bare), nil)
			if res.StatusCode != http.StatusOK || dig(body, "0.uuid") != u || dig(body, "0.send_reminder_before_expiry_days") != 4.0 {
				t.Fatalf("REST after GraphQL upsert: %d %v", res.StatusCode, body)
			}
			if res, body := e.rest(t, m, http.MethodDelete, "/api/call-assignment-configurations/"+u+"/", nil); res.StatusCode != http.StatusNoContent {
				t.Fatalf("REST delete: %d %v", res.StatusCode, body)
			}
			r = e.do(m, `query($c: UUID!) { call(uuid: $c) { assignmentConfiguration { uuid } effectiveAssignmentSettings { isDefault } } }`,
				map[string]any{"c": hex(w.Bare)}).ok(t)
			if r.get("call.assignmentConfiguration") != nil || r.get("call.effectiveAssignmentSettings.isDefault") != true {
				t.Fatalf("GraphQL after REST delete: %s", r.Raw)
			}
		})

		t.Run("REST create seen by GraphQL, GraphQL delete seen by REST", func(t *testing.T) {
			res, body := e.rest(t, m, http.MethodPost, "/api/call-assignment-configurations/", map[string]any{"call": hex(w.Bare), "max_auto_reassign_attempts": 8})
			if res.StatusCode != http.StatusCreated {
				t.Fatalf("POST: %d %v", res.StatusCode, body)
			}
			u, _ := dig(body, "uuid").(string)
			r := e.do(m, `query($c: UUID!) { call(uuid: $c) { assignmentConfiguration { uuid maxAutoReassignAttempts created } } }`,
				map[string]any{"c": hex(w.Bare)}).ok(t)
			if r.str("call.assignmentConfiguration.uuid") != u || r.get("call.assignmentConfiguration.maxAutoReassignAttempts") != 8.0 ||
				r.str("call.assignmentConfiguration.created") != dig(body, "created") {
				t.Fatalf("GraphQL after REST create: %s vs %v", r.Raw, body)
			}
			e.do(m, `mutation($u: UUID!) { deleteCallAssignmentConfiguration(input: {uuid: $u}) { deletedUuid } }`, map[string]any{"u": u}).ok(t)
			if res, body := e.rest(t, m, http.MethodGet, "/api/call-assignment-configurations/"+u+"/", nil); res.StatusCode != http.StatusNotFound {
				t.Fatalf("REST after GraphQL delete: %d %v", res.StatusCode, body)
			}
		})

		t.Run("the same messages for the same mistakes", func(t *testing.T) {
			res, body := e.rest(t, m, http.MethodPatch, detail, map[string]any{"max_auto_reassign_attempts": -1, "send_reminder_before_expiry_days": nil})
			if res.StatusCode != http.StatusBadRequest {
				t.Fatalf("REST PATCH: %d %v", res.StatusCode, body)
			}
			r := e.do(m, updateMutation, map[string]any{"in": map[string]any{"uuid": hex(w.Config), "maxAutoReassignAttempts": -1, "sendReminderBeforeExpiryDays": nil}})
			fields, _ := r.failsWith(t, "BAD_USER_INPUT").Extensions["fields"].(map[string]any)
			restErrs, _ := body.(map[string]any)
			if len(fields) != len(restErrs) || len(fields) != 2 {
				t.Fatalf("GraphQL %v, REST %v", fields, restErrs)
			}
			for _, f := range fields {
				rest := dig(f, "restField").(string)
				if dig(f, "messages.0") != dig(restErrs, rest+".0") {
					t.Fatalf("%s: GraphQL %v, REST %v", rest, f, restErrs[rest])
				}
			}
			// Naming a call one may not see.
			res, body = e.rest(t, coretest.Reviewer, http.MethodPost, "/api/call-assignment-configurations/", map[string]any{"call": hex(w.Bare)})
			r = e.do(coretest.Reviewer, `mutation($c: UUID!) { createCallAssignmentConfiguration(input: {callUuid: $c}) { clientMutationId } }`,
				map[string]any{"c": hex(w.Bare)})
			if res.StatusCode != http.StatusBadRequest || dig(r.failsWith(t, "BAD_USER_INPUT").Extensions, "fields.callUuid.messages.0") != dig(body, "call.0") {
				t.Fatalf("invisible call: REST %d %v, GraphQL %s", res.StatusCode, body, r.Raw)
			}
		})

		t.Run("totalCount is REST's X-Result-Count for every actor", func(t *testing.T) {
			for _, actor := range coretest.Actors {
				r := e.do(actor, `{ callAssignmentConfigurations(first: 1) { totalCount } calls(first: 1) { totalCount } }`, nil)
				for _, route := range []struct{ path, field string }{
					{"/api/call-assignment-configurations/", "callAssignmentConfigurations.totalCount"},
					{"/api/proposal-protected-calls/", "calls.totalCount"},
				} {
					res, body := e.rest(t, actor, http.MethodGet, route.path, nil)
					if actor == coretest.Anonymous {
						if res.StatusCode != http.StatusUnauthorized || r.get("") != nil || r.Errors[0].code() != "UNAUTHENTICATED" {
							t.Fatalf("anonymous: REST %d, GraphQL %s", res.StatusCode, r.Raw)
						}
						continue
					}
					count, err := strconv.Atoi(res.Header.Get("X-Result-Count"))
					if err != nil || res.StatusCode != http.StatusOK {
						t.Fatalf("%s %s: %d %v", actor, route.path, res.StatusCode, body)
					}
					if r.ok(t).get(route.field) != float64(count) {
						t.Fatalf("%s: %s %v, REST X-Result-Count %d", actor, route.field, r.get(route.field), count)
					}
				}
			}
		})
	})
}
