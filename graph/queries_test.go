package graph_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/callcfg/callcfg/core/coretest"
)

const configFields = `id uuid autoReassignOnDecline maxAutoReassignAttempts assignmentExpirationDays
	sendReminderBeforeExpiryDays created modified viewerCanManage`

const callFields = `id uuid name description state url created modified viewerCanManage
	effectiveAssignmentSettings { autoReassignOnDecline maxAutoReassignAttempts assignmentExpirationDays sendReminderBeforeExpiryDays isDefault }`

var (
	hex32    = regexp.MustCompile(`^[0-9a-f]{32}$`)
	dateTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$`)
)

// TestQueries covers every query of the schema, as staff on a fresh world.
func TestQueries(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		w := e.w
		var configID, callID string
		cases := []struct {
			name  string
			query string
			vars  map[string]any
			check func(t *testing.T, r *response)
		}{
			{"me", `{ me { uuid username email isStaff isSupport } }`, nil, func(t *testing.T, r *response) {
				if r.str("me.username") != "staff" || r.get("me.isStaff") != true || r.get("me.isSupport") != false ||
					r.str("me.email") != "staff@example.org" || !hex32.MatchString(r.str("me.uuid")) {
					t.Fatalf("me: %s", r.Raw)
				}
			}},
			{"configuration by uuid", `query($u: UUID!) { callAssignmentConfiguration(uuid: $u) { ` + configFields + ` call { ` + callFields + ` assignmentConfiguration { uuid } } } }`,
				map[string]any{"u": hex(w.Config)}, func(t *testing.T, r *response) {
					c := "callAssignmentConfiguration."
					if r.str(c+"uuid") != hex(w.Config) || r.get(c+"maxAutoReassignAttempts") != 3.0 ||
						r.get(c+"autoReassignOnDecline") != false || r.get(c+"assignmentExpirationDays") != 7.0 ||
						r.get(c+"sendReminderBeforeExpiryDays") != 2.0 || r.get(c+"viewerCanManage") != true {
						t.Fatalf("configuration: %s", r.Raw)
					}
					if !dateTime.MatchString(r.str(c+"created")) || !dateTime.MatchString(r.str(c+"modified")) {
						t.Fatalf("DateTime format: %s", r.Raw)
					}
					if r.str(c+"call.uuid") != hex(w.Call) || r.str(c+"call.name") != coretest.ManagedCallName ||
						r.str(c+"call.state") != "ACTIVE" || r.str(c+"call.description") != "About "+coretest.ManagedCallName ||
						r.str(c+"call.assignmentConfiguration.uuid") != hex(w.Config) ||
						r.get(c+"call.effectiveAssignmentSettings.isDefault") != false {
						t.Fatalf("nested call: %s", r.Raw)
					}
					if want := e.srv.URL + "/api/proposal-protected-calls/" + hex(w.Call) + "/"; r.str(c+"call.url") != want {
						t.Fatalf("url %q, want %q", r.str(c+"call.url"), want)
					}
					configID, callID = r.str(c+"id"), r.str(c+"call.id")
				}},
			{"UUID accepted dashed and upper case", `query($u: UUID!) { callAssignmentConfiguration(uuid: $u) { uuid } }`,
				map[string]any{"u": strings.ToUpper(w.Config.String())}, func(t *testing.T, r *response) {
					if r.str("callAssignmentConfiguration.uuid") != hex(w.Config) {
						t.Fatalf("dashed upper-case uuid: %s", r.Raw)
					}
				}},
			{"unknown configuration is null", `{ callAssignmentConfiguration(uuid: "00000000000000000000000000000000") { uuid } }`, nil,
				func(t *testing.T, r *response) {
					if r.get("callAssignmentConfiguration") != nil {
						t.Fatalf("want null: %s", r.Raw)
					}
				}},
			{"call without configuration uses the defaults", `query($u: UUID!) { call(uuid: $u) { ` + callFields + ` assignmentConfiguration { uuid } } }`,
				map[string]any{"u": hex(w.Bare)}, func(t *testing.T, r *response) {
					eff := "call.effectiveAssignmentSettings."
					if r.str("call.state") != "ARCHIVED" || r.get("call.assignmentConfiguration") != nil ||
						r.get(eff+"isDefault") != true || r.get(eff+"maxAutoReassignAttempts") != 3.0 ||
						r.get(eff+"assignmentExpirationDays") != 7.0 || r.get(eff+"sendReminderBeforeExpiryDays") != 2.0 ||
						r.get(eff+"autoReassignOnDecline") != false {
						t.Fatalf("bare call: %s", r.Raw)
					}
				}},
			{"effective settings of a configured call are the stored ones", `query($u: UUID!) { call(uuid: $u) { effectiveAssignmentSettings { autoReassignOnDecline maxAutoReassignAttempts isDefault } } }`,
				map[string]any{"u": hex(w.Other)}, func(t *testing.T, r *response) {
					eff := "call.effectiveAssignmentSettings."
					if r.get(eff+"isDefault") != false || r.get(eff+"maxAutoReassignAttempts") != 5.0 || r.get(eff+"autoReassignOnDecline") != true {
						t.Fatalf("other call: %s", r.Raw)
					}
				}},
			{"malformed UUID is an input error", `{ call(uuid: "not-a-uuid") { uuid } }`, nil, func(t *testing.T, r *response) {
				err := r.failsWith(t, "BAD_USER_INPUT")
				if !strings.Contains(err.Message, "Must be a valid UUID.") {
					t.Fatalf("message: %s", r.Raw)
				}
			}},
			{"configurations connection", `{ callAssignmentConfigurations(orderBy: [{field: CALL_NAME}]) { totalCount
					edges { cursor node { uuid call { name } } } nodes { uuid } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`,
				nil, func(t *testing.T, r *response) {
					c := "callAssignmentConfigurations."
					if r.get(c+"totalCount") != 2.0 || len(r.list(c+"edges")) != 2 || len(r.list(c+"nodes")) != 2 ||
						r.str(c+"edges.0.node.call.name") != coretest.ManagedCallName || r.str(c+"edges.1.node.call.name") != coretest.OtherCallName ||
						r.str(c+"nodes.1.uuid") != hex(w.OtherCf) || r.get(c+"pageInfo.hasNextPage") != false ||
						r.get(c+"pageInfo.hasPreviousPage") != false || r.str(c+"pageInfo.startCursor") != r.str(c+"edges.0.cursor") ||
						r.str(c+"pageInfo.endCursor") != r.str(c+"edges.1.cursor") {
						t.Fatalf("connection: %s", r.Raw)
					}
				}},
			{"configurations filtered", `query($u: UUID) { a: callAssignmentConfigurations(filter: {callUuid: $u}) { totalCount nodes { uuid } }
					b: callAssignmentConfigurations(filter: {callState: DRAFT}) { totalCount nodes { uuid } }
					c: callAssignmentConfigurations(filter: {autoReassignOnDecline: false}) { totalCount nodes { uuid } }
					d: callAssignmentConfigurations(filter: {callState: ARCHIVED}) { totalCount nodes { uuid } } }`,
				map[string]any{"u": hex(w.Call)}, func(t *testing.T, r *response) {
					if r.get("a.totalCount") != 1.0 || r.str("a.nodes.0.uuid") != hex(w.Config) ||
						r.get("b.totalCount") != 1.0 || r.str("b.nodes.0.uuid") != hex(w.OtherCf) ||
						r.get("c.totalCount") != 1.0 || r.str("c.nodes.0.uuid") != hex(w.Config) ||
						r.get("d.totalCount") != 0.0 || len(r.list("d.nodes")) != 0 || r.get("d.pageInfo") != nil {
						t.Fatalf("filters: %s", r.Raw)
					}
				}},
			{"calls connection", `{ calls(first: 2, orderBy: [{field: NAME, direction: DESC}]) { totalCount nodes { name } pageInfo { hasNextPage } }
					archived: calls(filter: {state: ARCHIVED}) { totalCount nodes { uuid assignmentConfiguration { uuid } } } }`,
				nil, func(t *testing.T, r *response) {
					if r.get("calls.totalCount") != 3.0 || r.str("calls.nodes.0.name") != coretest.OtherCallName ||
						r.str("calls.nodes.1.name") != coretest.ManagedCallName || r.get("calls.pageInfo.hasNextPage") != true ||
						r.get("archived.totalCount") != 1.0 || r.str("archived.nodes.0.uuid") != hex(w.Bare) ||
						r.get("archived.nodes.0.assignmentConfiguration") != nil {
						t.Fatalf("calls: %s", r.Raw)
					}
				}},
			{"first and last together are an input error", `{ calls(first: 1, last: 1) { totalCount } }`, nil, func(t *testing.T, r *response) {
				err := r.failsWith(t, "BAD_USER_INPUT")
				if _, ok := err.Extensions["fields"].(map[string]any)["last"]; !ok {
					t.Fatalf("fields: %s", r.Raw)
				}
			}},
			{"page size over 300 is an input error", `{ callAssignmentConfigurations(first: 301) { nodes { uuid } } }`, nil, func(t *testing.T, r *response) {
				r.failsWith(t, "BAD_USER_INPUT")
			}},
			{"a foreign cursor is an input error", `{ callAssignmentConfigurations(after: "bm9wZQ") { nodes { uuid } } }`, nil, func(t *testing.T, r *response) {
				err := r.failsWith(t, "BAD_USER_INPUT")
				f, _ := dig(err.Extensions, "fields.after.messages.0").(string)
				if f != "Invalid cursor." || dig(err.Extensions, "fields.after.restField") != "after" {
					t.Fatalf("cursor error: %s", r.Raw)
				}
			}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := e.do(coretest.Staff, tc.query, tc.vars)
				tc.check(t, r)
			})
		}

		t.Run("node refetches both types by global id", func(t *testing.T) {
			if configID == "" || callID == "" {
				t.Skip("ids not read")
			}
			r := e.do(coretest.Staff, `query($a: ID!, $b: ID!) {
				a: node(id: $a) { id __typename ... on CallAssignmentConfiguration { uuid } }
				b: node(id: $b) { id __typename ... on Call { uuid name } } }`, map[string]any{"a": configID, "b": callID}).ok(t)
			if r.str("a.__typename") != "CallAssignmentConfiguration" || r.str("a.uuid") != hex(w.Config) || r.str("a.id") != configID ||
				r.str("b.__typename") != "Call" || r.str("b.uuid") != hex(w.Call) || r.str("b.id") != callID {
				t.Fatalf("node: %s", r.Raw)
			}
			if strings.Contains(configID, hex(w.Config)) {
				t.Fatalf("global id is not opaque: %s", configID)
			}
			// Invisible to the outsider: null, not an error.
			r = e.do(coretest.Outsider, `query($a: ID!) { node(id: $a) { id } }`, map[string]any{"a": configID}).ok(t)
			if r.get("node") != nil {
				t.Fatalf("outsider sees node: %s", r.Raw)
			}
			e.do(coretest.Staff, `{ node(id: "garbage") { id } }`, nil).failsWith(t, "BAD_USER_INPUT")
		})
	})
}
