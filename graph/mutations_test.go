package graph_test

import (
	"strings"
	"testing"

	"github.com/callcfg/callcfg/core/coretest"
)

const updateMutation = `mutation($in: UpdateCallAssignmentConfigurationInput!) {
	updateCallAssignmentConfiguration(input: $in) { clientMutationId callAssignmentConfiguration { ` + configFields + `
		call { uuid assignmentConfiguration { maxAutoReassignAttempts } effectiveAssignmentSettings { maxAutoReassignAttempts } } } } }`

// fieldMessages returns extensions.fields of a BAD_USER_INPUT error as
// "graphqlName/restName" → first message.
func fieldMessages(t *testing.T, r *response) map[string]string {
	t.Helper()
	err := r.failsWith(t, "BAD_USER_INPUT")
	fields, _ := err.Extensions["fields"].(map[string]any)
	out := map[string]string{}
	for name, v := range fields {
		rest, _ := dig(v, "restField").(string)
		msg, _ := dig(v, "messages.0").(string)
		out[name+"/"+rest] = msg
		if !strings.Contains(err.Message, name+": "+msg) {
			t.Fatalf("message %q does not name %s", err.Message, name)
		}
	}
	return out
}

func TestMutations(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := e.w
		const m = coretest.Manager

		t.Run("create takes the defaults and names the call", func(t *testing.T) {
			r := e.do(m, `mutation($c: UUID!) { createCallAssignmentConfiguration(input: {callUuid: $c, clientMutationId: "x1"}) {
				clientMutationId callAssignmentConfiguration { `+configFields+` call { uuid assignmentConfiguration { uuid } effectiveAssignmentSettings { isDefault } } } } }`,
				map[string]any{"c": w.Bare.String()}).ok(t)
			p := "createCallAssignmentConfiguration.callAssignmentConfiguration."
			if r.str("createCallAssignmentConfiguration.clientMutationId") != "x1" || r.get(p+"autoReassignOnDecline") != false ||
				r.get(p+"maxAutoReassignAttempts") != 3.0 || r.get(p+"assignmentExpirationDays") != 7.0 ||
				r.get(p+"sendReminderBeforeExpiryDays") != 2.0 || r.str(p+"call.uuid") != hex(w.Bare) ||
				r.str(p+"call.assignmentConfiguration.uuid") != r.str(p+"uuid") || r.get(p+"call.effectiveAssignmentSettings.isDefault") != false ||
				r.str(p+"created") != r.str(p+"modified") || r.get(p+"viewerCanManage") != true {
				t.Fatalf("create: %s", r.Raw)
			}
			created := r.str(p + "uuid")
			// A second one for the same call: REST's uniqueness message.
			r = e.do(m, `mutation($c: UUID!) { createCallAssignmentConfiguration(input: {callUuid: $c}) { clientMutationId } }`,
				map[string]any{"c": hex(w.Bare)})
			if got := fieldMessages(t, r); got["callUuid/call"] != "call assignment configuration with this call already exists." {
				t.Fatalf("duplicate: %v", got)
			}
			e.do(m, `mutation($u: UUID!) { deleteCallAssignmentConfiguration(input: {uuid: $u}) { deletedUuid } }`,
				map[string]any{"u": created}).ok(t)
		})

		t.Run("create validates every field at once", func(t *testing.T) {
			r := e.do(m, `mutation($c: UUID!) { createCallAssignmentConfiguration(input: {callUuid: $c, autoReassignOnDecline: null,
				maxAutoReassignAttempts: -1, assignmentExpirationDays: 2147483648, sendReminderBeforeExpiryDays: null}) { clientMutationId } }`,
				map[string]any{"c": hex(w.Call)})
			got := fieldMessages(t, r)
			want := map[string]string{
				"autoReassignOnDecline/auto_reassign_on_decline":                "This field may not be null.",
				"maxAutoReassignAttempts/max_auto_reassign_attempts":            "Ensure this value is greater than or equal to 0.",
				"assignmentExpirationDays/assignment_expiration_days":           "Ensure this value is less than or equal to 2147483647.",
				"sendReminderBeforeExpiryDays/send_reminder_before_expiry_days": "This field may not be null.",
			}
			if len(got) != len(want) {
				t.Fatalf("fields %v, want %v", got, want)
			}
			for k, v := range want {
				if got[k] != v {
					t.Fatalf("%s: %q, want %q (%v)", k, got[k], v, got)
				}
			}
		})

		var modified string
		t.Run("update is partial", func(t *testing.T) {
			before := e.do(m, `query($u: UUID!) { callAssignmentConfiguration(uuid: $u) { `+configFields+` } }`,
				map[string]any{"u": hex(w.Config)}).ok(t)
			r := e.do(m, updateMutation, map[string]any{"in": map[string]any{"uuid": hex(w.Config), "maxAutoReassignAttempts": 9, "clientMutationId": "u1"}}).ok(t)
			p := "updateCallAssignmentConfiguration.callAssignmentConfiguration."
			if r.get(p+"maxAutoReassignAttempts") != 9.0 || r.get(p+"assignmentExpirationDays") != 7.0 ||
				r.str("updateCallAssignmentConfiguration.clientMutationId") != "u1" ||
				r.str(p+"created") != before.str("callAssignmentConfiguration.created") ||
				r.str(p+"modified") <= before.str("callAssignmentConfiguration.modified") {
				t.Fatalf("update: %s", r.Raw)
			}
			// The payload's nested call sees the new value, so client
			// caches holding the call update too.
			if r.get(p+"call.assignmentConfiguration.maxAutoReassignAttempts") != 9.0 ||
				r.get(p+"call.effectiveAssignmentSettings.maxAutoReassignAttempts") != 9.0 {
				t.Fatalf("payload call is stale: %s", r.Raw)
			}
			// An update with no values still moves modified.
			r2 := e.do(m, updateMutation, map[string]any{"in": map[string]any{"uuid": hex(w.Config)}}).ok(t)
			if r2.str(p+"modified") <= r.str(p+"modified") || r2.get(p+"maxAutoReassignAttempts") != 9.0 {
				t.Fatalf("empty update: %s", r2.Raw)
			}
			modified = r2.str(p + "modified")
		})

		t.Run("update refuses explicit null", func(t *testing.T) {
			r := e.do(m, updateMutation, map[string]any{"in": map[string]any{"uuid": hex(w.Config), "assignmentExpirationDays": nil, "autoReassignOnDecline": true}})
			if got := fieldMessages(t, r); len(got) != 1 || got["assignmentExpirationDays/assignment_expiration_days"] != "This field may not be null." {
				t.Fatalf("null: %v", got)
			}
			cur := e.do(m, `query($u: UUID!) { callAssignmentConfiguration(uuid: $u) { autoReassignOnDecline modified } }`,
				map[string]any{"u": hex(w.Config)}).ok(t)
			if cur.get("callAssignmentConfiguration.autoReassignOnDecline") != false || cur.str("callAssignmentConfiguration.modified") != modified {
				t.Fatalf("refused update changed something: %s", cur.Raw)
			}
		})

		t.Run("update with a precondition", func(t *testing.T) {
			in := map[string]any{"uuid": hex(w.Config), "sendReminderBeforeExpiryDays": 1, "modified": modified}
			r := e.do(m, updateMutation, map[string]any{"in": in}).ok(t)
			fresh := r.str("updateCallAssignmentConfiguration.callAssignmentConfiguration.modified")
			// The same precondition again is now stale.
			r = e.do(m, updateMutation, map[string]any{"in": in})
			if err := r.failsWith(t, "CONFLICT"); err.Message == "" {
				t.Fatalf("conflict without message: %s", r.Raw)
			}
			// Any offset names the same instant.
			in["modified"] = strings.Replace(fresh, "+00:00", "Z", 1)
			e.do(m, updateMutation, map[string]any{"in": in}).ok(t)
			in["modified"] = "yesterday"
			if got := fieldMessages(t, e.do(m, updateMutation, map[string]any{"in": in})); len(got) != 1 || got["modified/modified"] == "" {
				t.Fatalf("bad DateTime: %v", got)
			}
		})

		t.Run("update of an unknown configuration is NOT_FOUND", func(t *testing.T) {
			e.do(coretest.Staff, updateMutation, map[string]any{"in": map[string]any{"uuid": "0123456789abcdef0123456789abcdef"}}).failsWith(t, "NOT_FOUND")
		})

		t.Run("upsert creates, then updates", func(t *testing.T) {
			const set = `mutation($in: SetCallAssignmentConfigurationForCallInput!) { setCallAssignmentConfigurationForCall(input: $in) {
				created clientMutationId callAssignmentConfiguration { uuid autoReassignOnDecline maxAutoReassignAttempts assignmentExpirationDays call { uuid } } } }`
			p := "setCallAssignmentConfigurationForCall."
			r := e.do(m, set, map[string]any{"in": map[string]any{"callUuid": hex(w.Bare), "assignmentExpirationDays": 14}}).ok(t)
			first := r.str(p + "callAssignmentConfiguration.uuid")
			if r.get(p+"created") != true || r.get(p+"callAssignmentConfiguration.assignmentExpirationDays") != 14.0 ||
				r.get(p+"callAssignmentConfiguration.maxAutoReassignAttempts") != 3.0 || r.str(p+"callAssignmentConfiguration.call.uuid") != hex(w.Bare) {
				t.Fatalf("upsert create: %s", r.Raw)
			}
			r = e.do(m, set, map[string]any{"in": map[string]any{"callUuid": hex(w.Bare), "autoReassignOnDecline": true, "clientMutationId": "s"}}).ok(t)
			if r.get(p+"created") != false || r.str(p+"callAssignmentConfiguration.uuid") != first ||
				r.get(p+"callAssignmentConfiguration.assignmentExpirationDays") != 14.0 ||
				r.get(p+"callAssignmentConfiguration.autoReassignOnDecline") != true || r.str(p+"clientMutationId") != "s" {
				t.Fatalf("upsert update: %s", r.Raw)
			}
			if got := fieldMessages(t, e.do(m, set, map[string]any{"in": map[string]any{"callUuid": hex(w.Bare), "maxAutoReassignAttempts": nil}})); got["maxAutoReassignAttempts/max_auto_reassign_attempts"] != "This field may not be null." {
				t.Fatalf("upsert null: %v", got)
			}
			// An unknown call is NOT_FOUND (there is no call field to blame).
			e.do(m, set, map[string]any{"in": map[string]any{"callUuid": "0123456789abcdef0123456789abcdef"}}).failsWith(t, "NOT_FOUND")
		})

		t.Run("delete returns what a cache needs", func(t *testing.T) {
			cfg := e.do(m, `query($c: UUID!) { call(uuid: $c) { assignmentConfiguration { id uuid modified } } }`,
				map[string]any{"c": hex(w.Bare)}).ok(t)
			uuid, id := cfg.str("call.assignmentConfiguration.uuid"), cfg.str("call.assignmentConfiguration.id")
			const del = `mutation($in: DeleteCallAssignmentConfigurationInput!) { deleteCallAssignmentConfiguration(input: $in) {
				deletedUuid deletedId clientMutationId call { uuid assignmentConfiguration { uuid } effectiveAssignmentSettings { isDefault } } } }`
			e.do(m, del, map[string]any{"in": map[string]any{"uuid": uuid, "modified": "2001-01-01T00:00:00.000001+00:00"}}).failsWith(t, "CONFLICT")
			r := e.do(m, del, map[string]any{"in": map[string]any{"uuid": uuid, "modified": cfg.str("call.assignmentConfiguration.modified"), "clientMutationId": "d"}}).ok(t)
			p := "deleteCallAssignmentConfiguration."
			if r.str(p+"deletedUuid") != uuid || r.str(p+"deletedId") != id || r.str(p+"clientMutationId") != "d" ||
				r.str(p+"call.uuid") != hex(w.Bare) || r.get(p+"call.assignmentConfiguration") != nil ||
				r.get(p+"call.effectiveAssignmentSettings.isDefault") != true {
				t.Fatalf("delete: %s", r.Raw)
			}
			e.do(m, del, map[string]any{"in": map[string]any{"uuid": uuid}}).failsWith(t, "NOT_FOUND")
			if r := e.do(m, `query($u: UUID!) { callAssignmentConfiguration(uuid: $u) { uuid } }`, map[string]any{"u": uuid}).ok(t); r.get("callAssignmentConfiguration") != nil {
				t.Fatalf("deleted configuration still there: %s", r.Raw)
			}
		})

		t.Run("an input that names no call is an input error on both of its fields", func(t *testing.T) {
			// callUuid is nullable since callId may stand for it; naming
			// neither is BAD_USER_INPUT, not a validation error.
			got := fieldMessages(t, e.do(m, `mutation { createCallAssignmentConfiguration(input: {}) { clientMutationId } }`, nil))
			if got["callUuid/call"] != "Give either callUuid or callId." || got["callId/call"] != "Give either callUuid or callId." {
				t.Fatalf("no call: %v", got)
			}
		})
	})
}
