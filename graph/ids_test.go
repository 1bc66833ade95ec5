package graph_test

import (
	"encoding/base64"
	"testing"

	"github.com/callcfg/callcfg/core/coretest"
)

// TestGlobalIDs: User is a Node like the others, so that me normalises in
// Apollo's and Relay's caches, and every mutation input that names a
// configuration or a call takes its global id as well as its uuid, exactly
// one of the two.
func TestGlobalIDs(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w, staff := e.w, coretest.Staff
		const me = `{ me { id uuid username } }`
		const node = `query($id: ID!) { node(id: $id) { __typename id ... on User { username } } }`

		t.Run("me has a global id that node refetches, for that user only", func(t *testing.T) {
			r := e.do(coretest.Manager, me, nil).ok(t)
			id := r.str("me.id")
			if raw, _ := base64.RawURLEncoding.DecodeString(id); string(raw) != "User:"+r.str("me.uuid") {
				t.Fatalf("me.id %q is not a User's global id: %s", id, r.Raw)
			}
			n := e.do(coretest.Manager, node, map[string]any{"id": id}).ok(t)
			if n.str("node.__typename") != "User" || n.str("node.id") != id || n.str("node.username") != coretest.Manager {
				t.Fatalf("node(me.id): %s", n.Raw)
			}
			// Another user, staff included, gets null: no face shows users.
			for _, other := range []string{staff, coretest.Reviewer} {
				if n := e.do(other, node, map[string]any{"id": id}).ok(t); n.get("node") != nil {
					t.Fatalf("%s refetched the manager: %s", other, n.Raw)
				}
			}
			e.do(coretest.Anonymous, node, map[string]any{"id": id}).failsWith(t, "UNAUTHENTICATED")
		})

		cfg := e.do(staff, `query($u: UUID!) { callAssignmentConfiguration(uuid: $u) { id uuid modified call { id uuid } } }`,
			map[string]any{"u": hex(w.Config)}).ok(t)
		cfgID, callID := cfg.str("callAssignmentConfiguration.id"), cfg.str("callAssignmentConfiguration.call.id")
		bare := e.do(staff, `query($u: UUID!) { call(uuid: $u) { id } }`, map[string]any{"u": hex(w.Bare)}).ok(t)
		bareID := bare.str("call.id")
		unknownCallID := base64.RawURLEncoding.EncodeToString([]byte("Call:0123456789abcdef0123456789abcdef"))

		const (
			update = `mutation($in: UpdateCallAssignmentConfigurationInput!) { updateCallAssignmentConfiguration(input: $in) { callAssignmentConfiguration { id maxAutoReassignAttempts } } }`
			del    = `mutation($in: DeleteCallAssignmentConfigurationInput!) { deleteCallAssignmentConfiguration(input: $in) { deletedId deletedUuid } }`
			create = `mutation($in: CreateCallAssignmentConfigurationInput!) { createCallAssignmentConfiguration(input: $in) { callAssignmentConfiguration { id call { id } } } }`
			set    = `mutation($in: SetCallAssignmentConfigurationForCallInput!) { setCallAssignmentConfigurationForCall(input: $in) { created callAssignmentConfiguration { id call { id } } } }`
		)
		refused := []struct {
			name, query string
			in          map[string]any
			want        map[string]string // field/restField → first message
		}{
			{"update naming neither", update, map[string]any{"maxAutoReassignAttempts": 1},
				map[string]string{"uuid/uuid": "Give either uuid or id.", "id/uuid": "Give either uuid or id."}},
			{"update naming both", update, map[string]any{"uuid": hex(w.Config), "id": cfgID},
				map[string]string{"uuid/uuid": "Give uuid or id, not both.", "id/uuid": "Give uuid or id, not both."}},
			{"update by a call's id", update, map[string]any{"id": callID},
				map[string]string{"id/uuid": "Not the global id of a CallAssignmentConfiguration."}},
			{"update by no global id at all", update, map[string]any{"id": "not an id"},
				map[string]string{"id/uuid": "Not the global id of a CallAssignmentConfiguration."}},
			{"delete naming neither", del, map[string]any{},
				map[string]string{"uuid/uuid": "Give either uuid or id.", "id/uuid": "Give either uuid or id."}},
			{"delete naming both", del, map[string]any{"uuid": hex(w.Config), "id": cfgID},
				map[string]string{"uuid/uuid": "Give uuid or id, not both.", "id/uuid": "Give uuid or id, not both."}},
			{"create naming both", create, map[string]any{"callUuid": hex(w.Bare), "callId": bareID},
				map[string]string{"callUuid/call": "Give callUuid or callId, not both.", "callId/call": "Give callUuid or callId, not both."}},
			{"create by a configuration's id", create, map[string]any{"callId": cfgID},
				map[string]string{"callId/call": "Not the global id of a Call."}},
			// The core's own error about the call is shown on the field the
			// client used.
			{"create by the id of a call that does not exist", create, map[string]any{"callId": unknownCallID},
				map[string]string{"callId/call": "Invalid hyperlink - Object does not exist."}},
			{"create by the id of a call that has a configuration", create, map[string]any{"callId": callID},
				map[string]string{"callId/call": "call assignment configuration with this call already exists."}},
			{"set naming neither", set, map[string]any{"maxAutoReassignAttempts": 1},
				map[string]string{"callUuid/call": "Give either callUuid or callId.", "callId/call": "Give either callUuid or callId."}},
			{"set by a configuration's id", set, map[string]any{"callId": cfgID},
				map[string]string{"callId/call": "Not the global id of a Call."}},
		}
		for _, c := range refused {
			t.Run(c.name, func(t *testing.T) {
				got := fieldMessages(t, e.do(staff, c.query, map[string]any{"in": c.in}))
				if len(got) != len(c.want) {
					t.Fatalf("fields %v, want %v", got, c.want)
				}
				for k, msg := range c.want {
					if got[k] != msg {
						t.Fatalf("%s: %q, want %q (all: %v)", k, got[k], msg, got)
					}
				}
			})
		}
		// Nothing refused changed anything.
		if r := e.do(staff, `query($u: UUID!) { call(uuid: $u) { assignmentConfiguration { uuid } } }`, map[string]any{"u": hex(w.Bare)}).ok(t); r.get("call.assignmentConfiguration") != nil {
			t.Fatalf("a refused mutation created a configuration: %s", r.Raw)
		}

		t.Run("update, delete, create and set by global id", func(t *testing.T) {
			r := e.do(staff, update, map[string]any{"in": map[string]any{"id": cfgID, "maxAutoReassignAttempts": 9}}).ok(t)
			if p := "updateCallAssignmentConfiguration.callAssignmentConfiguration."; r.str(p+"id") != cfgID || r.get(p+"maxAutoReassignAttempts") != 9.0 {
				t.Fatalf("update by id: %s", r.Raw)
			}
			r = e.do(staff, set, map[string]any{"in": map[string]any{"callId": callID, "maxAutoReassignAttempts": 4}}).ok(t)
			if p := "setCallAssignmentConfigurationForCall."; r.get(p+"created") != false || r.str(p+"callAssignmentConfiguration.id") != cfgID {
				t.Fatalf("set by callId: %s", r.Raw)
			}
			r = e.do(staff, del, map[string]any{"in": map[string]any{"id": cfgID}}).ok(t)
			if r.str("deleteCallAssignmentConfiguration.deletedId") != cfgID || r.str("deleteCallAssignmentConfiguration.deletedUuid") != hex(w.Config) {
				t.Fatalf("delete by id: %s", r.Raw)
			}
			created := e.do(staff, create, map[string]any{"in": map[string]any{"callId": callID}}).ok(t)
			if created.str("createCallAssignmentConfiguration.callAssignmentConfiguration.call.id") != callID {
				t.Fatalf("create by callId: %s", created.Raw)
			}
			r = e.do(staff, set, map[string]any{"in": map[string]any{"callId": bareID}}).ok(t)
			if p := "setCallAssignmentConfigurationForCall."; r.get(p+"created") != true || r.str(p+"callAssignmentConfiguration.call.id") != bareID {
				t.Fatalf("set by callId creating: %s", r.Raw)
			}
			// Permissions are the core's whichever way the object is named:
			// a reviewer of the call still may not change its configuration.
			newID := created.str("createCallAssignmentConfiguration.callAssignmentConfiguration.id")
			e.do(coretest.Reviewer, update, map[string]any{"in": map[string]any{"id": newID, "maxAutoReassignAttempts": 1}}).failsWith(t, "FORBIDDEN")
		})
	})
}
