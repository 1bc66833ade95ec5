package server_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"

	"github.com/callcfg/callcfg/core/coretest"
	"github.com/callcfg/callcfg/server/servertest"
)

// TestCrossFace: GraphQL and REST are two faces of one core. A change
// through one is seen by the other at once, both count the same, and both
// give the same messages for the same mistake.
func TestCrossFace(t *testing.T) {
	servertest.Each(t, func(t *testing.T, s *servertest.Env) {
		w := s.W
		const m = coretest.Manager
		e := crossFace{s: s, t: t}
		detail := "/api/call-assignment-configurations/" + hex32(w.Config) + "/"

		t.Run("GraphQL update seen by REST", func(t *testing.T) {
			r := e.do(m, updateMutation, map[string]any{"in": map[string]any{"uuid": hex32(w.Config), "maxAutoReassignAttempts": 11}}).ok(t)
			res, body := s.Call(t, m, http.MethodGet, detail, nil)
			p := "updateCallAssignmentConfiguration.callAssignmentConfiguration."
			if res.StatusCode != http.StatusOK || servertest.Dig(body, "max_auto_reassign_attempts") != 11.0 ||
				servertest.Dig(body, "modified") != r.str(p+"modified") || servertest.Dig(body, "created") != r.str(p+"created") {
				t.Fatalf("REST after GraphQL update: %d %v vs %s", res.StatusCode, body, r.Raw)
			}
		})

		t.Run("REST update seen by GraphQL", func(t *testing.T) {
			res, body := s.Call(t, m, http.MethodPatch, detail, map[string]any{"assignment_expiration_days": 21})
			if res.StatusCode != http.StatusOK {
				t.Fatalf("PATCH: %d %v", res.StatusCode, body)
			}
			r := e.do(m, `query($u: UUID!) { callAssignmentConfiguration(uuid: $u) { uuid assignmentExpirationDays maxAutoReassignAttempts modified call { uuid name url } } }`,
				map[string]any{"u": hex32(w.Config)}).ok(t)
			c := "callAssignmentConfiguration."
			if r.get(c+"assignmentExpirationDays") != 21.0 || r.get(c+"maxAutoReassignAttempts") != 11.0 ||
				r.str(c+"modified") != servertest.Dig(body, "modified") || r.str(c+"uuid") != servertest.Dig(body, "uuid") ||
				r.str(c+"call.url") != servertest.Dig(body, "call") || r.str(c+"call.uuid") != servertest.Dig(body, "call_uuid") ||
				r.str(c+"call.name") != servertest.Dig(body, "call_name") {
				t.Fatalf("GraphQL after REST PATCH: %s vs %v", r.Raw, body)
			}
			// The call link GraphQL gives leads to the call in REST.
			res, call := s.Call(t, m, http.MethodGet, "/api/proposal-protected-calls/"+hex32(w.Call)+"/", nil)
			if res.StatusCode != http.StatusOK || servertest.Dig(call, "uuid") != hex32(w.Call) {
				t.Fatalf("call link: %d %v", res.StatusCode, call)
			}
		})

		t.Run("GraphQL upsert and REST delete", func(t *testing.T) {
			r := e.do(m, `mutation($c: UUID!) { setCallAssignmentConfigurationForCall(input: {callUuid: $c, sendReminderBeforeExpiryDays: 4}) {
				callAssignmentConfiguration { uuid } } }`, map[string]any{"c": hex32(w.Bare)}).ok(t)
			u := r.str("setCallAssignmentConfigurationForCall.callAssignmentConfiguration.uuid")
			res, body := s.Call(t, m, http.MethodGet, "/api/call-assignment-configurations/?call_uuid="+hex32(w.Bare), nil)
			if res.StatusCode != http.StatusOK || servertest.Dig(body, "0.uuid") != u || servertest.Dig(body, "0.send_reminder_before_expiry_days") != 4.0 {
				t.Fatalf("REST after GraphQL upsert: %d %v", res.StatusCode, body)
			}
			if res, body := s.Call(t, m, http.MethodDelete, "/api/call-assignment-configurations/"+u+"/", nil); res.StatusCode != http.StatusNoContent {
				t.Fatalf("REST delete: %d %v", res.StatusCode, body)
			}
			r = e.do(m, `query($c: UUID!) { call(uuid: $c) { assignmentConfiguration { uuid } effectiveAssignmentSettings { isDefault } } }`,
				map[string]any{"c": hex32(w.Bare)}).ok(t)
			if r.get("call.assignmentConfiguration") != nil || r.get("call.effectiveAssignmentSettings.isDefault") != true {
				t.Fatalf("GraphQL after REST delete: %s", r.Raw)
			}
		})

		t.Run("REST create seen by GraphQL, GraphQL delete seen by REST", func(t *testing.T) {
			res, body := s.Call(t, m, http.MethodPost, "/api/call-assignment-configurations/", map[string]any{"call": hex32(w.Bare), "max_auto_reassign_attempts": 8})
			if res.StatusCode != http.StatusCreated {
				t.Fatalf("POST: %d %v", res.StatusCode, body)
			}
			u, _ := servertest.Dig(body, "uuid").(string)
			r := e.do(m, `query($c: UUID!) { call(uuid: $c) { assignmentConfiguration { uuid maxAutoReassignAttempts created } } }`,
				map[string]any{"c": hex32(w.Bare)}).ok(t)
			if r.str("call.assignmentConfiguration.uuid") != u || r.get("call.assignmentConfiguration.maxAutoReassignAttempts") != 8.0 ||
				r.str("call.assignmentConfiguration.created") != servertest.Dig(body, "created") {
				t.Fatalf("GraphQL after REST create: %s vs %v", r.Raw, body)
			}
			e.do(m, `mutation($u: UUID!) { deleteCallAssignmentConfiguration(input: {uuid: $u}) { deletedUuid } }`, map[string]any{"u": u}).ok(t)
			if res, body := s.Call(t, m, http.MethodGet, "/api/call-assignment-configurations/"+u+"/", nil); res.StatusCode != http.StatusNotFound {
				t.Fatalf("REST after GraphQL delete: %d %v", res.StatusCode, body)
			}
		})

		t.Run("the same messages for the same mistakes", func(t *testing.T) {
			res, body := s.Call(t, m, http.MethodPatch, detail, map[string]any{"max_auto_reassign_attempts": -1, "send_reminder_before_expiry_days": nil})
			if res.StatusCode != http.StatusBadRequest {
				t.Fatalf("REST PATCH: %d %v", res.StatusCode, body)
			}
			r := e.do(m, updateMutation, map[string]any{"in": map[string]any{"uuid": hex32(w.Config), "maxAutoReassignAttempts": -1, "sendReminderBeforeExpiryDays": nil}})
			fields, _ := r.failsWith(t, "BAD_USER_INPUT").Extensions["fields"].(map[string]any)
			restErrs, _ := body.(map[string]any)
			if len(fields) != len(restErrs) || len(fields) != 2 {
				t.Fatalf("GraphQL %v, REST %v", fields, restErrs)
			}
			for _, f := range fields {
				rest := servertest.Dig(f, "restField").(string)
				if servertest.Dig(f, "messages.0") != servertest.Dig(restErrs, rest+".0") {
					t.Fatalf("%s: GraphQL %v, REST %v", rest, f, restErrs[rest])
				}
			}
			// Naming a call one may not see.
			res, body = s.Call(t, coretest.Reviewer, http.MethodPost, "/api/call-assignment-configurations/", map[string]any{"call": hex32(w.Bare)})
			r = e.do(coretest.Reviewer, `mutation($c: UUID!) { createCallAssignmentConfiguration(input: {callUuid: $c}) { clientMutationId } }`,
				map[string]any{"c": hex32(w.Bare)})
			if res.StatusCode != http.StatusBadRequest || servertest.Dig(r.failsWith(t, "BAD_USER_INPUT").Extensions, "fields.callUuid.messages.0") != servertest.Dig(body, "call.0") {
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
					res, body := s.Call(t, actor, http.MethodGet, route.path, nil)
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

// The mutation both faces' tests change a configuration with.
const updateMutation = `mutation($in: UpdateCallAssignmentConfigurationInput!) {
	updateCallAssignmentConfiguration(input: $in) { callAssignmentConfiguration { uuid created modified maxAutoReassignAttempts } } }`

// crossFace sends GraphQL requests for a test that compares the faces.
type crossFace struct {
	s *servertest.Env
	t *testing.T
}

type gqlErr struct {
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions"`
}

func (e gqlErr) code() string { c, _ := e.Extensions["code"].(string); return c }

type gqlReply struct {
	Raw    string
	Data   any      `json:"data"`
	Errors []gqlErr `json:"errors"`
}

func (e crossFace) do(actor, query string, vars map[string]any) *gqlReply {
	e.t.Helper()
	_, body := e.s.GraphQL(e.t, actor, query, vars)
	raw, _ := json.Marshal(body)
	r := &gqlReply{Raw: string(raw)}
	if err := json.Unmarshal(raw, r); err != nil {
		e.t.Fatalf("GraphQL answer %s: %v", raw, err)
	}
	return r
}

func (r *gqlReply) ok(t *testing.T) *gqlReply {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("want success, got %s", r.Raw)
	}
	return r
}

func (r *gqlReply) failsWith(t *testing.T, code string) gqlErr {
	t.Helper()
	if len(r.Errors) != 1 || r.Errors[0].code() != code {
		t.Fatalf("want one %s error, got %s", code, r.Raw)
	}
	return r.Errors[0]
}

func (r *gqlReply) get(path string) any { return servertest.Dig(r.Data, path) }

func (r *gqlReply) str(path string) string { v, _ := r.get(path).(string); return v }
